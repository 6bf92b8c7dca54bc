"""The S3 blob store against real S3-compatible servers: each test runs on the `s3_server` of
the other S3 tests (moto_server; or what DICOMCORE_TEST_S3_SERVER or DICOMCORE_TEST_S3_URL
name, e.g. a MinIO: tests/app/services.py) and on nanio, a second server whose ranged GETs read
only their range and which differs from moto where S3 servers differ (listing uploads by
prefix, the time an upload began). nanio is skipped where it is not installed (`make test`
installs it) and when the environment already chose the server.

Reads are ranged: a header read of a large object fetches kilobytes, a read at an offset
fetches near that offset, a sequential read fetches in growing windows. Uploads beyond one
part are multipart. A key that is gone is `BlobMissing`.
"""

from __future__ import annotations

import hashlib
import io
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.storage.errors import BlobMissing
from app.storage.s3 import MAX_WINDOW, PART_SIZE, UPLOAD_CONCURRENCY, S3Blobs
from dicomcore import read_file
from dicomcore.bulk import bulk_span
from tests.bigfile import write_multiframe

from .services import NanioServer, find_nanio

KEY = "AAAAAAAAAAAAAAAAAAAAAA.0000000000000001aaaaaaaaaaaa.dcm"


@pytest.fixture(scope="module")
def nanio() -> Iterator[NanioServer]:
    if os.environ.get("DICOMCORE_TEST_S3_SERVER") or os.environ.get("DICOMCORE_TEST_S3_URL"):
        pytest.skip("the environment chose the S3 server: the tests run on that one only")
    program = find_nanio()
    if program is None:
        pytest.skip("nanio is not installed (make test installs it in .venv-nanio)")
    server = NanioServer(program)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["s3_server", "nanio"])
def blobs(request: pytest.FixtureRequest, tmp_path: Path,
          monkeypatch: pytest.MonkeyPatch) -> S3Blobs:
    if request.param == "s3_server":
        settings = request.getfixturevalue("s3_settings")
        location, endpoint = settings["storage_url"][len("s3://"):], settings["s3_endpoint_url"]
    else:
        server = request.getfixturevalue("nanio")
        for name, value in server.env.items():
            monkeypatch.setenv(name, value)
        location, endpoint = server.location(), server.url
    bucket, _, prefix = location.partition("/")
    return S3Blobs(bucket, prefix, endpoint, tmp_path / "local")


def _raw(fp: io.BufferedReader) -> object:
    return fp.raw


def test_a_header_read_of_a_large_object_fetches_kilobytes(blobs: S3Blobs,
                                                           tmp_path: Path) -> None:
    source = tmp_path / "big.dcm"
    pixel_length = write_multiframe(source, 3 * PART_SIZE, rows=512, columns=512)
    size = source.stat().st_size
    blobs.put(KEY, source)  # three parts and more: a multipart upload
    assert not source.exists(), "the local file is consumed"
    (blob,) = [b for b in blobs.keys() if b.key == KEY]
    assert blob.size == size

    with blobs.open(KEY, size) as fp:
        raw = _raw(fp)
        ds = read_file(fp, stop_before_pixels=True)
        assert str(ds.SOPClassUID) == "1.2.840.10008.5.1.4.1.1.7.2"
        assert raw.fetches == 1 and raw.fetched <= 64 << 10  # type: ignore[attr-defined]

    with blobs.open(KEY, size) as fp:
        raw = _raw(fp)
        ds = read_file(fp, defer_size=1024)
        span = bulk_span(ds, "7FE00010")
        assert span.length == pixel_length
        tail = b"".join(span.chunks(pixel_length - 100, pixel_length, 1 << 20))
        assert tail[-1:] == b"\x7f"
        assert raw.fetched < 256 << 10, "header and one range near the end, not the object"  # type: ignore[attr-defined]
        ds.close()

    with blobs.open(KEY, size) as fp:
        raw = _raw(fp)
        total = 0
        while chunk := fp.read(1 << 20):
            total += len(chunk)
        assert total == size
        # windows double from 64 KiB up to MAX_WINDOW: few requests for the whole object
        assert raw.fetches <= 8 + size // MAX_WINDOW  # type: ignore[attr-defined]


def test_seek_and_small_objects(blobs: S3Blobs, tmp_path: Path) -> None:
    data = bytes(range(256)) * 1000
    (tmp_path / "small").write_bytes(data)
    blobs.put(KEY, tmp_path / "small")
    with blobs.open(KEY, len(data)) as fp:
        assert fp.read(10) == data[:10]
        fp.seek(200_000)
        assert fp.read(5) == data[200_000:200_005]
        assert fp.seek(-3, os.SEEK_END) == len(data) - 3 and fp.read() == data[-3:]
        fp.seek(1)
        assert fp.read(4) == data[1:5]
    writer = blobs.writer(KEY.replace("aaaa", "bbbb"))
    writer.file.write(b"written")
    writer.commit()
    with blobs.open(KEY.replace("aaaa", "bbbb"), 7) as fp:
        assert fp.read() == b"written"
    assert not list((tmp_path / "local").glob("*.part"))


def test_a_multipart_upload_keeps_its_parts_in_order(blobs: S3Blobs, tmp_path: Path) -> None:
    """More parts than are uploaded at once, each of its own bytes: read back as written."""
    source = tmp_path / "parts"
    count = UPLOAD_CONCURRENCY + 2
    with open(source, "wb") as fp:
        for n in range(count):
            fp.write(bytes([n]) * PART_SIZE)
        fp.write(b"tail")
    expected = hashlib.sha256(source.read_bytes()).hexdigest()
    blobs.put(KEY, source)
    digest = hashlib.sha256()
    with blobs.open(KEY, count * PART_SIZE + 4) as fp:
        while chunk := fp.read(1 << 20):
            digest.update(chunk)
    assert digest.hexdigest() == expected
    assert not _open_uploads(blobs)


def _open_uploads(blobs: S3Blobs) -> list[str]:
    listed = blobs.client.list_multipart_uploads(Bucket=blobs.bucket).get("Uploads", ())
    return [u["Key"] for u in listed if u["Key"].startswith(blobs.prefix)]


def test_missing_keys(blobs: S3Blobs, tmp_path: Path) -> None:
    with pytest.raises(BlobMissing):
        blobs.open(KEY, 10)
    blobs.delete(KEY)  # deleting what is gone is fine
    with pytest.raises(BlobMissing):
        blobs.open("../../etc/passwd", 10)


def test_clean_parts_sweeps_what_a_killed_store_left(blobs: S3Blobs) -> None:
    """A multipart upload left open and a local part no writer holds are removed (the start-up
    sweep, `IndexedStorage.recover`); a live writer's part, an upload begun after the cutoff
    and an upload under another prefix are kept."""
    client, bucket = blobs.client, blobs.bucket
    mine = blobs.prefix + KEY
    elsewhere = blobs.prefix.removesuffix("instances/") + "elsewhere/" + KEY
    started = time.time()
    uploads = {}
    for name in (mine, elsewhere):
        uploads[name] = client.create_multipart_upload(Bucket=bucket, Key=name)["UploadId"]
        client.upload_part(Bucket=bucket, Key=name, UploadId=uploads[name], PartNumber=1,
                           Body=b"half an instance")
    dead = blobs.local_dir / "s3-dead.part"
    dead.write_bytes(b"half an instance")
    live = blobs.writer(KEY)
    live.file.write(b"being written")

    def still_open() -> list[str]:
        listed = client.list_multipart_uploads(Bucket=bucket).get("Uploads", ())
        return sorted(u["Key"] for u in listed if u["UploadId"] in uploads.values())

    listed = client.list_multipart_uploads(Bucket=bucket).get("Uploads", ())
    # moto reports one fixed Initiated (2010-11-10) for every upload: there every upload is
    # older than any cutoff, and only a server that reports the time can show one kept
    reports_time = all(u["Initiated"].timestamp() > started - 60 for u in listed
                       if u["UploadId"] in uploads.values())
    removed = blobs.clean_parts(started - 3600)
    assert not dead.exists() and live.path.exists()
    if reports_time:
        assert removed == 1, "the dead part; the upload is too new"
        assert still_open() == sorted([mine, elsewhere])

    blobs.clean_parts(time.time() + 60)
    assert still_open() == [elsewhere]
    client.abort_multipart_upload(Bucket=bucket, Key=elsewhere, UploadId=uploads[elsewhere])
    assert live.path.exists()
    live.commit()
    with blobs.open(KEY, 13) as fp:
        assert fp.read() == b"being written"
    assert not list(blobs.local_dir.glob("*.part"))


def test_a_local_part_is_readable_by_this_user_only(blobs: S3Blobs) -> None:
    """A local part holds an instance on its way up: private to the service's user, as every
    other scratch file is (mkstemp's 0600), whatever the umask."""
    previous = os.umask(0o022)
    try:
        writer = blobs.writer(KEY)
    finally:
        os.umask(previous)
    try:
        assert writer.path.stat().st_mode & 0o777 == 0o600
    finally:
        writer.abort()
