"""app/pacing.py: requests start a few per event-loop turn, in order, and at once on a quiet
worker; a burst of connections larger than the accept batch is queued by the kernel, not
refused."""

from __future__ import annotations

import asyncio
import os
import selectors
import signal
import socket
import time
from pathlib import Path
from typing import Any

import httpx

from app import pacing
from app.pacing import StartGate

from .server import Server


class Recorder:
    """An ASGI app that notes the loop turn each request entered it in."""

    def __init__(self) -> None:
        self.turn = 0
        self.entered: list[tuple[int, int]] = []  # (request, turn)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.entered.append((scope["n"], self.turn))


async def _count_turns(recorder: Recorder, stop: asyncio.Event) -> None:
    while not stop.is_set():
        await asyncio.sleep(0)
        recorder.turn += 1


def _burst(requests: int, per_turn: int) -> Recorder:
    recorder = Recorder()
    gate = StartGate(recorder, per_turn)

    async def main() -> None:
        stop = asyncio.Event()
        counter = asyncio.create_task(_count_turns(recorder, stop))
        await asyncio.sleep(0)
        await asyncio.gather(*(gate({"n": n}, None, None) for n in range(requests)))
        stop.set()
        await counter

    asyncio.run(main())
    return recorder


def test_a_burst_enters_a_few_per_turn_in_order() -> None:
    recorder = _burst(100, per_turn=8)
    assert [n for n, _ in recorder.entered] == list(range(100))
    per_turn: dict[int, int] = {}
    for _, turn in recorder.entered:
        per_turn[turn] = per_turn.get(turn, 0) + 1
    assert max(per_turn.values()) <= 2 * 8  # the new turn's allowance and the woken
    assert len(per_turn) >= 100 // 16


def test_a_request_on_a_quiet_worker_enters_at_once() -> None:
    recorder = _burst(3, per_turn=8)
    assert {turn for _, turn in recorder.entered} == {recorder.entered[0][1]}


def test_a_cancelled_waiter_does_not_hold_up_the_others() -> None:
    recorder = Recorder()
    gate = StartGate(recorder, per_turn=1)

    async def main() -> None:
        first = asyncio.create_task(gate({"n": 0}, None, None))
        waiting = [asyncio.create_task(gate({"n": n}, None, None)) for n in (1, 2, 3)]
        await asyncio.sleep(0)
        waiting[0].cancel()  # its client went away while it waited
        await asyncio.gather(first, *waiting, return_exceptions=True)

    asyncio.run(asyncio.wait_for(main(), 5))
    assert [n for n, _ in recorder.entered] == [0, 2, 3]


def _connected_within(port: int, count: int, seconds: float) -> int:
    """Open `count` connections without blocking; how many the kernel completed in time."""
    selector = selectors.DefaultSelector()
    socks = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.setblocking(False)
            sock.connect_ex(("127.0.0.1", port))
            selector.register(sock, selectors.EVENT_WRITE)
            socks.append(sock)
        connected = 0
        deadline = time.monotonic() + seconds
        while connected < count and time.monotonic() < deadline:
            for key, _ in selector.select(timeout=0.1):
                selector.unregister(key.fileobj)
                connected += key.fileobj.getsockopt(  # type: ignore[union-attr]
                    socket.SOL_SOCKET, socket.SO_ERROR) == 0
        return connected
    finally:
        selector.close()
        for sock in socks:
            sock.close()


def test_a_burst_larger_than_the_accept_batch_is_queued_not_refused(tmp_path: Path) -> None:
    running = Server(tmp_path / "data")  # one worker: this process serves
    burst = 4 * pacing.ACCEPT_BATCH
    try:
        os.kill(running.process.pid, signal.SIGSTOP)  # it accepts nothing: the kernel queues
        try:
            connected = _connected_within(running.port, burst, seconds=3.0)
        finally:
            os.kill(running.process.pid, signal.SIGCONT)
        assert connected == burst
        assert httpx.get(running.url + "/healthz", timeout=10).status_code == 200
    finally:
        running.stop()
