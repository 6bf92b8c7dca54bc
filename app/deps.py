"""Dependencies shared by the routes: settings, the instance store, the API key check."""

from __future__ import annotations

import hmac
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request

from .problems import Problem
from .settings import Settings, get_settings
from .storage import InstanceStore

SettingsDep = Annotated[Settings, Depends(get_settings)]


@lru_cache(maxsize=8)
def _store(root: Path, defer_size: int) -> InstanceStore:
    return InstanceStore(root, defer_size)


def get_store(settings: SettingsDep) -> InstanceStore:
    return _store(settings.storage_dir.resolve(), settings.defer_size)


StoreDep = Annotated[InstanceStore, Depends(get_store)]


def require_api_key(request: Request, settings: SettingsDep) -> None:
    """When DICOMCORE_API_KEY is set: `Authorization: Bearer KEY` or `X-API-Key: KEY`,
    compared in constant time."""
    expected = settings.api_key
    if not expected:
        return
    given = request.headers.get("x-api-key")
    if given is None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        given = token.strip() if scheme.lower() == "bearer" else None
    if given is None or not hmac.compare_digest(given.encode(), expected.encode()):
        raise Problem(401, "Unauthorized", "a valid API key is required (Authorization: "
                      "Bearer KEY or X-API-Key: KEY)")
