"""The fuzz harness in `make test`: every kept crashing input, and a short mutation run.

The long coverage-guided run is `make fuzz` (atheris); this replays what it found and runs
the same harness over a few hundred mutated corpus files with hypothesis.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from fuzz.harness import exercise

from .test_badinput import mutated_files

REGRESSIONS = sorted((Path(__file__).resolve().parent.parent / "fuzz" / "regressions").iterdir())


def test_there_are_regression_inputs() -> None:
    assert REGRESSIONS


@pytest.mark.parametrize("path", REGRESSIONS, ids=lambda p: p.name)
def test_regression_input(path: Path) -> None:
    started = time.perf_counter()
    exercise(path.read_bytes())
    assert time.perf_counter() - started < 1.0


@settings(max_examples=200, deadline=1000, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_files())
def test_short_fuzz_run(data: bytes) -> None:
    exercise(data)
