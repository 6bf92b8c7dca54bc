"""The FastAPI application: wiring only. Routes are in app/routes, errors in app/problems.

Run with `uvicorn app.main:app` (or `make serve`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware

from . import __version__, accesslog, dicomweb, docs, memory, problems, recoveries, workers
from .deps import require_api_key, sweep_scratch
from .routes import deidentify, health, instances, json, patch
from .settings import get_settings

DESCRIPTION = """Read and fix DICOM files over HTTP, next to a PACS.

Upload a file for its element JSON (PS3.18 Annex F), patch it and download it, or store it
and work on it as a resource (`/v1/instances`: JSON, bulk values with Range, PATCH with
If-Match, download, delete). Uploads are streamed, as a raw `application/dicom` body or a
multipart `file` field.

Errors are RFC 9457 `application/problem+json`; each route lists the statuses it can give. A
file the reader had to recover from (cut short, for one) is answered with what was read and
an `X-DICOM-Warnings` header, or refused with `strict=true`. When the server has an API key
(DICOMCORE_API_KEY), every route but `/healthz` needs it: `Authorization: Bearer KEY` or
`X-API-Key: KEY` (the Authorize button)."""


@asynccontextmanager
async def lifespan(application: FastAPI) -> AsyncIterator[None]:
    if not memory.keep_large_buffers():
        logging.getLogger("uvicorn.error").warning(
            "allocator settings not applied (not glibc): large uploads run slower")
    swept = sweep_scratch(application)  # before the first request: this worker's is claimed
    if swept:
        logging.getLogger("uvicorn.error").warning(
            "removed %d scratch files of processes that are gone", swept)
    await workers.warm_up(application)  # before the freeze: what it builds is frozen too
    memory.freeze_loaded_objects()
    accesslog.install_loop_handler(asyncio.get_running_loop())
    with workers.short_switch_interval():
        async with memory.collect_when_quiet():
            yield


def create_app() -> FastAPI:
    settings = get_settings()
    # The library's warnings about odd input go to the request that caused them (a header),
    # never to the log: they may quote values (patient data).
    recoveries.install()
    accesslog.configure(settings.log_level)
    # FastAPI's own documentation routes load their scripts from a CDN and ignore the API
    # key: app.docs serves them instead.
    app = FastAPI(title="dicomcore", version=__version__, description=DESCRIPTION,
                  lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(accesslog.AccessLogMiddleware)
    if settings.cors_origins.strip():
        # Outermost: a preflight is answered here, before any route (and its API key).
        app.add_middleware(CORSMiddleware, **dicomweb.cors_options(settings.cors_origins))
    problems.install(app)
    routers = [(health.router, False), (json.router, True), (patch.router, True),
               (instances.router, True), (deidentify.router, True),
               *((router, True) for router in dicomweb.routers)]
    for router, secured in routers:
        app.include_router(router, dependencies=[Depends(require_api_key)] if secured else [])
    app.include_router(docs.router_for(app, routers))
    return app


app = create_app()
