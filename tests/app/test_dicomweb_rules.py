"""DICOMweb rules checked in process: STOW limits, metadata after a change, the Accept
header parser, search parameters, and frames of every pixel layout pydicom's corpus has."""

from __future__ import annotations

import json
from pathlib import Path

import pydicom
import pytest
from fastapi.testclient import TestClient

from app.deps import get_settings
from app.dicomweb import search
from app.dicomweb.media import choose, parse_accept
from app.main import create_app
from app.scratch import leftovers
from app.settings import Settings

from ..bytes_fixtures import swap
from ..corpus import PYDICOM_DATA
from .conftest import CT

FILES = PYDICOM_DATA / "test_files"
BOUNDARY = "rules"
STOW = {"content-type": f'multipart/related; type="application/dicom"; boundary={BOUNDARY}'}


def _body(*parts: bytes) -> bytes:
    return b"".join(f"--{BOUNDARY}\r\nContent-Type: application/dicom\r\n\r\n".encode() + part
                    + b"\r\n" for part in parts) + f"--{BOUNDARY}--\r\n".encode()


def _app(tmp_path: Path, **settings: object) -> TestClient:
    application = create_app()
    application.dependency_overrides[get_settings] = lambda: Settings(
        storage_dir=tmp_path / "data", **settings)
    return TestClient(application, raise_server_exceptions=False)


def _count(client: TestClient) -> int:
    return client.get("/v1/instances").json()["total"]


def test_a_part_over_the_limit_fails_alone(tmp_path: Path) -> None:
    big = (FILES / "SC_rgb_rle_2frame.dcm").read_bytes()  # 2,696 bytes
    ct = CT.read_bytes()  # 39,206 bytes
    with _app(tmp_path, max_upload_bytes=10_000, max_stow_bytes=100_000) as client:
        answer = client.post("/dicomweb/studies", content=_body(big, ct), headers=STOW)
        assert answer.status_code == 202, answer.text
        (failed,) = answer.json()["00081198"]["Value"]
        assert failed["00081197"]["Value"] == [0xA700]
        assert len(answer.json()["00081199"]["Value"]) == 1
        assert _count(client) == 1
        assert leftovers(tmp_path / "data" / "tmp") == []  # no part left behind


def test_a_body_over_the_limit_stores_nothing(tmp_path: Path) -> None:
    small = (FILES / "SC_rgb_rle_2frame.dcm").read_bytes()
    with _app(tmp_path, max_upload_bytes=4_000) as client:
        body = _body(small, small, small)

        def chunked():  # no Content-Length: the limit is found while reading
            yield from (body[i:i + 1000] for i in range(0, len(body), 1000))

        answer = client.post("/dicomweb/studies", content=chunked(), headers=STOW)
        assert answer.status_code == 413
        assert answer.headers["content-type"] == "application/problem+json"
        assert _count(client) == 0
        assert leftovers(tmp_path / "data" / "tmp") == []


def test_parts_without_uids_or_series_fail(tmp_path: Path) -> None:
    ds = pydicom.dcmread(CT)
    del ds.SeriesInstanceUID
    from io import BytesIO

    out = BytesIO()
    ds.save_as(out)
    with _app(tmp_path) as client:
        answer = client.post("/dicomweb/studies", content=_body(out.getvalue()), headers=STOW)
        assert answer.status_code == 409
        (failed,) = answer.json()["00081198"]["Value"]
        assert failed["00081197"]["Value"] == [0xA900]
        assert failed["00081155"]["Value"] == [ds.SOPInstanceUID]


def test_metadata_follows_a_patch(tmp_path: Path) -> None:
    ds = pydicom.dcmread(CT, stop_before_pixels=True)
    url = (f"/dicomweb/studies/{ds.StudyInstanceUID}/series/{ds.SeriesInstanceUID}/instances/"
           f"{ds.SOPInstanceUID}/metadata")
    with _app(tmp_path) as client:
        stored = client.post("/v1/instances", content=CT.read_bytes(),
                             headers={"content-type": "application/dicom"}).json()
        before = client.get(url).json()[0]
        assert before["00100010"]["Value"] == [{"Alphabetic": str(ds.PatientName)}]
        assert client.get(url).json() == [before]  # the same answer again
        patched = client.patch(f"/v1/instances/{stored['id']}", json=[
            {"op": "set", "path": "PatientName", "value": "Doe^Jane"}])
        assert patched.status_code == 200
        after = client.get(url).json()[0]
        assert after["00100010"]["Value"] == [{"Alphabetic": "Doe^Jane"}]
        assert after["7FE00010"]["BulkDataURI"] == before["7FE00010"]["BulkDataURI"]
        moved = client.get(url, headers={"host": "viewer.example:8443"}).json()[0]
        assert moved["7FE00010"]["BulkDataURI"].startswith("http://viewer.example:8443/dicomweb/")


@pytest.mark.parametrize(("accept", "stored", "expected"), [
    (None, ["1.2.840.10008.1.2.4.50"], ["1.2.840.10008.1.2.4.50"]),  # */*: as stored
    ('multipart/related; type="application/dicom"', ["1.2.840.10008.1.2"],
     ["1.2.840.10008.1.2.1"]),  # PS3.18's default: explicit little endian
    ('multipart/related; type="application/dicom"', ["1.2.840.10008.1.2.4.50"], None),
    ('multipart/related; type="application/dicom"; transfer-syntax=*',
     ["1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2"],
     ["1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2"]),
    ('multipart/related; type="application/dicom"; transfer-syntax=1.2.840.10008.1.2.2; q=0.5,'
     ' multipart/related; type="application/dicom"; transfer-syntax=1.2.840.10008.1.2',
     ["1.2.840.10008.1.2.1"], ["1.2.840.10008.1.2"]),  # the higher q first
    ('multipart/related; type="application/octet-stream"', ["1.2.840.10008.1.2"], None),
    ("application/dicom+json", ["1.2.840.10008.1.2"], None),
    ('multipart/related; type="*/*"', ["1.2.840.10008.1.2.1"], ["1.2.840.10008.1.2.1"]),
])
def test_accept_negotiation(accept: str | None, stored: list[str],
                            expected: list[str] | None) -> None:
    chosen = choose(parse_accept(accept), "application/dicom", stored)
    assert (chosen[1] if chosen else None) == expected


def test_accept_parser_keeps_quoted_commas_and_drops_q_zero() -> None:
    ranges = parse_accept('multipart/related; type="a,b"; q=0.9, text/html; q=0, */*; q=0.1')
    assert [(r.type, r.params.get("type")) for r in ranges] == [
        ("multipart/related", "a,b"), ("*/*", None)]


def test_search_parameters() -> None:
    parsed = search.parse("studies", [("00100010", "doe"), ("StudyInstanceUID", "1.2"),
                                      ("StudyInstanceUID", "1.3"), ("includefield", "00081030,"
                                      "Manufacturer"), ("includefield", "0009ABCD"),
                                      ("limit", "5000"), ("offset", "7"),
                                      ("fuzzymatching", "true")], {})
    assert parsed.matches == {"PatientName": "doe", "StudyInstanceUID": "1.2\\1.3"}
    assert parsed.include == ["00081030", "00080070", "0009ABCD"]
    assert (parsed.limit, parsed.offset, parsed.fuzzy) == (search.MAX_LIMIT, 7, True)
    for bad in ([("PatientName", "a"), ("PatientName", "b")], [("limit", "-1")],
                [("fuzzymatching", "yes")], [("00081111.00081150", "1")],
                [("includefield", "NoSuchKeyword")]):
        with pytest.raises(search.SearchError):
            search.parse("studies", bad, {})
    with pytest.raises(search.SearchError, match="ModalitiesInStudy"):
        search.parse("series", [("ModalitiesInStudy", "CT")], {})


FRAME_FILES = ["SC_rgb_rle_16bit_2frame.dcm", "SC_rgb_rle_32bit_2frame.dcm",
               "SC_rgb_small_odd.dcm", "examples_ybr_color.dcm", "rtdose_expb.dcm",
               "SC_rgb_jpeg_dcmtk.dcm", "liver_1frame.dcm"]


@pytest.mark.parametrize("name", FRAME_FILES)
def test_frames_of_every_layout(tmp_path: Path, name: str) -> None:
    ds = pydicom.dcmread(FILES / name)
    count = int(ds.get("NumberOfFrames") or 1)
    if ds.file_meta.TransferSyntaxUID.is_compressed:
        expected = list(pydicom.encaps.generate_frames(ds.PixelData, number_of_frames=count))
    else:
        size = ds.Rows * ds.Columns * ds.SamplesPerPixel * ds.BitsAllocated // 8
        pixels = ds.PixelData
        if not ds.original_encoding[1]:  # bulk data is little endian (PS3.18 8.7.3.3.1)
            pixels = swap(ds["PixelData"].VR, pixels)
        expected = [pixels[i * size:(i + 1) * size] for i in range(count)]
    url = (f"/dicomweb/studies/{ds.StudyInstanceUID}/series/{ds.SeriesInstanceUID}/"
           f"instances/{ds.SOPInstanceUID}/frames/{','.join(map(str, range(1, count + 1)))}")
    with _app(tmp_path, max_upload_bytes=1 << 26) as client:
        assert client.post("/v1/instances", content=(FILES / name).read_bytes(), headers={
            "content-type": "application/dicom"}).status_code == 201
        answer = client.get(url, headers={"accept": 'multipart/related; '
                                          'type="application/octet-stream"; transfer-syntax=*'})
        assert answer.status_code == 200, answer.text
        boundary = answer.headers["content-type"].split("boundary=")[1]
        pieces = answer.content.split(b"--" + boundary.encode())[1:-1]
        assert [p.partition(b"\r\n\r\n")[2][:-2] for p in pieces] == expected


def test_search_results_are_dicom_json(client: TestClient, ct_bytes: bytes) -> None:
    client.post("/v1/instances", content=ct_bytes, headers={"content-type": "application/dicom"})
    answer = client.get("/dicomweb/instances?includefield=all")
    assert answer.headers["content-type"] == "application/dicom+json"
    (item,) = json.loads(answer.content)
    assert list(item) == sorted(item)
    assert all(set(element) <= {"vr", "Value"} for element in item.values())
    assert client.get("/dicomweb/studies?PatientID=nobody").json() == []


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_study_and_series_searches_on_each_index(tmp_path: Path, backend: str,
                                                 request: pytest.FixtureRequest) -> None:
    extra = {"index_url": request.getfixturevalue("postgres_url")} if backend == "postgresql" \
        else {}
    names = ["SC_rgb_rle_2frame.dcm", "SC_rgb_small_odd.dcm", "SC_rgb_jpeg_dcmtk.dcm",
             "CT_small.dcm"]
    with _app(tmp_path, **extra) as client:
        ids = []
        for name in names:
            stored = client.post("/v1/instances", content=(FILES / name).read_bytes(),
                                 headers={"content-type": "application/dicom"})
            assert stored.status_code == 201
            ids.append(stored.json()["id"])
        # one of the three of a study moves to a series of its own, of another modality
        assert client.patch(f"/v1/instances/{ids[1]}", json=[
            {"op": "set", "path": "SeriesInstanceUID", "value": "2.25.123456789"},
            {"op": "set", "path": "Modality", "value": "SEG"}]).status_code == 200
        shared = pydicom.dcmread(FILES / names[0]).StudyInstanceUID  # three files share it
        (study,) = client.get(f"/dicomweb/studies?StudyInstanceUID={shared}"
                              "&includefield=Modality").json()
        assert study["00080061"]["Value"] == ["OT", "SEG"]
        series_uids = {pydicom.dcmread(FILES / n).SeriesInstanceUID for n in names[::2][:2]}
        assert study["00201206"]["Value"] == [len(series_uids) + 1]
        assert study["00201208"]["Value"] == [3]
        assert study["00080060"]["Value"][0] in ("OT", "SEG")
        assert [s["0020000D"]["Value"][0] for s in client.get("/dicomweb/studies").json()] \
            == sorted({pydicom.dcmread(FILES / n).StudyInstanceUID for n in names})
        series = client.get(f"/dicomweb/studies/{shared}/series").json()
        assert sum(s["00201209"]["Value"][0] for s in series) == 3
        assert client.get("/dicomweb/studies?ModalitiesInStudy=SEG&limit=1").json()[0][
            "0020000D"]["Value"] == [shared]
        fuzzy = client.get("/dicomweb/studies?PatientName=lest&fuzzymatching=true").json()
        assert [s["0020000D"]["Value"] for s in fuzzy] == [[shared]]
