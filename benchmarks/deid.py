"""De-identification benchmark: files/s on pydicom's corpus, and what each tool left behind.

Tools, side by side, one run each over the same files (held in memory, so the disk is not
measured):

- dicomcore, in process: read, `dicomcore.deid.deidentify` (basic profile), write, with one
  `Keyed` for the run (as the CLI and the study route make it);
- dicognito (PyPI), in process: pydicom's dcmread, `Anonymizer.anonymize`, save_as, with one
  `Anonymizer` for the run (its own way to stay consistent across files);
- dicomcore's service over HTTP: POST /v1/deidentify, one request at a time;
- Orthanc (Debian's package) over HTTP: POST /instances/{id}/anonymize, one at a time (the
  upload beforehand is not timed).

The files are pydicom's corpus (tests/corpus.py) as dicomcore and pydicom both read it, with
a sentinel planted in every free-text value of every element PS3.15 Table E.1-1 names and
every private element, at every depth, plus a patient, a private block and a nested
identifier. For each tool the benchmark counts the files in whose output any of these
sentinels survives (the profile says each of them must go).

Last, dicomcore's time per file in each step (read, `deidentify`, write), the best of 10
rounds, and the load average the figures were measured under.

Run with `make bench` or `python benchmarks/deid.py`; the servers listen on 127.0.0.1 only
and are stopped by their pid.
"""

from __future__ import annotations

import io
import os
import platform
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dicomcore import read_file, write_file  # noqa: E402
from dicomcore.deid import Keyed, deidentify  # noqa: E402
from tests.app.orthanc import free_port, orthanc_binary, write_config  # noqa: E402
from tests.app.server import Server, stop  # noqa: E402
from tests.corpus import READABLE  # noqa: E402
from tests.deid_planting import SENTINEL, Planter  # noqa: E402

KEY = "benchmark key"
TIMEOUT = 60.0


def corpus() -> list[tuple[str, bytes]]:
    """(name, planted file) for the corpus files dicomcore and pydicom both read."""
    import pydicom

    files = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for path in READABLE:
            try:
                ds = read_file(path)
                planter = Planter(named_only=True)
                planter.plant(ds)
                planter.extras(ds)
                out = io.BytesIO()
                write_file(out, ds, write_like_original=True)
                pydicom.dcmread(io.BytesIO(out.getvalue()))
            except Exception:  # noqa: BLE001 - a file one of the readers refuses is left out
                continue
            files.append((path.name, out.getvalue()))
    return files


def dicomcore_tool() -> Callable[[bytes], bytes]:
    keyed = Keyed(KEY)

    def run(data: bytes) -> bytes:
        ds = read_file(io.BytesIO(data))
        deidentify(ds, key=keyed, allow_burned_in=True)
        out = io.BytesIO()
        write_file(out, ds, write_like_original=True)
        return out.getvalue()

    return run


def dicomcore_phases(files: list[tuple[str, bytes]], rounds: int = 10
                     ) -> tuple[float, float, float]:
    """Milliseconds per file of dicomcore's read, `deidentify` and write, each the best of
    `rounds` rounds (the least disturbed by other work on the machine)."""
    keyed = Keyed(KEY)
    best = [float("inf")] * 3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(rounds):
            spent = [0.0, 0.0, 0.0]
            for _, data in files:
                start = time.perf_counter()
                ds = read_file(io.BytesIO(data))
                read = time.perf_counter()
                deidentify(ds, key=keyed, allow_burned_in=True)
                done = time.perf_counter()
                write_file(io.BytesIO(), ds, write_like_original=True)
                end = time.perf_counter()
                spent[0] += read - start
                spent[1] += done - read
                spent[2] += end - done
            best = [min(b, s) for b, s in zip(best, spent, strict=True)]
    read_ms, deid_ms, write_ms = (1000 * b / len(files) for b in best)
    return read_ms, deid_ms, write_ms


def dicognito_tool() -> Callable[[bytes], bytes]:
    import pydicom
    from dicognito.anonymizer import Anonymizer

    anonymizer = Anonymizer(seed=KEY)

    def run(data: bytes) -> bytes:
        ds = pydicom.dcmread(io.BytesIO(data))
        anonymizer.anonymize(ds)
        out = io.BytesIO()
        ds.save_as(out)
        return out.getvalue()

    return run


def timed(tool: Callable[[bytes], bytes], files: list[tuple[str, bytes]]
          ) -> tuple[float, float, int, int]:
    """(files/s by the wall clock, files/s by this process's CPU time, files processed,
    files with a sentinel left). CPU time is what an in-process tool costs whatever else
    runs on the machine; for a server over HTTP it counts only the client."""
    outputs = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start, cpu = time.perf_counter(), time.process_time()
        for _, data in files:
            try:
                outputs.append(tool(data))
            except Exception:  # noqa: BLE001 - counted as not processed
                continue
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    leaks = sum(1 for out in outputs if SENTINEL.search(out))
    return len(outputs) / elapsed, len(outputs) / cpu, len(outputs), leaks


def service_tool(client: httpx.Client, url: str) -> Callable[[bytes], bytes]:
    def run(data: bytes) -> bytes:
        response = client.post(f"{url}/v1/deidentify?allow_burned_in=true", content=data,
                               headers={"content-type": "application/dicom"})
        response.raise_for_status()
        return response.content

    return run


def orthanc_run(files: list[tuple[str, bytes]], home: Path
                ) -> tuple[float, float, int, int] | None:
    binary = orthanc_binary()
    if binary is None:
        return None
    import subprocess

    home.mkdir()
    port = free_port()
    config = write_config(home, port)
    url = f"http://127.0.0.1:{port}"
    with open(home / "orthanc.log", "wb") as log:
        process = subprocess.Popen([binary, "--no-jobs", str(config)], stdout=log,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        with httpx.Client(timeout=TIMEOUT, trust_env=False) as client:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if client.get(url + "/system").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("Orthanc did not start")
                time.sleep(0.2)
            ids = {}
            for name, data in files:
                answer = client.post(url + "/instances", content=data)
                if answer.status_code == 200:
                    ids[name] = answer.json()["ID"]
            stored = [(ids[name], data) for name, data in files if name in ids]

            def run(instance: bytes) -> bytes:
                response = client.post(f"{url}/instances/{instance.decode()}/anonymize",
                                       json={"Force": True})
                response.raise_for_status()
                return response.content

            return timed(run, [(i, i.encode()) for i, _ in stored])
    finally:
        stop(process)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def main() -> None:
    files = corpus()
    print(f"corpus: {len(files)} files of pydicom's corpus, "
          f"{sum(len(d) for _, d in files) / 1e6:.1f} MB, sentinels planted; {machine()}")
    rows: dict[str, tuple[float, float, int, int] | None] = {
        "dicomcore (in process)": timed(dicomcore_tool(), files),
        "dicognito (in process)": timed(dicognito_tool(), files),
    }
    with tempfile.TemporaryDirectory(dir=ROOT) as name:
        tmp = Path(name)
        server = Server(tmp / "data", DICOMCORE_DEID_KEY=KEY)
        try:
            with httpx.Client(timeout=TIMEOUT, trust_env=False) as client:
                rows["dicomcore service (HTTP)"] = timed(service_tool(client, server.url),
                                                         files)
        finally:
            server.stop()
        rows["Orthanc /anonymize (HTTP)"] = orthanc_run(files, tmp / "orthanc")
    print(f"{'tool':<28}{'files/s':>10}{'files/s (CPU)':>15}{'files':>7}"
          f"{'with a sentinel left':>22}")
    for tool, row in rows.items():
        if row is None:
            print(f"{tool:<28}{'not installed':>10}")
            continue
        rate, cpu_rate, done, leaks = row
        cpu = f"{cpu_rate:.1f}" if "in process" in tool else "-"
        print(f"{tool:<28}{rate:>10.1f}{cpu:>15}{done:>7}{leaks:>22}")
    ours, theirs = rows["dicomcore (in process)"], rows["dicognito (in process)"]
    assert ours is not None and theirs is not None
    print(f"dicomcore / dicognito: {ours[0] / theirs[0]:.1f}x files/s by the wall clock, "
          f"{ours[1] / theirs[1]:.1f}x by CPU time")
    read_ms, deid_ms, write_ms = dicomcore_phases(files)
    print(f"dicomcore per file, best of 10 rounds: read {read_ms:.3f} ms, deidentify "
          f"{deid_ms:.3f} ms, write {write_ms:.3f} ms")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
