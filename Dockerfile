# dicomcore's REST service: docker build -t dicomcore . && docker run -p 8000:8000 dicomcore
#
# Settings are DICOMCORE_* environment variables (see the README table); the ones below are
# the container's defaults. Stored instances live in the /data volume.

# Build stage: install the project with its `service` extra (EXTRAS: add `postgresql` and `s3`
# for the scale-out profile) into a virtual environment, so the runtime image gets the installed
# packages and none of the sources or build tools.
FROM python:3.11-slim AS build
ARG EXTRAS=service

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
WORKDIR /src
COPY pyproject.toml README.md ./
COPY dicomcore ./dicomcore
COPY app ./app
RUN /opt/venv/bin/pip install ".[$EXTRAS]"


FROM python:3.11-slim

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DICOMCORE_HOST=0.0.0.0 \
    DICOMCORE_PORT=8000 \
    DICOMCORE_WORKERS=1 \
    DICOMCORE_STORAGE_DIR=/data

# A fixed uid, so that files on a volume shared by several replicas have one owner.
RUN groupadd --system --gid 10001 dicomcore \
    && useradd --system --uid 10001 --gid dicomcore --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin dicomcore \
    && mkdir /data \
    && chown dicomcore:dicomcore /data

COPY --from=build /opt/venv /opt/venv

# Created and owned above: a new named volume starts with this ownership.
VOLUME ["/data"]
USER dicomcore
EXPOSE 8000

# The slim image has no curl; urllib raises (exit status 1) on a refused connection or a non-2xx.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('DICOMCORE_PORT', '8000') + '/healthz', timeout=4)"]

# `python -m app` runs uvicorn with DICOMCORE_HOST, DICOMCORE_PORT and DICOMCORE_WORKERS
# (uvicorn's own access log off: the service logs one JSON line per request).
CMD ["python", "-m", "app"]
