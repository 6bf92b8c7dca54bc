"""JSON benchmark: a file read and turned into DICOM JSON (PS3.18 F), dicomcore against
pydicom and dcmtk, on the pydicom corpus.

Each row reads a file and converts its data set (not the meta header) with every binary
value inline as base64, as each tool does when no bulk data handler is given:

- pydicom `Dataset.to_json_dict()` (the 1.00 of every ratio) and `to_json()` (a string);
- dicomcore `to_json_dict()` and `to_json()` (a string);
- dcmtk's C++ `DcmFileFormat::writeJson` with the compact format into a string in memory
  (benchmarks/native/dcmtk_bench.cc, timed inside its own process, start-up not counted);
- the floor of any Python library on this work: each file's bytes read whole, and each of
  its binary values (at any depth, located once before the rounds) base64-encoded from them
  by the C `binascii.b2a_base64` both libraries call, and made a str. No parsing, no other
  value; big endian values are not swapped. On a corpus of pixel data this row alone is
  most of the 0.25x target.

Every row converts the same files: pydicom's test and charset files and, when pydicom-data is
installed, pydicom's downloadable data files (issue 17's corpus), those that pydicom reads
and that every tool here converts (dcmtk 3.6.7's writeJson refuses encapsulated pixel data,
so those files are left out for every tool when dcmtk is installed). The rows take turns
round by round; it prints each row's median round by the wall clock and by CPU time, their
ratios to pydicom's `to_json_dict` and every round.

(Named to_json.py rather than json.py: a script run from benchmarks/ puts that folder first
on sys.path, and a json.py there would stand in for the standard library's json in every
benchmark of the folder.)

Run with `make bench` (or `python benchmarks/to_json.py [rounds] [--test-files-only]`;
the option leaves pydicom-data's files out).
"""

from __future__ import annotations

import sys
import tempfile
import warnings
from binascii import b2a_base64
from collections.abc import Callable
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
    python_reader,
    run_alternating,
    server_reader,
)
from dicomcore.dataset import Dataset  # noqa: E402
from dicomcore.vr import BYTES_VRS  # noqa: E402

DICT_TARGET = 0.25  # issue 17: to_json_dict <= 0.25x pydicom's
FLOOR = "floor: file bytes + base64 str of binary values"


def _dict_task(read: Callable[[Path], object]) -> Callable[[Path], int]:
    def task(path: Path) -> int:
        return len(read(path).to_json_dict())  # type: ignore[attr-defined]
    return task


def _string_task(read: Callable[[Path], object]) -> Callable[[Path], int]:
    def task(path: Path) -> int:
        return len(read(path).to_json())  # type: ignore[attr-defined]
    return task


def _binary_values(ds: Dataset, found: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """(offset, length) in the file of each binary value of `ds` and its items, as read
    with every value deferred."""
    for elem in ds:
        if elem.VR == "SQ":
            for item in elem.value:
                _binary_values(item, found)
        elif elem.VR in BYTES_VRS and elem.is_deferred:
            found.append((elem.raw_value.offset, elem.raw_value.length))
    return found


def _floor_task(files: list[Path]) -> Callable[[Path], int]:
    """The floor row's work on a file (see the module docstring); counts base64 characters."""
    located = {path: _binary_values(dicomcore.dcmread(path, defer_size=0), [])
               for path in files}

    def task(path: Path) -> int:
        with open(path, "rb") as fp:
            data = memoryview(fp.read())
        return sum(len(b2a_base64(data[offset:offset + length], newline=False).decode("ascii"))
                   for offset, length in located[path])
    return task


def corpus_benchmark(rounds: int, test_files_only: bool = False) -> float:
    notes: list[str] = []
    tasks = {
        f"pydicom {pydicom.__version__} to_json_dict": _dict_task(pydicom.dcmread),
        f"pydicom {pydicom.__version__} to_json (string)": _string_task(pydicom.dcmread),
        "dicomcore to_json_dict": _dict_task(dicomcore.dcmread),
        "dicomcore to_json (string)": _string_task(dicomcore.dcmread),
    }
    with tempfile.TemporaryDirectory() as directory, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tmp = Path(directory)
        candidates, source = corpus_candidates(notes, test_files_only)
        files = []
        for path in candidates:
            try:
                for task in tasks.values():
                    task(path)
                files.append(path)
            except Exception:
                pass
        dcmtk: list[str] = []
        dcmtk_name = ""
        try:
            program = str(driver.build("dcmtk"))
            dcmtk = [program, "json"]
            dcmtk_name = f"dcmtk {driver.version([program])} C++ writeJson (string)"
            converted = driver.readable(dcmtk, files, tmp)
            files = [p for p in files if p in converted]
        except driver.Unavailable as missing:
            notes.append(str(missing))
        left_out = [p for p in candidates if p not in files]
        data_bytes = sum(p.stat().st_size for p in files)
        readers = [python_reader(name, task, files) for name, task in tasks.items()]
        readers.append(python_reader(FLOOR, _floor_task(files), files))
        if dcmtk:
            try:
                readers.append(server_reader(dcmtk_name, dcmtk, files, tmp))
            except driver.Unavailable as failed:
                notes.append(f"{dcmtk_name} skipped: {failed}")
                dcmtk = []
        run_alternating(readers, rounds)
    print(f"JSON: {len(files)} files, {data_bytes / 1e6:.1f} MB ({source} that every tool "
          f"here converts; {len(left_out)} more that pydicom reads left out for every tool)")
    print(f"  {rounds} alternating rounds, read + convert, binary values inline; count = "
          "top-level attributes (dict) or characters/bytes (string)")
    print_table(readers, "count")
    by_name = {reader.name: reader for reader in readers}
    base = readers[0]
    ours_dict = by_name["dicomcore to_json_dict"]
    ours_string = by_name["dicomcore to_json (string)"]
    ratio = ours_dict.median / base.median
    floor = by_name[FLOOR]
    print(f"  ratio dicomcore/pydicom to_json_dict: {ratio:.2f}, CPU "
          f"{ours_dict.cpu_median / base.cpu_median:.2f} (issue 17 target <= "
          f"{DICT_TARGET:.2f}; the floor's {floor.median / base.median:.2f}, CPU "
          f"{floor.cpu_median / base.cpu_median:.2f})")
    if dcmtk:
        theirs = by_name[dcmtk_name]
        print(f"  dicomcore to_json / dcmtk writeJson: {ours_string.median / theirs.median:.2f}x"
              f", CPU {ours_string.cpu_median / theirs.cpu_median:.2f}x (issue 17 target: < 1, "
              "faster than dcmtk)")
    for note in notes:
        print(f"  note: {note}")
    return ratio


def main() -> None:
    rounds, test_files_only = parse_arguments(sys.argv[1:])
    print(machine_line())
    corpus_benchmark(rounds, test_files_only)


if __name__ == "__main__":
    main()
