"""One structured JSON log line per request: request id, method, route, status, bytes in and
out, duration. Never the path's values, query, patient data or uploaded file names: the
route is the template (/v1/instances/{instance_id}), not the URL."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from typing import Any

log = logging.getLogger("app.access")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def configure(level: str = "info") -> None:
    # uvicorn's own access line carries the raw path and query (ids, values): ours replaces it.
    logging.getLogger("uvicorn.access").disabled = True
    if not log.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.propagate = False
    log.setLevel(level.upper())


class AccessLogMiddleware:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        incoming = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
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
                                      (b"x-request-id", request_id.encode())]
            elif message["type"] == "http.response.body":
                counts["out"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, counting_receive, counting_send)
        finally:
            route = scope.get("route")
            log.info(json.dumps({
                "request_id": request_id, "method": scope.get("method"),
                "route": getattr(route, "path", None) or "unmatched",
                "status": counts["status"] or 500, "bytes_in": counts["in"],
                "bytes_out": counts["out"],
                "duration_ms": round((time.perf_counter() - started) * 1000, 2)}))
