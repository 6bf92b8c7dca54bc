"""POST /v1/json."""

from __future__ import annotations

import pydicom
from fastapi.testclient import TestClient

from dicomcore import dcmread
from dicomcore.json import omit_bulk_data, to_json_dict

from .conftest import CT


def test_raw_upload_gives_dicom_json(client: TestClient, ct_bytes: bytes) -> None:
    response = client.post("/v1/json", content=ct_bytes,
                           headers={"content-type": "application/dicom"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/dicom+json"
    # Large values are left out unless asked for (the library's default inlines them).
    assert response.json() == to_json_dict(dcmread(CT), bulk_data_element_handler=omit_bulk_data)
    assert "x-request-id" in response.headers
    inline = client.post("/v1/json?inline_bulk=true", content=ct_bytes,
                         headers={"content-type": "application/dicom"})
    assert inline.json() == to_json_dict(dcmread(CT))
    assert "InlineBinary" in inline.json()["7FE00010"]


def test_multipart_upload_and_options(client: TestClient, ct_bytes: bytes) -> None:
    response = client.post("/v1/json", files={"file": ("ct.dcm", ct_bytes)},
                           params={"stop_before_pixels": "true", "include_meta": "true"})
    model = response.json()
    assert response.status_code == 200
    assert "7FE00010" not in model and "00020010" in model
    simple = client.post("/v1/json?format=simple", content=ct_bytes,
                         headers={"content-type": "application/dicom"}).json()
    assert simple["PatientName"] == "CompressedSamples^CT1"
    inline = client.post("/v1/json?bulk_data_threshold=100000", content=ct_bytes,
                         headers={"content-type": "application/dicom"}).json()
    assert inline["7FE00010"]["InlineBinary"]
    assert pydicom.dcmread(CT).PatientName == "CompressedSamples^CT1"


def test_not_dicom_is_400_problem(client: TestClient) -> None:
    response = client.post("/v1/json", content=b"\0" * 200,
                           headers={"content-type": "application/dicom"})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 400 and "offset" in problem and "DICM" in problem["detail"]


def test_too_large_is_413(client: TestClient) -> None:
    response = client.post("/v1/json", content=b"\0" * (2 << 20),
                           headers={"content-type": "application/dicom"})
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


def test_streamed_too_large_is_413_without_content_length(client: TestClient) -> None:
    def body():  # noqa: ANN202 - a generator body has no length header
        for _ in range(40):
            yield b"\0" * 65536

    response = client.post("/v1/json", content=body(),
                           headers={"content-type": "application/dicom"})
    assert response.status_code == 413


def test_wrong_media_type_is_415(client: TestClient, ct_bytes: bytes) -> None:
    response = client.post("/v1/json", content=ct_bytes, headers={"content-type": "text/plain"})
    assert response.status_code == 415


def test_bad_query_is_422(client: TestClient, ct_bytes: bytes) -> None:
    response = client.post("/v1/json?format=xml", content=ct_bytes,
                           headers={"content-type": "application/dicom"})
    assert response.status_code == 422
    assert response.json()["errors"]
    response = client.post("/v1/json?bulk_data_threshold=-1", content=ct_bytes,
                           headers={"content-type": "application/dicom"})
    assert response.status_code == 422


def test_multipart_without_file_is_400(client: TestClient) -> None:
    response = client.post("/v1/json", data={"other": "x"},
                           files={"nope": ("a", b"abc")})
    assert response.status_code == 400
