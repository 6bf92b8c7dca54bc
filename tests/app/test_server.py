"""End to end against real uvicorn processes on loopback: the flow, concurrency across two
workers, constant memory on a large file, and /healthz answering meanwhile."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pydicom
import pytest

from ..bigfile import write_multiframe
from .conftest import CT
from .server import Server

RAW = {"content-type": "application/dicom"}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    running = Server(tmp_path / "data")
    try:
        yield running
    finally:
        running.stop()


def test_flow_over_real_http(server: Server) -> None:
    data = CT.read_bytes()
    with httpx.Client(base_url=server.url, timeout=30) as client:
        model = client.post("/v1/json", content=data, headers=RAW).json()
        assert model["00100020"]["Value"] == ["1CT1"]
        stored = client.post("/v1/instances", files={"file": ("ct.dcm", data)})
        assert stored.status_code == 201
        url = stored.headers["location"]
        patched = client.patch(url, json=[{"op": "set", "path": "PatientID", "value": "E2E"}])
        assert patched.status_code == 200
        file = client.get(url + "/file")
        assert pydicom.dcmread(io.BytesIO(file.content)).PatientID == "E2E"
        assert client.delete(url).status_code == 204


def test_parallel_patches_on_two_workers_lose_no_update(tmp_path: Path) -> None:
    running = Server(tmp_path / "data", workers=2)
    try:
        with httpx.Client(base_url=running.url, timeout=60) as client:
            stored = client.post("/v1/instances", content=CT.read_bytes(), headers=RAW)
            url = stored.headers["location"]
            count = 24

            def append(i: int) -> int:
                patch = [{"op": "append", "path": "OtherPatientIDsSequence",
                          "value": {"PatientID": f"P{i:03d}"}}]
                with httpx.Client(timeout=60) as own:
                    return own.patch(url, json=patch).status_code

            with ThreadPoolExecutor(8) as pool:
                statuses = list(pool.map(append, range(count)))
            assert statuses == [200] * count
            ds = pydicom.dcmread(io.BytesIO(client.get(url + "/file").content))
            ids = {item.PatientID for item in ds.OtherPatientIDsSequence}
            assert {f"P{i:03d}" for i in range(count)} <= ids
            assert len(ds.OtherPatientIDsSequence) == count + 2

            # With If-Match, of two changes from the same version one wins, one gets 412.
            etag = client.get(url).headers["etag"]
            with ThreadPoolExecutor(2) as pool:
                results = list(pool.map(lambda v: httpx.patch(
                    url, json=[{"op": "set", "path": "PatientID", "value": v}],
                    headers={"if-match": etag}, timeout=60).status_code, ["A", "B"]))
            assert sorted(results) == [200, 412]
    finally:
        running.stop()
    leftovers = [p for p in (tmp_path / "data").rglob("*.part")]
    assert not leftovers


def _upload_stream(path: Path, chunk: int = 1 << 20) -> Iterator[bytes]:
    with open(path, "rb") as fp:
        while data := fp.read(chunk):
            yield data


def test_large_file_in_constant_memory_and_healthz_meanwhile(server: Server,
                                                             tmp_path: Path) -> None:
    big = tmp_path / "big.dcm"
    size = write_multiframe(big, 384 << 20)
    baseline = server.peak_rss_mib()
    slowest_health = 0.0
    stop = threading.Event()

    def poll_health() -> None:
        nonlocal slowest_health
        with httpx.Client(base_url=server.url, timeout=10) as client:
            while not stop.is_set():
                started = time.perf_counter()
                assert client.get("/healthz").status_code == 200
                slowest_health = max(slowest_health, time.perf_counter() - started)
                time.sleep(0.05)

    poller = threading.Thread(target=poll_health)
    poller.start()
    try:
        with httpx.Client(base_url=server.url, timeout=300) as client:
            model = client.post("/v1/json", content=_upload_stream(big), headers=RAW)
            assert model.status_code == 200
            assert "InlineBinary" not in model.json()["7FE00010"]
            stored = client.post("/v1/instances", content=_upload_stream(big), headers=RAW)
            url = stored.headers["location"]
            assert client.patch(url, json=[{"op": "set", "path": "PatientName",
                                             "value": "Large^File"}]).status_code == 200
            received = 0
            with client.stream("GET", url + "/file") as response:
                for chunk in response.iter_bytes():
                    received += len(chunk)
            assert received > size
            tail = client.get(url + "/bulk/7FE00010", headers={"range": "bytes=-1"})
            assert tail.content == b"\x7f"
    finally:
        stop.set()
        poller.join(timeout=30)
    peak = server.peak_rss_mib()
    print(f"\nserver peak RSS {peak:.0f} MiB for a {size >> 20} MiB file "
          f"(idle {baseline:.0f} MiB); slowest /healthz {slowest_health * 1000:.0f} ms")
    assert peak < 200, f"server peak RSS {peak:.0f} MiB (baseline {baseline:.0f} MiB)"
    assert slowest_health < 2.0, f"/healthz took {slowest_health:.2f} s during the upload"
