"""Read benchmark: dicomcore against pydicom, dcmtk and GDCM on the pydicom corpus, and a
1 GiB file.

Every reader reads the same files: pydicom's test and charset files and, when pydicom-data
is installed, pydicom's downloadable data files (issue 17's corpus), those that every reader
available here reads (the others are left out for every reader, and named). Each reader
parses every element and decodes every value at every depth (sequence items, the meta
header), and the readers take turns round by round (alternating rounds, so none gets a
warmer cache or a quieter moment): pydicom and dicomcore (`dcmread`, then `.value` of every
element) and raw I/O (each file's bytes, the floor) timed here; dcmtk's and GDCM's C++
programs (benchmarks/native/, built with g++ on first use) and GDCM from Python (Debian's
python3-gdcm) timed inside their own processes, which stay open across the rounds, so
start-up is not counted; `dcmdump` over all files in one process per round, start-up
included. It prints each reader's median time per round by the wall clock and by CPU time
(the reader's own process; the machine may be shared), their ratios to pydicom's and every
round's time. A toolkit that is not installed is skipped with a note.

Then, in fresh processes, it measures a 1 GiB multi-frame file read with stop_before_pixels
and with defer_size="1 MB": time, bytes read and peak RSS.

Run with `make bench` (or `python benchmarks/read.py [rounds] [--test-files-only]`;
the option leaves pydicom-data's files out).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import warnings
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pydicom  # noqa: E402

import dicomcore  # noqa: E402
from benchmarks.native import driver  # noqa: E402
from benchmarks.rounds import (  # noqa: E402
    corpus_candidates,
    machine_line,
    parse_arguments,
    print_table,
    process_reader,
    python_reader,
    run_alternating,
    server_reader,
)
from tests.bigfile import write_multiframe  # noqa: E402

ISSUE_TARGET = 0.20  # issue 17: read + touch <= 0.20x pydicom


def _touch_all(read: object, path: Path) -> int:
    """Read with `read` (dcmread of either library) and decode every value."""
    ds = read(path)  # type: ignore[operator]
    count = 0
    for elem in ds.iterall():
        elem.value  # noqa: B018
        count += 1
    for elem in ds.file_meta:
        elem.value  # noqa: B018
        count += 1
    return count


def _read_bytes(path: Path) -> int:
    return len(path.read_bytes())


def native_commands(notes: list[str]) -> dict[str, list[str]]:
    """The native readers installed here, by row name; a note for each one that is not."""
    commands: dict[str, list[str]] = {}
    for toolkit, label in (("dcmtk", "dcmtk {} C++ (loadFile + walk)"),
                           ("gdcm", "GDCM {} C++ (Reader + walk)")):
        try:
            program = [str(driver.build(toolkit)), "read"]
            commands[label.format(driver.version(program[:1]))] = program
        except driver.Unavailable as missing:
            notes.append(str(missing))
    try:
        command = driver.python_gdcm()
        commands[f"GDCM {driver.version(command)} from Python (Reader + walk)"] = command
    except driver.Unavailable as missing:
        notes.append(str(missing))
    return commands


def common_files(candidates: list[Path], commands: dict[str, list[str]], tmp: Path,
                 notes: list[str]) -> tuple[list[Path], list[Path]]:
    """The files of `candidates` every reader reads, and the ones left out."""
    files = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for path in candidates:
            try:
                _touch_all(dicomcore.dcmread, path)
                files.append(path)
            except Exception:
                pass
    for name in list(commands):  # C++ first: the Python GDCM check gets the files GDCM reads
        try:
            ok = driver.readable(commands[name], files, tmp)
        except driver.Unavailable as failed:
            notes.append(f"{name} skipped: {failed}")
            del commands[name]
            continue
        files = [p for p in files if p in ok]
    left_out = [p for p in candidates if p not in files]
    return files, left_out


def corpus_benchmark(rounds: int, test_files_only: bool = False) -> float:
    notes: list[str] = []
    commands = native_commands(notes)
    candidates, source = corpus_candidates(notes, test_files_only)
    with tempfile.TemporaryDirectory() as directory:
        tmp = Path(directory)
        files, left_out = common_files(candidates, commands, tmp, notes)
        data_bytes = sum(p.stat().st_size for p in files)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            readers = [
                python_reader(f"pydicom {pydicom.__version__} (dcmread + touch)",
                              partial(_touch_all, pydicom.dcmread), files),
                python_reader("dicomcore (dcmread + touch)",
                              partial(_touch_all, dicomcore.dcmread), files),
            ]
            for name, command in commands.items():
                try:
                    readers.append(server_reader(name, command, files, tmp))
                except driver.Unavailable as failed:
                    notes.append(f"{name} skipped: {failed}")
            dcmdump = shutil.which("dcmdump")
            if dcmdump:
                readers.append(process_reader("dcmdump, one process for all files",
                                              [dcmdump, *map(str, files)]))
            else:
                notes.append("dcmdump row skipped: install Debian's dcmtk")
            readers.append(python_reader("raw I/O (each file's bytes, Python)", _read_bytes,
                                         files))
            run_alternating(readers, rounds)
    print(f"corpus: {len(files)} files, {data_bytes / 1e6:.1f} MB ({source} that every "
          f"reader here reads; {len(left_out)} more that pydicom reads left out for every reader"
          f"{': ' + ', '.join(p.name for p in left_out) if left_out else ''})")
    print(f"  {rounds} alternating rounds, every element parsed and every value decoded; "
          "count = elements as the reader counts them (bytes for raw I/O)")
    print_table(readers, "count")
    pydicom_row, ours = readers[0], readers[1]
    ratio = ours.median / pydicom_row.median
    print(f"  ratio dicomcore/pydicom: {ratio:.2f}, CPU "
          f"{ours.cpu_median / pydicom_row.cpu_median:.2f} (issue 17 target <= "
          f"{ISSUE_TARGET:.2f})")
    for reader in readers[2:]:
        if "C++" in reader.name:
            print(f"  dicomcore / {reader.name}: {ours.median / reader.median:.2f}x, CPU "
                  f"{ours.cpu_median / reader.cpu_median:.2f}x (issue 17: within 1.5x)")
    for note in notes:
        print(f"  note: {note}")
    return ratio


_BIG_SCRIPT = r"""
import json, resource, sys, time
import dicomcore
def peak_mb():
    # VmHWM starts afresh at exec; ru_maxrss would include the parent's peak.
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
mode = sys.argv[2]
class Counting:
    def __init__(self, fp): self.fp, self.n = fp, 0
    def read(self, n=-1):
        data = self.fp.read(n); self.n += len(data); return data
    def __getattr__(self, name): return getattr(self.fp, name)
with open(sys.argv[1], "rb") as raw:
    fp = Counting(raw)
    start = time.perf_counter()
    if mode == "stop_before_pixels":
        ds = dicomcore.dcmread(fp, stop_before_pixels=True)
    else:
        ds = dicomcore.dcmread(fp, defer_size="1 MB")
        for elem in ds.iterall():
            if elem.tag != 0x7FE00010:
                elem.value
    elapsed = time.perf_counter() - start
print(json.dumps({"ms": elapsed * 1000, "bytes_read": fp.n, "rss_mb": peak_mb()}))
"""


def big_file_benchmark() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "gib.dcm"
        write_multiframe(path, 1 << 30)
        size = path.stat().st_size
        print(f"1 GiB multi-frame file ({size} bytes):")
        for mode in ("stop_before_pixels", "defer_size=1MB+touch"):
            out = subprocess.run([sys.executable, "-c", _BIG_SCRIPT, str(path), mode],
                                 check=True, capture_output=True, text=True).stdout
            r = json.loads(out)
            print(f"  {mode:<22} {r['ms']:7.2f} ms, {r['bytes_read']:>7} bytes read, "
                  f"peak RSS {r['rss_mb']:.1f} MB")


def main() -> None:
    rounds, test_files_only = parse_arguments(sys.argv[1:])
    print(machine_line())
    corpus_benchmark(rounds, test_files_only)
    big_file_benchmark()


if __name__ == "__main__":
    main()
