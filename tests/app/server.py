"""Run the service as a real uvicorn process on a free loopback port, for end-to-end tests."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from .orthanc import free_port


class Server:
    """`python -m app` (or another `module` that runs it) with the given settings; stopped by
    its pid."""

    def __init__(self, storage: Path, workers: int = 1, module: str = "app", **env: str
                 ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environment = {**os.environ, "DICOMCORE_STORAGE_DIR": str(storage),
                       "DICOMCORE_PORT": str(self.port), "DICOMCORE_HOST": "127.0.0.1",
                       "DICOMCORE_WORKERS": str(workers), "DICOMCORE_LOG_LEVEL": "warning",
                       **env}
        # A file, not a pipe: a pipe nobody reads fills up and blocks the server.
        self.log = storage.parent / f"server-{self.port}.log"
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen([sys.executable, "-m", module], env=environment,
                                            stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text(errors='replace')}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("server did not answer /healthz within 20 s")

    def peak_rss_mib(self) -> float:
        return peak_rss_mib(self.process.pid)

    def stop(self) -> None:
        stop(self.process)


def peak_rss_mib(pid: int) -> float:
    """Peak RSS (VmHWM) of a process or its children, the largest one, in MiB."""
    pids = [pid]
    try:
        pids += [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        pass
    peaks = []
    for each in pids:
        try:
            for line in Path(f"/proc/{each}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        except OSError:
            continue
    return max(peaks, default=0.0)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate a process we started, by its pid; kill it if it does not go."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
