"""RFC 9457 problem details: every error the service returns, in one place.

Library errors map to HTTP here and nowhere else: a body that is not DICOM is 400 (with the
offset and tag), a failing patch 422 (with every failing operation), and so on. No client
input yields a 500: the last handler turns a bug into a 500 problem without a traceback.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from dicomcore.errors import DeferredValueError, EncodeError, InvalidDicomError
from dicomcore.patch import PatchError

MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("app")


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


def problem_response(status: int, title: str, detail: str, request: Request | None = None,
                     headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status,
                            "detail": detail}
    if request is not None:
        body["instance"] = request.url.path
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        headers = dict(exc.headers or {})
        if exc.status == 401:
            headers["WWW-Authenticate"] = "Bearer"
        return problem_response(exc.status, exc.title, exc.detail, request, headers or None,
                                **exc.extra)

    @app.exception_handler(InvalidDicomError)
    async def _invalid(request: Request, exc: InvalidDicomError) -> JSONResponse:
        return problem_response(400, "Not valid DICOM", str(exc), request,
                                offset=exc.offset,
                                tag=f"{exc.tag:08X}" if exc.tag is not None else None)

    @app.exception_handler(PatchError)
    async def _patch(request: Request, exc: PatchError) -> JSONResponse:
        return problem_response(422, "Patch not applied", str(exc), request, errors=exc.errors)

    @app.exception_handler(EncodeError)
    async def _encode(request: Request, exc: EncodeError) -> JSONResponse:
        return problem_response(422, "Value cannot be encoded", str(exc), request)

    @app.exception_handler(DeferredValueError)
    async def _gone(request: Request, exc: DeferredValueError) -> JSONResponse:
        return problem_response(409, "Stored file changed while reading", str(exc), request)

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
        route = getattr(request.scope.get("route"), "path", "unmatched")
        log.error("unhandled %s on %s", type(exc).__name__, route)
        return problem_response(500, "Internal error", "the service failed on this request",
                                request)


def _allowed_methods(app: FastAPI, request: Request) -> str:
    """Every method some route serves at this path (Starlette names only the first route's)."""
    from starlette.routing import Match

    methods: set[str] = set()
    scope = dict(request.scope)
    for route in app.router.routes:
        match, _ = route.matches(scope)
        if match is not Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    return ", ".join(sorted(methods))


_TITLES = {400: "Bad request", 401: "Unauthorized", 404: "Not found",
           405: "Method not allowed", 406: "Not acceptable", 412: "Precondition failed",
           413: "Content too large", 415: "Unsupported media type", 416: "Range not satisfiable"}

__all__ = ["Problem", "problem_response", "install", "HTTPException", "MEDIA_TYPE"]
