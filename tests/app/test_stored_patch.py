"""PATCH of a stored instance parses its file once, and answers what a read of the new file
gives (app/patching.py); the stateless routes need no instance storage."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.deps import get_storage

from ..corpus import PYDICOM_DATA
from .conftest import CT

RAW = {"content-type": "application/dicom"}
PRIVATE = '(0009,"ACME 1.0",01)'


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every parse of a file by the service, wherever a route or the patch run makes it."""
    calls: list[str] = []
    import app.patching
    import app.routes.instances

    for module in (app.patching, app.routes.instances):
        real: Callable[..., Any] = module.read_file

        def counting(*args: Any, _real: Callable[..., Any] = real,
                     _name: str = module.__name__, **kwargs: Any) -> Any:
            calls.append(_name)
            return _real(*args, **kwargs)

        monkeypatch.setattr(module, "read_file", counting)
    return calls


def _store(client: TestClient, data: bytes) -> str:
    response = client.post("/v1/instances", content=data, headers=RAW)
    assert response.status_code == 201, response.text
    return response.headers["location"]


def test_patch_reads_the_file_once(client: TestClient, ct_bytes: bytes,
                                   reads: list[str]) -> None:
    url = _store(client, ct_bytes)
    reads.clear()
    response = client.patch(url, json=[{"op": "set", "path": "PatientName",
                                        "value": "Doe^Jane"}])
    assert response.status_code == 200
    assert response.json()["00100010"]["Value"] == [{"Alphabetic": "Doe^Jane"}]
    assert reads == ["app.patching"]
    reads.clear()
    assert client.patch(url, json=[]).status_code == 200
    assert reads == ["app.patching"]


@pytest.mark.parametrize("patch", [
    [{"op": "set", "path": "PatientName", "value": "Doe^Jane "}],
    [{"op": "set", "path": "StudyDescription", "value": "trailing  "}],
    [{"op": "set", "path": PRIVATE, "vr": "FL", "value": 0.1}],
    [{"op": "set", "path": PRIVATE, "vr": "OB", "value": "AAEC"}],
    [{"op": "set", "path": PRIVATE, "vr": "UR", "value": "http://x "}],
    [{"op": "set", "path": "ImageOrientationPatient", "value": [0.1, 0.2, 0.3, 1, 0, 0]}],
    [{"op": "append", "path": "OtherPatientIDsSequence", "value": {"PatientID": "X "}}],
    [{"op": "set", "path": "OtherPatientIDsSequence[*].PatientID", "value": "Y  "}],
    [{"op": "set", "path": "SpecificCharacterSet", "value": "ISO_IR 192"},
     {"op": "set", "path": "PatientName", "value": "Müller^Jürgen "}],
    [{"op": "delete", "path": "PatientID"}],
    [],
], ids=lambda p: "+".join(f"{o['op']} {o['path']}" for o in p) or "empty")
def test_answer_is_what_a_read_of_the_new_file_gives(client: TestClient, ct_bytes: bytes,
                                                      reads: list[str], patch: list) -> None:
    url = _store(client, ct_bytes)
    reads.clear()
    response = client.patch(url, json=patch)
    assert response.status_code == 200, response.text
    assert len(reads) == 1
    stored = client.get(url)
    assert stored.headers["etag"] == response.headers["etag"]
    assert response.json() == stored.json()


def test_settled_values_read_back_as_written(client: TestClient, ct_bytes: bytes) -> None:
    url = _store(client, ct_bytes)
    answer = client.patch(url, json=[
        {"op": "set", "path": PRIVATE, "vr": "FL", "value": 0.1},
        {"op": "set", "path": "PatientName", "value": "Doe^Jane  "}]).json()
    private = next(k for k, v in answer.items() if k.startswith("0009") and v["vr"] == "FL")
    assert answer[private]["Value"] == [0.10000000149011612]  # the float32 stored
    assert answer["00100010"]["Value"] == [{"Alphabetic": "Doe^Jane"}]
    odd = client.patch(url, json=[{"op": "set", "path": PRIVATE, "vr": "OB",
                                   "value": base64.b64encode(b"\x01\x02\x03").decode()}])
    assert base64.b64decode(odd.json()[private]["InlineBinary"]) == b"\x01\x02\x03\x00"


def test_group_lengths_are_answered_as_written(client: TestClient, reads: list[str]) -> None:
    data = (PYDICOM_DATA / "test_files" / "ExplVR_BigEnd.dcm").read_bytes()
    url = _store(client, data)
    before = client.get(url).json()["00100000"]["Value"]
    reads.clear()
    response = client.patch(url, json=[{"op": "set", "path": "PatientName",
                                        "value": "A^Much^Longer^Name"}])
    assert response.status_code == 200
    # The writer recomputes group lengths the data set does not hold: read what was written.
    assert reads == ["app.patching", "app.patching"]
    assert response.json()["00100000"]["Value"] != before
    assert response.json() == client.get(url).json()


def test_stateless_routes_need_no_instance_storage(client: TestClient, ct_bytes: bytes) -> None:
    def no_storage() -> None:
        raise AssertionError("the instance storage was asked for")

    client.app.dependency_overrides[get_storage] = no_storage  # type: ignore[attr-defined]
    assert client.post("/v1/json", content=ct_bytes, headers=RAW).status_code == 200
    patched = client.post("/v1/patch", files={"file": ("x.dcm", ct_bytes)},
                          data={"patch": "[]"})
    assert patched.status_code == 200 and patched.content == ct_bytes
    assert client.get("/v1/instances").status_code == 500  # this one does need it


def test_bulk_of_a_deflated_instance(client: TestClient) -> None:
    import pydicom

    path = PYDICOM_DATA / "test_files" / "image_dfl.dcm"
    url = _store(client, path.read_bytes())
    pixels = pydicom.dcmread(path).PixelData
    response = client.get(url + "/bulk/7FE00010")
    assert response.status_code == 200 and response.content == pixels
    part = client.get(url + "/bulk/7FE00010", headers={"range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == pixels[100:200]


def test_file_download_is_the_stored_version(client: TestClient, ct_bytes: bytes) -> None:
    url = _store(client, ct_bytes)
    original = client.get(url + "/file")
    assert original.content == ct_bytes
    assert original.headers["content-length"] == str(len(ct_bytes))
    assert CT.stat().st_size == len(ct_bytes)
