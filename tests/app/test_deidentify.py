"""POST /v1/deidentify: the profile over HTTP, keyed by the server's DICOMCORE_DEID_KEY."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pydicom
import pytest
from fastapi.testclient import TestClient

from app.deps import get_settings
from app.main import create_app
from app.settings import Settings
from dicomcore import read_file
from dicomcore.deid import deidentify

from .conftest import CT

SERVER_KEY = "server side secret"
DICOM = {"content-type": "application/dicom"}


@pytest.fixture
def keyed(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(storage_dir=tmp_path / "data", max_upload_bytes=1 << 20,
                        deid_key=SERVER_KEY)
    application = create_app()
    application.dependency_overrides[get_settings] = lambda: settings
    with TestClient(application, raise_server_exceptions=False) as client:
        yield client


def test_the_file_comes_back_de_identified_with_the_servers_key(keyed: TestClient,
                                                                ct_bytes: bytes) -> None:
    response = keyed.post("/v1/deidentify", content=ct_bytes, headers=DICOM)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/dicom"
    assert response.headers["content-disposition"].startswith("attachment")
    ds = pydicom.dcmread(io.BytesIO(response.content))
    before = pydicom.dcmread(CT)
    assert ds.PatientIdentityRemoved == "YES"
    assert ds.SOPInstanceUID != before.SOPInstanceUID
    assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
    assert not [e for e in ds if e.tag.is_private]
    # The library with the same key gives the same file: the key is the server's.
    local = read_file(CT)
    deidentify(local, key=SERVER_KEY)
    assert ds.SOPInstanceUID == local.SOPInstanceUID and ds.PatientID == local.PatientID
    report = json.loads(response.headers["x-deidentification-report"])
    assert report["removed"]["Private Attributes"] > 100
    assert report["replaced"]["SOP Instance UID"] == 1


def test_two_requests_link(keyed: TestClient, ct_bytes: bytes) -> None:
    first, second = (pydicom.dcmread(io.BytesIO(keyed.post(
        "/v1/deidentify", files={"file": ("ct.dcm", ct_bytes)}).content)) for _ in range(2))
    assert first.StudyInstanceUID == second.StudyInstanceUID
    assert first.PatientName == second.PatientName


def test_options_are_query_parameters(keyed: TestClient, ct_bytes: bytes) -> None:
    response = keyed.post("/v1/deidentify?option=retain-uids&option=retain-long-full-dates",
                          content=ct_bytes, headers=DICOM)
    ds = pydicom.dcmread(io.BytesIO(response.content))
    before = pydicom.dcmread(CT)
    assert ds.SOPInstanceUID == before.SOPInstanceUID and ds.StudyDate == before.StudyDate
    assert list(ds.DeidentificationMethod)[1:] == ["retain-uids", "retain-long-full-dates"]
    assert keyed.post("/v1/deidentify?option=retain-all", content=ct_bytes,
                      headers=DICOM).status_code == 422


def test_safe_private_elements_are_kept_when_listed(keyed: TestClient, ct_bytes: bytes
                                                    ) -> None:
    creator = pydicom.dcmread(CT)[0x00090010].value
    response = keyed.post("/v1/deidentify", params={
        "option": "retain-safe-private", "safe_private": f'(0009,"{creator}",01)'},
        content=ct_bytes, headers=DICOM)
    assert response.status_code == 200, response.text
    ds = pydicom.dcmread(io.BytesIO(response.content))
    assert sorted(int(e.tag) for e in ds if e.tag.is_private) == [0x00090010, 0x00091001]


def test_burned_in_annotation_is_refused_unless_allowed(keyed: TestClient) -> None:
    ds = pydicom.dcmread(CT)
    ds.BurnedInAnnotation = "YES"
    buffer = io.BytesIO()
    ds.save_as(buffer)
    refused = keyed.post("/v1/deidentify", content=buffer.getvalue(), headers=DICOM)
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert "Burned In Annotation" in refused.json()["detail"]
    allowed = keyed.post("/v1/deidentify?allow_burned_in=true", content=buffer.getvalue(),
                         headers=DICOM)
    assert allowed.status_code == 200


def test_without_a_key_the_route_answers_503(client: TestClient, ct_bytes: bytes) -> None:
    response = client.post("/v1/deidentify", content=ct_bytes, headers=DICOM)
    assert response.status_code == 503
    assert "DICOMCORE_DEID_KEY" in response.json()["detail"]


def test_the_key_is_never_logged_nor_shown(keyed: TestClient, ct_bytes: bytes,
                                           caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        keyed.post("/v1/deidentify", content=ct_bytes, headers=DICOM)
        keyed.post("/v1/deidentify", content=b"not dicom", headers=DICOM)
    assert SERVER_KEY not in caplog.text
    assert SERVER_KEY not in repr(Settings(deid_key=SERVER_KEY))
    assert SERVER_KEY not in keyed.get("/openapi.json").text


def test_bad_uploads(keyed: TestClient) -> None:
    assert keyed.post("/v1/deidentify", content=b"not dicom at all",
                      headers=DICOM).status_code == 400
    assert keyed.post("/v1/deidentify", content=b"x",
                      headers={"content-type": "text/plain"}).status_code == 415
    assert keyed.post("/v1/deidentify", content=b"\0" * ((1 << 20) + 1),
                      headers=DICOM).status_code == 413
