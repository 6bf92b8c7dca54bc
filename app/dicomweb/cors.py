"""CORS for browser viewers (OHIF and the like) on another origin: which origins, methods
and headers, and which response headers their scripts may read.

Off unless `DICOMCORE_CORS_ORIGINS` names origins (comma-separated, or `*`). Preflight
`OPTIONS` requests are answered by the middleware before any route runs, so they need no API
key (a browser sends none with them); the requests that follow do.
"""

from __future__ import annotations

from typing import Any

ALLOWED_HEADERS = ["Accept", "Authorization", "Content-Type", "If-Match", "Range",
                   "X-API-Key", "X-Request-ID"]
EXPOSED_HEADERS = ["Accept-Ranges", "Content-Length", "Content-Location", "Content-Range",
                   "Content-Type", "ETag", "Location", "Warning", "X-DICOM-Warnings",
                   "X-Request-ID"]


def cors_options(origins: str) -> dict[str, Any]:
    """Keyword arguments of Starlette's CORSMiddleware for the setting's value."""
    listed = [origin.strip().rstrip("/") for origin in origins.split(",") if origin.strip()]
    return {"allow_origins": listed, "allow_methods": ["GET", "POST", "PATCH", "DELETE"],
            "allow_headers": ALLOWED_HEADERS, "expose_headers": EXPOSED_HEADERS,
            "allow_credentials": False, "max_age": 600}
