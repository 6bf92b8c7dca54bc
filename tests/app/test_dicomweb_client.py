"""DICOMweb with `dicomweb-client` (PyPI) as a black-box client of a real `python -m app`.

A set of pydicom's test files (native 8/16/32-bit, RGB, multi-frame, big endian, deflated,
JPEG, JPEG 2000, RLE) is stored with STOW-RS, searched at every level with every kind of
matching, and read back: instances (bytes equal with `transfer-syntax=*`), metadata (values
equal to the file's, as pydicom renders them), frames (equal to pydicom's frames of the pixel
data) and bulk data (with a byte range). pydicom is the oracle throughout.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import dicomweb_client
import httpx
import pydicom
import pytest
from pydicom.encaps import generate_frames
from requests import HTTPError

from ..corpus import PYDICOM_DATA
from .server import Server

FILES = ["CT_small.dcm", "MR_small.dcm", "JPEG2000.dcm", "JPEG-lossy.dcm",
         "SC_rgb_rle_2frame.dcm", "SC_rgb_small_odd.dcm", "rtdose.dcm", "liver_1frame.dcm",
         "image_dfl.dcm", "ExplVR_BigEnd.dcm"]
PATHS = {name: PYDICOM_DATA / "test_files" / name for name in FILES}
ANY = 'multipart/related; type="application/dicom"; transfer-syntax=*'


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = Server(tmp_path_factory.mktemp("dicomweb") / "data")
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def client(server: Server) -> dicomweb_client.DICOMwebClient:
    return dicomweb_client.DICOMwebClient(server.url + "/dicomweb")


@pytest.fixture(scope="module")
def files() -> dict[str, pydicom.Dataset]:
    return {name: pydicom.dcmread(path) for name, path in PATHS.items()}


@pytest.fixture(scope="module")
def stored(client: dicomweb_client.DICOMwebClient, files: dict[str, pydicom.Dataset]
           ) -> pydicom.Dataset:
    answer = client.store_instances([files[name] for name in FILES])
    return answer


def _sent(ds: pydicom.Dataset) -> bytes:
    """The bytes dicomweb-client stores for a data set (pydicom writes them)."""
    out = io.BytesIO()
    pydicom.dcmwrite(out, ds)
    return out.getvalue()


def _as_sent(ds: pydicom.Dataset) -> pydicom.Dataset:
    return pydicom.dcmread(io.BytesIO(_sent(ds)))


def _uids(ds: pydicom.Dataset) -> tuple[str, str, str]:
    return ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID


def _values(model: list[dict], tag: str) -> list:
    return sorted(item[tag]["Value"][0] for item in model if "Value" in item.get(tag, {}))


def test_store_answers_every_instance(stored: pydicom.Dataset,
                                      files: dict[str, pydicom.Dataset]) -> None:
    referenced = {item.ReferencedSOPInstanceUID for item in stored.ReferencedSOPSequence}
    assert referenced == {ds.SOPInstanceUID for ds in files.values()}
    assert "FailedSOPSequence" not in stored
    for item in stored.ReferencedSOPSequence:
        assert item.RetrieveURL.endswith("/instances/" + item.ReferencedSOPInstanceUID)


def test_store_reports_failed_parts(server: Server, stored: pydicom.Dataset) -> None:
    ct = PATHS["CT_small.dcm"].read_bytes()
    mr = PATHS["MR_small.dcm"].read_bytes()
    study = pydicom.dcmread(PATHS["CT_small.dcm"]).StudyInstanceUID
    boundary = "b0undary"

    def body(*parts: tuple[str, bytes]) -> bytes:
        out = b"".join(f"--{boundary}\r\nContent-Type: {media}\r\n\r\n".encode() + data
                       + b"\r\n" for media, data in parts)
        return out + f"--{boundary}--\r\n".encode()

    headers = {"content-type": f'multipart/related; type="application/dicom"; '
                               f"boundary={boundary}"}
    url = f"{server.url}/dicomweb/studies/{study}"
    some = httpx.post(url, content=body(("application/dicom", ct),
                                        ("application/dicom", b"not DICOM" * 50),
                                        ("application/dicom", mr),
                                        ("text/plain", b"hello")), headers=headers)
    assert some.status_code == 202, some.text
    answer = some.json()
    assert [i["00081155"]["Value"][0] for i in answer["00081199"]["Value"]] == [
        pydicom.dcmread(PATHS["CT_small.dcm"]).SOPInstanceUID]
    reasons = [i["00081197"]["Value"][0] for i in answer["00081198"]["Value"]]
    assert reasons == [0xC000, 0xA900, 0xC000]  # not DICOM, another study, not DICOM
    assert answer["00081198"]["Value"][1]["00081155"]["Value"] == [
        pydicom.dcmread(PATHS["MR_small.dcm"]).SOPInstanceUID]
    assert answer["00081190"]["Value"] == [f"{server.url}/dicomweb/studies/{study}"]
    none = httpx.post(url, content=body(("application/dicom", mr)), headers=headers)
    assert none.status_code == 409
    assert none.json()["00081198"]["Value"][0]["00081197"]["Value"] == [0xA900]
    wrong = httpx.post(url, content=ct, headers={"content-type": "application/dicom"})
    assert wrong.status_code == 415
    assert wrong.headers["content-type"] == "application/problem+json"
    cut = httpx.post(url, content=body(("application/dicom", ct))[:-30], headers=headers)
    assert cut.status_code == 400


def test_search_studies(client: dicomweb_client.DICOMwebClient, stored: pydicom.Dataset,
                        files: dict[str, pydicom.Dataset]) -> None:
    studies = client.search_for_studies()
    uids = {ds.StudyInstanceUID for ds in files.values()}
    assert _values(studies, "0020000D") == sorted(uids)
    ct = files["CT_small.dcm"]
    (found,) = client.search_for_studies(search_filters={"PatientID": ct.PatientID})
    assert found["00100010"]["Value"] == [{"Alphabetic": str(ct.PatientName)}]
    assert found["00201208"]["Value"] == [1]  # NumberOfStudyRelatedInstances
    assert found["00080061"]["Value"] == ["CT"]  # ModalitiesInStudy
    assert found["00081190"]["Value"][0].endswith("/studies/" + ct.StudyInstanceUID)
    # wildcards, case-insensitive person names
    named = client.search_for_studies(search_filters={"PatientName": "compressedsamples^*"})
    assert len(named) == 3
    assert client.search_for_studies(search_filters={"PatientName": "Compressed?amples^CT1"})
    # fuzzy matching: a component's beginning, any case
    assert _values(client.search_for_studies(fuzzymatching=True,
                                             search_filters={"PatientName": "ct"}),
                   "0020000D") == [ct.StudyInstanceUID]
    assert client.search_for_studies(search_filters={"PatientName": "ct"}) == []
    # date ranges, open ends included
    assert _values(client.search_for_studies(search_filters={"StudyDate": "20040101-20041231"}),
                   "00080020") == ["20040119", "20040826", "20040826"]
    assert _values(client.search_for_studies(search_filters={"StudyDate": "20170101-"}),
                   "00080020") == ["20170101"]
    assert len(client.search_for_studies(search_filters={"StudyDate": "-20040119"})) >= 1
    # ModalitiesInStudy is "contains": a study of OT and SEG instances has OT
    ot = client.search_for_studies(search_filters={"ModalitiesInStudy": "OT"})
    assert {study["0020000D"]["Value"][0] for study in ot} >= {
        files["SC_rgb_small_odd.dcm"].StudyInstanceUID}
    both = client.search_for_studies(search_filters={"ModalitiesInStudy": "CT,RTDOSE"})
    assert len(both) == 2
    # UID lists, comma or backslash
    pair = [ct.StudyInstanceUID, files["rtdose.dcm"].StudyInstanceUID]
    assert _values(client.search_for_studies(search_filters={"StudyInstanceUID": pair}),
                   "0020000D") == sorted(pair)
    assert len(client.search_for_studies(
        search_filters={"0020000D": "\\".join(pair)})) == 2


def test_search_paging(client: dicomweb_client.DICOMwebClient, stored: pydicom.Dataset,
                       files: dict[str, pydicom.Dataset]) -> None:
    everything = client.search_for_instances()
    assert len(everything) == len(files)
    first = client.search_for_instances(limit=3)
    second = client.search_for_instances(limit=3, offset=3)
    assert len(first) == len(second) == 3
    assert not {i["00080018"]["Value"][0] for i in first} & {
        i["00080018"]["Value"][0] for i in second}
    paged = client.search_for_instances(limit=2, get_remaining=True)
    assert [i["00080018"] for i in paged] == [i["00080018"] for i in everything]


def test_search_series_and_instances(client: dicomweb_client.DICOMwebClient,
                                     stored: pydicom.Dataset,
                                     files: dict[str, pydicom.Dataset]) -> None:
    rtdose = files["rtdose.dcm"]
    (series,) = client.search_for_series(rtdose.StudyInstanceUID)
    assert series["0020000E"]["Value"] == [rtdose.SeriesInstanceUID]
    assert series["00080060"]["Value"] == ["RTDOSE"]
    assert series["00201209"]["Value"] == [1]
    assert len(client.search_for_series(search_filters={"Modality": "NM"})) == 1
    (instance,) = client.search_for_instances(rtdose.StudyInstanceUID, rtdose.SeriesInstanceUID)
    assert instance["00080018"]["Value"] == [rtdose.SOPInstanceUID]
    assert instance["00280008"]["Value"] == [15]  # NumberOfFrames
    nm = client.search_for_instances(files["JPEG2000.dcm"].StudyInstanceUID,
                                     search_filters={"SOPClassUID": files["JPEG2000.dcm"].SOPClassUID})
    assert len(nm) == 2
    rows = client.search_for_instances(search_filters={"Rows": "1024"})
    assert {i["00080018"]["Value"][0] for i in rows} == {
        ds.SOPInstanceUID for ds in files.values() if ds.get("Rows") == 1024}


def test_includefield_reads_what_the_index_lacks(client: dicomweb_client.DICOMwebClient,
                                                 stored: pydicom.Dataset,
                                                 files: dict[str, pydicom.Dataset]) -> None:
    ct = files["CT_small.dcm"]
    (instance,) = client.search_for_instances(
        search_filters={"SOPInstanceUID": ct.SOPInstanceUID},
        fields=["PixelSpacing", "00180050", "Manufacturer"])
    assert instance["00280030"]["Value"] == [float(v) for v in ct.PixelSpacing]
    assert instance["00180050"]["Value"] == [float(ct.SliceThickness)]
    assert instance["00080070"]["Value"] == [ct.Manufacturer]
    (study,) = client.search_for_studies(search_filters={"StudyInstanceUID": ct.StudyInstanceUID},
                                         fields=["InstitutionName", "all"])
    assert study["00080080"]["Value"] == [ct.InstitutionName]


def test_unmatchable_keys_are_400(server: Server, stored: pydicom.Dataset) -> None:
    for query in ("BodyPartExamined=CHEST", "00181030=x", "StudyInstanceUID=1.2*",
                  "includefield=NoSuchKeyword", "limit=0", "SeriesNumber=one"):
        answer = httpx.get(f"{server.url}/dicomweb/studies?{query}")
        assert answer.status_code == 400, query
        assert answer.headers["content-type"] == "application/problem+json"
    detail = httpx.get(f"{server.url}/dicomweb/instances?BodyPartExamined=CHEST").json()
    assert "BodyPartExamined" in detail["detail"]


def test_retrieve_instances_as_stored(server: Server, client: dicomweb_client.DICOMwebClient,
                                      stored: pydicom.Dataset,
                                      files: dict[str, pydicom.Dataset]) -> None:
    for name, ds in files.items():
        study, series, sop = _uids(ds)
        retrieved = client.retrieve_instance(study, series, sop)  # transfer-syntax=*
        assert retrieved == _as_sent(ds), name
        answer = httpx.get(f"{server.url}/dicomweb/studies/{study}/series/{series}/"
                           f"instances/{sop}", headers={"accept": ANY})
        (part,) = _parts(answer)
        assert part == _sent(ds), name
    jpeg = files["JPEG2000.dcm"]
    whole = client.retrieve_study(jpeg.StudyInstanceUID,
                                  media_types=(("application/dicom", "*"),))
    assert {ds.SOPInstanceUID for ds in whole} == {jpeg.SOPInstanceUID,
                                                   files["JPEG-lossy.dcm"].SOPInstanceUID}
    with pytest.raises(HTTPError, match="406"):  # by default: Explicit VR Little Endian
        client.retrieve_series(jpeg.StudyInstanceUID, jpeg.SeriesInstanceUID)


def test_retrieve_transcodes_or_refuses(server: Server, client: dicomweb_client.DICOMwebClient,
                                        stored: pydicom.Dataset,
                                        files: dict[str, pydicom.Dataset]) -> None:
    rtdose = files["rtdose.dcm"]  # implicit VR little endian
    (explicit,) = client.retrieve_series(
        rtdose.StudyInstanceUID, rtdose.SeriesInstanceUID,
        media_types=(("application/dicom", "1.2.840.10008.1.2.1"),))
    assert explicit.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.1"
    assert explicit.PixelData == rtdose.PixelData and explicit.DoseGridScaling == \
        rtdose.DoseGridScaling
    jpeg = files["JPEG2000.dcm"]
    url = f"{server.url}/dicomweb/studies/{jpeg.StudyInstanceUID}"
    for accept in ('multipart/related; type="application/dicom"',
                   'multipart/related; type="application/dicom"; '
                   "transfer-syntax=1.2.840.10008.1.2.4.50", "application/dicom+json"):
        answer = httpx.get(url, headers={"accept": accept})
        assert answer.status_code == 406, accept
        assert answer.headers["content-type"] == "application/problem+json"


def _parts(answer: httpx.Response) -> list[bytes]:
    assert answer.status_code in (200, 206), answer.text
    boundary = re.search(r"boundary=([^;]+)", answer.headers["content-type"]).group(1)
    pieces = answer.content.split(b"--" + boundary.strip('"').encode())
    assert pieces[-1].strip() == b"--"
    return [piece.partition(b"\r\n\r\n")[2][:-2] for piece in pieces[1:-1]]


def _rendered(ds: pydicom.Dataset) -> dict:
    """pydicom's JSON of the stored file, bulk values left as their VR only, without group
    lengths (dicomcore's JSON leaves them out)."""
    return {tag: {k: v for k, v in element.items() if k not in ("BulkDataURI", "InlineBinary")}
            for tag, element in _as_sent(ds).to_json_dict(1024, lambda e: "bulk").items()
            if not tag.endswith("0000")}


def test_metadata_equals_the_files(client: dicomweb_client.DICOMwebClient,
                                   stored: pydicom.Dataset,
                                   files: dict[str, pydicom.Dataset]) -> None:
    for name, ds in files.items():
        study, series, sop = _uids(ds)
        model = client.retrieve_instance_metadata(study, series, sop)
        mine = {tag: {k: v for k, v in element.items() if k not in ("BulkDataURI",
                                                                     "InlineBinary")}
                for tag, element in model.items()}
        assert mine == _rendered(ds), name
    ct = files["CT_small.dcm"]
    (series_model,) = client.retrieve_series_metadata(ct.StudyInstanceUID, ct.SeriesInstanceUID)
    assert series_model["7FE00010"]["BulkDataURI"].endswith("/bulk/7FE00010")
    study_models = client.retrieve_study_metadata(files["JPEG2000.dcm"].StudyInstanceUID)
    assert len(study_models) == 2


def test_bulk_data(client: dicomweb_client.DICOMwebClient, stored: pydicom.Dataset,
                   files: dict[str, pydicom.Dataset]) -> None:
    ct = files["CT_small.dcm"]
    model = client.retrieve_instance_metadata(*_uids(ct))
    uri = model["7FE00010"]["BulkDataURI"]
    assert client.retrieve_bulkdata(uri) == [ct.PixelData]
    assert client.retrieve_bulkdata(uri, byte_range=(100, 199)) == [ct.PixelData[100:200]]
    plain = httpx.get(uri, headers={"accept": "application/octet-stream", "range": "bytes=-4"})
    assert plain.status_code == 206 and plain.content == ct.PixelData[-4:]


def _expected_frames(ds: pydicom.Dataset) -> list[bytes]:
    count = int(ds.get("NumberOfFrames") or 1)
    if ds.file_meta.TransferSyntaxUID.is_compressed:
        return list(generate_frames(ds.PixelData, number_of_frames=count))
    size = ds.Rows * ds.Columns * ds.SamplesPerPixel * ds.BitsAllocated // 8
    return [ds.PixelData[i * size:(i + 1) * size] for i in range(count)]


def test_frames_equal_the_pixel_data(client: dicomweb_client.DICOMwebClient,
                                     stored: pydicom.Dataset,
                                     files: dict[str, pydicom.Dataset]) -> None:
    for name, ds in files.items():
        expected = _expected_frames(ds)
        numbers = list(range(1, len(expected) + 1))
        frames = client.retrieve_instance_frames(
            *_uids(ds), frame_numbers=numbers,
            media_types=(("application/octet-stream", "*"),))
        assert frames == expected, name
    rtdose = files["rtdose.dcm"]
    picked = client.retrieve_instance_frames(*_uids(rtdose), frame_numbers=[15, 2],
                                             media_types=(("application/octet-stream", "*"),))
    expected = _expected_frames(rtdose)
    assert picked == [expected[14], expected[1]]


def test_frames_refused_or_missing(server: Server, stored: pydicom.Dataset,
                                   files: dict[str, pydicom.Dataset]) -> None:
    def get(ds: pydicom.Dataset, frames: str, accept: str) -> httpx.Response:
        study, series, sop = _uids(ds)
        return httpx.get(f"{server.url}/dicomweb/studies/{study}/series/{series}/instances/"
                         f"{sop}/frames/{frames}", headers={"accept": accept})

    octets = 'multipart/related; type="application/octet-stream"'
    jpeg = files["JPEG2000.dcm"]
    assert get(jpeg, "1", octets).status_code == 406  # default: explicit little endian
    assert get(jpeg, "1", octets + "; transfer-syntax=1.2.840.10008.1.2.4.91").status_code == 200
    assert get(jpeg, "1", octets + "; transfer-syntax=1.2.840.10008.1.2.4.50").status_code == 406
    ct = files["CT_small.dcm"]
    assert _parts(get(ct, "1", octets)) == _expected_frames(ct)  # native: the default works
    assert get(ct, "2", octets).status_code == 404
    assert get(ct, "0", octets).status_code == 400
    assert get(ct, "x", octets).status_code == 400
    with pytest.raises(HTTPError):
        dicomweb_client.DICOMwebClient(server.url + "/dicomweb").retrieve_instance_frames(
            ct.StudyInstanceUID, ct.SeriesInstanceUID, "1.2.3.4", frame_numbers=[1])


def test_missing_resources_are_404(server: Server, stored: pydicom.Dataset) -> None:
    for path in ("/studies/1.2.3", "/studies/1.2.3/metadata", "/studies/1.2.3/series/4.5",
                 "/studies/1.2.3/series/4.5/instances/6.7/metadata"):
        answer = httpx.get(server.url + "/dicomweb" + path, headers={"accept": ANY})
        assert answer.status_code == 404, path
        assert answer.headers["content-type"] == "application/problem+json"


def test_the_files_exist() -> None:
    assert all(Path(path).is_file() for path in PATHS.values())
