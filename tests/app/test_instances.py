"""Stored instances: store, list, JSON, bulk with Range, PATCH with ETag, file, delete."""

from __future__ import annotations

import base64
import io

import pydicom
import pytest
from fastapi.testclient import TestClient

from app.settings import Settings
from dicomcore import dcmread

from .conftest import CT

RAW = {"content-type": "application/dicom"}


@pytest.fixture(params=["file+sqlite", "file+postgresql", "s3+sqlite", "s3+postgresql"])
def settings(request: pytest.FixtureRequest, tmp_path) -> Settings:  # noqa: ANN001
    """Every test of this module on every combination of storage and index."""
    blobs, index = request.param.split("+")
    extra: dict[str, str] = {}
    if blobs == "s3":
        extra.update(request.getfixturevalue("s3_settings"))
    if index == "postgresql":
        extra["index_url"] = request.getfixturevalue("postgres_url")
    return Settings(storage_dir=tmp_path / "data", max_upload_bytes=1 << 20, **extra)


@pytest.fixture
def stored(client: TestClient, ct_bytes: bytes) -> dict:
    response = client.post("/v1/instances", content=ct_bytes, headers=RAW)
    assert response.status_code == 201
    return response.json() | {"location": response.headers["location"],
                               "etag_header": response.headers["etag"]}


def test_store_gives_location_id_and_uid(stored: dict, client: TestClient) -> None:
    assert len(stored["id"]) == 22
    assert stored["sop_instance_uid"] == str(dcmread(CT).SOPInstanceUID)
    assert stored["size"] == CT.stat().st_size
    assert stored["location"].endswith(f"/v1/instances/{stored['id']}")
    assert stored["etag"] == stored["etag_header"]


def with_uids(data: bytes, sop_instance_uid: str, **more: str) -> bytes:
    """The file with another SOP Instance UID (and other attributes), via pydicom."""
    ds = pydicom.dcmread(io.BytesIO(data))
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = sop_instance_uid
    for keyword, value in more.items():
        setattr(ds, keyword, value)
    out = io.BytesIO()
    ds.save_as(out)
    return out.getvalue()


def test_list_is_paged(client: TestClient, ct_bytes: bytes) -> None:
    for n in range(3):
        stored = client.post("/v1/instances", content=with_uids(ct_bytes, f"1.2.3.{n}"),
                             headers=RAW)
        assert stored.status_code == 201
    page = client.get("/v1/instances", params={"limit": 2}).json()
    assert page["total"] == 3 and len(page["items"]) == 2
    rest = client.get("/v1/instances", params={"offset": 2, "limit": 2}).json()
    assert len(rest["items"]) == 1
    assert {i["id"] for i in page["items"]}.isdisjoint({i["id"] for i in rest["items"]})
    assert client.get("/v1/instances", params={"limit": 0}).status_code == 422


def test_json_with_bulk_data_uris_and_range(stored: dict, client: TestClient,
                                            ct_bytes: bytes) -> None:
    response = client.get(f"/v1/instances/{stored['id']}")
    assert response.status_code == 200
    assert response.headers["etag"] == stored["etag"]
    model = response.json()
    uri = model["7FE00010"]["BulkDataURI"]
    assert uri.endswith(f"/v1/instances/{stored['id']}/bulk/7FE00010")
    pixels = dcmread(CT).PixelData
    full = client.get(uri)
    assert full.status_code == 200 and full.content == pixels
    part = client.get(uri, headers={"range": "bytes=10-19"})
    assert part.status_code == 206 and part.content == pixels[10:20]
    assert part.headers["content-range"] == f"bytes 10-19/{len(pixels)}"
    tail = client.get(uri, headers={"range": "bytes=-5"})
    assert tail.content == pixels[-5:]
    assert client.get(uri, headers={"range": f"bytes={len(pixels)}-"}).status_code == 416
    nested = client.get(f"/v1/instances/{stored['id']}/bulk/00101002/1/00100020")
    assert nested.status_code == 200 and nested.content.rstrip(b" ") == b"1234ABCD"
    small = client.get(f"/v1/instances/{stored['id']}?bulk_data_threshold=100000").json()
    assert base64.b64decode(small["7FE00010"]["InlineBinary"]) == pixels
    inline = client.get(f"/v1/instances/{stored['id']}?inline_bulk=true").json()
    assert base64.b64decode(inline["7FE00010"]["InlineBinary"]) == pixels
    simple = client.get(f"/v1/instances/{stored['id']}?format=simple").json()
    assert simple["PatientID"] == "1CT1"


def test_patch_with_etags(stored: dict, client: TestClient) -> None:
    url = f"/v1/instances/{stored['id']}"
    patch = [{"op": "set", "path": "PatientName", "value": "Doe^Jane"}]
    response = client.patch(url, json=patch, headers={"if-match": stored["etag"]})
    assert response.status_code == 200
    new_etag = response.headers["etag"]
    assert new_etag != stored["etag"]
    assert response.json()["00100010"]["Value"] == [{"Alphabetic": "Doe^Jane"}]
    stale = client.patch(url, json=patch, headers={"if-match": stored["etag"]})
    assert stale.status_code == 412
    merged = client.patch(url, content=b'{"00081030": {"vr": "LO", "Value": ["Merged"]}}',
                          headers={"content-type": "application/dicom+json"})
    assert merged.status_code == 200 and merged.json()["00081030"]["Value"] == ["Merged"]
    bad = client.patch(url, json=[{"op": "set", "path": "Rows", "value": 1}])
    assert bad.status_code == 422
    assert client.patch(url, content=b"x", headers={"content-type": "text/plain"}
                        ).status_code == 415
    assert client.patch(url, content=b"{", headers={"content-type": "application/json"}
                        ).status_code == 400  # not JSON; JSON that is no patch is 422


def test_file_download_like_original_and_normalised(stored: dict, client: TestClient,
                                                    ct_bytes: bytes) -> None:
    url = f"/v1/instances/{stored['id']}/file"
    original = client.get(url)
    assert original.status_code == 200 and original.content == ct_bytes
    assert original.headers["content-type"] == "application/dicom"
    clean = client.get(url, params={"write_like_original": "false",
                                    "transfer_syntax": "1.2.840.10008.1.2"})
    ds = pydicom.dcmread(io.BytesIO(clean.content))
    assert ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2"
    assert ds.PatientName == "CompressedSamples^CT1"


def test_delete_then_404(stored: dict, client: TestClient) -> None:
    url = f"/v1/instances/{stored['id']}"
    assert client.delete(url, headers={"if-match": '"stale"'}).status_code == 412
    assert client.delete(url).status_code == 204
    for response in (client.get(url), client.get(url + "/file"), client.delete(url),
                     client.patch(url, json=[])):
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("bad_id", ["..%2F..%2Fetc%2Fpasswd", "a" * 21, "../x",
                                    "%2e%2e", "a" * 22 + "/../b"])
def test_ids_are_validated(client: TestClient, bad_id: str) -> None:
    response = client.get(f"/v1/instances/{bad_id}")
    assert response.status_code in (404, 422)
    assert response.headers["content-type"] == "application/problem+json"


def test_bulk_paths_are_validated(stored: dict, client: TestClient) -> None:
    base = f"/v1/instances/{stored['id']}/bulk/"
    for path in ("../../etc/passwd", "7FE00010/0", "zzzzzzzz", "00101002/9/00100020",
                 "00101002"):
        assert client.get(base + path).status_code == 404, path


def test_stored_files_survive_a_new_app(settings, ct_bytes: bytes) -> None:  # noqa: ANN001
    from app.deps import get_settings
    from app.main import create_app

    first = create_app()
    first.dependency_overrides[get_settings] = lambda: settings
    with TestClient(first) as c:
        instance_id = c.post("/v1/instances", content=ct_bytes, headers=RAW).json()["id"]
    second = create_app()
    second.dependency_overrides[get_settings] = lambda: settings
    with TestClient(second) as c:
        assert c.get(f"/v1/instances/{instance_id}/file").content == ct_bytes
