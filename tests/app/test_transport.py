"""app/transport.py's minimum body rate, driven turn by turn on one event loop (no sockets):
what counts as the service not reading, and what does not. Each test takes milliseconds."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import uvicorn
from uvicorn.server import ServerState

from app.transport import GuardedH11Protocol

HEADERS = (b"POST /v1/json HTTP/1.1\r\nHost: x\r\nContent-Type: application/dicom\r\n"
           b"Content-Length: 100000000\r\n\r\n")
App = Callable[[Any, Any, Any], Awaitable[None]]


class FakeTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.closed = False
        self.reading = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 50000)}.get(
            name, default)

    def write(self, data: Any) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True


def _connected(app: App) -> tuple[GuardedH11Protocol, FakeTransport]:
    config = uvicorn.Config(app, lifespan="off", log_level="warning")
    config.load()
    protocol = GuardedH11Protocol(config=config, server_state=ServerState(), app_state={})
    transport = FakeTransport()
    protocol.connection_made(transport)
    return protocol, transport


async def _lost(protocol: GuardedH11Protocol) -> None:
    """The connection closed: the route sees the disconnect (or is cancelled) and ends."""
    protocol.connection_lost(None)
    for task in list(protocol.tasks):
        task.cancel()
    await asyncio.gather(*protocol.tasks, return_exceptions=True)


async def _read_all(scope: Any, receive: Any, send: Any) -> None:
    while (await receive()).get("more_body"):
        pass


def test_bytes_not_yet_taken_by_the_route_do_not_excuse_a_slow_body() -> None:
    """A loop turn that brings a trickled body's bytes and its rate check together (the bytes
    not yet taken by the route: a stalled loop makes every connection's turn so) is not the
    service failing to read: the body is dropped after its first window, not kept for another
    (make attack's 22 s instead of 12 s)."""
    async def scenario() -> None:
        protocol, transport = _connected(_read_all)
        protocol.data_received(HEADERS)
        await asyncio.sleep(0)  # the route starts reading
        protocol.data_received(b"\0" * 10)
        protocol._body_rate_check()  # the window ends in this turn, before the route runs
        assert transport.closed and protocol.cycle.disconnected
        await _lost(protocol)

    asyncio.run(scenario())


def test_a_window_in_which_the_service_paused_reading_does_not_count() -> None:
    """The route busy with earlier bytes: uvicorn pauses reading past 64 KiB held. A window in
    which reading was paused, even if it resumed before the window's end, is not held against
    the client."""
    taken = asyncio.Event()

    async def slow_route(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        taken.set()
        await asyncio.sleep(3600)

    async def scenario() -> None:
        protocol, transport = _connected(slow_route)
        protocol.min_window_bytes = 1 << 20  # more than this window brings
        protocol.data_received(HEADERS)
        protocol.data_received(b"\0" * 70_000)  # past uvicorn's 64 KiB: reading paused
        assert not transport.reading
        await taken.wait()  # the route took them (reading resumed), then works a while
        assert transport.reading and not protocol.cycle.body
        protocol._body_rate_check()
        assert not transport.closed
        protocol._body_rate_check()  # a window without a pause, and without bytes
        assert transport.closed
        await _lost(protocol)

    asyncio.run(scenario())
