"""`python -m app`: run the service with uvicorn, host, port and workers from the settings.

One worker runs in this process; more run under app.workers, one listening socket each
(uvicorn's own `--workers` where SO_REUSEPORT is missing). Ours accept a burst of connections
in batches (app.pacing).
"""

from __future__ import annotations

import sys

import uvicorn
from pydantic import ValidationError

from . import workers
from .settings import get_settings

SETTINGS_INVALID = 2


def main() -> int:
    try:
        settings = get_settings()
    except ValidationError as exc:  # a setting's value, not a bug: say which, no traceback
        for error in exc.errors():
            name = "_".join(str(part) for part in error["loc"]).upper()
            print(f"dicomcore: DICOMCORE_{name}: {error['msg']}", file=sys.stderr)
        return SETTINGS_INVALID
    options = {"app": "app.main:app", "log_level": settings.log_level, "access_log": False,
               "proxy_headers": True, "forwarded_allow_ips": settings.forwarded_allow_ips,
               "http": "app.transport:GuardedH11Protocol",
               # not uvloop even where it is installed: app.pacing's batches are measured
               # on asyncio's loop (with uvloop the trickle burst's probe took 96-154 ms)
               "loop": "asyncio"}
    workers.raise_open_file_limit()  # before the workers start: they inherit it
    if settings.workers == 1:
        return workers.serve_one(options, settings.host, settings.port)
    if workers.supported():
        uvicorn.Config(**options).configure_logging()
        return workers.serve(options, settings.host, settings.port, settings.workers)
    uvicorn.run(host=settings.host, port=settings.port, workers=settings.workers, **options)
    return 0


if __name__ == "__main__":
    sys.exit(main())
