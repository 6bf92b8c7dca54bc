"""A short soak (make soak runs ten minutes): mixed traffic on two workers, no 5xx, no lost
update, no leftover temporary file."""

from __future__ import annotations

from pathlib import Path

from .soak import soak


def test_short_soak(tmp_path: Path) -> None:
    result = soak(seconds=15, concurrency=16, storage=tmp_path / "data")
    print(result)
    assert result["requests"] > 100
    assert not result["server_errors"]
    assert not result["unexpected"]
    assert not result["lost_updates"]
    assert result["patched_items"] > 10
    assert not result["leftover_files"]
