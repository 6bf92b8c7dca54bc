"""A stored deflated instance keeps its inflated copy beside it (issue 12, item 1): reads of
its data set (JSON, bulk, DICOMweb, PATCH, transcoded downloads, de-identification of its
study) do not inflate it again, downloads of the file are the bytes as uploaded, the copy
lives and dies with its version, and a version stored without one gets it on its first
read."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pydicom
import pytest
from fastapi.testclient import TestClient

from app.settings import Settings
from dicomcore import filereader

from ..corpus import PYDICOM_DATA
from .attack_inputs import deflate_bomb

DEFLATED_FILE = PYDICOM_DATA / "test_files" / "image_dfl.dcm"
IMPLICIT = "1.2.840.10008.1.2"
RAW = {"content-type": "application/dicom"}


@pytest.fixture
def inflations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry per read that inflates a deflated data set."""
    calls: list[int] = []
    real: Callable[..., Any] = filereader._inflate

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(filereader, "_inflate", counted)
    return calls


def _store(client: TestClient, data: bytes, status: int = 201) -> dict:
    response = client.post("/v1/instances", content=data, headers=RAW)
    assert response.status_code == status, response.text
    return response.json() | {"location": response.headers["location"]}


def _keys(settings: Settings) -> list[str]:
    return sorted(p.name for p in (settings.storage_dir / "instances").iterdir())


def _pairs(settings: Settings) -> list[str]:
    """The stored keys, each version's inflated copy named after it: [<id>.<token>, ...]."""
    keys = _keys(settings)
    versions = [k.removesuffix(".dcm") for k in keys if k.endswith(".dcm")]
    copies = [k.removesuffix(".inflated") for k in keys if k.endswith(".inflated")]
    assert len(keys) == len(versions) + len(copies), keys
    assert copies == versions, f"a version without its copy, or a stray copy: {keys}"
    return versions


def test_reads_of_a_stored_deflated_instance_do_not_inflate_it_again(
        client: TestClient, settings: Settings, inflations: list[int]) -> None:
    data = DEFLATED_FILE.read_bytes()
    stored = _store(client, data)
    url = stored["location"]
    ds = pydicom.dcmread(DEFLATED_FILE)
    del inflations[:]  # the upload itself is read (and inflated) once

    element_json = client.get(url)
    assert element_json.status_code == 200
    assert element_json.json()["00100010"]["Value"] == [{"Alphabetic": str(ds.PatientName)}]
    bulk = client.get(url + "/bulk/7FE00010")
    assert bulk.status_code == 200 and bulk.content == ds.PixelData
    meta = client.get(f"/dicomweb/studies/{ds.StudyInstanceUID}/series/"
                      f"{ds.SeriesInstanceUID}/instances/{ds.SOPInstanceUID}/metadata")
    assert meta.status_code == 200
    assert meta.json()[0]["00100010"]["Value"] == [{"Alphabetic": str(ds.PatientName)}]
    frame = client.get(f"/dicomweb/studies/{ds.StudyInstanceUID}/series/"
                       f"{ds.SeriesInstanceUID}/instances/{ds.SOPInstanceUID}/frames/1",
                       headers={"accept": 'multipart/related; type="application/octet-stream"; '
                                          "transfer-syntax=*"})
    assert frame.status_code == 200 and ds.PixelData in frame.content
    assert inflations == [], "a read inflated the stored instance again"

    download = client.get(url + "/file")
    assert download.status_code == 200 and download.content == data
    wado = client.get(f"/dicomweb/studies/{ds.StudyInstanceUID}/series/"
                      f"{ds.SeriesInstanceUID}/instances/{ds.SOPInstanceUID}",
                      headers={"accept": 'multipart/related; type="application/dicom"; '
                                         "transfer-syntax=*"})
    assert wado.status_code == 200 and data in wado.content
    assert len(_pairs(settings)) == 1


def test_patch_delete_and_replace_leave_no_stray_copy(
        client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.patching import StoredPatch

    given: list[bool] = []
    real = StoredPatch.__call__

    def recorded(self: StoredPatch, current: Any, out: Any, stored_inflated: bool = False
                 ) -> Any:
        given.append(stored_inflated)
        return real(self, current, out, stored_inflated)

    monkeypatch.setattr(StoredPatch, "__call__", recorded)
    data = DEFLATED_FILE.read_bytes()
    stored = _store(client, data)
    url = stored["location"]
    first = _pairs(settings)
    assert len(first) == 1

    patched = client.patch(url, json=[{"op": "set", "path": "PatientName", "value": "A^B"}])
    assert patched.status_code == 200, patched.text
    assert given == [True], "PATCH read the deflated content, not its inflated copy"
    assert patched.json()["00100010"]["Value"] == [{"Alphabetic": "A^B"}]
    assert client.get(url).json() == patched.json()
    after_patch = _pairs(settings)
    assert len(after_patch) == 1 and after_patch != first
    download = client.get(url + "/file").content
    assert download != data and pydicom.dcmread(io.BytesIO(download)).PatientName == "A^B"
    assert pydicom.dcmread(io.BytesIO(download)).file_meta.TransferSyntaxUID == \
        "1.2.840.10008.1.2.1.99"

    again = _store(client, data, 200)  # the same SOP Instance UID: a new version of it
    assert again["id"] == stored["id"]
    after_replace = _pairs(settings)
    assert len(after_replace) == 1 and after_replace != after_patch
    assert client.get(url + "/file").content == data
    assert client.get(url).json()["00100010"] != patched.json()["00100010"]

    assert client.delete(url).status_code == 204
    assert _keys(settings) == []


def test_a_plain_instance_has_no_copy(client: TestClient, settings: Settings,
                                      ct_bytes: bytes) -> None:
    _store(client, ct_bytes)
    assert [k for k in _keys(settings) if k.endswith(".inflated")] == []


def test_a_copy_past_the_inflated_cap_is_not_stored(tmp_path: Path) -> None:
    from app.deps import get_settings
    from app.main import create_app

    settings = Settings(storage_dir=tmp_path / "data", max_upload_bytes=1 << 20,
                        max_inflated_bytes=1 << 20)
    application = create_app()
    application.dependency_overrides[get_settings] = lambda: settings
    with TestClient(application, raise_server_exceptions=False) as client:
        response = client.post("/v1/instances", content=deflate_bomb(3 << 20), headers=RAW)
        assert response.status_code == 413, response.text
        assert response.headers["content-type"] == "application/problem+json"
        small = client.post("/v1/instances", content=deflate_bomb(200 << 10, "1.2.3.5"),
                            headers=RAW)
        assert small.status_code == 201, small.text
        assert len(_pairs(settings)) == 1


def _transcoded(data: bytes, syntax: str | None, like_original: bool = False) -> bytes:
    """What the library writes for `data` (read from the file as uploaded) in `syntax`."""
    from dicomcore import read_file, write_file

    out = io.BytesIO()
    ds = read_file(io.BytesIO(data))
    write_file(out, ds, write_like_original=like_original, transfer_syntax=syntax)
    return out.getvalue()


def test_transcoded_downloads_read_the_copy(client: TestClient, inflations: list[int]) -> None:
    data = DEFLATED_FILE.read_bytes()
    url = _store(client, data)["location"]
    ds = pydicom.dcmread(DEFLATED_FILE)
    instance = (f"/dicomweb/studies/{ds.StudyInstanceUID}/series/{ds.SeriesInstanceUID}"
                f"/instances/{ds.SOPInstanceUID}")
    expected = {syntax: _transcoded(data, syntax)
                for syntax in (None, IMPLICIT, "1.2.840.10008.1.2.1")}
    like_original = _transcoded(data, IMPLICIT, like_original=True)
    del inflations[:]

    clean = client.get(url + "/file", params={"write_like_original": "false"})
    assert clean.status_code == 200 and clean.content == expected[None]
    implicit = client.get(url + "/file", params={"transfer_syntax": IMPLICIT})
    assert implicit.status_code == 200 and implicit.content == like_original
    for syntax in (IMPLICIT, "1.2.840.10008.1.2.1"):
        wado = client.get(instance, headers={
            "accept": f'multipart/related; type="application/dicom"; transfer-syntax={syntax}'})
        assert wado.status_code == 200 and expected[syntax] in wado.content, syntax
    assert inflations == [], "a transcoded download inflated the stored instance again"


def test_de_identifying_a_stored_study_reads_the_copy(
        tmp_path: Path, inflations: list[int]) -> None:
    from app.deps import get_settings
    from app.main import create_app

    settings = Settings(storage_dir=tmp_path / "data", max_upload_bytes=1 << 20,
                        deid_key="a key for the test")
    application = create_app()
    application.dependency_overrides[get_settings] = lambda: settings
    study = pydicom.dcmread(DEFLATED_FILE).StudyInstanceUID
    with TestClient(application, raise_server_exceptions=False) as client:
        _store(client, DEFLATED_FILE.read_bytes())
        del inflations[:]
        response = client.post(f"/v1/studies/{study}/deidentify")
        assert response.status_code == 201, response.text
        assert inflations == [], "de-identification inflated the stored instance again"
        copy = client.get(f"/v1/instances/{response.json()['instances'][0]['id']}")
        assert copy.status_code == 200
        assert copy.json()["00100010"] != {"vr": "PN", "Value": [
            {"Alphabetic": str(pydicom.dcmread(DEFLATED_FILE).PatientName)}]}


def _stored_without_copy(client: TestClient, settings: Settings, inflations: list[int]
                         ) -> tuple[str, str, Path, bytes]:
    """A deflated instance stored, then its inflated copy deleted (as stored before copies
    were kept): its URL, its version, the copy's path and the copy's bytes."""
    url = _store(client, DEFLATED_FILE.read_bytes())["location"]
    (version,) = _pairs(settings)
    copy = settings.storage_dir / "instances" / f"{version}.inflated"
    inflated = copy.read_bytes()
    copy.unlink()
    del inflations[:]
    return url, version, copy, inflated


def test_a_version_stored_without_a_copy_gets_it_from_its_first_read(
        client: TestClient, settings: Settings, inflations: list[int]) -> None:
    url, version, copy, inflated = _stored_without_copy(client, settings, inflations)

    first = client.get(url)
    assert first.status_code == 200
    assert inflations == [], "the first read inflated instead of making the copy"
    assert copy.read_bytes() == inflated and _pairs(settings) == [version]
    assert client.get(url).json() == first.json() and inflations == []
    assert client.get(url + "/file").content == DEFLATED_FILE.read_bytes()


def test_a_part_left_by_a_killed_copy_writer_does_not_make_every_read_inflate(
        client: TestClient, settings: Settings, inflations: list[int]) -> None:
    url, _, copy, inflated = _stored_without_copy(client, settings, inflations)
    part = copy.with_name(copy.name + ".part")
    part.write_bytes(inflated[:1000])  # a first read killed while it made the copy

    first = client.get(url)
    assert first.status_code == 200
    assert inflations == [], "the killed writer's part made the read inflate"
    assert copy.read_bytes() == inflated and not part.exists()
    assert client.get(url).json() == first.json() and inflations == []


def test_an_adopted_instance_of_the_layout_before_versions_gets_a_copy(
        tmp_path: Path, inflations: list[int]) -> None:
    import json

    from app.deps import get_settings
    from app.main import create_app
    from app.storage.base import new_instance_id

    settings = Settings(storage_dir=tmp_path / "data", max_upload_bytes=1 << 20)
    directory = settings.storage_dir / "instances"
    directory.mkdir(parents=True)
    instance_id = new_instance_id()
    data = DEFLATED_FILE.read_bytes()
    (directory / f"{instance_id}.dcm").write_bytes(data)
    (directory / f"{instance_id}.json").write_text(json.dumps({"created": 1.0}))
    application = create_app()
    application.dependency_overrides[get_settings] = lambda: settings
    with TestClient(application, raise_server_exceptions=False) as client:
        url = f"/v1/instances/{instance_id}"
        assert client.get("/v1/instances").json()["total"] == 1  # adopted (its header read)
        del inflations[:]
        assert client.get(url).status_code == 200  # copied on this first read
        assert inflations == []
        assert (directory / f"{instance_id}.inflated").is_file()
        assert client.get(url + "/file").content == data
        assert client.delete(url).status_code == 204
        assert sorted(p.name for p in directory.iterdir()) == []


def test_past_the_cap_a_version_without_a_copy_is_413_and_gets_none(tmp_path: Path) -> None:
    from app.deps import get_settings
    from app.main import create_app

    roomy = Settings(storage_dir=tmp_path / "data", max_upload_bytes=1 << 20,
                     max_inflated_bytes=4 << 20)
    tight = roomy.model_copy(update={"max_inflated_bytes": 1 << 20})
    application = create_app()
    application.dependency_overrides[get_settings] = lambda: roomy
    with TestClient(application, raise_server_exceptions=False) as client:
        url = _store(client, deflate_bomb(3 << 20))["location"]
        (version,) = _pairs(roomy)
        (roomy.storage_dir / "instances" / f"{version}.inflated").unlink()
        application.dependency_overrides[get_settings] = lambda: tight
        response = client.get(url)
        assert response.status_code == 413, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert _keys(tight) == [f"{version}.dcm"]
        assert client.get(url + "/file").content == deflate_bomb(3 << 20)


def test_on_a_full_disk_a_version_without_a_copy_is_still_read(
        client: TestClient, settings: Settings) -> None:
    from .request_states import full_disk

    data = DEFLATED_FILE.read_bytes()
    url = _store(client, data)["location"]
    (version,) = _pairs(settings)
    (settings.storage_dir / "instances" / f"{version}.inflated").unlink()
    expected = client.get(url + "?inline_bulk=true").json()
    (settings.storage_dir / "instances" / f"{version}.inflated").unlink()

    read = full_disk(lambda c, ctx: c.get(url + "?inline_bulk=true"), spools_on_disk=False)
    response = read(client, {})
    assert response.status_code == 200, response.text
    assert response.json() == expected  # inflated in memory, as before copies were kept
    assert _keys(settings) == [f"{version}.dcm"]  # no copy, no part left
    assert client.get(url + "/file").content == data
