"""app/memory.py: freed buffers of a few MB are reused without page faults, and the objects
loaded at start are frozen out of the collector's passes."""

from __future__ import annotations

import gc
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

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


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_freed_large_buffers_are_reused_without_page_faults() -> None:
    default, tuned = page_faults("default"), page_faults("tuned")
    # 50 rounds of 4 buffers of 2 MiB touch 102,400 pages: by default most are faulted in.
    assert default > 40_000
    assert tuned < default / 10


def test_the_app_start_freezes_what_is_loaded() -> None:
    gc.unfreeze()
    with TestClient(create_app()) as client:
        assert client.get("/healthz").status_code == 200
        assert gc.get_freeze_count() > 1000
    gc.unfreeze()
