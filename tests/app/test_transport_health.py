"""app/transport.py's `/healthz` answered by the connection: which requests it takes, that
its answer is the route's, byte for byte but for the date and the request id, and that the
connection then behaves as after any response (keep-alive, close, the next request)."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import h11
import pytest
import uvicorn
from hypothesis import given, settings
from hypothesis import strategies as st
from uvicorn.server import ServerState

from app import accesslog
from app.routes import health
from app.transport import GuardedH11Protocol, health_answer

PROBE = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
DEFAULT_HEADERS = [(b"date", b"Mon, 30 Nov 2026 05:00:00 GMT"), (b"server", b"uvicorn")]

# (request, answered by the connection, the connection closes after it)
CASES = [
    (PROBE, True, False),
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", True, True),
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: Keep-Alive\r\n\r\n", True, False),
    (b"GET /healthz HTTP/1.0\r\n\r\n", True, True),
    (b"GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", True, True),
    (b"GET /healthz HTTP/1.1\r\nhost: x\r\nUser-Agent: kube-probe/1.30\r\nAccept: */*\r\n"
     b"X-Request-ID: probe-7\r\n\r\n", True, False),
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\n\r\n", True, False),
    # for the route
    (b"GET /healthz HTTP/1.1\r\n\r\n", False, None),  # no Host: h11's 400
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", False, None),
    (b"GET /healthz?verbose=1 HTTP/1.1\r\nHost: x\r\n\r\n", False, None),
    (b"GET /healthz/ HTTP/1.1\r\nHost: x\r\n\r\n", False, None),
    (b"HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n", False, None),
    (b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", False, None),
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\nOrigin: http://viewer\r\n\r\n", False, None),
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: h2c\r\n\r\n",
     False, None),
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", False, None),
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" + PROBE, False, None),  # pipelined
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\n", False, None),  # the head in pieces
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", False, None),
    (b"GET /healthz HTTP/1.1\r\nHost: \x00\r\n\r\n", False, None),
    (b"GET /healthz HTTP/2\r\nHost: x\r\n\r\n", False, None),
    (b"get /healthz HTTP/1.1\r\nHost: x\r\n\r\n", False, None),
]


@pytest.mark.parametrize(("request_bytes", "answered", "closes"), CASES)
def test_which_requests_the_connection_answers(request_bytes: bytes, answered: bool,
                                               closes: bool | None) -> None:
    answer = health_answer(request_bytes, DEFAULT_HEADERS, 0.0)
    assert (answer is not None) == answered
    if answer is not None:
        response, close = answer
        assert close is closes
        assert response.endswith(b"\r\n\r\n" + health.BODY)
        assert (b"\r\nConnection: close\r\n" in response) is closes
        assert _h11_reads(request_bytes) == (True, closes)


def test_the_request_id_is_the_clients_when_it_is_a_token() -> None:
    given = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-ID: %s\r\n\r\n"
    ours = health_answer(given % b"probe-7", DEFAULT_HEADERS, 0.0)
    assert ours is not None and b"\r\nx-request-id: probe-7\r\n" in ours[0]
    theirs = health_answer(given % b"a/b", DEFAULT_HEADERS, 0.0)
    assert theirs is not None
    assert re.search(rb"\r\nx-request-id: [0-9a-f]{32}\r\n", theirs[0])


def test_the_body_is_the_health_facts() -> None:
    assert json.loads(health.BODY) == health.health()


def test_any_bytes_are_judged_in_linear_time() -> None:
    """Header values with spaces could be split many ways by a looser pattern: 32 of them
    and a stray byte took a backtracking regex 2**32 steps."""
    hostile = b"GET /healthz HTTP/1.1\r\n" + b"X:  a  b \r\n" * 32 + b"Z\r\n\r\n"
    started = time.perf_counter()
    for _ in range(100):
        assert health_answer(hostile, DEFAULT_HEADERS, 0.0) is None
        assert health_answer(hostile[:-4] + b"\r\n", DEFAULT_HEADERS, 0.0) is None
    assert time.perf_counter() - started < 0.5
    assert health_answer(PROBE[:-2] + b"X-A: b\r\n" * 400 + b"\r\n", DEFAULT_HEADERS,
                         0.0) is None  # past MAX_PROBE_BYTES


def test_the_access_line_is_written(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger=accesslog.log.name):
        accesslog.log.propagate = True
        try:
            health_answer(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-ID: r1\r\n\r\n",
                          DEFAULT_HEADERS, 0.0)
        finally:
            accesslog.log.propagate = False
    line = json.loads(caplog.records[-1].getMessage())
    assert {k: line[k] for k in ("request_id", "method", "route", "status", "bytes_out")} == {
        "request_id": "r1", "method": "GET", "route": "/healthz", "status": 200,
        "bytes_out": len(health.BODY)}


# On a protocol with a fake transport: no task for the app, and the connection's state after --

class RecordingTransport:
    def __init__(self) -> None:
        self.written = b""
        self.closed = False
        self.protocol: Any = None

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 50000)}.get(
            name, default)

    def write(self, data: bytes) -> None:
        self.written += data

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def _app(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


@contextmanager
def _connection(app: Any) -> Iterator[tuple[GuardedH11Protocol, RecordingTransport,
                                             asyncio.AbstractEventLoop]]:
    loop = asyncio.new_event_loop()
    config = uvicorn.Config(app, lifespan="off", log_level="warning")
    config.load()
    made = GuardedH11Protocol(config=config, server_state=ServerState(), app_state={},
                              _loop=loop)
    made.server_state.default_headers = DEFAULT_HEADERS
    transport = RecordingTransport()
    made.connection_made(transport)  # type: ignore[arg-type]
    try:
        yield made, transport, loop
    finally:
        made.connection_lost(None)
        loop.run_until_complete(asyncio.sleep(0))
        loop.close()


@pytest.fixture
def protocol() -> Iterator[tuple[GuardedH11Protocol, RecordingTransport]]:
    with _connection(_app) as (made, transport, _):
        yield made, transport


def test_a_probe_makes_no_task_and_keeps_the_connection(
        protocol: tuple[GuardedH11Protocol, RecordingTransport]) -> None:
    made, transport = protocol
    made.data_received(PROBE)
    assert not made.tasks and made.cycle is None
    assert transport.written.startswith(b"HTTP/1.1 200 OK\r\n") and not transport.closed
    assert made.timeout_keep_alive_task is not None  # idle: uvicorn's keep-alive runs
    assert made.waiting_since is not None and made in made.waiting  # the cap sees it idle
    assert made.server_state.total_requests == 1
    made.data_received(PROBE)  # the next request on the connection: answered too
    assert transport.written.count(b"HTTP/1.1 200 OK\r\n") == 2


def test_a_closing_probe_closes(protocol: tuple[GuardedH11Protocol, RecordingTransport]
                                ) -> None:
    made, transport = protocol
    made.data_received(b"GET /healthz HTTP/1.0\r\n\r\n")
    assert transport.closed and made not in made.waiting


def test_a_client_that_does_not_read_goes_to_the_route(
        protocol: tuple[GuardedH11Protocol, RecordingTransport]) -> None:
    made, transport = protocol
    made.pause_writing()  # the transport's buffer is full
    made.data_received(PROBE)
    assert not transport.written and len(made.tasks) == 1


def test_a_probe_after_partial_bytes_goes_to_the_route(
        protocol: tuple[GuardedH11Protocol, RecordingTransport]) -> None:
    made, transport = protocol
    made.data_received(PROBE[:10])
    made.data_received(PROBE[10:])
    assert not transport.written and len(made.tasks) == 1  # h11 had bytes: the app's turn


# Against the service's own app: the connection's answer is the route's -------------------

def _normalised(answer: bytes) -> bytes:
    return re.sub(rb"x-request-id: [^\r]*", b"x-request-id: -", answer)


@pytest.mark.parametrize("probe", [
    PROBE, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    b"GET /healthz HTTP/1.0\r\n\r\n"], ids=["keep-alive", "close", "HTTP/1.0"])
def test_the_connections_answer_is_the_routes(probe: bytes, tmp_path: Path) -> None:
    from app.main import create_app
    from app.settings import Settings, get_settings

    service = create_app()
    service.dependency_overrides[get_settings] = lambda: Settings(storage_dir=tmp_path)
    with _connection(service) as (made, transport, _):
        made.data_received(probe)
        assert not made.tasks  # answered here
        here = transport.written
    # a header the connection does not take: the same request goes through the route
    routed_probe = probe[:-2] + b"X-Forwarded-Proto: http\r\n\r\n"
    with _connection(service) as (made, transport, loop):
        made.data_received(routed_probe)
        assert len(made.tasks) == 1
        loop.run_until_complete(asyncio.gather(*made.tasks))
        routed = transport.written
    assert here.startswith(b"HTTP/1.1 200 OK\r\n")
    assert _normalised(here) == _normalised(routed)


# h11 as the oracle: whatever the connection answers, h11 reads as the same request --------

_LINES = [b"Host: x", b"host:x", b"Host:  a b ", b"Host: \t", b"Connection: close",
          b"Connection: keep-alive, close", b"Connection: Upgrade", b"Connection:",
          b"User-Agent: kube-probe/1.30", b"Accept: */*", b"X-Request-ID: r-1",
          b"Content-Length: 0", b"Content-Length: 5", b"Transfer-Encoding: chunked",
          b"Origin: http://a", b" folded", b"Bad Name: x", b"Host: \xff", b"Host: a\x00b",
          b"Host x", b"", b"Host: a\rb", b"Accept: \x7f"]
_REQUESTS = [b"GET /healthz HTTP/1.1", b"GET /healthz HTTP/1.0", b"GET /healthz  HTTP/1.1",
             b"GET /healthz HTTP/1.2", b"GET /Healthz HTTP/1.1", b"GET healthz HTTP/1.1",
             b"GET http://x/healthz HTTP/1.1", b"GET /healthz?a HTTP/1.1"]


def _h11_reads(data: bytes) -> tuple[bool, bool] | None:
    """(a GET of /healthz with nothing after it, the connection closes after the answer) as
    h11 reads `data`; None when h11 does not read one complete request from it."""
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(data)
    try:
        request = conn.next_event()
        end = conn.next_event()
    except h11.RemoteProtocolError:
        return None
    if not isinstance(request, h11.Request) or not isinstance(end, h11.EndOfMessage):
        return None
    conn.send(h11.Response(status_code=200, headers=[(b"content-length", b"0")]))
    conn.send(h11.EndOfMessage())
    plain = (request.method, request.target) == (b"GET", b"/healthz")
    return plain and not conn.trailing_data[0], conn.our_state is h11.MUST_CLOSE


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(_REQUESTS), st.lists(st.sampled_from(_LINES), max_size=6),
       st.sampled_from([b"\r\n\r\n", b"\r\n", b"\n\n", b"\r\n\r\n\r\n",
                        b"\r\n\r\n" + PROBE, b"\r\n\r\nxyz"]),
       st.data())
def test_what_the_connection_answers_h11_reads_alike(request_line: bytes, lines: list[bytes],
                                                      end: bytes, data: st.DataObject) -> None:
    raw = b"\r\n".join([request_line, *lines]) + end
    if data.draw(st.booleans()):  # and a byte changed somewhere
        at = data.draw(st.integers(0, len(raw) - 1))
        raw = raw[:at] + bytes([data.draw(st.integers(0, 255))]) + raw[at + 1:]
    answer = health_answer(raw, DEFAULT_HEADERS, 0.0)
    if answer is None:
        return
    assert _h11_reads(raw) == (True, answer[1])
