"""Slow clients against a real `python -m app` (issue 12, item 4): a header timeout, a minimum
body rate and a per-worker connection cap, with short settings so each check takes seconds.
Also: a client that leaves mid-upload is logged as 499, without a traceback."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .attack_inputs import EXPLICIT_LE, element, file_meta, header_elements
from .server import Server

HEADERS_ONLY = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = Server(tmp_path_factory.mktemp("hardening") / "data", workers=1,
                     DICOMCORE_HEADER_TIMEOUT_SECONDS="1",
                     DICOMCORE_MIN_BODY_BYTES_PER_SECOND="4000",
                     DICOMCORE_BODY_RATE_SECONDS="1", DICOMCORE_MAX_CONNECTIONS="8",
                     DICOMCORE_LOG_LEVEL="info")
    try:
        yield running
    finally:
        running.stop()


def _connect(server: Server) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    return sock


def _closed_within(sock: socket.socket, seconds: float) -> float | None:
    """Seconds until the server closed `sock` (None if it stayed open that long)."""
    started = time.monotonic()
    sock.settimeout(seconds)
    try:
        while sock.recv(4096):
            pass
    except TimeoutError:
        return None
    except ConnectionResetError:
        pass
    return time.monotonic() - started


def test_headers_not_sent_in_time_close_the_connection(server: Server) -> None:
    with _connect(server) as sock:
        sock.sendall(HEADERS_ONLY)
        waited = _closed_within(sock, 6)
    assert waited is not None and waited < 3.5
    assert httpx.get(server.url + "/healthz", timeout=5).status_code == 200


def test_a_trickled_body_is_dropped_and_logged_as_a_client_abort(server: Server) -> None:
    with _connect(server) as sock:
        sock.sendall(b"POST /v1/json HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Type: application/dicom\r\nContent-Length: 1000000\r\n\r\n")
        started = time.monotonic()
        closed = False
        while time.monotonic() - started < 10:
            try:
                sock.sendall(b"\0" * 100)
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            time.sleep(0.25)  # 400 bytes/s, a tenth of the minimum
        if not closed:
            closed = _closed_within(sock, 1) is not None
    # The rate window is 1 s: closed within a few windows even on a loaded machine, long before
    # the 10 s this client would keep trickling.
    assert closed and time.monotonic() - started < 8
    time.sleep(0.5)
    lines = _log_lines(server.log)
    aborted = [line for line in lines if line.get("route") == "/v1/json"]
    assert aborted and aborted[-1]["status"] == 499
    assert "Traceback" not in server.log.read_text(errors="replace")


def test_a_fast_body_is_not_affected(server: Server) -> None:
    body = (file_meta(EXPLICIT_LE) + header_elements()
            + element(0x00111000, "OB", bytes(8 << 20)))  # 8 MB: several rate windows' worth
    response = httpx.post(server.url + "/v1/json", content=body,
                          headers={"Content-Type": "application/dicom"}, timeout=30)
    assert response.status_code == 200


def test_the_connection_cap_closes_the_oldest_idle_and_keeps_serving(server: Server) -> None:
    socks = []
    try:
        for _ in range(20):
            sock = _connect(server)
            sock.sendall(HEADERS_ONLY)
            socks.append(sock)
            time.sleep(0.01)
        started = time.monotonic()
        health = httpx.get(server.url + "/healthz", timeout=5)
        assert health.status_code == 200 and time.monotonic() - started < 2
        # Twenty half-sent requests and one health check against a cap of 8: the first
        # ones were closed to make room, the last ones are still open.
        closed = [_closed_within(sock, 0.05) is not None for sock in socks]
        assert sum(closed) >= 12 and closed[0] and not closed[-1]
    finally:
        for sock in socks:
            sock.close()


def test_a_connection_served_since_waits_behind_older_ones_for_eviction(server: Server
                                                                        ) -> None:
    time.sleep(0.2)  # the connections of earlier tests are gone
    served = _connect(server)
    half = []
    newer = []
    try:
        for _ in range(4):
            half.append(_connect(server))
            half[-1].sendall(HEADERS_ONLY)
            time.sleep(0.01)
        served.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        served.settimeout(5)
        assert served.recv(4096).startswith(b"HTTP/1.1 200 ")
        # `served` opened first but waits for its next request only since now: ten
        # connections against a cap of 8 close the two half-sent ones that waited longest.
        for _ in range(5):
            newer.append(_connect(server))
            newer[-1].sendall(HEADERS_ONLY)
            time.sleep(0.01)
        assert _closed_within(half[0], 0.2) is not None
        assert _closed_within(half[1], 0.2) is not None
        assert _closed_within(served, 0.05) is None
        assert _closed_within(half[2], 0.05) is None
    finally:
        for sock in [served, *half, *newer]:
            sock.close()


def _log_lines(path: Path) -> list[dict[str, object]]:
    lines = []
    for text in path.read_text(errors="replace").splitlines():
        if text.startswith("{"):
            try:
                lines.append(json.loads(text))
            except ValueError:
                continue
    return lines


def test_a_patch_whose_client_hangs_up_stops_soon(server: Server) -> None:
    from .attack_inputs import wide_sequence

    stored = httpx.post(server.url + "/v1/instances", content=wide_sequence(20_000),
                        headers={"Content-Type": "application/dicom"}, timeout=30)
    assert stored.status_code == 201
    patch = [{"op": "set", "path": "ReferencedImageSequence[*].ReferencedSOPInstanceUID",
              "value": f"1.2.{i}"} for i in range(200)]  # tens of seconds of work
    with pytest.raises(httpx.TimeoutException):
        httpx.patch(stored.headers["location"], json=patch, timeout=1.0)
    hung_up = time.monotonic()
    while time.monotonic() - hung_up < 10:
        patched = [line for line in _log_lines(server.log)
                   if line.get("route") == "/v1/instances/{instance_id}"
                   and line.get("method") == "PATCH"]
        if patched:
            break
        time.sleep(0.1)
    assert patched and patched[-1]["status"] == 499
    assert time.monotonic() - hung_up < 5  # not the whole patch's time
    after = httpx.get(stored.headers["location"] + "/file", timeout=30)
    assert after.headers["etag"] == stored.headers["etag"]  # nothing changed


def test_past_the_cap_with_every_connection_busy_a_new_one_gets_503(server: Server) -> None:
    busy = []
    try:
        for _ in range(8):  # the cap: eight uploads in progress, none of them evictable
            sock = _connect(server)
            sock.sendall(b"POST /v1/json HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                         b"application/dicom\r\nContent-Length: 10000000\r\n\r\n" + bytes(2000))
            busy.append(sock)
        time.sleep(0.2)
        with _connect(server) as extra:
            extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            extra.settimeout(5)
            answer = extra.recv(4096)
        assert answer.startswith(b"HTTP/1.1 503 ")
        assert b"Retry-After: 1" in answer and b"application/problem+json" in answer
    finally:
        for sock in busy:
            sock.close()
    time.sleep(0.5)
    assert httpx.get(server.url + "/healthz", timeout=5).status_code == 200
