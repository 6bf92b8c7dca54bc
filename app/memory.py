"""Memory settings for a worker process: keep freed large buffers, keep the objects loaded
at start out of the garbage collector's full passes, and run those passes only when the
worker is quiet.

glibc hands every freed buffer from 128 KiB up back to the kernel (or, once it adapts,
trims the heap above twice the largest buffer seen), and the next request faults the pages
in again, zeroed. Patching a 2 MB file allocates a few such buffers (the upload, the value
chunks, the result): in-process that took 2.0 ms of a 2.2 ms patch, and 0.25 ms with the
settings below. The cost is memory kept: free memory at the top of a heap is given back only
beyond `TRIM_BYTES`, and freed buffers below the top stay for reuse as before.

A full collection walks every tracked object, the application's and the dictionary's
included: up to 75 ms each under load, about 8 % of a worker's time. Freezing what exists
after start leaves those passes only the objects of requests.

A full collection also holds the GIL from start to end, and its length grows with the
objects alive: while a request's 250,000-element data set and its JSON model were alive
(1,000,000 tracked objects), CPython's automatic full passes took up to 270 ms each, nine
of them in one request, and the event loop, `/healthz` included, waited for each. The
library's objects hold no reference cycles: a request's objects are freed by reference
counting when it ends. So full passes are left to `collect_when_quiet`, which runs them on
the event loop when no request work is running in a thread (and so few objects are alive),
or at the latest every `FULL_PASS_LONGEST_SECONDS`; the young generations are collected as
before.
"""

from __future__ import annotations

import asyncio
import ctypes
import gc
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

# mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8

MMAP_BYTES = 32 << 20  # buffers below this come from the heap (glibc's largest allowed value)
TRIM_BYTES = 64 << 20  # free memory kept at the top of a heap before it is given back
ARENAS = 2  # the event loop's and the worker threads': caps the memory kept


def keep_large_buffers() -> bool:
    """Tune glibc's allocator for buffers of a few MB; False where there is no mallopt."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    results = [mallopt(param, value) for param, value in (
        (_M_ARENA_MAX, ARENAS), (_M_MMAP_THRESHOLD, MMAP_BYTES), (_M_TRIM_THRESHOLD, TRIM_BYTES))]
    return all(result == 1 for result in results)


_frozen = False


def freeze_loaded_objects() -> None:
    """Collect once, then exempt every object alive now from later collections (once per
    process: the test suite starts many apps in one)."""
    global _frozen
    if not _frozen:
        gc.collect()
        gc.freeze()
        _frozen = True


FULL_PASS_CHECK_SECONDS = 1.0
FULL_PASS_LONGEST_SECONDS = 30.0
_NEVER = 1 << 30  # a threshold the oldest generation's count never reaches


def threads_busy() -> bool:
    """Whether request work is running in this event loop's worker threads (call it on the
    loop)."""
    # Imported here: importing anyio's thread module allocates and frees enough to move
    # glibc's mmap threshold before `keep_large_buffers` runs (the test of its defaults saw it).
    import anyio.to_thread

    return anyio.to_thread.current_default_thread_limiter().borrowed_tokens > 0


async def _full_passes(busy: Callable[[], bool], check: float, longest: float) -> None:
    last = time.monotonic()
    while True:
        await asyncio.sleep(check)
        if gc.get_count()[2] == 0:
            continue  # no young collection since the last full one: nothing was promoted
        if busy() and time.monotonic() - last < longest:
            continue
        gc.collect()
        last = time.monotonic()


@asynccontextmanager
async def collect_when_quiet(busy: Callable[[], bool] = threads_busy,
                             check: float = FULL_PASS_CHECK_SECONDS,
                             longest: float = FULL_PASS_LONGEST_SECONDS
                             ) -> AsyncIterator[None]:
    """While inside: no automatic full collections; every `check` seconds, one on this
    loop when `busy()` is false, or when the last was `longest` seconds ago. The thresholds
    are restored on the way out."""
    thresholds = gc.get_threshold()
    gc.set_threshold(thresholds[0], thresholds[1], _NEVER)
    task = asyncio.create_task(_full_passes(busy, check, longest))
    try:
        yield
    finally:
        task.cancel()
        gc.set_threshold(*thresholds)
