"""GET /healthz: liveness and version (no API key needed).

Most probes are answered by the connection itself (`app.transport`), before routing, with
`BODY`: the same bytes this route gives. A probe of a worker busy with many requests
then waits only for the event loop, not behind every request queued for the app.
"""

from __future__ import annotations

import json

from fastapi import APIRouter

import dicomcore

from .. import __version__

router = APIRouter(tags=["health"])
PATH = "/healthz"


def health() -> dict[str, str]:
    return {"status": "ok", "version": __version__, "dicomcore": dicomcore.__version__}


# As the route's JSONResponse renders it.
BODY = json.dumps(health(), ensure_ascii=False, separators=(",", ":")).encode()


@router.get(PATH, summary="Liveness and version")
async def healthz() -> dict[str, str]:
    return health()
