"""`python -m app` with one worker (app/__main__.py, workers.serve_one): where it listens, a
taken port and an invalid setting refused with a status and a line, Ctrl-C without a
traceback."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from .orthanc import free_port


def _environment(port: int, storage: Path, **settings: str) -> dict[str, str]:
    return {**os.environ, "DICOMCORE_PORT": str(port), "DICOMCORE_HOST": "127.0.0.1",
            "DICOMCORE_WORKERS": "1", "DICOMCORE_STORAGE_DIR": str(storage), **settings}


def test_one_worker_refuses_a_taken_port(tmp_path: Path) -> None:
    port = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        done = subprocess.run([sys.executable, "-m", "app"], capture_output=True, text=True,
                              env=_environment(port, tmp_path / "data"), timeout=60)
    assert done.returncode == 3
    assert f"cannot bind 127.0.0.1:{port}" in done.stdout + done.stderr


def test_an_invalid_setting_is_named_without_a_traceback(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "app"], capture_output=True, text=True,
                          env=_environment(free_port(), tmp_path / "data",
                                           DICOMCORE_WORKERS="0"), timeout=60)
    assert done.returncode == 2
    assert "DICOMCORE_WORKERS" in done.stderr and "Traceback" not in done.stderr


def test_ctrl_c_stops_one_worker_cleanly(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "server.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "app"], stdout=out,
                                   stderr=subprocess.STDOUT,
                                   env=_environment(port, tmp_path / "data"))
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    text = log.read_text(errors="replace")
    assert f"1 worker on http://127.0.0.1:{port}" in text
    assert "Traceback" not in text and "KeyboardInterrupt" not in text
