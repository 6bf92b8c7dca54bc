"""GET /healthz: liveness and version (no API key needed)."""

from __future__ import annotations

from fastapi import APIRouter

import dicomcore

from .. import __version__

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness and version")
async def healthz() -> dict[str, str]:
    return {"status": "ok", "version": __version__, "dicomcore": dicomcore.__version__}
