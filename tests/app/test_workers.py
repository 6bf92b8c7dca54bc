"""`python -m app` with several workers (app/workers.py): one listening socket per worker,
connections spread across them, a dead worker replaced, a taken port refused, and no
worker left behind when the supervisor stops."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app import workers

from .orthanc import free_port
from .server import Server

pytestmark = pytest.mark.skipif(not workers.supported(), reason="needs SO_REUSEPORT (Linux)")

LISTEN, ESTABLISHED = "0A", "01"


def children(pid: int) -> list[int]:
    """The worker processes of a supervisor (not multiprocessing's resource tracker)."""
    try:
        pids = [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []
    found = []
    for child in pids:
        try:
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                found.append(child)
        except OSError:
            continue
    return found


def socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def tcp_sockets(port: int, state: str) -> set[str]:
    """Inodes of the IPv4 TCP sockets in `state` whose local port is `port`."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port and fields[3] == state:
            inodes.add(fields[9])
    return inodes


def listeners(server: Server) -> dict[int, int]:
    """worker pid -> how many listening sockets on the server's port it holds."""
    listening = tcp_sockets(server.port, LISTEN)
    return {pid: len(socket_inodes(pid) & listening) for pid in children(server.process.pid)}


def wait_for(condition: object, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


@pytest.fixture
def two_workers(tmp_path: Path) -> Iterator[Server]:
    running = Server(tmp_path / "data", workers=2)
    try:
        wait_for(lambda: sorted(listeners(running).values()) == [1, 1])
        yield running
    finally:
        running.stop()


def test_each_worker_listens_on_its_own_socket(two_workers: Server) -> None:
    assert len(tcp_sockets(two_workers.port, LISTEN)) == 2
    # The supervisor holds the port but listens on nothing: it takes no connections.
    assert not socket_inodes(two_workers.process.pid) & tcp_sockets(two_workers.port, LISTEN)


def test_connections_are_spread_across_workers(two_workers: Server) -> None:
    clients = [httpx.Client(base_url=two_workers.url, timeout=10) for _ in range(16)]
    try:
        for client in clients:
            assert client.get("/healthz").status_code == 200
        established = tcp_sockets(two_workers.port, ESTABLISHED)
        served = {pid: len(socket_inodes(pid) & established)
                  for pid in children(two_workers.process.pid)}
    finally:
        for client in clients:
            client.close()
    assert sum(served.values()) == 16
    # The kernel hashes each connection to a socket: all 16 on one worker has odds 2 ** -15.
    assert all(count > 0 for count in served.values()), served


def test_a_dead_worker_is_replaced(two_workers: Server) -> None:
    victim = children(two_workers.process.pid)[0]
    os.kill(victim, signal.SIGKILL)
    wait_for(lambda: victim not in listeners(two_workers)
             and sorted(listeners(two_workers).values()) == [1, 1])
    for _ in range(8):
        assert httpx.get(two_workers.url + "/healthz", timeout=10).status_code == 200
    assert two_workers.process.poll() is None


def test_stopping_the_supervisor_stops_every_worker(tmp_path: Path) -> None:
    running = Server(tmp_path / "data", workers=2)
    pids: list[int] = []
    try:
        wait_for(lambda: len(children(running.process.pid)) == 2)
        pids = children(running.process.pid)
    finally:
        running.stop()
    assert running.process.returncode == 0
    for pid in pids:
        wait_for(lambda pid=pid: not Path(f"/proc/{pid}").exists(), 10)


def test_workers_stop_when_the_supervisor_is_killed(tmp_path: Path) -> None:
    running = Server(tmp_path / "data", workers=2)
    try:
        wait_for(lambda: len(children(running.process.pid)) == 2)
        pids = children(running.process.pid)
        running.process.kill()  # no chance to stop its workers itself
        running.process.wait(timeout=10)
        for pid in pids:
            wait_for(lambda pid=pid: not Path(f"/proc/{pid}").exists()
                     or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2], 15)
    finally:
        running.stop()


def test_a_second_instance_on_the_same_port_is_refused(two_workers: Server,
                                                        tmp_path: Path) -> None:
    environment = {**os.environ, "DICOMCORE_STORAGE_DIR": str(tmp_path / "other"),
                   "DICOMCORE_PORT": str(two_workers.port), "DICOMCORE_HOST": "127.0.0.1",
                   "DICOMCORE_WORKERS": "2"}
    result = subprocess.run([sys.executable, "-m", "app"], env=environment,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == workers.STARTUP_FAILURE
    assert f"cannot bind 127.0.0.1:{two_workers.port}" in result.stderr
    assert sorted(listeners(two_workers).values()) == [1, 1]


def test_a_taken_port_is_refused_at_start(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        environment = {**os.environ, "DICOMCORE_STORAGE_DIR": str(tmp_path / "data"),
                       "DICOMCORE_PORT": str(port), "DICOMCORE_HOST": "127.0.0.1",
                       "DICOMCORE_WORKERS": "2"}
        result = subprocess.run([sys.executable, "-m", "app"], env=environment,
                                capture_output=True, text=True, timeout=60)
    assert result.returncode == workers.STARTUP_FAILURE
    assert f"cannot bind 127.0.0.1:{port}" in result.stderr


def test_a_worker_that_cannot_start_stops_the_service() -> None:
    # An application that cannot be imported: every worker fails before it serves.
    program = ("import sys; from app import workers; sys.exit(workers.serve("
               f"{{'app': 'no_such_module:app'}}, '127.0.0.1', {free_port()}, 2))")
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == workers.STARTUP_FAILURE, result.stderr
    assert "during its start" in result.stderr


def test_ctrl_c_stops_every_process_cleanly(tmp_path: Path) -> None:
    """Ctrl-C in a terminal signals the whole foreground process group: the supervisor alone
    must act on it, and every process ends without a traceback."""
    port = free_port()
    log = tmp_path / "serve.log"
    environment = {**os.environ, "DICOMCORE_STORAGE_DIR": str(tmp_path / "data"),
                   "DICOMCORE_PORT": str(port), "DICOMCORE_WORKERS": "2"}
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "app"], env=environment, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(lambda: len(children(process.pid)) == 2)

        def serving() -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).is_success
            except httpx.HTTPError:
                return False

        wait_for(serving)
        pids = children(process.pid)
        os.killpg(process.pid, signal.SIGINT)  # the group this test started, as a terminal does
        assert process.wait(timeout=20) == 0
        for pid in pids:
            wait_for(lambda pid=pid: not Path(f"/proc/{pid}").exists(), 10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    output = log.read_text(errors="replace")
    assert "Traceback" not in output and "KeyboardInterrupt" not in output
    assert output.count("Finished server process") == 2


def test_the_app_shortens_the_switch_interval_while_it_runs() -> None:
    from fastapi.testclient import TestClient

    from app.main import create_app

    before = sys.getswitchinterval()
    with TestClient(create_app()) as client:
        assert client.get("/healthz").status_code == 200
        assert sys.getswitchinterval() == pytest.approx(workers.SWITCH_SECONDS)
    assert sys.getswitchinterval() == before


def _dependency_models_built(client: Any, path: str, monkeypatch: pytest.MonkeyPatch) -> int:
    """How many dependency models FastAPI builds while answering `path`."""
    import fastapi.routing

    built = 0
    original = fastapi.routing.get_dependant

    def counting(*args: object, **kwargs: object) -> object:
        nonlocal built
        built += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(fastapi.routing, "get_dependant", counting)
    client.get(path)
    monkeypatch.setattr(fastapi.routing, "get_dependant", original)
    return built


def test_warm_up_builds_the_routes_before_the_first_request(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first request to the last router builds no route state on the event loop once the
    worker has warmed up (and does without it: the check can fail)."""
    import asyncio

    from fastapi.testclient import TestClient

    from app.deps import get_settings
    from app.main import create_app
    from app.settings import Settings

    def app_with_settings() -> Any:
        application = create_app()
        settings = Settings(storage_dir=tmp_path / "data")
        application.dependency_overrides[get_settings] = lambda: settings
        return application

    cold = app_with_settings()
    assert _dependency_models_built(TestClient(cold), "/dicomweb/studies", monkeypatch) > 0
    warm = app_with_settings()
    asyncio.run(workers.warm_up(warm))
    assert _dependency_models_built(TestClient(warm), "/dicomweb/studies", monkeypatch) == 0


def test_a_failing_warm_up_is_logged_and_the_worker_goes_on(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """Every step of the warm-up may fail (a thread the process cannot start, a changed
    private FastAPI function): it is logged, and the worker starts as it would without it."""
    import asyncio

    import anyio.to_thread

    from app.main import create_app

    async def no_thread(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(anyio.to_thread, "run_sync", no_thread)
    with caplog.at_level("WARNING"):
        asyncio.run(workers.warm_up(create_app()))
    assert "warm-up failed" in caplog.text and "can't start new thread" in caplog.text
