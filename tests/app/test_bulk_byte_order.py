"""Bulk data and frames of big endian files are served little endian (PS3.18 8.7.3.3.1), as
dcmtk's `dcmconv +te` writes them and as the DICOM JSON InlineBinary is; little endian files
byte for byte as stored. The /v1 bulk route, WADO-RS bulk data (raw and multipart) and
WADO-RS frames, whole and in ranges that start and end inside a number; frames labelled with
the syntax whose pixel bytes they are (a big endian or deflated file's: Explicit VR Little
Endian)."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import httpx
import pydicom
import pytest
from fastapi.testclient import TestClient

from app.deps import get_settings
from app.main import create_app
from app.settings import Settings

from ..byte_order import BIG_ENDIAN, DCMCONV, little_endian_values
from ..corpus import corpus_id
from .conftest import CT

pytestmark = pytest.mark.skipif(DCMCONV is None,
                                reason="dcmtk not installed locally (CI installs it)")

RAW = {"content-type": "application/dicom"}
OCTETS = "application/octet-stream"
NUMBER_VRS = ("OW", "OF", "OD", "OL", "OV")
EXPLICIT_LITTLE = "1.2.840.10008.1.2.1"
# Big endian files with values of numbers (pixel data, LUT data); 9 of the 19.
WORD_FILES = [p for p in BIG_ENDIAN if any(vr in NUMBER_VRS for vr, _ in
                                           little_endian_values(p).values())] if DCMCONV else []
MULTI_FRAME = ["emri_small_big_endian.dcm", "rtdose_expb.dcm", "OBXXXX1A_expb_2frame.dcm"]


def _dataset(path: Path) -> pydicom.Dataset:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.dcmread(path)


def _instance_url(ds: pydicom.Dataset) -> str:
    return (f"/dicomweb/studies/{ds.StudyInstanceUID}/series/{ds.SeriesInstanceUID}/"
            f"instances/{ds.SOPInstanceUID}")


def _store(client: TestClient, path: Path) -> str:
    stored = client.post("/v1/instances", content=path.read_bytes(), headers=RAW)
    assert stored.status_code == 201, stored.text
    return str(stored.json()["id"])


def _parts(answer: httpx.Response) -> list[tuple[bytes, bytes]]:
    """(headers, body) of each part of a multipart/related answer."""
    boundary = answer.headers["content-type"].split("boundary=")[1]
    pieces = answer.content.split(b"--" + boundary.encode())[1:-1]
    return [(head, body[:-2]) for head, _, body in (p.partition(b"\r\n\r\n") for p in pieces)]


def _syntax(head: bytes) -> str:
    """The transfer-syntax parameter of a part's Content-Type."""
    found = re.search(rb"transfer-syntax=([0-9.*]+)", head)
    assert found is not None, head
    return found.group(1).decode()


def _ranges(length: int) -> list[tuple[str, int, int]]:
    """Range headers that start and end inside a number, and the (start, end) they ask for
    (none for a value of less than 8 bytes)."""
    if length < 8:
        return []
    return [(f"bytes=3-{length - 3}", 3, length - 2), (f"bytes={length // 2 + 1}-",
            length // 2 + 1, length), ("bytes=-5", length - 5, length)]


@pytest.mark.parametrize("path", WORD_FILES, ids=corpus_id)
def test_bulk_values_of_a_big_endian_file_are_little_endian(client: TestClient, path: Path
                                                            ) -> None:
    """Pixel data and LUT data (and a US, Rows) through the /v1 bulk route, whole and in
    ranges; the pixel data through WADO-RS bulk data, raw and in multipart."""
    expected = little_endian_values(path)
    instance = _store(client, path)
    words = [key for key, (vr, _) in expected.items() if vr in NUMBER_VRS]
    for key in [*words, "00280010"]:
        value = expected[key][1]
        url = f"/v1/instances/{instance}/bulk/{key}"
        whole = client.get(url)
        assert whole.status_code == 200 and whole.content == value, key
        for header, start, end in _ranges(len(value)):
            part = client.get(url, headers={"range": header})
            assert part.status_code == 206 and part.content == value[start:end], (key, header)
            assert part.headers["content-range"] == f"bytes {start}-{end - 1}/{len(value)}"
            assert part.headers["content-length"] == str(end - start)
    if "7FE00010" not in words:
        return
    pixels = expected["7FE00010"][1]
    url = _instance_url(_dataset(path)) + "/bulk/7FE00010"
    assert client.get(url, headers={"accept": OCTETS}).content == pixels
    header, start, end = _ranges(len(pixels))[0]
    raw = client.get(url, headers={"accept": OCTETS, "range": header})
    assert raw.status_code == 206 and raw.content == pixels[start:end]
    multipart = client.get(url, headers={"accept": f'multipart/related; type="{OCTETS}"',
                                         "range": header})
    assert multipart.status_code == 206
    assert [body for _, body in _parts(multipart)] == [pixels[start:end]]


@pytest.mark.parametrize("name", MULTI_FRAME)
def test_frames_of_a_big_endian_file_are_little_endian(client: TestClient, name: str) -> None:
    path = next(p for p in BIG_ENDIAN if p.name == name)
    pixels = little_endian_values(path)["7FE00010"][1]
    ds = _dataset(path)
    count = int(ds.NumberOfFrames)
    size = ds.Rows * ds.Columns * ds.SamplesPerPixel * ds.BitsAllocated // 8
    frames = [pixels[i * size:(i + 1) * size] for i in range(count)]
    _store(client, path)
    url = _instance_url(ds) + f"/frames/{count},1"
    for accept in (f'multipart/related; type="{OCTETS}"; transfer-syntax=*',
                   f'multipart/related; type="{OCTETS}"'):
        answer = client.get(url, headers={"accept": accept})
        assert answer.status_code == 200, answer.text
        parts = _parts(answer)
        assert [body for _, body in parts] == [frames[-1], frames[0]]
        assert all(_syntax(head) == EXPLICIT_LITTLE for head, _ in parts)
    # Bulk data is little endian: a big endian file's frames are not sent as stored.
    big = client.get(url, headers={"accept": f'multipart/related; type="{OCTETS}"; '
                                             "transfer-syntax=1.2.840.10008.1.2.2"})
    assert big.status_code == 406


def test_big_endian_pixel_data_from_s3_storage(s3_settings: dict[str, str], tmp_path: Path
                                              ) -> None:
    """The same from a blob store, whose reads may end inside a number."""
    path = next(p for p in WORD_FILES if p.name == "gdcm-US-ALOKA-16_big.dcm")
    pixels = little_endian_values(path)["7FE00010"][1]
    application = create_app()
    application.dependency_overrides[get_settings] = lambda: Settings(
        storage_dir=tmp_path / "data", max_upload_bytes=1 << 20, **s3_settings)
    with TestClient(application, raise_server_exceptions=False) as client:
        url = f"/v1/instances/{_store(client, path)}/bulk/7FE00010"
        assert client.get(url).content == pixels
        header, start, end = _ranges(len(pixels))[0]
        assert client.get(url, headers={"range": header}).content == pixels[start:end]


def test_little_endian_values_are_served_as_stored(client: TestClient) -> None:
    ds = _dataset(CT)
    stored = CT.read_bytes()
    instance = _store(client, CT)
    for key, offset, length in (("7FE00010", ds["PixelData"].file_tell, len(ds.PixelData)),
                                ("00280010", ds["Rows"].file_tell, 2)):
        value = stored[offset:offset + length]
        url = f"/v1/instances/{instance}/bulk/{key}"
        assert client.get(url).content == value
        for header, start, end in _ranges(len(value)):
            assert client.get(url, headers={"range": header}).content == value[start:end]
    frame = client.get(_instance_url(ds) + "/frames/1",
                       headers={"accept": f'multipart/related; type="{OCTETS}"'})
    assert [body for _, body in _parts(frame)] == [ds.PixelData]


@pytest.mark.parametrize(("header", "start", "end"), [
    ("bytes=0-0", 0, 1), ("bytes=1-1", 1, 2), ("bytes=-1", 1, 2), ("bytes=1-", 1, 2),
    ("bytes=0-1", 0, 2)])
def test_one_byte_of_a_number_of_a_big_endian_file(client: TestClient, header: str, start: int,
                                                   end: int) -> None:
    """A range of one byte, at the start or at the very end of a US value, is that byte of
    the little endian number."""
    path = WORD_FILES[0]
    value = little_endian_values(path)["00280010"][1]
    assert len(value) == 2
    answer = client.get(f"/v1/instances/{_store(client, path)}/bulk/00280010",
                        headers={"range": header})
    assert answer.status_code == 206 and answer.content == value[start:end]
    assert answer.headers["content-range"] == f"bytes {start}-{end - 1}/2"


def test_frames_of_a_deflated_file_are_labelled_explicit_little_endian(client: TestClient
                                                                       ) -> None:
    """Deflate compresses a data set, not its frames: they are the inflated pixel bytes,
    Explicit VR Little Endian's, labelled so for `*` and not sent as deflated."""
    path = CT.parent / "image_dfl.dcm"
    ds = _dataset(path)
    assert ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.1.99"
    _store(client, path)
    url = _instance_url(ds) + "/frames/1"
    answer = client.get(url, headers={"accept": f'multipart/related; type="{OCTETS}"; '
                                                "transfer-syntax=*"})
    assert answer.status_code == 200
    [(head, body)] = _parts(answer)
    assert _syntax(head) == EXPLICIT_LITTLE and body == ds.PixelData
    deflated = client.get(url, headers={"accept": f'multipart/related; type="{OCTETS}"; '
                                                  "transfer-syntax=1.2.840.10008.1.2.1.99"})
    assert deflated.status_code == 406
