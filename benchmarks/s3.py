"""A large instance on S3, on two S3 servers side by side (issue 13): printed figures.

moto_server keeps objects in memory and copies the whole object to answer any ranged GET, so
a header read of a 1 GiB object costs what that copy costs; nanio keeps objects as files and a
ranged GET reads its range, as MinIO and AWS do. On each server: a BENCH_BIG_MIB (default
1024) MiB instance stored through the service (`python -m app`, 1 worker, SQLite index), then

- its header JSON (`GET /v1/instances/{id}`, pixel data as a BulkDataURI): p50 and max of
  BENCH_JSON_ROUNDS (default 20) requests;
- 64 KiB Ranges of its pixel data (the bulk route) at its start, middle and end;
- the server's peak RSS over all of it;
- in this process, what the header read costs: the GETs and bytes the reader fetches and the
  time, and one 64 KiB ranged GET of the object from the server alone.

Run with `make bench-s3` (it installs nanio in .venv-nanio); BENCH_S3_SERVERS (default
"moto,nanio") and BENCH_BIG_MIB change what runs.
"""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.app.server import Server  # noqa: E402
from tests.app.services import (  # noqa: E402
    MotoServer,
    NanioServer,
    S3Server,
    find_moto,
    find_nanio,
)
from tests.bigfile import write_multiframe  # noqa: E402

BIG_MIB = int(os.environ.get("BENCH_BIG_MIB", "1024"))
JSON_ROUNDS = int(os.environ.get("BENCH_JSON_ROUNDS", "20"))
SERVERS = {"moto": (find_moto, MotoServer), "nanio": (find_nanio, NanioServer)}


def bench_big(server: Server, path: Path) -> str:
    """Store, header JSON, ranges through the service; the new instance's id."""
    with httpx.Client(base_url=server.url, timeout=3600) as client:
        started = time.perf_counter()
        with open(path, "rb") as fp:
            response = client.post("/v1/instances", content=fp,
                                   headers={"content-type": "application/dicom"})
        assert response.status_code == 201, response.text
        instance_id = response.json()["id"]
        print(f"  store {path.stat().st_size / (1 << 20):.0f} MiB: "
              f"{time.perf_counter() - started:.1f} s")
        times = []
        for _ in range(JSON_ROUNDS):
            started = time.perf_counter()
            model = client.get(f"/v1/instances/{instance_id}")
            times.append((time.perf_counter() - started) * 1000)
            assert model.status_code == 200
        uri = model.json()["7FE00010"]["BulkDataURI"]
        print(f"  header JSON: p50 {statistics.median(times):.1f} ms, max {max(times):.1f} ms "
              f"({JSON_ROUNDS} requests, {len(model.content)} bytes)")
        times = []
        for offset in (0, (BIG_MIB << 20) // 2, (BIG_MIB << 20) - (1 << 20)):
            started = time.perf_counter()
            part = client.get(uri, headers={"range": f"bytes={offset}-{offset + 65535}"})
            times.append((time.perf_counter() - started) * 1000)
            assert part.status_code == 206 and len(part.content) == 65536
        print(f"  64 KiB ranges of its pixel data (start, middle, end): "
              f"{', '.join(f'{t:.1f}' for t in times)} ms")
    print(f"  server peak RSS over store, JSON and ranges: {server.peak_rss_mib():.0f} MiB")
    return instance_id


def bench_big_in_process(s3: S3Server, location: str, key: str, size: int,
                         local: Path) -> None:
    """What the service's reader fetches for the header of the big object, and what one
    ranged GET of that object costs on this S3 server."""
    from app.storage.s3 import S3Blobs
    from dicomcore import read_file

    bucket, _, prefix = location.partition("/")
    blobs = S3Blobs(bucket, prefix, s3.url, local)
    times = []
    for _ in range(5):
        started = time.perf_counter()
        with blobs.open(key, size) as fp:
            read_file(fp, defer_size=64 * 1024).close()
            raw = fp.raw  # type: ignore[attr-defined]
        times.append((time.perf_counter() - started) * 1000)
    gets = []
    for _ in range(5):
        started = time.perf_counter()
        blobs.client.get_object(Bucket=bucket, Key=blobs.prefix + key,
                                Range="bytes=0-65535")["Body"].read()
        gets.append((time.perf_counter() - started) * 1000)
    print(f"  in process: a header read = {raw.fetches} GET(s), {raw.fetched / 1024:.0f} KiB, "
          f"p50 {statistics.median(times):.1f} ms; one 64 KiB ranged GET of the object "
          f"from the server alone: p50 {statistics.median(gets):.1f} ms")


def bench_server(name: str, s3: S3Server, big: Path, work: Path) -> None:
    print(f"\n{name}: a {BIG_MIB} MiB instance on S3")
    location = s3.location()
    (work / name).mkdir()
    server = Server(work / name / "data", DICOMCORE_STORAGE_URL=f"s3://{location}",
                    DICOMCORE_S3_ENDPOINT_URL=s3.url, DICOMCORE_MAX_UPLOAD_BYTES=str(4 << 30))
    try:
        instance_id = bench_big(server, big)
    finally:
        server.stop()
    bucket, _, prefix = location.partition("/")
    listed = s3.client().list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    key = next(item["Key"].rsplit("/", 1)[-1] for item in listed
               if item["Key"].rsplit("/", 1)[-1].startswith(instance_id))
    bench_big_in_process(s3, location, key, big.stat().st_size, work / name / "local")


def main() -> int:
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}; load average {os.getloadavg()[0]:.2f}")
    work = Path(tempfile.mkdtemp(prefix="dicomcore-bench-s3-"))
    try:
        big = work / "big.dcm"
        write_multiframe(big, BIG_MIB << 20, sparse=True)
        for name in os.environ.get("BENCH_S3_SERVERS", "moto,nanio").split(","):
            find, start = SERVERS[name]
            program = find()
            if program is None:
                print(f"\n{name}: not installed (make bench-s3 installs both)")
                continue
            s3 = start(program)
            os.environ.update(s3.env)
            try:
                bench_server(name, s3, big, work)
            finally:
                s3.stop()
        print(f"\nload average after: {os.getloadavg()[0]:.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
