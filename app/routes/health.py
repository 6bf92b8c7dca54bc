"""GET /healthz: liveness and version (no API key needed).

Most probes are answered by the connection itself (`app.transport`), before routing, with
`BODY` and `MEDIA_TYPE`, the bytes and type this route gives. A probe of a worker busy with
many requests then waits only for the event loop, not behind every request queued for it.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, Response

import dicomcore

from .. import __version__

router = APIRouter(tags=["health"])
PATH = "/healthz"


def health() -> dict[str, str]:
    return {"status": "ok", "version": __version__, "dicomcore": dicomcore.__version__}


MEDIA_TYPE = "application/json"
BODY = json.dumps(health(), separators=(",", ":")).encode()


@router.get(PATH, summary="Liveness and version", response_model=dict[str, str])
async def healthz() -> Response:
    return Response(BODY, media_type=MEDIA_TYPE)
