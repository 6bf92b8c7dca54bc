"""The documentation pages work offline and stay behind the API key.

A real server and Debian's headless Chromium, with every host but the loopback address
unresolvable: /docs (Swagger UI) and /redoc (ReDoc) must render every route, and Chromium's
network log must show no request of the page to anywhere but the server. The browser's own
background traffic (update checks and the like, initiated by no page) is not the page's and
is left out of that check; it is unresolvable too.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.deps import get_settings
from app.main import create_app
from app.settings import Settings

from .server import Server

ROUTES = ["/healthz", "/v1/json", "/v1/patch", "/v1/instances", "/v1/instances/{instance_id}",
          "/v1/instances/{instance_id}/bulk/{tag_path}", "/v1/instances/{instance_id}/file"]
KEY = "s3cret"
DOCS = ["/docs", "/redoc", "/openapi.json", "/docs/assets/swagger-ui-bundle.js",
        "/docs/assets/swagger-ui.css", "/docs/assets/redoc.standalone.js",
        "/docs/assets/favicon.png"]


def _chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        message = "Debian's chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)  # .ci/run installs it: CI must not skip this
        pytest.skip(message)
    return found


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = Server(tmp_path_factory.mktemp("docs") / "data")
    try:
        yield running
    finally:
        running.stop()


def _page_requests(net_log: Path) -> list[str]:
    """The URLs the page asked for (the main frame and what it initiated)."""
    log = json.loads(net_log.read_text())
    start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    urls = []
    for event in log["events"]:
        params = event.get("params") or {}
        if event["type"] != start_job or "url" not in params:
            continue
        if params.get("request_type") == "main frame" or params.get("initiator",
                                                                    "").startswith("http"):
            urls.append(params["url"])
    return urls


def _render(browser: str, url: str, work: Path) -> tuple[str, list[str]]:
    """The DOM of `url` after its scripts ran, and the page's requests."""
    net_log = work / "net-log.json"
    result = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", f"--user-data-dir={work / 'profile'}",
         "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
         f"--log-net-log={net_log}", "--virtual-time-budget=20000", "--dump-dom", url],
        capture_output=True, text=True, timeout=90)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout, _page_requests(net_log)


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_render_offline_from_the_service_alone(server: Server, page: str,
                                                    tmp_path: Path) -> None:
    browser = _chromium()
    dom, requests = _render(browser, server.url + page, tmp_path)
    assert "Failed to load API definition" not in dom
    for route in ROUTES:
        assert route in dom, route  # every route rendered
    assert "Upload a DICOM file, get its element JSON" in dom  # a summary
    outside = [url for url in requests if not url.startswith(server.url + "/")]
    assert outside == []
    assert server.url + "/openapi.json" in requests
    assert any(url.startswith(server.url + "/docs/assets/") for url in requests)


def _client(tmp_path: Path, api_key: str | None) -> TestClient:
    application = create_app()
    application.dependency_overrides[get_settings] = lambda: Settings(
        storage_dir=tmp_path / "data", api_key=api_key)
    return TestClient(application, raise_server_exceptions=False)


def test_docs_need_the_key_when_one_is_set(tmp_path: Path) -> None:
    with _client(tmp_path, KEY) as client:
        basic = base64.b64encode(f"anyone:{KEY}".encode()).decode()
        wrong = base64.b64encode(b"anyone:guess").decode()
        for path in DOCS:
            denied = client.get(path)
            assert denied.status_code == 401, path
            assert denied.headers["content-type"] == "application/problem+json"
            assert denied.headers["www-authenticate"].startswith("Basic ")  # a browser asks
            assert client.get(path, headers={"authorization": f"Basic {wrong}"}
                              ).status_code == 401
            for headers in ({"authorization": f"Basic {basic}"},
                            {"authorization": f"Bearer {KEY}"}, {"x-api-key": KEY}):
                assert client.get(path, headers=headers).status_code == 200, (path, headers)
        assert client.get("/docs/assets/../main.py", headers={"x-api-key": KEY}
                          ).status_code == 404


def test_docs_are_open_without_a_key_and_load_nothing_from_elsewhere(tmp_path: Path) -> None:
    with _client(tmp_path, None) as client:
        for path in DOCS:
            assert client.get(path).status_code == 200, path
        assert client.get("/docs/assets/secrets.txt").status_code == 404
        for page in ("/docs", "/redoc"):
            response = client.get(page)
            assert "cdn" not in response.text and "googleapis" not in response.text
            policy = response.headers["content-security-policy"]
            assert "default-src 'self'" in policy and "img-src 'self' data:" in policy


def test_the_access_log_names_the_docs_routes(tmp_path: Path,
                                              caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("app.access")
    logger.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.INFO, logger="app.access"), _client(tmp_path,
                                                                          None) as client:
            for path in ("/docs", "/redoc", "/openapi.json", "/docs/assets/favicon.png"):
                client.get(path)
    finally:
        logger.removeHandler(caplog.handler)
    routes = [json.loads(r.getMessage())["route"] for r in caplog.records
              if r.name == "app.access"]
    assert routes == ["/docs", "/redoc", "/openapi.json", "/docs/assets/{name}"]
