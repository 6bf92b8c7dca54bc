"""DICOMweb benchmark: this service beside Orthanc + its DICOMweb plugin, on the same files.

Starts on loopback this service (`python -m app`, one worker, SQLite index) and Debian's
Orthanc with `orthanc-dicomweb` (4 HTTP threads), then, for each, with one keep-alive client:

1. STOW-RS: BENCH_INSTANCES (10,000) instances made from pydicom's MR_small.dcm (10 KB) with
   UIDs of their own, in requests of 50: instances/s over the whole load. One series holds
   500 of them; the rest are 2 series of 50 per study, 96 studies in all.
2. QIDO-RS study searches at that size, as OHIF's study list sends them (limit=101,
   includefield=00081030,00080060): all studies, a patient name prefix, a date range; p50
   and p99 over BENCH_QUERIES (300) requests.
3. WADO-RS metadata of the 500-instance series: the first request, and the median of 5
   more (the service keeps what it rendered per instance version; Orthanc reads its files).
4. Frames: `frames/1` of 300 instances with `transfer-syntax=*`: p50 and frames/s.

The peak RSS (VmHWM) of each server over the whole run is printed, with the machine's cores
and load average before and after. Run with `make bench` or `python benchmarks/dicomweb.py`.
"""

from __future__ import annotations

import io
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dicomcore import dcmread, write_file  # noqa: E402
from tests.app.orthanc import (  # noqa: E402
    dicomweb_plugin,
    free_port,
    orthanc_binary,
    write_config,
)
from tests.app.server import peak_rss_mib, stop  # noqa: E402
from tests.corpus import PYDICOM_DATA  # noqa: E402

INSTANCES = int(os.environ.get("BENCH_INSTANCES", "10000"))
QUERIES = int(os.environ.get("BENCH_QUERIES", "300"))
BATCH = 50
BIG_SERIES = 500
BOUNDARY = "benchmark-boundary"
OCTETS_ANY = 'multipart/related; type="application/octet-stream"; transfer-syntax=*'


def make_instances(count: int) -> tuple[list[bytes], tuple[str, str], list[tuple[str, str, str]]]:
    """The files, the (study, series) of the big series, and each file's UIDs."""
    ds = dcmread(PYDICOM_DATA / "test_files" / "MR_small.dcm")
    files, uids = [], []
    big = ("2.25.1000", "2.25.1000.1")
    for n in range(count):
        if n < BIG_SERIES:
            study, series = big
        else:
            rest = n - BIG_SERIES
            study = f"2.25.{2000 + rest // 100}"
            series = f"{study}.{1 + (rest // 50) % 2}"
        sop = f"2.25.9{n:08d}"
        ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID = study, series, sop
        ds.file_meta.MediaStorageSOPInstanceUID = sop
        ds.PatientName = f"Patient{int(study.split('.')[-1]) % 97:02d}^Bench"
        ds.PatientID = f"ID{study.split('.')[-1]}"
        ds.StudyDate = f"2024{1 + int(study.split('.')[-1]) % 12:02d}15"
        out = io.BytesIO()
        write_file(out, ds)
        files.append(out.getvalue())
        uids.append((study, series, sop))
    return files, big, uids


def stow_body(files: list[bytes]) -> bytes:
    return b"".join(f"--{BOUNDARY}\r\nContent-Type: application/dicom\r\n\r\n".encode() + f
                    + b"\r\n" for f in files) + f"--{BOUNDARY}--\r\n".encode()


def wait(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{process.args[0]} exited:\n{log.read_text(errors='replace')}")
        try:
            if httpx.get(url, timeout=1, trust_env=False).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer")


def start_service(tmp: Path) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DICOMCORE_")}
    env.update(DICOMCORE_STORAGE_DIR=str(tmp / "dicomcore"), DICOMCORE_PORT=str(port),
               DICOMCORE_LOG_LEVEL="warning", DICOMCORE_MAX_UPLOAD_BYTES=str(1 << 30))
    log = tmp / "dicomcore.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "app"], cwd=ROOT, env=env,
                                   stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    wait(url + "/healthz", process, log)
    return url + "/dicomweb", process


def start_orthanc(tmp: Path) -> tuple[str, subprocess.Popen[bytes]] | None:
    binary, plugin = orthanc_binary(), dicomweb_plugin()
    if binary is None or plugin is None:
        print("Orthanc or orthanc-dicomweb is not installed: its rows are skipped")
        return None
    home = tmp / "orthanc"
    home.mkdir()
    port = free_port()
    write_config(home, port, plugins=(plugin,), extra={"DicomWeb": {"Enable": True,
                                                                      "Root": "/dicom-web/"}})
    log = home / "orthanc.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([binary, "--no-jobs", str(home / "config.json")], cwd=home,
                                   stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    wait(url + "/system", process, log)
    return url + "/dicom-web", process


def timed(call: Callable[[], httpx.Response]) -> float:
    start = time.perf_counter()
    answer = call()
    elapsed = time.perf_counter() - start
    if answer.status_code not in (200, 202):
        raise SystemExit(f"{answer.request.url}: {answer.status_code} {answer.text[:300]}")
    return elapsed


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(name: str, base: str, process: subprocess.Popen[bytes], files: list[bytes],
        big: tuple[str, str], uids: list[tuple[str, str, str]]) -> dict[str, float]:
    result: dict[str, float] = {}
    headers = {"content-type": f'multipart/related; type="application/dicom"; '
                               f"boundary={BOUNDARY}"}
    with httpx.Client(timeout=600, trust_env=False) as http:
        start = time.perf_counter()
        for first in range(0, len(files), BATCH):
            timed(lambda first=first: http.post(base + "/studies", headers=headers,
                                                content=stow_body(files[first:first + BATCH])))
        result["stow_per_s"] = len(files) / (time.perf_counter() - start)
        found = http.get(base + "/studies", params={"limit": "1000"}).json()
        result["studies"] = len(found)
        queries = ["limit=101&offset=0&includefield=00081030%2C00080060",
                   "limit=101&offset=0&includefield=00081030%2C00080060&PatientName=Patient1*",
                   "limit=101&offset=0&includefield=00081030%2C00080060&StudyDate=20240301-"
                   "20240630"]
        times = [timed(lambda q=queries[i % 3]: http.get(f"{base}/studies?{q}",
                                                         headers={"accept": "application/dicom+json"}))
                 for i in range(QUERIES)]
        result["qido_p50_ms"] = percentile(times, 0.5) * 1000
        result["qido_p99_ms"] = percentile(times, 0.99) * 1000
        metadata = [timed(lambda: http.get(f"{base}/studies/{big[0]}/series/{big[1]}/metadata"))
                    for _ in range(6)]
        result["metadata_cold_s"] = metadata[0]
        result["metadata_s"] = statistics.median(metadata[1:])
        picked = random.Random(1).sample(uids, min(300, len(uids)))
        start = time.perf_counter()
        frames = [timed(lambda u=u: http.get(
            f"{base}/studies/{u[0]}/series/{u[1]}/instances/{u[2]}/frames/1",
            headers={"accept": OCTETS_ANY})) for u in picked]
        result["frames_per_s"] = len(picked) / (time.perf_counter() - start)
        result["frame_p50_ms"] = percentile(frames, 0.5) * 1000
    result["peak_rss_mib"] = peak_rss_mib(process.pid)
    return result


ROWS = [("STOW-RS instances/s", "stow_per_s", True, "{:.0f}"),
        ("QIDO-RS study search p50 (ms)", "qido_p50_ms", False, "{:.1f}"),
        ("QIDO-RS study search p99 (ms)", "qido_p99_ms", False, "{:.1f}"),
        (f"series metadata, {BIG_SERIES} instances, first (s)", "metadata_cold_s", False,
         "{:.2f}"),
        (f"series metadata, {BIG_SERIES} instances, again (s)", "metadata_s", False, "{:.3f}"),
        ("frames/s (frames/1, one client)", "frames_per_s", True, "{:.0f}"),
        ("frame p50 (ms)", "frame_p50_ms", False, "{:.1f}"),
        ("server peak RSS (MiB)", "peak_rss_mib", False, "{:.0f}")]


def main() -> None:
    print(f"machine: {os.cpu_count()} cores, load average before "
          f"{os.getloadavg()[0]:.2f}; {INSTANCES} instances of MR_small.dcm")
    files, big, uids = make_instances(INSTANCES)
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-dicomweb-") as folder:
        tmp = Path(folder)
        for name, starter in (("dicomcore", start_service), ("orthanc", start_orthanc)):
            started = starter(tmp)
            if started is None:
                continue
            base, process = started
            try:
                results[name] = run(name, base, process, files, big, uids)
            finally:
                stop(process)
            print(f"{name}: {results[name]}", flush=True)
    print(f"load average after {os.getloadavg()[0]:.2f}")
    print(f"\n| {'measure':46} | dicomcore | Orthanc + DICOMweb | ratio |")
    print(f"| {'-' * 46} | --------- | ------------------ | ----- |")
    for label, key, higher, fmt in ROWS:
        ours = results.get("dicomcore", {}).get(key)
        theirs = results.get("orthanc", {}).get(key)
        ratio = ""
        if ours and theirs:
            ratio = f"{(ours / theirs if higher else theirs / ours):.2f}x"
        print(f"| {label:46} | {fmt.format(ours) if ours is not None else '-':>9} | "
              f"{fmt.format(theirs) if theirs is not None else '-':>18} | {ratio:>5} |")
    print("\nratio: how many times better dicomcore is (above 1: ahead of Orthanc)")


if __name__ == "__main__":
    main()
