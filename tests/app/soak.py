"""Soak test: mixed traffic against two worker processes on loopback, bounded in time.

    python -m tests.app.soak [--seconds 600] [--concurrency 32]   (`make soak`)

Traffic: uploads for JSON, stored uploads, PATCHes that each append one item to a shared
instance (so a lost update shows as a missing item; the shared instances are replaced every
20 s so the workload does not grow), patched downloads, file downloads,
deletes, mutated uploads and clients that disconnect mid-upload. Checked at the end: no 5xx,
no lost update, no temporary file left behind, and server RSS after warm-up growing by less
than 10 %. Reported too, not checked: the latency of `/healthz` asked every 50 ms on a new
connection by a prober of its own (tests/app/probe.py) throughout. `tests/app/test_soak.py`
runs a short version in `make test`.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.scratch import leftovers as scratch_leftovers  # noqa: E402
from tests.app.probe import Prober  # noqa: E402
from tests.app.server import Server  # noqa: E402
from tests.corpus import PYDICOM_DATA  # noqa: E402

RAW = {"content-type": "application/dicom"}
SAMPLES = [PYDICOM_DATA / "test_files" / name for name in
           ("CT_small.dcm", "MR_small.dcm", "rtplan.dcm", "JPEG2000.dcm", "MR_small_implicit.dcm")]


_STORES = itertools.count(1)


def _unique(data: bytes) -> bytes:
    """The sample with a SOP Instance UID of its own (same length, so nothing else moves):
    the service keeps one instance per SOP Instance UID, and storing a sample again would
    replace the stored one."""
    import io

    from dicomcore import read_file

    uid = str(read_file(io.BytesIO(data), stop_before_pixels=True).SOPInstanceUID)
    return data.replace(uid.encode(), (uid[:-6] + f"{next(_STORES):06d}").encode())


@dataclass
class Report:
    requests: int = 0
    server_errors: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    appended: dict[str, set[str]] = field(default_factory=dict)
    rss_samples: list[tuple[float, float]] = field(default_factory=list)


def _rss_mib(server: Server) -> float:
    """Current RSS of the server's processes, summed (VmRSS)."""
    pid = server.process.pid
    pids = [pid]
    try:
        pids += [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        pass
    total = 0.0
    for each in pids:
        try:
            for line in Path(f"/proc/{each}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            pass
    return total


def _mutated(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        at = rng.randrange(len(out))
        out[at] = rng.randrange(256)
    return bytes(out[: rng.randint(1, len(out))])


async def _disconnect_mid_upload(port: int, route: str) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"POST {route} HTTP/1.1\r\nHost: soak\r\nContent-Type: application/dicom\r\n"
                 "Content-Length: 5000000\r\n\r\n".encode() + b"\0" * 100_000)
    await writer.drain()
    writer.transport.abort()  # gone before the body is complete


async def _worker(number: int, server: Server, deadline: float, shared: list[str],
                  report: Report, samples: dict[Path, bytes]) -> None:
    rng = random.Random(number)
    async with httpx.AsyncClient(base_url=server.url, timeout=120, trust_env=False) as client:
        owned: list[str] = []
        sequence = 0
        while time.monotonic() < deadline:
            action = rng.choices(["json", "store", "append", "patch", "download", "delete",
                                  "mutated", "disconnect"], [6, 3, 6, 3, 3, 1, 3, 1])[0]
            data = samples[rng.choice(SAMPLES)]
            try:
                if action == "json":
                    response = await client.post("/v1/json", content=data, headers=RAW)
                    expect = {200}
                elif action == "store":
                    response = await client.post("/v1/instances", content=_unique(data),
                                                 headers=RAW)
                    if response.status_code == 201:
                        owned.append(response.json()["id"])
                    expect = {201}
                elif action == "append":
                    target = rng.choice(shared)
                    sequence += 1
                    marker = f"W{number}-{sequence}"
                    response = await client.patch(f"/v1/instances/{target}", json=[
                        {"op": "append", "path": "OtherPatientIDsSequence",
                         "value": {"PatientID": marker}}])
                    if response.status_code == 200:
                        report.appended.setdefault(target, set()).add(marker)
                    expect = {200}
                elif action == "patch":
                    response = await client.post("/v1/patch", files={"file": ("f", data)},
                                                 data={"patch": json.dumps([{
                                                     "op": "set", "path": "PatientID",
                                                     "value": f"SOAK{number}"}])})
                    expect = {200}
                elif action == "download":
                    target = rng.choice(owned or shared)
                    response = await client.get(f"/v1/instances/{target}/file")
                    expect = {200}
                elif action == "delete":
                    if not owned:
                        continue
                    response = await client.delete(f"/v1/instances/{owned.pop()}")
                    expect = {204}
                elif action == "mutated":
                    response = await client.post("/v1/json", content=_mutated(data, rng),
                                                 headers=RAW)
                    expect = {200, 400}
                else:
                    await _disconnect_mid_upload(server.port, rng.choice(
                        ["/v1/json", "/v1/instances"]))
                    report.requests += 1
                    continue
            except httpx.HTTPError as exc:
                report.unexpected.append(f"{action}: {type(exc).__name__}: {exc}")
                continue
            report.requests += 1
            if response.status_code >= 500:
                report.server_errors.append(f"{action}: {response.status_code} {response.text}")
            elif response.status_code not in expect:
                report.unexpected.append(f"{action}: {response.status_code} "
                                         f"{response.text[:200]}")


async def _rotate_shared(server: Server, deadline: float, shared: list[str], data: bytes,
                         period: float = 20.0) -> None:
    """New instances for the appends every `period` seconds, so that the files being patched
    stay the same size all along and RSS measures the service, not a growing workload."""
    async with httpx.AsyncClient(base_url=server.url, timeout=60, trust_env=False) as client:
        while time.monotonic() + period < deadline:
            await asyncio.sleep(period)
            fresh = []
            for _ in range(len(shared)):
                response = await client.post("/v1/instances", content=_unique(data),
                                             headers=RAW)
                fresh.append(response.json()["id"])
            shared[:] = fresh


async def _sample_rss(server: Server, deadline: float, report: Report) -> None:
    started = time.monotonic()
    while time.monotonic() < deadline:
        report.rss_samples.append((time.monotonic() - started, _rss_mib(server)))
        await asyncio.sleep(1.0)


async def _run(server: Server, seconds: float, concurrency: int) -> Report:
    report = Report()
    samples = {path: path.read_bytes() for path in SAMPLES}
    async with httpx.AsyncClient(base_url=server.url, timeout=60, trust_env=False) as client:
        shared = []
        for _ in range(4):
            response = await client.post("/v1/instances", content=_unique(samples[SAMPLES[0]]),
                                         headers=RAW)
            shared.append(response.json()["id"])
    deadline = time.monotonic() + seconds
    await asyncio.gather(_sample_rss(server, deadline, report),
                         _rotate_shared(server, deadline, shared, samples[SAMPLES[0]]),
                         *(_worker(n, server, deadline, shared, report, samples)
                           for n in range(concurrency)))
    report.shared = shared  # type: ignore[attr-defined]
    return report


def lost_updates(server: Server, report: Report) -> list[str]:
    """Markers whose PATCH got 200 but that are not in the instance afterwards."""
    import io

    import pydicom

    missing = []
    with httpx.Client(base_url=server.url, timeout=60, trust_env=False) as client:
        for instance, markers in report.appended.items():
            data = client.get(f"/v1/instances/{instance}/file").content
            ds = pydicom.dcmread(io.BytesIO(data))
            present = {item.PatientID for item in ds.get("OtherPatientIDsSequence", [])}
            missing += sorted(markers - present)
    return missing


def soak(seconds: float, concurrency: int, storage: Path) -> dict[str, object]:
    """Run the soak; return the figures and the problems found (empty lists when clean)."""
    server = Server(storage, workers=2)
    try:
        prober = Prober(server.port)
        try:
            report = asyncio.run(_run(server, seconds, concurrency))
        finally:
            probes = prober.stop()
        time.sleep(1.0)  # let the last disconnected uploads be cleaned up
        leftovers = sorted({str(p) for p in storage.rglob("*.part")}
                           | {str(p) for p in scratch_leftovers(storage / "tmp")})
        missing = lost_updates(server, report)
    finally:
        server.stop()
    # Growth is the trend, not a spike: the median RSS of the window right after warm-up
    # (the first fifth of the run) against the median of the last window of the same length.
    rss = [value for _, value in report.rss_samples]
    window = max(1, len(rss) // 10)
    warm = max(1, len(rss) // 5)
    early = sorted(rss[warm:warm + window]) or sorted(rss) or [0.0]
    late = sorted(rss[-window:]) or [0.0]
    after_warm_up = early[len(early) // 2]
    at_end = late[len(late) // 2]
    growth = (at_end - after_warm_up) / after_warm_up if after_warm_up else 0.0
    return {"seconds": seconds, "concurrency": concurrency, "requests": report.requests,
            "server_errors": report.server_errors[:20], "unexpected": report.unexpected[:20],
            "lost_updates": missing, "leftover_files": leftovers[:20],
            "patched_items": sum(len(m) for m in report.appended.values()),
            "rss_after_warm_up_mib": round(after_warm_up, 1), "rss_at_end_mib": round(at_end, 1),
            "rss_peak_mib": round(max(rss, default=0.0), 1), "rss_growth": round(growth, 4),
            "healthz_probes": len(probes.latencies), "healthz_failed": probes.failures,
            "healthz_p50_ms": round(probes.percentile_ms(0.5), 1),
            "healthz_p99_ms": round(probes.percentile_ms(0.99), 1),
            "healthz_max_ms": round(probes.percentile_ms(1.0), 1),
            "healthz_over_100_ms": len(probes.over(0.1))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = soak(args.seconds, args.concurrency, Path(tmp) / "data")
    print(json.dumps(result, indent=2))
    clean = not (result["server_errors"] or result["unexpected"] or result["lost_updates"]
                 or result["leftover_files"]) and result["rss_growth"] < 0.10
    print("soak: " + ("clean" if clean else "PROBLEMS FOUND"))
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
