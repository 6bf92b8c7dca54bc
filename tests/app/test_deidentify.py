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


def test_without_a_key_the_route_answers_403(client: TestClient, ct_bytes: bytes) -> None:
    response = client.post("/v1/deidentify", content=ct_bytes, headers=DICOM)
    assert response.status_code == 403
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


# --- POST /v1/studies/{StudyInstanceUID}/deidentify ------------------------------------------

STUDY_DIR = CT.parent / "dicomdirtests" / "77654033" / "CT2"
STUDY = "1.3.6.1.4.1.5962.1.1.0.0.0.1196530851.28319.0.1"


def _store_study(client: TestClient) -> list[str]:
    ids = []
    for path in sorted(STUDY_DIR.iterdir()):
        answer = client.post("/v1/instances", content=path.read_bytes(), headers=DICOM)
        assert answer.status_code == 201, answer.text
        ids.append(answer.json()["id"])
    return ids


def _study_ids(client: TestClient, study: str) -> list[str]:
    page = client.get("/v1/instances", params={"StudyInstanceUID": study, "limit": 1000})
    return sorted(item["id"] for item in page.json()["items"])


def test_a_stored_study_becomes_a_new_de_identified_study(keyed: TestClient) -> None:
    originals = _store_study(keyed)
    assert len(originals) == 4
    response = keyed.post(f"/v1/studies/{STUDY}/deidentify")
    assert response.status_code == 201, response.text
    body = response.json()
    new_study = body["study_instance_uid"]
    assert new_study != STUDY and new_study.startswith("2.25.")
    new_ids = sorted(item["id"] for item in body["instances"])
    assert len(new_ids) == 4 and not set(new_ids) & set(originals)
    assert all(item["created"] for item in body["instances"])
    assert body["report"]["replaced"] > 0 and body["report"]["removed"] > 0
    assert _study_ids(keyed, STUDY) == sorted(originals)  # the original is kept
    assert _study_ids(keyed, new_study) == new_ids
    for instance in new_ids:
        ds = pydicom.dcmread(io.BytesIO(keyed.get(f"/v1/instances/{instance}/file").content))
        assert ds.PatientIdentityRemoved == "YES" and ds.StudyInstanceUID == new_study
        assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
    # The same as the library with the server's key, and the same on a second run.
    local = read_file(sorted(STUDY_DIR.iterdir())[0])
    deidentify(local, key=SERVER_KEY)
    assert local.StudyInstanceUID == new_study
    again = keyed.post(f"/v1/studies/{STUDY}/deidentify").json()
    assert again["study_instance_uid"] == new_study
    assert sorted(item["id"] for item in again["instances"]) == new_ids
    assert not any(item["created"] for item in again["instances"])


def test_one_instance_that_cannot_be_de_identified_stores_nothing(keyed: TestClient) -> None:
    _store_study(keyed)
    ds = pydicom.dcmread(sorted(STUDY_DIR.iterdir())[0])
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = "1.2.826.0.1.99.77"
    ds.BurnedInAnnotation = "YES"
    buffer = io.BytesIO()
    ds.save_as(buffer)
    assert keyed.post("/v1/instances", content=buffer.getvalue(),
                      headers=DICOM).status_code == 201
    before = keyed.get("/v1/instances").json()["total"]
    refused = keyed.post(f"/v1/studies/{STUDY}/deidentify")
    assert refused.status_code == 422 and "Burned In Annotation" in refused.json()["detail"]
    assert keyed.get("/v1/instances").json()["total"] == before
    allowed = keyed.post(f"/v1/studies/{STUDY}/deidentify?allow_burned_in=true")
    assert allowed.status_code == 201 and len(allowed.json()["instances"]) == 5


@pytest.mark.parametrize("study", ["1.2.3.4", "not-a-uid", "1.2.3\\4"])
def test_an_unknown_study_is_404(keyed: TestClient, study: str) -> None:
    _store_study(keyed)
    assert keyed.post(f"/v1/studies/{study}/deidentify").status_code == 404


def test_retain_uids_is_refused_for_a_study(keyed: TestClient) -> None:
    _store_study(keyed)
    response = keyed.post(f"/v1/studies/{STUDY}/deidentify?option=retain-uids")
    assert response.status_code == 422 and "replace the originals" in response.json()["detail"]


def test_the_study_route_needs_the_key(client: TestClient) -> None:
    assert client.post(f"/v1/studies/{STUDY}/deidentify").status_code == 403
