"""Dependencies shared by the routes: settings, the instance storage, the scratch space and
the API key check. Each is overridable in tests through `app.dependency_overrides`.

FastAPI runs a plain `def` dependency in the thread pool, each call a round trip between the
loop and a thread (3 to 5 calls per request; a third of the loop's time in a burst of upload
heads). Those that do no blocking work are `async def`, run on the loop:
the settings, the scratch space (made when the worker starts) and the API key check. The
storage stays `def`: its first use opens the index and recovers, under a lock.
"""

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


def settings_of(app: FastAPI) -> Settings:
    """The app's settings: `get_settings()`, or a test's override of `get_settings`."""
    return app.dependency_overrides.get(get_settings, get_settings)()


async def current_settings(request: Request) -> Settings:
    """`settings_of` the request's app, on the event loop (both kinds are cached or
    trivial; FastAPI would run a plain function in a thread)."""
    return settings_of(request.app)


SettingsDep = Annotated[Settings, Depends(current_settings)]


def get_storage(settings: SettingsDep) -> InstanceStorage:
    """The storage the settings name (opened once per settings, recovered at first use)."""
    return open_storage(settings)


@lru_cache(maxsize=8)
def _scratch(storage_dir: Path) -> Scratch:
    # Beside the instances, on the same file system: a stored upload is renamed, not copied.
    return Scratch(storage_dir.resolve() / "tmp")


async def get_scratch(settings: SettingsDep) -> Scratch:
    """The scratch space of the settings' storage directory: made (resolved, created) by
    `sweep_scratch` when the worker starts, found in the cache by each request after."""
    return _scratch(settings.storage_dir)


def sweep_scratch(app: FastAPI) -> int:
    """At a worker's start: claim its own scratch directory and remove those of processes
    that are gone (`Scratch.sweep`); how many files. The settings may be a test's override."""
    return _scratch(settings_of(app).storage_dir).sweep()


StorageDep = Annotated[InstanceStorage, Depends(get_storage)]
ScratchDep = Annotated[Scratch, Depends(get_scratch)]


async def require_api_key(request: Request, settings: SettingsDep) -> None:
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
