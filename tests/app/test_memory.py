"""app/memory.py: freed buffers of a few MB are reused without page faults, the objects
loaded at start are frozen out of the collector's passes, and full passes wait for a quiet
moment."""

from __future__ import annotations

import asyncio
import gc
import os
import platform
import subprocess
import sys
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app import memory
from app.main import create_app

PROGRAM = """
import resource, sys
from app import memory
if sys.argv[1] == "tuned":
    assert memory.keep_large_buffers()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(50):
    # A request's buffers: the upload, value chunks, the result, alive at once.
    buffers = [b"\x01" * (2 << 20) for _ in range(4)]
    del buffers
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def page_faults(mode: str) -> int:
    result = subprocess.run([sys.executable, "-c", PROGRAM, mode], capture_output=True,
                            text=True, check=True, timeout=60)
    return int(result.stdout)


GLIBC_DEFAULTS = platform.libc_ver()[0] == "glibc" and not any(
    name.startswith("MALLOC_") or name in ("GLIBC_TUNABLES", "LD_PRELOAD") for name in os.environ)


@pytest.mark.skipif(not GLIBC_DEFAULTS, reason="needs glibc's allocator with its defaults")
def test_freed_large_buffers_are_reused_without_page_faults() -> None:
    default, tuned = page_faults("default"), page_faults("tuned")
    # 50 rounds of 4 buffers of 2 MiB touch 102,400 pages: by default most are faulted in.
    assert default > 40_000
    assert tuned < default / 10


def test_the_app_start_applies_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    applied = []
    monkeypatch.setattr(memory, "keep_large_buffers", lambda: applied.append(1) or True)
    monkeypatch.setattr(memory, "_frozen", False)
    gc.unfreeze()
    try:
        with TestClient(create_app()) as client:
            assert client.get("/healthz").status_code == 200
            assert applied == [1]
            assert gc.get_freeze_count() > 1000
    finally:
        gc.unfreeze()


def test_a_missing_allocator_setting_is_logged(monkeypatch: pytest.MonkeyPatch,
                                               caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(memory, "keep_large_buffers", lambda: False)
    with caplog.at_level("WARNING"), TestClient(create_app()):
        pass
    assert "allocator settings not applied" in caplog.text


def full_passes_while(busy: bool, longest: float, seconds: float = 0.35) -> int:
    """Full collections run by `collect_when_quiet` in `seconds`, with something to collect."""
    seen = []

    def watch(phase: str, info: dict[str, Any]) -> None:
        if phase == "start" and info["generation"] == 2:
            seen.append(1)

    async def run() -> None:
        async with memory.collect_when_quiet(lambda: busy, check=0.05, longest=longest):
            assert gc.get_threshold()[2] > 1_000_000  # no automatic full passes meanwhile
            gc.collect(1)  # a young collection: promoted objects may wait in the oldest
            gc.callbacks.append(watch)
            try:
                await asyncio.sleep(seconds)
            finally:
                gc.callbacks.remove(watch)

    thresholds = gc.get_threshold()
    asyncio.run(run())
    assert gc.get_threshold() == thresholds
    return len(seen)


def test_full_collections_run_when_no_request_work_is_running() -> None:
    assert full_passes_while(busy=False, longest=60) >= 1


def test_full_collections_wait_while_work_runs_in_threads_up_to_a_limit() -> None:
    assert full_passes_while(busy=True, longest=60) == 0
    assert full_passes_while(busy=True, longest=0.1) >= 1


def test_the_app_defers_full_collections_while_it_runs() -> None:
    oldest = gc.get_threshold()[2]
    with TestClient(create_app()) as client:
        assert client.get("/healthz").status_code == 200
        assert gc.get_threshold()[2] > 1_000_000
    assert gc.get_threshold()[2] == oldest
