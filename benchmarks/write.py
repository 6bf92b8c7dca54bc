"""Write benchmark: read+write of the pydicom corpus with dicomcore against pydicom, and the
copy of a 1 GiB file through a deferred read and a write against `shutil.copyfile`.

The corpus is read.py's (`benchmarks/rounds.py corpus_candidates`: pydicom's test and
charset files and, when installed, pydicom-data's), the files both libraries write back.
The corpus rounds alternate between the libraries in one process and print the median time
per round by the wall clock and by CPU time, and the ratios. The copy is timed three times
each way on the same disk, with the file written out in full (not sparse), and prints the
throughput ratio.

Run with `make bench` (or `python benchmarks/write.py [rounds] [--test-files-only]`).
"""

from __future__ import annotations

import io
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pydicom  # noqa: E402

import dicomcore  # noqa: E402
from benchmarks.rounds import corpus_candidates, parse_arguments  # noqa: E402
from tests.bigfile import write_multiframe  # noqa: E402


def _pydicom_round_trip(path: Path) -> None:
    ds = pydicom.dcmread(path)
    ds.save_as(io.BytesIO(), enforce_file_format=False)


def _dicomcore_round_trip(path: Path) -> None:
    ds = dicomcore.dcmread(path)
    dicomcore.write_file(io.BytesIO(), ds)


def corpus_benchmark(rounds: int, test_files_only: bool = False) -> float:
    notes: list[str] = []
    files, source = corpus_candidates(notes, test_files_only)
    runners = {"pydicom": _pydicom_round_trip, "dicomcore": _dicomcore_round_trip}
    usable = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for path in files:  # only files both libraries can write back
            try:
                for run in runners.values():
                    run(path)
                usable.append(path)
            except Exception:
                pass
        times: dict[str, list[float]] = {name: [] for name in runners}
        cpu_times: dict[str, list[float]] = {name: [] for name in runners}
        for _ in range(rounds):
            for name, run in runners.items():
                cpu_start = time.process_time()
                start = time.perf_counter()
                for path in usable:
                    run(path)
                times[name].append(time.perf_counter() - start)
                cpu_times[name].append(time.process_time() - cpu_start)
    med = {name: statistics.median(t) for name, t in times.items()}
    cpu = {name: statistics.median(t) for name, t in cpu_times.items()}
    data_bytes = sum(p.stat().st_size for p in usable)
    print(f"corpus read+write: {len(usable)} files, {data_bytes / 1e6:.1f} MB ({source} that "
          f"both libraries write back), {rounds} rounds")
    for name in runners:
        print(f"  {name:<10} median {med[name] * 1000:8.1f} ms/round, CPU "
              f"{cpu[name] * 1000:8.1f} ms")
    ratio = med["dicomcore"] / med["pydicom"]
    print(f"  ratio dicomcore/pydicom: {ratio:.2f}, CPU {cpu['dicomcore'] / cpu['pydicom']:.2f} "
          "(issue 17 target <= 0.30)")
    for note in notes:
        print(f"  note: {note}")
    return ratio


def copy_benchmark(size: int = 1 << 30, repeats: int = 3) -> float:
    with tempfile.TemporaryDirectory(dir=Path(__file__).resolve().parent.parent) as tmp:
        source = Path(tmp) / "source.dcm"
        target = Path(tmp) / "target.dcm"
        write_multiframe(source, size, sparse=False)
        length = source.stat().st_size
        copy_times, ours_times = [], []
        for _ in range(repeats):
            start = time.perf_counter()
            shutil.copyfile(source, target)
            copy_times.append(time.perf_counter() - start)
            target.unlink()
            start = time.perf_counter()
            ds = dicomcore.dcmread(source, defer_size="1 MB")
            dicomcore.write_file(target, ds)
            ours_times.append(time.perf_counter() - start)
            target.unlink()
    copy_s, ours_s = statistics.median(copy_times), statistics.median(ours_times)
    print(f"copy of a {length / 2**30:.2f} GiB file, median of {repeats}:")
    print(f"  shutil.copyfile          {copy_s:6.2f} s  ({length / copy_s / 2**20:7.0f} MiB/s)")
    print(f"  dicomcore read+write     {ours_s:6.2f} s  ({length / ours_s / 2**20:7.0f} MiB/s)")
    speed = copy_s / ours_s
    print(f"  speed dicomcore/copyfile: {speed:.2f} (target >= 0.50)")
    return speed


def main() -> None:
    rounds, test_files_only = parse_arguments(sys.argv[1:])
    corpus_benchmark(rounds, test_files_only)
    copy_benchmark()


if __name__ == "__main__":
    main()
