"""No client input, however malformed, yields a 500: mutated corpus files (the fuzz
strategy of tests/test_badinput.py), truncated uploads, broken multipart bodies, and
clients that disconnect mid-upload."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ..test_badinput import mutated_files
from .conftest import CT
from .server import Server

PATCH = json.dumps([{"op": "set", "path": "PatientName", "value": "Fuzz^Test"}])


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=mutated_files(), route=st.sampled_from(["json", "instances", "patch"]))
def test_mutated_uploads_never_500(client: TestClient, data: bytes, route: str) -> None:
    if route == "patch":
        response = client.post("/v1/patch", files={"file": ("f", data)}, data={"patch": PATCH})
    else:
        response = client.post(f"/v1/{route}", content=data,
                               headers={"content-type": "application/dicom"})
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/problem+json"


def test_every_truncation_of_a_file_is_400_or_read(client: TestClient) -> None:
    data = CT.read_bytes()
    for cut in (0, 1, 100, 131, 132, 140, 300, 1000, 5000, len(data) - 1):
        response = client.post("/v1/json", content=data[:cut],
                               headers={"content-type": "application/dicom"})
        assert response.status_code in (200, 400), (cut, response.text)


def test_broken_multipart_bodies(client: TestClient) -> None:
    bodies = [b"--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc",
              b"garbage", b"--b--", b"--b\r\n\r\n\r\n--b--\r\n"]
    for body in bodies:
        response = client.post("/v1/json", content=body,
                               headers={"content-type": "multipart/form-data; boundary=b"})
        assert 400 <= response.status_code < 500, (body, response.text)
    response = client.post("/v1/json", content=b"x",
                           headers={"content-type": "multipart/form-data"})
    assert response.status_code == 400


def test_client_disconnect_mid_upload_leaves_nothing(tmp_path: Path) -> None:
    storage = tmp_path / "data"
    server = Server(storage)
    try:
        for route in ("/v1/instances", "/v1/json"):
            with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
                sock.sendall(f"POST {route} HTTP/1.1\r\nHost: x\r\n"
                             "Content-Type: application/dicom\r\n"
                             "Content-Length: 10000000\r\n\r\n".encode() + b"\0" * 300000)
            time.sleep(0.3)
        import httpx

        deadline = time.monotonic() + 10
        while list(storage.rglob("*.part")) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not list(storage.rglob("*.part")), "a temporary upload file was left behind"
        assert httpx.get(server.url + "/healthz").status_code == 200
        assert not list((storage / "instances").glob("*.dcm"))
    finally:
        server.stop()


def test_cut_multipart_body_is_400(client: TestClient) -> None:
    data = CT.read_bytes()
    body = (b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x\"\r\n\r\n"
            + data[:20000])
    response = client.post("/v1/instances", content=body,
                           headers={"content-type": "multipart/form-data; boundary=b"})
    assert response.status_code == 400 and "cut short" in response.json()["detail"]


def test_unused_form_fields_are_dropped_not_kept(tmp_path: Path) -> None:
    from app.deps import get_settings
    from app.main import create_app
    from app.settings import Settings

    application = create_app()
    application.dependency_overrides[get_settings] = lambda: Settings(
        storage_dir=tmp_path, max_patch_bytes=1000)
    client = TestClient(application, raise_server_exceptions=False)
    data = CT.read_bytes()
    ok = client.post("/v1/patch", files={"file": ("ct.dcm", data)},
                     data={"patch": PATCH, "junk": "x" * 50_000})
    assert ok.status_code == 200, "a field the route does not use is not kept, nor counted"
    too_big = client.post("/v1/patch", files={"file": ("ct.dcm", data)},
                          data={"patch": PATCH + " " * 2000})
    assert too_big.status_code == 413


def test_odd_requests_are_4xx_problems(client: TestClient) -> None:
    stored = client.post("/v1/instances", content=CT.read_bytes(),
                         headers={"content-type": "application/dicom"}).json()["id"]
    base = f"/v1/instances/{stored}"
    checks = [
        client.get(f"{base}/bulk/7FE00010", headers={"range": "bytes=99999999-"}),
        client.get(f"{base}/bulk/300A0010/\u00b2/300A0012"),
        client.patch(base, content=b"[" * 100000 + b"]" * 100000,
                     headers={"content-type": "application/json"}),
        client.patch(base, json=42), client.patch(base, json=None),
        client.patch(base, json={"00200013": {"vr": "IS", "Value": [{"a": 1}]}},
                     headers={"content-type": "application/dicom+json"}),
        client.patch(base, json=[], headers={"if-match": "W/" + client.get(base)
                                             .headers["etag"]}),
        client.get("/v1/instances/not-an-id"),
        client.post("/v1/json", content=b"x",
                    headers={"content-type": "multipart/form-data; boundary=" + "b" * 300}),
    ]
    for response in checks:
        assert 400 <= response.status_code < 500, (response.request.url, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    assert checks[0].status_code == 416
    assert checks[0].headers["content-range"].startswith("bytes */")
    assert checks[6].status_code == 412, "a weak ETag never matches If-Match"
    assert checks[7].status_code == 404
