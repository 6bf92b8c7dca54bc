"""One structured JSON log line per request: request id, method, route, status, bytes in and
out, duration. Never the path's values, query, patient data or uploaded file names: the
route is the template (/v1/instances/{instance_id}), not the URL.

Resource states (disk full, out of open files, failed accepts) are logged once per
`RESOURCE_INTERVAL` seconds each, with the count of the times in between: a flood of
requests against a full disk must not fill the log too.
"""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import re
import sys
import threading
import time
import uuid
from typing import Any

from .resource_states import DISK_FULL, OUT_OF_FILES

log = logging.getLogger("app.access")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

RESOURCE_INTERVAL = 10.0
# a failed accept: out of files or of buffer memory; a log line on a full disk
_EXHAUSTED = OUT_OF_FILES | DISK_FULL | {errno.ENOBUFS, errno.ENOMEM}
_resources = logging.getLogger("app")
_lock = threading.Lock()
_last: dict[str, float] = {}
_since: dict[str, int] = {}


def resource_warning(what: str) -> bool:
    """Log `what` (a resource state, no request data) unless it was logged less than
    `RESOURCE_INTERVAL` seconds ago; True when logged."""
    now = time.monotonic()
    with _lock:
        if now - _last.get(what, -RESOURCE_INTERVAL) < RESOURCE_INTERVAL:
            _since[what] = _since.get(what, 0) + 1
            return False
        _last[what] = now
        repeated = _since.pop(what, 0)
    _resources.warning("%s%s", what, f" ({repeated} more times since the last line)"
                       if repeated else "")
    return True


def install_loop_handler(loop: asyncio.AbstractEventLoop) -> None:
    """Failed accepts for want of file descriptors or memory go through `resource_warning`
    (one line per interval, no traceback); anything else to the loop's default handler."""

    def handle(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if isinstance(exc, OSError) and exc.errno in _EXHAUSTED:
            resource_warning(f"{context.get('message', 'event loop')}: {exc.strerror}")
            return
        loop.default_exception_handler(context)

    loop.set_exception_handler(handle)


def configure(level: str = "info") -> None:
    # uvicorn's own access line carries the raw path and query (ids, values): ours replaces it.
    logging.getLogger("uvicorn.access").disabled = True
    if not log.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.propagate = False
    log.setLevel(level.upper())


def request_id(incoming: bytes) -> str:
    """The client's X-Request-ID when it is a plain token, else a new one."""
    text = incoming.decode("latin-1")
    return text if _REQUEST_ID.fullmatch(text) else uuid.uuid4().hex


def log_request(request_id: str, method: str | None, route: str, status: int, bytes_in: int,
                bytes_out: int, started: float) -> None:
    """The access line of one request (`started`: its time.perf_counter() at the start)."""
    log.info(json.dumps({
        "request_id": request_id, "method": method, "route": route, "status": status,
        "bytes_in": bytes_in, "bytes_out": bytes_out,
        "duration_ms": round((time.perf_counter() - started) * 1000, 2)}))


class AccessLogMiddleware:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request = request_id(dict(scope.get("headers") or []).get(b"x-request-id", b""))
        counts = {"in": 0, "out": 0, "status": 0}

        async def counting_receive() -> Any:
            message = await receive()
            if message["type"] == "http.request":
                counts["in"] += len(message.get("body", b""))
            return message

        async def counting_send(message: Any) -> None:
            if message["type"] == "http.response.start":
                counts["status"] = message["status"]
                message["headers"] = [*message.get("headers", []),
                                      (b"x-request-id", request.encode())]
            elif message["type"] == "http.response.body":
                counts["out"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, counting_receive, counting_send)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            log_request(request, scope.get("method"), route, counts["status"] or 500,
                        counts["in"], counts["out"], started)
