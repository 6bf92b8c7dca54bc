"""A `/healthz` prober in a process of its own, for `make attack`.

Each probe opens a new connection (so the kernel picks the worker, as for any new client),
sends one `GET /healthz` with `Connection: close` on a plain socket and reads the answer to
its end; its latency runs from before the connect to the last byte. The prober runs in a
spawned process: probes from a thread of the attacking process also waited for that
process's own GIL (building inputs, reading large answers, httpx making a client per call)
and counted the attacker's pauses as the server's. The loop stops when told or after
`max_seconds`.
"""

from __future__ import annotations

import multiprocessing
import socket
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

REQUEST = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
MAX_ANSWER = 1 << 16


def probe_once(port: int, timeout: float = 5.0) -> float | None:
    """The seconds one `GET /healthz` took on a new connection; None if it failed (no 200,
    an error, or no complete answer within `timeout`)."""
    started = time.perf_counter()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.sendall(REQUEST)
            answer = b""
            while len(answer) < MAX_ANSWER:
                if time.perf_counter() - started > timeout:
                    return None
                chunk = sock.recv(4096)
                if not chunk:
                    break
                answer += chunk
    except OSError:
        return None
    elapsed = time.perf_counter() - started
    return elapsed if answer.startswith(b"HTTP/1.1 200 ") else None


def _probe_loop(port: int, interval: float, max_seconds: float, stop: Any, ready: Any,
                results: Connection) -> None:
    latencies: list[float] = []
    starts: list[float] = []
    failures = 0
    began = time.monotonic()
    deadline = began + max_seconds
    while not stop.is_set() and time.monotonic() < deadline:
        started = time.monotonic() - began
        latency = probe_once(port)
        if latency is None:
            failures += 1
        else:
            latencies.append(latency)
            starts.append(started)
        ready.set()
        stop.wait(max(0.0, interval - (latency or 0.0)))
    results.send((latencies, starts, failures, began))
    results.close()


@dataclass
class Probes:
    """What a prober saw: each answered probe's latency and start (seconds after the prober
    started), and the failures."""

    latencies: list[float] = field(default_factory=list)
    starts: list[float] = field(default_factory=list)
    failures: int = 0
    began: float = 0.0  # time.monotonic() when the prober started (one clock for processes)

    def percentile_ms(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] * 1000

    def within(self, windows: list[tuple[float, float]]) -> Probes:
        """The probes that started inside one of `windows` (time.monotonic() pairs)."""
        kept = Probes(began=self.began)
        for start, latency in zip(self.starts, self.latencies, strict=True):
            if any(begin <= self.began + start <= end for begin, end in windows):
                kept.starts.append(start)
                kept.latencies.append(latency)
        return kept

    def over(self, seconds: float) -> list[tuple[float, float]]:
        """(start, latency) of each probe slower than `seconds`."""
        return [(start, latency) for start, latency in zip(self.starts, self.latencies, strict=True)
                if latency > seconds]


class Prober:
    """`GET /healthz` every `interval` seconds from a spawned process until `stop()`; made
    once the first probe is done (or `start_seconds` have passed), so that what follows is
    probed from its start."""

    def __init__(self, port: int, interval: float = 0.05, max_seconds: float = 1800.0,
                 start_seconds: float = 30.0) -> None:
        context = multiprocessing.get_context("spawn")
        self._stop = context.Event()
        ready = context.Event()
        self._results, sending = context.Pipe(duplex=False)
        self._process = context.Process(target=_probe_loop, name="healthz-prober", daemon=True,
                                        args=(port, interval, max_seconds, self._stop, ready,
                                              sending))
        self._process.start()
        sending.close()
        ready.wait(start_seconds)

    def stop(self, timeout: float = 30.0) -> Probes:
        """Stop probing; what was seen (nothing if the prober did not answer in time)."""
        self._stop.set()
        probes = Probes()
        try:
            if self._results.poll(timeout):
                probes = Probes(*self._results.recv())
        except EOFError:  # the prober died: it saw nothing that can be told
            pass
        self._process.join(timeout)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(timeout)
        return probes
