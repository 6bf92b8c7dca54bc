"""The HTTP protocol `python -m app` runs uvicorn with, and what the service knows about
connections: h11 with TCP_NODELAY, a header timeout, a minimum body rate and a per-worker
connection cap; and a watch that tells long work its client has gone.

TCP_NODELAY: asyncio only sets it on sockets whose protocol number is IPPROTO_TCP. With
`--workers N` uvicorn binds the listening socket itself with protocol 0, so accepted
connections keep Nagle's algorithm, and a response written in two parts waits for the
client's delayed ACK: about 40 ms per request at low concurrency.

Slow clients (`GuardedH11Protocol`), by the settings:
1. A connection must send a request's headers within `header_timeout_seconds` of opening
   (or of its last response, once it has started a new request): else it is closed.
2. While a request body is being read, each `body_rate_seconds` window must bring at least
   `min_body_bytes_per_second` x the window; a window in which the service itself stopped
   reading (the application busy with earlier bytes: uvicorn paused reading the socket) does
   not count against the client. Bytes received but not yet taken by the route do not excuse
   a slow body: they count as received (a stalled loop turn brings them and the window's end
   together, which kept every trickled body of `make attack` a second window, 22 s).
   A body too slow is dropped: the route sees a disconnect (logged as 499).
3. At most `max_connections` connections per worker: a new one past the cap closes the
   connection that has been waiting longest for a request's headers (idle keep-alive or
   slowloris); when every connection is busy with a request, the new one gets a 503 and is
   closed. The listening socket keeps accepting: file descriptors stay bounded. The
   connections waiting for headers are kept in the order they began to wait, so finding the
   longest waiting is one step: a scan of all of them on each new connection past the cap
   held the event loop for about 0.5 s of `make attack`'s slowloris burst.

`/healthz` on a connection waiting for a request is answered by the connection itself when
the request is one complete, plain probe (`health_answer`): the same status, headers, body
and access line as the route's, without a task queued behind every request the app has yet
to start. In `make attack`'s burst of 300 request heads a probe waited 90-160 ms in that
queue. Anything else (a query, a header not listed, pipelining, bytes in pieces) goes to
the route.
"""

from __future__ import annotations

import asyncio
import re
import socket
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import h11
from starlette.requests import Request
from uvicorn.protocols.http.h11_impl import H11Protocol

from . import accesslog
from .pacing import StartGate
from .routes import health
from .settings import get_settings

_BUSY_BODY = (b'{"type":"about:blank","title":"Service unavailable","status":503,'
              b'"detail":"too many connections: try again"}')
_BUSY = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/problem+json\r\n"
         b"Retry-After: 1\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s"
         % (len(_BUSY_BODY), _BUSY_BODY))


# A plain probe: one of these request lines, then header lines of one shape each (a pattern
# that matches a line one way only: the answer takes time linear in the bytes, whatever
# they are), then the blank line and nothing after it.
_PROBE_REQUESTS = {b"GET " + health.PATH.encode() + b" HTTP/1." + minor: minor
                   for minor in (b"0", b"1")}
_FIELD = re.compile(rb"([A-Za-z-]{1,64}):([ \t\x21-\x7e]*)")
MAX_PROBE_BYTES = 2048
# Headers a probe may send and the answer does not depend on (the key: /healthz needs none).
_PROBE_HEADERS = frozenset({
    b"host", b"user-agent", b"accept", b"accept-encoding", b"accept-language", b"connection",
    b"cache-control", b"pragma", b"x-request-id", b"authorization", b"x-api-key"})


def health_answer(data: bytes, default_headers: list[tuple[bytes, bytes]],
                  started: float) -> tuple[bytes, bool] | None:
    """The answer to `data` when it is exactly one plain `/healthz` probe, with whether the
    connection closes after it (as h11 decides: HTTP/1.0 or `Connection: close`); None for
    anything the route must see. Logs the access line."""
    if len(data) > MAX_PROBE_BYTES or not data.endswith(b"\r\n\r\n"):
        return None
    request, *lines = data[:-4].split(b"\r\n")
    minor = _PROBE_REQUESTS.get(request)
    if minor is None:
        return None
    fields: dict[bytes, bytes] = {}
    for line in lines:
        field = _FIELD.fullmatch(line)
        if field is None:
            return None
        name = field[1].lower()
        if name not in _PROBE_HEADERS or name in fields:
            return None
        fields[name] = field[2].strip(b" \t")
    if minor == b"1" and b"host" not in fields:
        return None  # h11 answers that with a 400
    options = {token.strip().lower() for token in fields.get(b"connection", b"").split(b",")}
    if not options <= {b"", b"close", b"keep-alive"}:
        return None
    close = minor == b"0" or b"close" in options
    request_id = accesslog.request_id(fields.get(b"x-request-id", b""))
    head = [b"HTTP/1.1 200 OK"]
    head += [name + b": " + value for name, value in default_headers]
    head += [b"content-length: %d" % len(health.BODY),
             b"content-type: " + health.MEDIA_TYPE.encode(),
             b"x-request-id: " + request_id.encode()]
    if close:
        head.append(b"Connection: close")
    accesslog.log_request(request_id, "GET", health.PATH, 200, 0, len(health.BODY), started)
    return b"\r\n".join(head) + b"\r\n\r\n" + health.BODY, close


class NoDelayH11Protocol(H11Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None:
            try:  # a Unix socket refuses it; asking is cheaper than checking the family
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
        super().connection_made(transport)  # type: ignore[arg-type]


class GuardedH11Protocol(NoDelayH11Protocol):
    """NoDelayH11Protocol with the three guards of the module docstring."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        settings = get_settings()
        self.header_timeout = settings.header_timeout_seconds
        self.rate_window = settings.body_rate_seconds
        self.min_window_bytes = settings.min_body_bytes_per_second * settings.body_rate_seconds
        self.max_connections = settings.max_connections
        self.waiting_since: float | None = None  # waiting for a request's headers since
        # This server's connections waiting for headers, longest waiting first (a dict
        # keeps insertion order), shared through uvicorn's per-server state.
        state = self.server_state
        if not hasattr(state, "waiting_for_headers"):
            state.waiting_for_headers = {}  # type: ignore[attr-defined]
        self.waiting: dict[GuardedH11Protocol, None] = state.waiting_for_headers  # type: ignore[attr-defined]
        # The application behind this worker's start gate (one per worker: app.pacing).
        if not hasattr(state, "start_gate"):
            state.start_gate = StartGate(self.app)  # type: ignore[attr-defined]
        self.app = state.start_gate  # type: ignore[attr-defined]
        self.timer: asyncio.TimerHandle | None = None
        self.window_bytes = 0
        self.window_paused = False

    # -- 3. the connection cap ------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_waiting()
        if len(self.connections) > self.max_connections and not self._evict_one():
            self._stop_waiting()
            transport.write(_BUSY)  # type: ignore[attr-defined]
            transport.close()
            return
        self._arm(self.header_timeout, self._header_timeout)

    def _evict_one(self) -> bool:
        """Close the connection waiting longest for headers (not this one); False if none."""
        for oldest in self.waiting:
            if oldest is not self:
                oldest._close()
                return True
        return False

    def _start_waiting(self) -> None:
        """From now on, waiting for a request's headers (the newest to wait)."""
        self.waiting.pop(self, None)
        self.waiting[self] = None
        self.waiting_since = time.monotonic()

    def _stop_waiting(self) -> None:
        self.waiting.pop(self, None)
        self.waiting_since = None

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self._stop_waiting()
        super().connection_lost(exc)

    # -- 1. the header timeout ------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        if self._answered_health(data):
            return
        if self.waiting_since is not None and self.timer is None:
            # The first bytes of a new request on a kept-alive connection: its headers are
            # due within the timeout from now.
            self._start_waiting()
            self._arm(self.header_timeout, self._header_timeout)
        if self.cycle is not None and not self.cycle.response_complete:
            self.window_bytes += len(data)
        had = self.cycle
        super().data_received(data)
        if self.cycle is not had:  # a new request's headers arrived
            self._headers_received()
        if self.flow.read_paused:  # uvicorn pauses reading only on bytes received
            self.window_paused = True

    def _headers_received(self) -> None:
        self._stop_waiting()
        self._disarm()
        if self.cycle is not None and self.cycle.more_body:
            self.window_bytes = 0
            self.window_paused = False
            self._arm(self.rate_window, self._body_rate_check)

    def _header_timeout(self) -> None:
        self.timer = None
        if self.waiting_since is not None:
            self._close()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # Idle until the client's next bytes: uvicorn's keep-alive timeout closes it.
        self._disarm()
        self._start_waiting()
        if self.cycle is not None and not self.cycle.response_complete:
            self._headers_received()  # a pipelined request started on that call

    def _answered_health(self, data: bytes) -> bool:
        """Answer a plain `/healthz` probe here when no request is under way (the module
        docstring); False when it is not one, or not now."""
        conn = self.conn
        if (conn.our_state is not h11.IDLE or conn.their_state is not h11.IDLE
                or conn.trailing_data[0] or self.flow.read_paused or self.flow.write_paused
                or self.transport.is_closing()):  # a client that does not read: the route
            return False
        answer = health_answer(data, self.server_state.default_headers, time.perf_counter())
        if answer is None:
            return False
        response, close = answer
        self._unset_keepalive_if_required()
        self.transport.write(response)
        # as after the route's answer: counted, kept alive, waiting for the next headers
        self.on_response_complete()
        if close:
            self._close()
        return True

    # -- 2. the body rate -----------------------------------------------------------------

    def _body_rate_check(self) -> None:
        self.timer = None
        cycle = self.cycle
        if cycle is None or not cycle.more_body or cycle.response_complete:
            return  # the body has all arrived (or the answer went out): nothing to watch
        ours = self.window_paused or self.flow.read_paused
        if not ours and self.window_bytes < self.min_window_bytes:
            cycle.disconnected = True
            cycle.message_event.set()
            self._close()
            return
        self.window_bytes = 0
        self.window_paused = self.flow.read_paused
        self._arm(self.rate_window, self._body_rate_check)

    # -- timers ---------------------------------------------------------------------------

    def _arm(self, seconds: float, callback: Any) -> None:
        self._disarm()
        self.timer = self.loop.call_later(seconds, callback)

    def _disarm(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def _close(self) -> None:
        self._disarm()
        self._stop_waiting()
        if not self.transport.is_closing():
            self.transport.close()


@asynccontextmanager
async def client_watch(request: Request, interval: float = 0.1
                       ) -> AsyncIterator[threading.Event]:
    """An event that is set once the client of `request` has gone (its body read already):
    long work in a thread (a patch) checks it and stops."""
    gone = threading.Event()

    async def watch() -> None:
        while not await request.is_disconnected():
            await asyncio.sleep(interval)
        gone.set()

    task = asyncio.create_task(watch())
    try:
        yield gone
    finally:
        task.cancel()
