"""How a worker takes a burst: new connections and new requests' application work a few at a
time per event-loop turn, so the loop keeps turning (and `/healthz` keeps answering) while
hundreds of them arrive at once.

Each stage of a new connection takes one turn of asyncio's loop (accept, the transport's
set-up, `connection_made`, the request's bytes), and each turn runs everything made ready
before it. A burst made those turns long:

- asyncio accepts up to `backlog` connections in one call and sets them all up in the next
  turns. 1,100 half-sent requests reaching a worker within 0.2 s (`make attack`'s slowloris)
  made turns of tens of milliseconds, and a probe behind them waited 41-118 ms (four runs).
  The server is started with `backlog=ACCEPT_BATCH`, which asyncio uses both for `listen()`
  and as the most connections it accepts in one call; the socket is then given
  `LISTEN_BACKLOG` with a second `listen()`, so the kernel still queues a burst that size
  (uvicorn's default) and refuses nothing: only the accepting is paced. 22-46 ms after.
- A request whose headers arrived starts its application work (middleware, routing,
  dependencies, the route up to its first wait: 0.3-0.5 ms for an upload) in the next turn.
  300 upload heads at once (`make attack`'s trickle) queued 40-75 ms of that into a few turns;
  a probe waited 56-118 ms (four runs). `StartGate` lets at most `START_PER_TURN` requests
  start per turn and queues the rest in order: 17-26 ms after. A request on a quiet worker
  starts at once, as before.

Throughput does not change: while requests wait, the loop does not sleep between turns.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

ACCEPT_BATCH = 32
LISTEN_BACKLOG = 2048
START_PER_TURN = 8


class StartGate:
    """An ASGI application in front of `app`: about `per_turn` requests enter it per
    event-loop turn (at most twice that: the allowance is renewed by a callback that may run
    before the turn's other callbacks), the others wait in arrival order for the next
    turns."""

    def __init__(self, app: Any, per_turn: int = START_PER_TURN) -> None:
        self.app = app
        self.per_turn = per_turn
        self.started = 0  # requests let in since the last tick
        self.waiting: deque[asyncio.Future[None]] = deque()
        self.ticking = False

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self.waiting or self.started >= self.per_turn:
            future = asyncio.get_running_loop().create_future()
            self.waiting.append(future)
            self._tick_soon()
            await future  # a waiter cancelled here is skipped by the tick
        else:
            self.started += 1
            self._tick_soon()
        await self.app(scope, receive, send)

    def _tick_soon(self) -> None:
        if not self.ticking:
            self.ticking = True
            asyncio.get_running_loop().call_soon(self._tick)

    def _tick(self) -> None:
        """Once per turn while there is anything to count: a new turn's allowance."""
        self.ticking = False
        self.started = 0
        while self.waiting and self.started < self.per_turn:
            future = self.waiting.popleft()
            if not future.done():
                future.set_result(None)
                self.started += 1
        if self.waiting or self.started:
            self._tick_soon()
