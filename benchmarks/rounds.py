"""Alternating timed rounds, their table and their corpus, shared by benchmarks/read.py and
to_json.py.

A `Reader` is one row: its `run_round()` goes once over every file and returns the seconds
it took and what it counted. The readers take turns round by round, so a slower or busier
moment of the machine falls on all of them alike; each row's figure is its median round and
its ratio is to the first row's median. Readers timed here in Python, native programs timed
inside their own long-lived process (benchmarks/native/driver.py), and whole commands timed
from outside (start-up included) all fit the same row.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.native import driver
from tests.corpus import READABLE, data_store_files, pydicom_outcome


def corpus_candidates(notes: list[str]) -> tuple[list[Path], str]:
    """The files the corpus benchmarks start from, those pydicom reads, and what they are:
    pydicom's test and charset files and, when pydicom-data is installed, its downloadable
    data files (issue 17's corpus was both); a note when pydicom-data is missing."""
    data_files = data_store_files()
    source = "pydicom's test and charset files"
    if data_files:
        source += " and pydicom-data's files"
    else:
        notes.append("pydicom-data is not installed: only pydicom's test and charset files "
                     "(pip install pydicom-data, or the test extra, for issue 17's corpus)")
    files = sorted(set(READABLE) | set(data_files))
    return [p for p in files if pydicom_outcome(p) == "read"], source


@dataclass
class Reader:
    """One row: `run_round()` reads every file once and says (seconds, count)."""

    name: str
    run_round: Callable[[], tuple[float, int]]
    close: Callable[[], None] = lambda: None
    times: list[float] = field(default_factory=list)
    count: int = 0

    @property
    def median(self) -> float:
        return statistics.median(self.times)


def python_reader(name: str, task: Callable[[Path], int], files: Sequence[Path]) -> Reader:
    """`task(path)` timed here over all files; one untimed round first (imports, caches)."""

    def run_round() -> tuple[float, int]:
        start = time.perf_counter()
        count = 0
        for path in files:
            count += task(path)
        return time.perf_counter() - start, count

    run_round()
    return Reader(name, run_round)


def server_reader(name: str, command: Sequence[str], files: Sequence[Path],
                  tmp: Path) -> Reader:
    """A native program timing its own rounds (it warms up by itself)."""
    server = driver.RoundServer(command, files, tmp)
    return Reader(name, server.round, server.close)


def process_reader(name: str, command: Sequence[str]) -> Reader:
    """A whole command per round, start-up included; one untimed run first."""

    def run_round() -> tuple[float, int]:
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.perf_counter() - start, 0

    run_round()
    return Reader(name, run_round)


def run_alternating(readers: Sequence[Reader], rounds: int) -> None:
    """`rounds` rounds, each reader once per round in turn; closes every reader."""
    try:
        for _ in range(rounds):
            for reader in readers:
                seconds, reader.count = reader.run_round()
                reader.times.append(seconds)
    finally:
        for reader in readers:
            reader.close()


def print_table(readers: Sequence[Reader], count_label: str) -> None:
    """Median, ratio to the first reader, count and every round of each reader."""
    base = readers[0].median
    width = max(len(reader.name) for reader in readers)
    print(f"  {'reader':<{width}} {'median':>9} {'ratio':>6} {count_label:>9}  every round (ms)")
    for reader in readers:
        rounds_ms = " ".join(f"{t * 1000:.1f}" for t in reader.times)
        print(f"  {reader.name:<{width}} {reader.median * 1000:6.1f} ms "
              f"{reader.median / base:6.2f} {reader.count or '':>9}  {rounds_ms}")


def machine_line() -> str:
    """CPU model, cores, load average (the benchmark's noise: other work on the machine)."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"machine: {model}, {os.cpu_count()} cores, load average {load}; "
            f"Python {platform.python_version()}")
