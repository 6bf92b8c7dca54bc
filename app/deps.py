"""Dependencies shared by the routes: settings, the instance storage, the scratch space and
the API key check. Each is overridable in tests through `app.dependency_overrides`."""

from __future__ import annotations

import hmac
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, Request

from .problems import Problem
from .scratch import Scratch
from .settings import Settings, get_settings
from .storage import InstanceStorage, open_storage

SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_storage(settings: SettingsDep) -> InstanceStorage:
    """The storage the settings name (opened once per settings, recovered at first use)."""
    return open_storage(settings)


@lru_cache(maxsize=8)
def _scratch(directory: Path) -> Scratch:
    return Scratch(directory)


def get_scratch(settings: SettingsDep) -> Scratch:
    # Beside the instances, on the same file system: a stored upload is renamed, not copied.
    return _scratch(settings.storage_dir.resolve() / "tmp")


def sweep_scratch(app: FastAPI) -> int:
    """At a worker's start: claim its own scratch directory and remove those of processes
    that are gone (`Scratch.sweep`); how many files. The settings may be a test's override."""
    settings = app.dependency_overrides.get(get_settings, get_settings)()
    return get_scratch(settings).sweep()


StorageDep = Annotated[InstanceStorage, Depends(get_storage)]
ScratchDep = Annotated[Scratch, Depends(get_scratch)]


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
