"""Run the service in uvicorn processes, each with a listening socket of its own (one
worker runs in the process that starts it).

uvicorn's `--workers` shares one listening socket between its processes, and the process
that wakes first accepts every connection waiting: in the benchmark, 16 keep-alive clients
all landed on one of two workers, which served them alone at half the machine's throughput.
Here every worker binds its own socket with SO_REUSEPORT and the kernel spreads new
connections across them.

The supervisor refuses a port something already listens on, keeps a socket bound to it
(never listening, so it takes no connections), restarts a worker that dies, stops all of
them on SIGTERM or SIGINT, and gives up with exit status 3 when a worker dies before it has
started to serve. A worker stops by itself when the supervisor is gone, even killed.

While a worker runs (any way it is started: its app's lifespan), the interpreter's switch
interval is `SWITCH_SECONDS`, not 5 ms. A thread that wants the GIL asks its holder to drop
it after that long: the event loop takes it back each time it wakes (several times per
request) from a thread parsing or patching. `make attack`'s wildcard patch, 2 x 2 runs:
`/healthz` p50 6 -> 3 ms, max 125-255 -> 68-69 ms. Threads that run alone are not switched.

Before a worker serves, `warm_up` does the work that FastAPI and anyio otherwise do on the
event loop in the first requests a worker gets: each included router's routes and their
dependency models are built on the first request that reaches the router (40-90 ms of CPU
on the loop), each endpoint's source is read and tokenized on its first call (up to 15 ms),
and anyio imports its thread backend on the first call to a thread (about 20 ms). In `make
attack`, where each attack starts a fresh server, those first requests held the loop, and a
`/healthz` on that worker waited, 110-230 ms on a loaded machine.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import resource
import signal
import socket
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING, Any

import uvicorn

from . import pacing

if TYPE_CHECKING:
    from fastapi import FastAPI

log = logging.getLogger("uvicorn.error")

STARTUP_FAILURE = 3
SWITCH_SECONDS = 0.001
STOP_SECONDS = 8.0  # for running requests on shutdown: inside `docker stop`'s 10 s
_PR_SET_PDEATHSIG = 1


def raise_open_file_limit(wanted: int = 65536) -> int:
    """Raise this process's soft limit of open files towards `wanted` (at most the hard
    limit; children inherit it); the soft limit in force after. 1,024, a common default, is
    less than the connections and files a worker may hold."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError) as exc:
            log.warning("cannot raise the open file limit from %d: %s", soft, exc)
    return soft


@contextmanager
def short_switch_interval(seconds: float = SWITCH_SECONDS) -> Iterator[None]:
    """The interpreter's switch interval is `seconds` while inside (restored after): the
    event loop waits at most about that long for the GIL each time it wakes."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(seconds)
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


_NO_ROUTE = "/\x00warm-up"  # a path no route has: matching it walks every router


async def warm_up(app: FastAPI) -> None:
    """Build what the first requests would build on the event loop (module docstring): one
    request for a path no route has through `app.router` (404, no middleware, no log line),
    each endpoint's source context, and a call to a thread."""
    # Imported here: the supervisor process, which imports this module too, needs neither.
    import anyio.to_thread
    import fastapi.routing

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        pass

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "GET", "scheme": "http", "path": _NO_ROUTE,
             "raw_path": _NO_ROUTE.encode(), "root_path": "", "query_string": b"",
             "headers": [], "client": None, "server": None}
    try:
        await app.router(scope, receive, send)
        # Private to FastAPI (0.16x): a version without it reads each source on first call.
        extract = getattr(fastapi.routing, "_extract_endpoint_context", None)
        if extract is not None:
            for endpoint in _endpoints(app.routes):
                extract(endpoint)
        await anyio.to_thread.run_sync(int)
    except Exception as exc:  # noqa: BLE001 - a warm-up that fails must not stop a worker
        log.warning("warm-up failed (%s): the first requests do what it would have", exc)


def _endpoints(routes: list[Any]) -> Iterator[Any]:
    for route in routes:
        if getattr(route, "endpoint", None) is not None:
            yield route.endpoint
        included = getattr(route, "original_router", None)  # an included router (0.16x)
        if included is not None:
            yield from _endpoints(included.routes)


def supported() -> bool:
    """Whether this platform balances SO_REUSEPORT listeners (Linux does)."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def bind(host: str, port: int, reuse_port: bool) -> socket.socket:
    """A TCP socket bound to host:port, not yet listening."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except BaseException:
        sock.close()
        raise
    return sock


class _Server(uvicorn.Server):
    """A uvicorn server on sockets of its own that accepts a burst in batches
    (`app.pacing`) and tells the supervisor, if any, when it has started."""

    def __init__(self, options: dict[str, Any], ready: Any = None) -> None:
        # asyncio's backlog is also how many connections it accepts in one call
        super().__init__(uvicorn.Config(**options, backlog=pacing.ACCEPT_BATCH))
        self.ready = ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        for sock in sockets or ():
            sock.listen(pacing.LISTEN_BACKLOG)  # the kernel's queue: a burst's full size
        if self.started and self.ready is not None:
            self.ready.set()


def serve_one(options: dict[str, Any], host: str, port: int) -> int:
    """Run one worker in this process until a signal stops it; the exit status."""
    server = _Server(options)  # its config sets up logging
    try:
        sock = bind(host, port, reuse_port=False)
    except OSError as exc:
        log.error("cannot bind %s:%d: %s", host, port, exc.strerror or exc)
        return STARTUP_FAILURE
    log.info("dicomcore: 1 worker on http://%s:%d", host, port)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn raises Ctrl-C again once it has shut down
        pass
    finally:
        sock.close()
    return 0 if server.started else STARTUP_FAILURE


def _stop_with(supervisor: int) -> None:
    """Have the kernel send SIGTERM to this process when its parent dies."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        return
    if os.getppid() != supervisor:  # the parent died before the call
        os.kill(os.getpid(), signal.SIGTERM)


def worker(options: dict[str, Any], host: str, port: int, ready: Any,
           supervisor: int) -> None:
    """One worker process: its own SO_REUSEPORT socket, one uvicorn server on it."""
    # A process group of its own: Ctrl-C in a terminal reaches only the supervisor, which
    # stops the workers with SIGTERM. Reached by both, a worker took the supervisor's SIGTERM
    # as a second signal: forced exit and a KeyboardInterrupt traceback.
    os.setpgrp()
    _stop_with(supervisor)
    sock = bind(host, port, reuse_port=True)
    _Server(options, ready).run(sockets=[sock])


def serve(options: dict[str, Any], host: str, port: int, workers: int) -> int:
    """Run `workers` worker processes until a signal stops them; the exit status."""
    try:
        # A plain bind first: it fails when anything, another instance of this service
        # included, already listens on the port, where a SO_REUSEPORT bind would share it.
        bind(host, port, reuse_port=False).close()
        holder = bind(host, port, reuse_port=True)
    except OSError as exc:
        log.error("cannot bind %s:%d: %s", host, port, exc.strerror or exc)
        return STARTUP_FAILURE
    context = multiprocessing.get_context("spawn")
    stopping: list[int] = []

    def start() -> tuple[BaseProcess, Any]:
        ready = context.Event()
        process = context.Process(target=worker, args=(options, host, port, ready,
                                                       os.getpid()), name="dicomcore-worker")
        process.start()
        return process, ready

    def on_signal(signum: int, _frame: Any) -> None:
        stopping.append(signum)

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    status = 0
    running: list[tuple[BaseProcess, Any]] = []
    try:
        for _ in range(workers):
            running.append(start())
        log.info("dicomcore: %d workers on http://%s:%d, one SO_REUSEPORT socket each",
                 workers, host, port)
        while not stopping:
            wait([process.sentinel for process, _ in running], timeout=0.5)
            for index, (process, ready) in enumerate(running):
                if process.is_alive() or stopping:
                    continue
                if not ready.is_set():
                    log.error("worker %d exited with %s during its start: stopping",
                              process.pid, process.exitcode)
                    status = STARTUP_FAILURE
                    stopping.append(0)
                    break
                log.warning("worker %d exited with %s: starting another", process.pid,
                            process.exitcode)
                running[index] = start()
    finally:
        for process, _ in running:
            if process.is_alive():
                process.terminate()  # uvicorn's graceful shutdown
        deadline = time.monotonic() + STOP_SECONDS
        for process, _ in running:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
        holder.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return status
