"""Service benchmark: dicomcore's service against a FastAPI + pydicom baseline and Orthanc.

Starts on loopback (a) this service (`python -m app`), (b) the baseline of
benchmarks/baselines/pydicom_app.py under uvicorn, (c) Orthanc from Debian's package, each
with the same number of workers / HTTP threads, and drives each from a separate client
process (benchmarks/load.py) with the same workload: upload->JSON and upload+patch->download,
at concurrency 1 and 16, for a small CT (pydicom's CT_small.dcm), a 2 MB multi-frame file and
a 100 MB multi-frame file. Prints requests/s, p50/p99 latency, server peak RSS and the ratios
ours/baseline and ours/Orthanc. Run with `make bench` or `python benchmarks/service.py`.

Each row is run BENCH_ROUNDS times (3), the servers taking turns, and the median round is
reported with the range of requests/s: on two cores shared by the client and the servers
one run of a few seconds varies by tens of percent. Each file size gets fresh servers, so
the peak RSS printed per size (the VmHWM of the server's largest process over that size's
rows) shows what the size costs. BENCH_SERVERS and BENCH_FILES (comma-separated names,
e.g. "dicomcore" and "CT 39 KB") run a subset.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.app.orthanc import free_port, orthanc_binary, write_config  # noqa: E402
from tests.app.server import peak_rss_mib, stop  # noqa: E402
from tests.bigfile import write_multiframe  # noqa: E402
from tests.corpus import PYDICOM_DATA  # noqa: E402

WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
ORTHANC_THREADS = max(WORKERS, 4)  # Orthanc is threaded: fewer HTTP threads only slow it
SERVERS = ("dicomcore", "fastapi+pydicom", "orthanc")


def selected(variable: str, names: list[str] | tuple[str, ...]) -> list[str]:
    wanted = [name.strip() for name in os.environ.get(variable, "").split(",") if name.strip()]
    return [name for name in names if not wanted or name in wanted]


def median_round(rounds: list[dict[str, float]]) -> dict[str, float]:
    """The round with the median requests/s, with the range of requests/s over all."""
    ordered = sorted(rounds, key=lambda result: result["rps"])
    return {**ordered[len(ordered) // 2], "rps_min": ordered[0]["rps"],
            "rps_max": ordered[-1]["rps"], "errors": sum(r["errors"] for r in rounds)}


def start(command: list[str], url: str, health: str, log: Path,
          env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                   stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{command[0]} exited: {log.read_text(errors='replace')}")
        try:
            if httpx.get(url + health, timeout=1, trust_env=False).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    stop(process)
    raise RuntimeError(f"{url} did not start")


def load(url: str, kind: str, file: Path, concurrency: int, size: int) -> dict[str, float]:
    limit = 2000 if size < 10 << 20 else 40
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "load.py"), url, kind,
                          str(file), str(concurrency), str(limit), str(SECONDS)],
                         check=True, capture_output=True, text=True, timeout=600).stdout
    return json.loads(out)


def servers(tmp: Path) -> dict[str, tuple[str, subprocess.Popen[bytes], str]]:
    """name -> (url, process, kind prefix), for the servers BENCH_SERVERS selects."""
    tmp.mkdir(parents=True, exist_ok=True)
    running: dict[str, tuple[str, subprocess.Popen[bytes], str]] = {}
    wanted = selected("BENCH_SERVERS", SERVERS)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DICOMCORE_")}
    try:
        if "dicomcore" in wanted:
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            ours = {**env, "DICOMCORE_STORAGE_DIR": str(tmp / "data"),
                    "DICOMCORE_PORT": str(port), "DICOMCORE_WORKERS": str(WORKERS),
                    "DICOMCORE_LOG_LEVEL": "warning"}
            running["dicomcore"] = (url, start([sys.executable, "-m", "app"], url, "/healthz",
                                               tmp / "ours.log", ours), "")
        if "fastapi+pydicom" in wanted:
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            running["fastapi+pydicom"] = (url, start(
                [sys.executable, "-m", "uvicorn", "benchmarks.baselines.pydicom_app:app",
                 "--host", "127.0.0.1", "--port", str(port), "--workers", str(WORKERS),
                 "--no-access-log", "--log-level", "warning"], url, "/healthz",
                tmp / "baseline.log", env), "")
        binary = orthanc_binary()
        if "orthanc" in wanted and binary is not None:
            home = tmp / "orthanc"
            home.mkdir()
            port = free_port()
            config = write_config(home, port, threads=ORTHANC_THREADS)
            url = f"http://127.0.0.1:{port}"
            running["orthanc"] = (url, start([binary, "--no-jobs", str(config)], url,
                                             "/system", home / "orthanc.log"), "orthanc-")
    except BaseException:
        for _, process, _ in running.values():
            stop(process)
        raise
    return running


def main() -> None:
    with tempfile.TemporaryDirectory(dir=ROOT) as name:
        tmp = Path(name)
        files: dict[str, Path] = {}
        labels = selected("BENCH_FILES", ("CT 39 KB", "2 MB multi-frame", "100 MB multi-frame"))
        if "CT 39 KB" in labels:
            files["CT 39 KB"] = PYDICOM_DATA / "test_files" / "CT_small.dcm"
        if "2 MB multi-frame" in labels:
            files["2 MB multi-frame"] = tmp / "mr2mb.dcm"
            write_multiframe(files["2 MB multi-frame"], 2 << 20, rows=512, columns=512,
                             sparse=False)
        if "100 MB multi-frame" in labels:
            files["100 MB multi-frame"] = tmp / "mf100mb.dcm"
            write_multiframe(files["100 MB multi-frame"], 100 << 20, sparse=False)
        print(f"workers: {WORKERS} (Orthanc: {ORTHANC_THREADS} HTTP threads); {ROUNDS} rounds "
              f"of {SECONDS:.0f} s per row, servers taking turns, median round shown (at most "
              f"2000 requests a round, 40 for the 100 MB file); client: benchmarks/load.py in "
              f"its own process; fresh servers for each file size")
        results: dict[tuple[str, str, str, int], dict[str, float]] = {}
        peaks: dict[tuple[str, str], float] = {}
        for label, file in files.items():
            size = file.stat().st_size
            running = servers(tmp / label.replace(" ", "-"))
            try:
                for job in ("json", "patch"):
                    for concurrency in (1, 16):
                        rounds: dict[str, list[dict[str, float]]] = {n: [] for n in running}
                        for _ in range(ROUNDS):
                            for server, (url, _, prefix) in running.items():
                                rounds[server].append(
                                    load(url, prefix + job, file, concurrency, size))
                        for server, measured in rounds.items():
                            result = median_round(measured)
                            results[(job, label, server, concurrency)] = result
                            print(f"{job:<5} {label:<19} c={concurrency:<2} {server:<16} "
                                  f"{result['rps']:8.1f} req/s ({result['rps_min']:.1f}-"
                                  f"{result['rps_max']:.1f})  p50 {result['p50_ms']:8.1f} ms  "
                                  f"p99 {result['p99_ms']:8.1f} ms  errors "
                                  f"{result['errors']:.0f}", flush=True)
                for server, (_, process, _) in running.items():
                    peaks[(label, server)] = peak_rss_mib(process.pid)
            finally:
                for _, process, _ in running.values():
                    stop(process)
        print("\nserver peak RSS per file size (MiB, largest process, over its json and patch "
              "rows):")
        for label in files:
            print(f"  {label:<19} " + "  ".join(f"{server}: {peaks[(label, server)]:.0f}"
                                               for server in SERVERS
                                               if (label, server) in peaks))
        print("\nratios (requests/s ours / other, p99 ours / other):")
        for (job, label, server, concurrency), ours in results.items():
            if server != "dicomcore":
                continue
            line = f"{job:<5} {label:<19} c={concurrency:<2}"
            for other in SERVERS[1:]:
                theirs = results.get((job, label, other, concurrency))
                if theirs and theirs["rps"]:
                    line += (f"  vs {other}: {ours['rps'] / theirs['rps']:5.2f}x rps, "
                             f"p99 {ours['p99_ms'] / theirs['p99_ms']:5.2f}")
            print(line)


if __name__ == "__main__":
    main()
