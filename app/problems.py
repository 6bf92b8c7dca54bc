"""RFC 9457 problem details: how every error the service returns is shaped and chosen.

Errors become HTTP here and nowhere else. Exceptions of the lower layers (the library, the
storage backends) are mapped by type in `problem_for`: a body that is not DICOM is 400 (with
the offset and tag), a failing patch 422 (with every failing operation), an unknown instance
404, a stale ETag 412, and so on. What the service itself finds wrong with a request (a media
type, a range, a bulk path that names nothing) is raised as a `Problem`, built here where
more than a status and a sentence is involved (`patch_not_applied`, `unusable_patch`,
`cannot_write`, `no_such_value`), so each kind of problem has one shape. No client input
yields a 500: the last handler turns a bug into a 500 problem without a traceback.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.routing import Match

from dicomcore.errors import DeferredValueError, EncodeError, InvalidDicomError
from dicomcore.limits import LimitExceeded
from dicomcore.patch import PatchCancelled, PatchError, PatchTimeout

from . import accesslog
from .resource_states import DISK_FULL, OUT_OF_FILES, IndexUnavailable
from .storage.errors import InstanceNotFound, QueryError, StaleETag, TooBusy, UidClash

MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("app")
LISTED_ERRORS = 100  # failing operations a 422 lists; `more_errors` counts the rest
CLIENT_GONE = 499  # nginx's status for a request whose client left: logged, never received


class Problem(Exception):
    """An error with its HTTP status, title and detail (and optional extra members)."""

    def __init__(self, status: int, title: str, detail: str,
                 headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.headers = headers
        self.extra = extra


# problems raised from more than one place --------------------------------------------------

def patch_not_applied(detail: str, errors: list[dict[str, Any]]) -> Problem:
    """422 for a patch that changed nothing: `errors` lists the first `LISTED_ERRORS`
    failing operations (their paths and ops cut to 200 characters), `more_errors` says how
    many more there were."""
    listed = [{key: value[:200] if isinstance(value, str) else value
               for key, value in error.items()} for error in errors[:LISTED_ERRORS]]
    extra = {"more_errors": len(errors) - LISTED_ERRORS} if len(errors) > LISTED_ERRORS else {}
    return Problem(422, "Patch not applied", detail, errors=listed, **extra)


def unusable_patch(detail: str, reason: str) -> Problem:
    """422 for a patch body that is not a patch at all (no operation to blame)."""
    return patch_not_applied(detail, [{"index": None, "op": None, "path": None,
                                       "reason": reason}])


def cannot_write(exc: ValueError) -> Problem:
    """422 for what the writer refuses: encapsulated pixel data for an uncompressed syntax, a
    missing SOP UID for a standard file."""
    return Problem(422, "Cannot write the file", str(exc))


def no_such_value() -> Problem:
    return Problem(404, "Not found", "no such value in this instance")


# the mapping ----------------------------------------------------------------------------------

def problem_response(status: int, title: str, detail: str, request: Request | None = None,
                     headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status,
                            "detail": detail}
    if request is not None:
        body["instance"] = request.url.path
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def problem_for(exc: Exception) -> Problem | None:
    """The problem a library or storage error stands for; None for anything else (a bug)."""
    if isinstance(exc, Problem):
        return exc
    if isinstance(exc, LimitExceeded):
        return Problem(413, "Content too large", str(exc), limit=exc.limit, offset=exc.offset,
                       tag=f"{exc.tag:08X}" if exc.tag is not None else None)
    if isinstance(exc, InvalidDicomError):
        return Problem(400, "Not valid DICOM", str(exc), offset=exc.offset,
                       tag=f"{exc.tag:08X}" if exc.tag is not None else None)
    if isinstance(exc, PatchError):
        return patch_not_applied(str(exc), exc.errors)
    if isinstance(exc, EncodeError):
        return Problem(422, "Value cannot be encoded", str(exc))
    if isinstance(exc, DeferredValueError):
        return Problem(409, "Stored file changed while reading", str(exc))
    if isinstance(exc, InstanceNotFound):
        return Problem(404, "Not found", "no such instance")
    if isinstance(exc, StaleETag):
        return Problem(412, "Precondition failed",
                       "the instance changed since that ETag: fetch it again",
                       etag=exc.current_etag)
    if isinstance(exc, UidClash):
        return Problem(409, "Conflict", "another stored instance has this SOP Instance UID",
                       sop_instance_uid=exc.sop_instance_uid)
    if isinstance(exc, QueryError):
        return Problem(400, "Bad request", str(exc))
    if isinstance(exc, TooBusy):
        return Problem(503, "Service unavailable", str(exc), headers={"Retry-After": "1"})
    if isinstance(exc, PatchTimeout):
        return Problem(503, "Service unavailable", f"{exc}: nothing was changed",
                       headers={"Retry-After": "5"})
    if isinstance(exc, (PatchCancelled, ClientDisconnect)):
        return Problem(CLIENT_GONE, "Client closed request", "the client left before the "
                       "answer; nothing was changed")
    if isinstance(exc, OSError) and exc.errno in DISK_FULL:
        return Problem(507, "Insufficient storage", "the service's disk is full: nothing was "
                       "stored or changed; stored instances can still be read")
    if isinstance(exc, OSError) and exc.errno in OUT_OF_FILES:
        return Problem(503, "Service unavailable", "the service is out of open files",
                       headers={"Retry-After": "1"})
    if isinstance(exc, IndexUnavailable):
        return Problem(503, "Service unavailable", "the index database is short of memory "
                       "or connections: nothing was changed", headers={"Retry-After": "1"})
    return None


_MAPPED = (Problem, InvalidDicomError, PatchError, EncodeError, DeferredValueError,
           InstanceNotFound, StaleETag, UidClash, QueryError, TooBusy, PatchTimeout,
           PatchCancelled, ClientDisconnect, OSError)


def install(app: FastAPI) -> None:
    async def _mapped(request: Request, exc: Exception) -> JSONResponse:
        problem = problem_for(exc)
        if problem is None:  # an OSError that is no resource state: a bug
            return await _bug(request, exc)
        if problem.status == CLIENT_GONE:
            log.info("client left during %s: %s", _route(request), type(exc).__name__)
        elif problem.status in (503, 507):
            accesslog.resource_warning(f"{problem.status} {problem.detail}")
        headers = dict(problem.headers or {})
        if problem.status == 401:
            headers["WWW-Authenticate"] = "Bearer"
        return problem_response(problem.status, problem.title, problem.detail, request,
                                headers or None, **problem.extra)

    for kind in _MAPPED:
        app.add_exception_handler(kind, _mapped)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")}
                  for e in exc.errors()]
        return problem_response(422, "Invalid request", "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors), request,
            errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            headers["Allow"] = _allowed_methods(app, request)
        return problem_response(exc.status_code, _TITLES.get(exc.status_code, "Error"),
                                str(exc.detail), request, headers=headers or None)

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled %s on %s", type(exc).__name__, _route(request))
        return problem_response(500, "Internal error", "the service failed on this request",
                                request)


def _route(request: Request) -> str:
    return getattr(request.scope.get("route"), "path", "unmatched")


def _allowed_methods(app: FastAPI, request: Request) -> str:
    """Every method some route serves at this path (Starlette names only the first route's)."""
    methods: set[str] = set()
    scope = dict(request.scope)
    for route in app.router.routes:
        match, _ = route.matches(scope)
        if match is not Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    return ", ".join(sorted(methods))


_TITLES = {400: "Bad request", 401: "Unauthorized", 404: "Not found",
           405: "Method not allowed", 406: "Not acceptable", 409: "Conflict",
           412: "Precondition failed",
           413: "Content too large", 415: "Unsupported media type", 416: "Range not satisfiable",
           503: "Service unavailable", 507: "Insufficient storage"}

__all__ = ["MEDIA_TYPE", "Problem", "cannot_write", "install", "no_such_value",
           "patch_not_applied", "problem_for", "problem_response", "unusable_patch"]
