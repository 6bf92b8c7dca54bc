"""OHIF's requests replayed with httpx, in the order the viewer sends them: study list, series
list, series metadata, frames, and the CORS preflight a browser sends first when the viewer
is served from another origin. Also: CORS is off unless DICOMCORE_CORS_ORIGINS is set.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pydicom
import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import get_settings

from ..corpus import PYDICOM_DATA

VIEWER = "http://viewer.example:3000"
KEY = "viewer-key"
FILES = ["CT_small.dcm", "SC_rgb_rle_2frame.dcm", "rtdose.dcm"]
JSON = {"accept": "application/dicom+json"}


@pytest.fixture
def viewer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The service with an API key and CORS for the viewer's origin, three files stored."""
    monkeypatch.setenv("DICOMCORE_STORAGE_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DICOMCORE_API_KEY", KEY)
    monkeypatch.setenv("DICOMCORE_CORS_ORIGINS", VIEWER)
    get_settings.cache_clear()
    try:
        with TestClient(create_app(), raise_server_exceptions=False) as client:
            for name in FILES:
                stored = client.post("/v1/instances", headers={"x-api-key": KEY,
                                                               "content-type": "application/dicom"},
                                     content=(PYDICOM_DATA / "test_files" / name).read_bytes())
                assert stored.status_code == 201
            yield client
    finally:
        get_settings.cache_clear()


def _parts(content_type: str, body: bytes) -> list[tuple[str, bytes]]:
    boundary = re.search(r"boundary=([^;]+)", content_type).group(1)
    pieces = body.split(b"--" + boundary.encode())
    out = []
    for piece in pieces[1:-1]:
        head, _, data = piece.partition(b"\r\n\r\n")
        out.append((head.decode(), data[:-2]))
    return out


def test_ohif_sequence(viewer: TestClient) -> None:
    auth = {"authorization": f"Bearer {KEY}", "origin": VIEWER}
    # 1. the browser's preflight for the study list: no key
    preflight = viewer.options("/dicomweb/studies", headers={
        "origin": VIEWER, "access-control-request-method": "GET",
        "access-control-request-headers": "authorization,accept"})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == VIEWER
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    # 2. the study list
    studies = viewer.get("/dicomweb/studies?limit=101&offset=0&fuzzymatching=false"
                         "&includefield=00081030%2C00080060", headers={**JSON, **auth})
    assert studies.status_code == 200
    assert studies.headers["access-control-allow-origin"] == VIEWER
    assert "warning" in studies.headers["access-control-expose-headers"].lower()
    listed = studies.json()
    assert len(listed) == 3
    ct = pydicom.dcmread(PYDICOM_DATA / "test_files" / "CT_small.dcm")
    (study,) = [s for s in listed if s["0020000D"]["Value"] == [ct.StudyInstanceUID]]
    assert study["00081030"]["Value"] == [ct.StudyDescription]
    assert study["00080061"]["Value"] == ["CT"]
    assert study["00080060"]["Value"] == ["CT"]  # includefield: from the index
    assert study["00201208"]["Value"] == [1]
    # the list's search box: patient name, dates, modality
    found = viewer.get("/dicomweb/studies?limit=101&offset=0&PatientName=*compressed*"
                       "&StudyDate=19000101-20301231&ModalitiesInStudy=CT", headers={**JSON, **auth})
    assert [s["0020000D"]["Value"] for s in found.json()] == [[ct.StudyInstanceUID]]
    # 3. the series of the study
    series = viewer.get(f"/dicomweb/studies/{ct.StudyInstanceUID}/series",
                        headers={**JSON, **auth}).json()
    assert [s["0020000E"]["Value"] for s in series] == [[ct.SeriesInstanceUID]]
    # 4. the series metadata
    metadata = viewer.get(f"/dicomweb/studies/{ct.StudyInstanceUID}/series/"
                          f"{ct.SeriesInstanceUID}/metadata", headers={**JSON, **auth})
    assert metadata.status_code == 200
    (instance,) = metadata.json()
    assert instance["00280010"]["Value"] == [ct.Rows]
    assert instance["00280030"]["Value"] == [float(v) for v in ct.PixelSpacing]
    assert instance["7FE00010"]["BulkDataURI"].startswith("http://testserver/dicomweb/")
    # 5. the frames, as the viewer's image loader asks for them
    frames = viewer.get(f"/dicomweb/studies/{ct.StudyInstanceUID}/series/"
                        f"{ct.SeriesInstanceUID}/instances/{ct.SOPInstanceUID}/frames/1",
                        headers={**auth, "accept": 'multipart/related; '
                                 'type="application/octet-stream"; transfer-syntax=*'})
    assert frames.status_code == 200
    ((head, data),) = _parts(frames.headers["content-type"], frames.content)
    assert "transfer-syntax=1.2.840.10008.1.2.1" in head
    assert data == ct.PixelData


def test_encapsulated_frames_for_the_viewer(viewer: TestClient) -> None:
    rle = pydicom.dcmread(PYDICOM_DATA / "test_files" / "SC_rgb_rle_2frame.dcm")
    url = (f"/dicomweb/studies/{rle.StudyInstanceUID}/series/{rle.SeriesInstanceUID}/"
           f"instances/{rle.SOPInstanceUID}/frames/2,1")
    answer = viewer.get(url, headers={"x-api-key": KEY, "accept": 'multipart/related; '
                                      'type="application/octet-stream"; transfer-syntax=*'})
    expected = list(pydicom.encaps.generate_frames(rle.PixelData, number_of_frames=2))
    parts = _parts(answer.headers["content-type"], answer.content)
    assert [data for _, data in parts] == [expected[1], expected[0]]
    assert all("transfer-syntax=1.2.840.10008.1.2.5" in head for head, _ in parts)


def test_requests_after_the_preflight_need_the_key(viewer: TestClient) -> None:
    answer = viewer.get("/dicomweb/studies", headers={"origin": VIEWER})
    assert answer.status_code == 401
    assert answer.headers["access-control-allow-origin"] == VIEWER  # the viewer can read why


def test_other_origins_get_no_cors(viewer: TestClient) -> None:
    preflight = viewer.options("/dicomweb/studies", headers={
        "origin": "http://elsewhere.example", "access-control-request-method": "GET"})
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers


def test_cors_is_off_by_default(client: TestClient) -> None:
    preflight = client.options("/dicomweb/studies", headers={
        "origin": VIEWER, "access-control-request-method": "GET"})
    assert "access-control-allow-origin" not in preflight.headers
    answer = client.get("/dicomweb/studies", headers={"origin": VIEWER})
    assert answer.status_code == 200
    assert "access-control-allow-origin" not in answer.headers
