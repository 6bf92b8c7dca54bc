"""The API's documentation, served by the service itself: /docs (Swagger UI), /redoc (ReDoc)
and /openapi.json.

The pages' scripts and styles come from the fastapi-offline package and are served from
/docs/assets, so the pages work on a machine without internet (FastAPI's own pages load them
from a CDN and are blank offline). When DICOMCORE_API_KEY is set these routes need the key
like every other route but /healthz: as `Authorization: Bearer KEY`, `X-API-Key: KEY`, or
(what a browser can send to a page) as the password of HTTP Basic authentication with any
user name, which the browser asks for when the 401 challenges it.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse

from .deps import SettingsDep
from .openapi import document

ASSETS = Path(fastapi_offline.__file__).parent / "static"
_ASSET_TYPES = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css",
                "redoc.standalone.js": "text/javascript", "favicon.png": "image/png"}
# No validator badge: Swagger UI would send the document to validator.swagger.io.
_SWAGGER_PARAMETERS: dict[str, Any] = {"validatorUrl": None}
# The pages may load nothing from elsewhere: ReDoc, for one, shows a logo from its CDN.
_PAGE_HEADERS = {"Content-Security-Policy": (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; "
    "connect-src 'self'; frame-ancestors 'none'")}
_CHALLENGE = {"WWW-Authenticate": 'Basic realm="dicomcore", charset="UTF-8"'}


def _given_key(request: Request) -> str | None:
    """The key a request carries: X-API-Key, a Bearer token, or a Basic password."""
    given = request.headers.get("x-api-key")
    if given is not None:
        return given
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        return credentials.strip()
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2]
    return None


def require_docs_key(request: Request, settings: SettingsDep) -> None:
    """401 with a Basic challenge (so a browser asks) unless the key is given or none is set."""
    expected = settings.api_key
    if not expected:
        return
    given = _given_key(request)
    if given is None or not hmac.compare_digest(given.encode(), expected.encode()):
        raise HTTPException(401, "a valid API key is required: Authorization: Bearer KEY, "
                            "X-API-Key: KEY, or in a browser the key as password",
                            headers=_CHALLENGE)


def router_for(app: FastAPI, routers: Sequence[tuple[APIRouter, bool]]) -> APIRouter:
    """The documentation routes of `app` (kept out of its OpenAPI document); `routers` are
    the API's routers, each with whether it is behind the key."""
    router = APIRouter(include_in_schema=False)

    def url(request: Request, path: str) -> str:
        return f"{request.scope.get('root_path', '')}{path}"

    @router.get("/openapi.json")
    async def openapi(request: Request, settings: SettingsDep) -> JSONResponse:
        require_docs_key(request, settings)
        return JSONResponse(document(app, routers, bool(settings.api_key)))

    @router.get("/docs")
    async def swagger_ui(request: Request, settings: SettingsDep) -> HTMLResponse:
        require_docs_key(request, settings)
        page = get_swagger_ui_html(
            openapi_url=url(request, "/openapi.json"), title=f"{app.title} - Swagger UI",
            swagger_js_url=url(request, "/docs/assets/swagger-ui-bundle.js"),
            swagger_css_url=url(request, "/docs/assets/swagger-ui.css"),
            swagger_favicon_url=url(request, "/docs/assets/favicon.png"),
            swagger_ui_parameters=_SWAGGER_PARAMETERS)
        page.headers.update(_PAGE_HEADERS)
        return page

    @router.get("/redoc")
    async def redoc(request: Request, settings: SettingsDep) -> HTMLResponse:
        require_docs_key(request, settings)
        page = get_redoc_html(
            openapi_url=url(request, "/openapi.json"), title=f"{app.title} - ReDoc",
            redoc_js_url=url(request, "/docs/assets/redoc.standalone.js"),
            redoc_favicon_url=url(request, "/docs/assets/favicon.png"), with_google_fonts=False)
        page.headers.update(_PAGE_HEADERS)
        return page

    @router.get("/docs/assets/{name}")
    async def asset(name: str, request: Request, settings: SettingsDep) -> FileResponse:
        require_docs_key(request, settings)
        if name not in _ASSET_TYPES:
            raise HTTPException(404, "no such file")
        return FileResponse(ASSETS / name, media_type=_ASSET_TYPES[name],
                            headers={"Cache-Control": "private, max-age=86400"})

    return router
