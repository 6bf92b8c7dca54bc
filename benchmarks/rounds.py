"""Alternating timed rounds, their table and their corpus, shared by benchmarks/read.py and
to_json.py.

A `Reader` is one row: its `run_round()` goes once over every file and returns the seconds
it took, what it counted and the CPU seconds it used. The readers take turns round by round,
so a slower or busier moment of the machine falls on all of them alike; each row's figures
are its median round, by the wall clock and by CPU time, and their ratios to the first
row's. On a machine shared with other work the wall clock also counts the time others held
the cores; the CPU time counts only the reader's own work. Readers timed here in Python, native programs timed
inside their own long-lived process (benchmarks/native/driver.py), and whole commands timed
from outside (start-up included) all fit the same row.
"""

from __future__ import annotations

import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.native import driver
from tests.corpus import READABLE, data_store_files, pydicom_outcome

TEST_FILES_ONLY = "--test-files-only"


def parse_arguments(argv: Sequence[str]) -> tuple[int, bool]:
    """`[ROUNDS] [--test-files-only]` of a corpus benchmark: rounds (7 by default), and
    whether to leave pydicom-data's files out (many small files: per-element costs)."""
    rest = [arg for arg in argv if arg != TEST_FILES_ONLY]
    if len(rest) > 1 or (rest and not rest[0].isdigit()) or rest == ["0"]:
        raise SystemExit(f"usage: {Path(sys.argv[0]).name} [ROUNDS] [{TEST_FILES_ONLY}]")
    return (int(rest[0]) if rest else 7), TEST_FILES_ONLY in argv


def corpus_candidates(notes: list[str], test_files_only: bool = False
                      ) -> tuple[list[Path], str]:
    """The files the corpus benchmarks start from, those pydicom reads, and what they are:
    pydicom's test and charset files and, when pydicom-data is installed and not
    `test_files_only`, its downloadable data files (issue 17's corpus was both); a note when
    pydicom-data is missing."""
    data_files = [] if test_files_only else data_store_files()
    source = "pydicom's test and charset files"
    if data_files:
        source += " and pydicom-data's files"
    elif test_files_only:
        source += " (pydicom-data's left out)"
    else:
        notes.append("pydicom-data is not installed: only pydicom's test and charset files "
                     "(pip install pydicom-data, or the test extra, for issue 17's corpus)")
    files = sorted(set(READABLE) | set(data_files))
    return [p for p in files if pydicom_outcome(p) == "read"], source


@dataclass
class Reader:
    """One row: `run_round()` reads every file once and says (seconds, count, CPU seconds)."""

    name: str
    run_round: Callable[[], tuple[float, int, float]]
    close: Callable[[], None] = lambda: None
    times: list[float] = field(default_factory=list)
    cpu_times: list[float] = field(default_factory=list)
    count: int = 0

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu_times)


def python_reader(name: str, task: Callable[[Path], int], files: Sequence[Path]) -> Reader:
    """`task(path)` timed here over all files; one untimed round first (imports, caches)."""

    def run_round() -> tuple[float, int, float]:
        cpu_start = time.process_time()
        start = time.perf_counter()
        count = 0
        for path in files:
            count += task(path)
        return time.perf_counter() - start, count, time.process_time() - cpu_start

    run_round()
    return Reader(name, run_round)


def server_reader(name: str, command: Sequence[str], files: Sequence[Path],
                  tmp: Path) -> Reader:
    """A native program timing its own rounds (it warms up by itself)."""
    server = driver.RoundServer(command, files, tmp)
    return Reader(name, server.round, server.close)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def process_reader(name: str, command: Sequence[str]) -> Reader:
    """A whole command per round, start-up included; one untimed run first."""

    def run_round() -> tuple[float, int, float]:
        cpu_start = _children_cpu()
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.perf_counter() - start, 0, _children_cpu() - cpu_start

    run_round()
    return Reader(name, run_round)


def run_alternating(readers: Sequence[Reader], rounds: int) -> None:
    """`rounds` rounds, each reader once per round in turn; closes every reader."""
    try:
        for _ in range(rounds):
            for reader in readers:
                seconds, reader.count, cpu = reader.run_round()
                reader.times.append(seconds)
                reader.cpu_times.append(cpu)
    finally:
        for reader in readers:
            reader.close()


def print_table(readers: Sequence[Reader], count_label: str) -> None:
    """Median and CPU median, their ratios to the first reader's, count and every round
    (wall clock) of each reader."""
    base, cpu_base = readers[0].median, readers[0].cpu_median
    width = max(len(reader.name) for reader in readers)
    print(f"  {'reader':<{width}} {'median':>9} {'ratio':>6} {'CPU':>9} {'ratio':>6} "
          f"{count_label:>9}  every round (ms)")
    for reader in readers:
        rounds_ms = " ".join(f"{t * 1000:.1f}" for t in reader.times)
        print(f"  {reader.name:<{width}} {reader.median * 1000:6.1f} ms "
              f"{reader.median / base:6.2f} {reader.cpu_median * 1000:6.1f} ms "
              f"{reader.cpu_median / cpu_base:6.2f} {reader.count or '':>9}  {rounds_ms}")


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
