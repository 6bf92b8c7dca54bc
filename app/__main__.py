"""`python -m app`: run the service with uvicorn, host, port and workers from the settings."""

from __future__ import annotations

import uvicorn

from .settings import get_settings


def main() -> None:
    settings = get_settings()
    uvicorn.run("app.main:app", host=settings.host, port=settings.port,
                workers=settings.workers, log_level=settings.log_level, access_log=False,
                proxy_headers=True, forwarded_allow_ips=settings.forwarded_allow_ips,
                http="app.transport:NoDelayH11Protocol")


if __name__ == "__main__":
    main()
