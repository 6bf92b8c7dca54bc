"""POST /v1/patch."""

from __future__ import annotations

import io
import json

import pydicom
from fastapi.testclient import TestClient

from ..corpus import PYDICOM_DATA

PATCH = [{"op": "set", "path": "PatientName", "value": "Doe^Jane"}]


def _post(client: TestClient, data: bytes, patch: object, **params: str):  # noqa: ANN202
    text = patch if isinstance(patch, str) else json.dumps(patch)
    return client.post("/v1/patch", params=params, files={"file": ("x.dcm", data)},
                       data={"patch": text})


def test_patch_streams_back_the_patched_file(client: TestClient, ct_bytes: bytes) -> None:
    response = _post(client, ct_bytes, PATCH)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/dicom"
    assert response.headers["content-disposition"].startswith("attachment")
    patched = response.content
    assert pydicom.dcmread(io.BytesIO(patched)).PatientName == "Doe^Jane"
    # The old value was padded to 22 bytes, the new one is 8: nothing else changed size.
    assert len(patched) == len(ct_bytes) - 22 + 8


def test_normalised_and_transcoded(client: TestClient, ct_bytes: bytes) -> None:
    response = _post(client, ct_bytes, PATCH, write_like_original="false",
                     transfer_syntax="1.2.840.10008.1.2.2")
    ds = pydicom.dcmread(io.BytesIO(response.content))
    assert ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.2"
    assert ds.file_meta.ImplementationVersionName == "DICOMCORE_010"
    assert _post(client, ct_bytes, PATCH, transfer_syntax="1.2.3").status_code == 422


def test_invalid_patch_lists_every_failure(client: TestClient, ct_bytes: bytes) -> None:
    response = _post(client, ct_bytes, [{"op": "set", "path": "Rows", "value": 1},
                                        {"op": "set", "path": "Modality", "value": "bad!"}])
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["index"] for e in response.json()["errors"]] == [0, 1]
    not_json = _post(client, ct_bytes, "{not json")
    assert not_json.status_code == 400 and "not JSON" in not_json.json()["detail"]
    not_a_patch = _post(client, ct_bytes, '"PatientName"')  # JSON, but no patch
    assert not_a_patch.status_code == 422 and not_a_patch.json()["errors"]


def test_encapsulated_to_uncompressed_is_422(client: TestClient) -> None:
    data = (PYDICOM_DATA / "test_files" / "JPEG2000.dcm").read_bytes()
    response = _post(client, data, PATCH, transfer_syntax="1.2.840.10008.1.2.1")
    assert response.status_code == 422 and "encapsulated" in response.json()["detail"]


def test_missing_parts(client: TestClient, ct_bytes: bytes) -> None:
    assert client.post("/v1/patch", files={"file": ("x", ct_bytes)}).status_code == 400
    assert client.post("/v1/patch", content=ct_bytes,
                       headers={"content-type": "application/dicom"}).status_code == 415
    assert _post(client, b"garbage" * 40, PATCH).status_code == 400
