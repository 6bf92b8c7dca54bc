"""Index and object-storage benchmark (issue 13): one run, side by side, printed figures.

1. Listing and filtering at N indexed instances (synthetic rows, default 100,000) on SQLite
   and on PostgreSQL (Debian's, started here in a temporary directory): p50 and p99 of a
   page of 100 for each kind of filter (none, a study UID, a modality, a name prefix, a date
   range, a patient ID), the count of the page included, as `GET /v1/instances` runs them,
   with the load average, and PostgreSQL's own time for each kind of statement (EXPLAIN
   ANALYZE) to tell the query from the machine's load. `BENCH_PARTS=1` runs this part alone.
2. Store and download throughput through the service (`python -m app`, 1 worker) on the
   file backend and on S3 (moto_server, and nanio where installed, on loopback), all with the
   SQLite index: BENCH_STORE_COUNT files of BENCH_STORE_MIB MiB each, one client.
3. A 1 GiB instance on S3: benchmarks/s3.py (`make bench-s3`), on moto and on nanio.
4. The S3 client choice: 64 KiB and 1 MiB ranged GETs through boto3 and through obstore.

Run with `make bench-index` (or `python benchmarks/index.py`); BENCH_INSTANCES,
BENCH_STORE_COUNT and BENCH_STORE_MIB change the sizes, BENCH_PARTS (default "1,2,4") the
parts that run.
"""

from __future__ import annotations

import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.index import Index, KeyAttributes, Record, Row, connect  # noqa: E402
from tests.app.server import Server  # noqa: E402
from tests.app.services import (  # noqa: E402
    S3_ENV,
    MotoServer,
    NanioServer,
    PostgresCluster,
    find_moto,
    find_nanio,
    find_postgres,
)
from tests.bigfile import write_multiframe  # noqa: E402

INSTANCES = int(os.environ.get("BENCH_INSTANCES", "100000"))
STORE_COUNT = int(os.environ.get("BENCH_STORE_COUNT", "20"))
STORE_MIB = int(os.environ.get("BENCH_STORE_MIB", "8"))
QUERIES = 200
MODALITIES = ["CT", "MR", "US", "CR", "DX", "MG", "PT", "NM"]
NAMES = ["Smith", "Jones", "Müller", "Garcia", "Doe", "Kim", "Rossi", "Novak", "Dubois", "Tan"]


def synthetic_rows(count: int) -> list[Row]:
    """Instances of studies of 2-4 series of 10-50 instances each, with realistic spreads."""
    rng = random.Random(13)
    rows: list[Row] = []
    study = 0
    while len(rows) < count:
        study += 1
        patient = rng.randrange(count // 40 + 1)
        name = f"{rng.choice(NAMES)}^{rng.choice(NAMES)}{patient}"
        date = f"20{rng.randrange(10, 25)}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}"
        for series in range(rng.randrange(2, 5)):
            modality = rng.choice(MODALITIES)
            for number in range(rng.randrange(10, 51)):
                n = len(rows)
                attributes = KeyAttributes(
                    patient_id=f"P{patient}", patient_name=name, patient_sex="O",
                    study_instance_uid=f"1.2.826.0.1.{study}", study_date=date,
                    accession_number=f"A{study}", modality=modality,
                    series_instance_uid=f"1.2.826.0.1.{study}.{series}",
                    series_number=series + 1, sop_instance_uid=f"1.2.826.0.1.{study}.{series}."
                    f"{number}", sop_class_uid="1.2.840.10008.5.1.4.1.1.2",
                    instance_number=number + 1, rows=512, columns=512)
                rows.append(Row(Record(f"{n:022d}", attributes, 500_000, f'"{n}"',
                                       1.7e9 + n, 1.7e9 + n), f"{n:022d}.dcm"))
                if len(rows) == count:
                    return rows
    return rows


def query_mix(rows: list[Row]) -> dict[str, list[dict[str, str]]]:
    rng = random.Random(7)
    sample = [rng.choice(rows).record.attributes for _ in range(QUERIES)]
    return {
        "no filter": [{} for _ in sample],
        "StudyInstanceUID": [{"StudyInstanceUID": a.study_instance_uid or ""} for a in sample],
        "Modality": [{"Modality": a.modality or ""} for a in sample],
        "PatientName prefix": [{"PatientName": (a.patient_name or "")[:4].lower() + "*"}
                               for a in sample],
        "StudyDate range": [{"StudyDate": f"{a.study_date[:6]}01-{a.study_date[:6]}28"}
                            for a in sample if a.study_date],
        "PatientID": [{"PatientID": a.patient_id or ""} for a in sample],
    }


def bench_index(name: str, url: str, rows: list[Row]) -> None:
    db = connect(url, 2)
    index = Index(db)
    started = time.perf_counter()
    for start in range(0, len(rows), 10_000):
        index.insert_many(rows[start:start + 10_000])
    print(f"  {name}: {len(rows):,} rows indexed in {time.perf_counter() - started:.1f} s, "
          f"then {analyze(index)}; load average {os.getloadavg()[0]:.1f}")
    for kind, queries in query_mix(rows).items():
        index.page(queries[0], 0, 100)  # warm
        times = []
        for matches in queries:
            started = time.perf_counter()
            index.page(matches, rng_offset(matches), 100)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
        print(f"    {kind:20} p50 {statistics.median(times):6.2f} ms   p99 {p99:6.2f} ms"
              + server_time(index, queries[:5]))
    print(f"    load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    db.close()


def server_time(index: Index, queries: list[dict[str, str]]) -> str:
    """PostgreSQL's own time for a page's statement (planning + execution by EXPLAIN
    ANALYZE, the fastest of these queries, each run three times: the least disturbed by
    other work on the machine): what the query costs; the rest of a p50 is the round trip
    and, on a loaded machine, waiting for a core."""
    if index.db.dialect != "postgresql":
        return ""
    times = []
    for matches in queries * 3:
        sql, params = index.page_query(matches, rng_offset(matches), 100)
        lines = [line for (line,) in index.db.read("EXPLAIN (ANALYZE, TIMING OFF) " + sql,
                                                  params)]
        times.append(sum(float(line.split()[-2]) for line in lines
                         if line.startswith(("Planning Time", "Execution Time"))))
    return f"   (in the server: {min(times):5.2f} ms at best)"


def analyze(index: Index) -> str:
    """What a database does after a bulk load on its own, done now: statistics (both), and
    on PostgreSQL the visibility map that lets a count read an index alone (autovacuum sets
    it after inserts; VACUUM here). The CHECKPOINT first: the test cluster commits
    asynchronously, and VACUUM cannot mark a page all-visible before the commits of its
    rows are flushed (a production server commits synchronously)."""
    if index.db.dialect == "postgresql":
        import psycopg

        with psycopg.connect(index.db.pool.conninfo, autocommit=True) as connection:  # type: ignore[attr-defined]
            connection.execute("CHECKPOINT")
            connection.execute("VACUUM ANALYZE instances")
            pages, visible = connection.execute(
                "SELECT relpages, relallvisible FROM pg_class WHERE relname = 'instances'"
            ).fetchone()
        return (f"VACUUM ANALYZE (as autovacuum would; {visible:,} of {pages:,} pages "
                "all-visible)")
    with index.db.transaction(write=True) as tx:
        tx.run("ANALYZE")
    return "ANALYZE (statistics, as a production index gathers them)"


def rng_offset(matches: dict[str, str]) -> int:
    return 0 if matches else 5000  # the unfiltered listing a few pages in


def distinct_copy(source: Path, target: Path, n: int) -> None:
    """The file with its SOP Instance UID's last digits made `n` (same length)."""
    shutil.copyfile(source, target)
    with open(target, "r+b") as fp:
        head = fp.read(4096)
        fp.seek(0)
        fp.write(head.replace(b"1125.1.99999", b"1125.1.%05d" % n))


def bench_store(name: str, server: Server, files: list[Path]) -> str:
    total = sum(f.stat().st_size for f in files)
    ids = []
    with httpx.Client(base_url=server.url, timeout=600) as client:
        started = time.perf_counter()
        for path in files:
            with open(path, "rb") as fp:
                response = client.post("/v1/instances", content=fp,
                                       headers={"content-type": "application/dicom"})
            assert response.status_code == 201, response.text
            ids.append(response.json()["id"])
        stored = time.perf_counter() - started
        started = time.perf_counter()
        for instance_id in ids:
            with client.stream("GET", f"/v1/instances/{instance_id}/file") as response:
                for _ in response.iter_bytes(1 << 20):
                    pass
        fetched = time.perf_counter() - started
    mib = total / (1 << 20)
    return (f"  {name:8} store {mib / stored:7.1f} MiB/s   download {mib / fetched:7.1f} MiB/s"
            f"   ({len(files)} x {STORE_MIB} MiB; server peak RSS "
            f"{server.peak_rss_mib():.0f} MiB)")


def main() -> int:
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}")
    work = Path(tempfile.mkdtemp(prefix="dicomcore-bench-index-"))
    cluster = moto = None
    try:
        pg_bin, moto_bin = find_postgres(), find_moto()
        if pg_bin is None or moto_bin is None:
            print("needs Debian's postgresql and moto[server] (make installs the test extra)")
            return 1
        cluster, moto = PostgresCluster(pg_bin), MotoServer(moto_bin)
        os.environ.update(S3_ENV)
        parts = os.environ.get("BENCH_PARTS", "1,2,4").split(",")
        if "1" in parts:
            bench_listing(cluster, work)
        if "2" in parts:
            bench_throughput(moto, work)
        if "4" in parts:
            bench_clients(moto)
    finally:
        if moto is not None:
            moto.stop()
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


def bench_clients(moto: MotoServer) -> None:
    """The S3 client choice: the same ranged GETs through boto3 and through obstore."""
    import boto3
    import obstore
    from obstore.store import S3Store

    print("\n4. S3 clients, ranged GETs of an 8 MiB object (two rounds each)")
    bucket = moto.bucket()
    client = boto3.client("s3", endpoint_url=moto.url, region_name="us-east-1")
    data = os.urandom(8 << 20)
    client.put_object(Bucket=bucket, Key="object", Body=data)
    store = S3Store(bucket, endpoint=moto.url, region="us-east-1", access_key_id="testing",
                    secret_access_key="testing", client_options={"allow_http": True})

    def with_boto3(start: int, end: int) -> bytes:
        return client.get_object(Bucket=bucket, Key="object",
                                 Range=f"bytes={start}-{end - 1}")["Body"].read()

    def with_obstore(start: int, end: int) -> bytes:
        return bytes(obstore.get_range(store, "object", start=start, end=end))

    assert with_boto3(10, 20) == with_obstore(10, 20) == data[10:20]
    for _ in range(2):
        for name, get in (("boto3", with_boto3), ("obstore", with_obstore)):
            times = []
            for n in range(100):
                started = time.perf_counter()
                get(n << 16, (n + 1) << 16)
                times.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            for n in range(8):
                get(n << 20, (n + 1) << 20)
            rate = 8 / (time.perf_counter() - started)
            print(f"  {name:8} 64 KiB GET p50 {statistics.median(times):5.2f} ms   "
                  f"1 MiB GETs {rate:5.0f} MiB/s")


def bench_listing(cluster: PostgresCluster, work: Path) -> None:
    print(f"\n1. listing at {INSTANCES:,} instances, pages of 100 ({QUERIES} queries each)")
    rows = synthetic_rows(INSTANCES)
    bench_index("SQLite", f"sqlite:///{work / 'bench.sqlite3'}", rows)
    bench_index("PostgreSQL", cluster.database(), rows)


def bench_throughput(moto: MotoServer, work: Path) -> None:
    print("\n2. store and download through the service (1 worker, SQLite index)")
    big = work / "big.dcm"
    write_multiframe(big, STORE_MIB << 20, sparse=False)
    files = []
    for n in range(STORE_COUNT):
        files.append(work / f"f{n}.dcm")
        distinct_copy(big, files[-1], n)
    nanio_bin = find_nanio()
    nanio = NanioServer(nanio_bin) if nanio_bin else None  # `make bench-index` installs it
    try:
        for name, s3 in (("file", None), ("s3/moto", moto), ("s3/nanio", nanio)):
            if name != "file" and s3 is None:
                print(f"  {name}: not installed")
                continue
            env = ({"DICOMCORE_STORAGE_URL": f"s3://{s3.location()}",
                    "DICOMCORE_S3_ENDPOINT_URL": s3.url} if s3 else {})
            (work / name.replace("/", "-")).mkdir()
            server = Server(work / name.replace("/", "-") / "data", **env)
            try:
                print(bench_store(name, server, files))
            finally:
                server.stop()
    finally:
        if nanio is not None:
            nanio.stop()
    for path in files + [big]:
        path.unlink()


if __name__ == "__main__":
    sys.exit(main())
