"""API key, problem responses for unknown routes, and the access log."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.deps import get_settings
from app.main import create_app
from app.settings import Settings


@pytest.fixture
def secured(tmp_path: Path) -> TestClient:
    application = create_app()
    application.dependency_overrides[get_settings] = lambda: Settings(
        storage_dir=tmp_path, api_key="s3cret")
    return TestClient(application, raise_server_exceptions=False)


def test_api_key_required_except_healthz(secured: TestClient, ct_bytes: bytes) -> None:
    assert secured.get("/healthz").status_code == 200
    denied = secured.get("/v1/instances")
    assert denied.status_code == 401
    assert denied.headers["content-type"] == "application/problem+json"
    assert denied.headers["www-authenticate"] == "Bearer"
    assert secured.get("/v1/instances", headers={"x-api-key": "wrong"}).status_code == 401
    assert secured.get("/v1/instances", headers={"authorization": "Bearer s3cret"}
                       ).status_code == 200
    assert secured.get("/v1/instances", headers={"x-api-key": "s3cret"}).status_code == 200
    assert secured.post("/v1/json", content=ct_bytes,
                        headers={"content-type": "application/dicom"}).status_code == 401


def test_unknown_route_and_method_are_problems(client: TestClient) -> None:
    for response in (client.get("/nope"), client.put("/v1/json")):
        assert response.status_code in (404, 405)
        assert response.headers["content-type"] == "application/problem+json"


def test_healthz_and_openapi(client: TestClient) -> None:
    health = client.get("/healthz").json()
    assert health["status"] == "ok" and health["version"]
    spec = client.get("/openapi.json").json()
    for path in ("/v1/json", "/v1/patch", "/v1/instances", "/v1/instances/{instance_id}",
                 "/v1/instances/{instance_id}/file", "/healthz"):
        assert path in spec["paths"], path
    assert "application/dicom" in spec["paths"]["/v1/json"]["post"]["requestBody"]["content"]


def test_one_json_log_line_per_request_without_patient_data(
        client: TestClient, ct_bytes: bytes, caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("app.access")
    logger.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.INFO, logger="app.access"):
            client.post("/v1/json", files={"file": ("Secret-Patient-Name.dcm", ct_bytes)})
            client.get("/v1/instances/AAAAAAAAAAAAAAAAAAAAAA")
    finally:
        logger.removeHandler(caplog.handler)
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "app.access"]
    assert len(lines) == 2
    assert lines[0]["route"] == "/v1/json" and lines[0]["status"] == 200
    assert lines[0]["bytes_in"] > len(ct_bytes) and lines[0]["bytes_out"] > 1000
    assert lines[1]["route"] == "/v1/instances/{instance_id}" and lines[1]["status"] == 404
    text = caplog.text
    assert "Secret-Patient-Name" not in text and "CompressedSamples" not in text
    assert "AAAAAAAAAAAAAAAAAAAAAA" not in text
