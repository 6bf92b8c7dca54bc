"""app/scratch.py with real servers: a `python -m app` killed with SIGKILL in the middle of a
request (at a step reached through the fault-injection hook, `tests/app/fault_server.py`, not
by timing) leaves its scratch files, and the next start removes them; a live server's
scratch files are never removed by another server's start on the same storage directory.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from app.scratch import LOCK_SUFFIX, leftovers

from .attack_inputs import EXPLICIT_LE, deflate_bomb, element, file_meta, header_elements
from .conftest import CT
from .server import Server

ROOT = Path(__file__).resolve().parents[2]
DICOM = {"content-type": "application/dicom"}
BOUNDARY = "scratch-boundary"
STOW = {"content-type": f'multipart/related; type="application/dicom"; boundary={BOUNDARY}'}


def _stow_body(part: bytes) -> bytes:
    return (f"--{BOUNDARY}\r\nContent-Type: application/dicom\r\n\r\n".encode() + part
            + f"\r\n--{BOUNDARY}--\r\n".encode())


def _store_then_rewrite(client: httpx.Client) -> None:
    stored = client.post("/v1/instances", content=CT.read_bytes(), headers=DICOM)
    assert stored.status_code == 201, stored.text
    # written anew into a scratch file: the kill comes once it is written
    client.get(f"/v1/instances/{stored.json()['id']}/file",
               params={"write_like_original": "false"})


# (the step to kill at, how many times it is reached first, the request, the file it leaves)
KILLS: dict[str, tuple[str, int, Callable[[httpx.Client], object], str]] = {
    "large upload": ("upload.chunk-written", 8, lambda client: client.post(
        "/v1/instances", content=bytes(16 << 20), headers=DICOM), "upload-"),
    "STOW-RS part": ("stow.chunk-written", 8, lambda client: client.post(
        "/dicomweb/studies", content=_stow_body(bytes(16 << 20)), headers=STOW), "stow-"),
    # past the 4 MiB spool in memory: the inflated data set is on disk too
    "deflated upload being inflated": ("inflate.piece-written", 8, lambda client: client.post(
        "/v1/instances", content=deflate_bomb(64 << 20), headers=DICOM), "upload-"),
    "result file": ("scratch.result-written", 1, _store_then_rewrite, "download-"),
}


@pytest.mark.parametrize("case", list(KILLS))
def test_a_killed_servers_scratch_files_are_removed_at_the_next_start(tmp_path: Path,
                                                                     case: str) -> None:
    step, count, send, left = KILLS[case]
    storage = tmp_path / "data"
    server = Server(storage, module="tests.app.fault_server", PYTHONPATH=str(ROOT),
                    DICOMCORE_TEST_KILL_AT=step, DICOMCORE_TEST_KILL_COUNT=str(count))
    try:
        with httpx.Client(base_url=server.url, timeout=20) as client:
            with pytest.raises(httpx.TransportError):  # the server died under the request
                send(client)
        assert server.process.wait(timeout=10) == -signal.SIGKILL
    finally:
        server.stop()
    before = leftovers(storage / "tmp")
    assert any(path.name.startswith(left) for path in before), before

    Server(storage).stop()  # a start, and nothing else
    assert leftovers(storage / "tmp") == []
    # and only the dead process's directory went: the restarted one's own was made anew
    assert all(not path.exists() for path in before)


def _held_upload(url: str, started: threading.Event, go_on: threading.Event,
                 answers: list[httpx.Response]) -> None:
    """Store a file of 8 MiB, pausing after its first 1 MiB until `go_on`."""
    content = (file_meta(EXPLICIT_LE) + header_elements()
               + element(0x00111000, "OB", bytes(8 << 20)))

    def body() -> Iterator[bytes]:
        yield content[:1 << 20]
        started.set()
        go_on.wait(20)
        yield content[1 << 20:]

    answers.append(httpx.post(url + "/v1/instances", content=body(), timeout=30,
                              headers={**DICOM, "content-length": str(len(content))}))


def test_a_live_servers_scratch_files_survive_another_servers_start(tmp_path: Path) -> None:
    storage = tmp_path / "data"
    first = Server(storage)
    try:
        started, go_on = threading.Event(), threading.Event()
        answers: list[httpx.Response] = []
        upload = threading.Thread(target=_held_upload, args=(first.url, started, go_on,
                                                            answers))
        upload.start()
        try:
            assert started.wait(20)
            live: list[Path] = []
            for _ in range(100):  # the server writes what it was sent: 10 s at most
                live = leftovers(storage / "tmp")
                if live and live[0].stat().st_size >= 1 << 20:
                    break
                threading.Event().wait(0.1)
            assert [path.name[:7] for path in live] == ["upload-"]
            second = Server(storage, workers=2)  # each of its workers sweeps at start
            try:
                for _ in range(100):  # both have claimed their directories: 10 s at most
                    if len(list((storage / "tmp").glob("*" + LOCK_SUFFIX))) == 3:
                        break
                    threading.Event().wait(0.1)
            finally:
                second.stop()  # gone: what its workers sweep at start is swept
            assert len(list((storage / "tmp").glob("*" + LOCK_SUFFIX))) == 3
            assert live[0].exists() and leftovers(storage / "tmp") == live
        finally:
            go_on.set()
            upload.join(30)
        # the first server stores the upload it was receiving (renamed from its scratch file)
        assert answers and answers[0].status_code == 201, answers
    finally:
        first.stop()
