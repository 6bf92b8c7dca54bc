"""The PACS round trip against a real Orthanc (Debian's `orthanc` package; .ci/run installs it).

Orthanc and the service run as separate processes on free loopback ports, with their storage
in the test's temporary directory. An instance goes from Orthanc to the service, is patched
and downloaded there, and is stored back into Orthanc, which must then show the patched values
and every other value unchanged. Both processes are stopped by their pids.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from .conftest import CT
from .orthanc import free_port, orthanc_binary, write_config
from .server import stop

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 15
PATCH = [{"op": "set", "path": "PatientName", "value": "Doe^Jane"},
         {"op": "set", "path": "StudyDescription", "value": "Round trip through dicomcore"}]


def wait_until_ready(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    """Poll `url` until it answers 200; fail with the process's log if it exits or times out."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{process.args[0]} exited with {process.returncode}:\n"
                        f"{log.read_text(errors='replace')}")
        try:
            if httpx.get(url, timeout=1, trust_env=False).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"{url} did not answer within {STARTUP_SECONDS} s:\n"
                f"{log.read_text(errors='replace')}")


@pytest.fixture
def processes() -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """Start processes for the test; every one is stopped by its pid afterwards."""
    started: list[subprocess.Popen[bytes]] = []

    def launch(command: list[str], log: Path, cwd: Path,
               env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        with open(log, "wb") as out:
            process = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                       stdout=out, stderr=subprocess.STDOUT)
        started.append(process)
        return process

    try:
        yield launch
    finally:
        for process in reversed(started):
            stop(process)


@pytest.fixture
def orthanc(tmp_path: Path, processes: Callable[..., subprocess.Popen[bytes]]) -> str:
    """A fresh Orthanc on loopback; its base URL."""
    binary = orthanc_binary()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("CI must install Debian's orthanc package (see .ci/run): the PACS "
                        "round trip needs the Orthanc binary")
        pytest.skip("Orthanc is not installed (apt-get install orthanc); CI runs this test")
    home = tmp_path / "orthanc"
    home.mkdir()
    port = free_port()
    write_config(home, port)
    url = f"http://127.0.0.1:{port}"
    log = home / "orthanc.log"
    process = processes([binary, "--no-jobs", str(home / "config.json")], log, cwd=home)
    wait_until_ready(process, url + "/system", log)
    return url


@pytest.fixture
def service(tmp_path: Path, processes: Callable[..., subprocess.Popen[bytes]]) -> str:
    """This service under uvicorn on a free loopback port; its base URL."""
    port = free_port()
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("DICOMCORE_")}
    env["DICOMCORE_STORAGE_DIR"] = str(tmp_path / "data")
    log = tmp_path / "uvicorn.log"
    process = processes([sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1",
                         "--port", str(port)], log, cwd=ROOT, env=env)
    url = f"http://127.0.0.1:{port}"
    wait_until_ready(process, url + "/healthz", log)
    return url


def test_instance_from_orthanc_is_patched_and_stored_back(orthanc: str, service: str) -> None:
    with httpx.Client(timeout=10, trust_env=False) as http:
        dicom = {"content-type": "application/dicom"}

        stored = http.post(f"{orthanc}/instances", content=CT.read_bytes(), headers=dicom)
        assert stored.status_code == 200, stored.text
        orthanc_id = stored.json()["ID"]
        before = http.get(f"{orthanc}/instances/{orthanc_id}/simplified-tags").json()
        original = http.get(f"{orthanc}/instances/{orthanc_id}/file")
        assert original.status_code == 200 and original.content[128:132] == b"DICM"

        created = http.post(f"{service}/v1/instances", content=original.content, headers=dicom)
        assert created.status_code == 201, created.text
        instance = created.json()
        assert instance["sop_instance_uid"] == before["SOPInstanceUID"]

        patched = http.patch(f"{service}/v1/instances/{instance['id']}", json=PATCH,
                             headers={"if-match": created.headers["etag"]})
        assert patched.status_code == 200, patched.text
        assert patched.json()["00100010"]["Value"] == [{"Alphabetic": "Doe^Jane"}]

        download = http.get(f"{service}/v1/instances/{instance['id']}/file")
        assert download.status_code == 200
        assert download.headers["content-type"] == "application/dicom"

        back = http.post(f"{orthanc}/instances", content=download.content, headers=dicom)
        assert back.status_code == 200, back.text
        assert back.json()["Status"] == "Success"
        assert back.json()["ID"] == orthanc_id  # same UIDs: the stored instance was replaced
        after = http.get(f"{orthanc}/instances/{orthanc_id}/simplified-tags").json()

    assert after["PatientName"] == "Doe^Jane"
    assert after["StudyDescription"] == "Round trip through dicomcore"
    unchanged = {key: value for key, value in before.items()
                 if key not in ("PatientName", "StudyDescription")}
    assert {key: after.get(key) for key in unchanged} == unchanged
    assert set(after) == set(before) | {"StudyDescription"}
