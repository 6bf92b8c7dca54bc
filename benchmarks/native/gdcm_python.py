"""GDCM from Python (Debian's python3-gdcm): the "read + walk" row of benchmarks/read.py.

Run by the system interpreter that has the `gdcm` module (the project's venv does not), with
the driver protocol of bench_loop.h:

    python3 gdcm_python.py version      the library's version
    python3 gdcm_python.py check LIST   "ok PATH" or "fail PATH" for each file of LIST (each
                                        in a forked child: GDCM aborts on some files)
    python3 gdcm_python.py bench LIST   a warm-up round, "ready COUNT", then one timed round
                                        per line read on stdin: "SECONDS COUNT CPU_SECONDS"

A round reads each file with gdcm.Reader and walks the meta header and the data set, sequence
items and encapsulated fragments included. Each value is decoded the way GDCM offers to
Python for any VR: gdcm.StringFilter.ToString (text and numbers as text), and the bytes
(ByteValue.GetBuffer) for OB, OW, OF, OD, OL, OV and UN. COUNT = elements visited.
"""

from __future__ import annotations

import os
import sys
import time

import gdcm

_BYTES_VRS = frozenset({"OB", "OW", "OF", "OD", "OL", "OV", "UN", "OB or OW"})
_DICTS = gdcm.Global.GetInstance().GetDicts()


def _value_vr(element: gdcm.DataElement) -> str:
    vr = str(element.GetVR())
    if vr in ("??", "UN"):
        tag = element.GetTag()
        if tag.IsPrivate():
            return "UN"
        return str(_DICTS.GetDictEntry(tag).GetVR())
    return vr


def _walk(dataset: gdcm.DataSet, strings: gdcm.StringFilter) -> int:
    count = 0
    elements = dataset.GetDES()
    position, end = elements.begin(), elements.end()
    while not position.equal(end):
        element = position.next()
        count += 1
        fragments = element.GetSequenceOfFragments()
        if fragments is not None:
            for index in range(fragments.GetNumberOfFragments()):
                fragments.GetFragment(index).GetByteValue().GetBuffer()
                count += 1
            continue
        vr = _value_vr(element)
        value = element.GetByteValue()
        if vr == "SQ" or (value is None and not element.IsEmpty()):
            # The smart pointer owns a sequence GDCM parses only now (implicit VR, defined
            # length): it must outlive the walk of its items.
            owner = element.GetValueAsSQ()
            items = owner.GetPointer()  # None for an empty sequence
            if items is not None:
                for index in range(1, items.GetNumberOfItems() + 1):  # GDCM counts from 1
                    count += _walk(items.GetItem(index).GetNestedDataSet(), strings)
        elif vr in _BYTES_VRS:
            if value is not None:
                value.GetBuffer()
        else:
            strings.ToString(element)
    return count


def read_and_walk(path: str) -> int:
    reader = gdcm.Reader()
    reader.SetFileName(path)
    if not reader.Read():
        raise OSError(f"gdcm.Reader failed on {path}")
    file = reader.GetFile()
    strings = gdcm.StringFilter()
    strings.SetFile(file)
    return _walk(file.GetHeader(), strings) + _walk(file.GetDataSet(), strings)


def _reads_in_child(path: str) -> bool:
    """Whether the walk succeeds, tried in a forked child: GDCM aborts on some files."""
    child = os.fork()
    if child == 0:
        try:
            read_and_walk(path)
            status = 0
        except Exception:
            status = 1
        os._exit(status)
    _, status = os.waitpid(child, 0)
    return os.waitstatus_to_exitcode(status) == 0


def main() -> int:
    if sys.argv[1:] == ["version"]:
        print(gdcm.Version.GetVersion())
        return 0
    mode, list_path = sys.argv[1], sys.argv[2]
    with open(list_path) as listing:
        paths = [line.rstrip("\n") for line in listing if line.strip()]
    gdcm.Trace.DebugOff()
    gdcm.Trace.WarningOff()
    gdcm.Trace.ErrorOff()
    if mode == "check":
        for path in paths:
            print("ok" if _reads_in_child(path) else "fail", path, flush=True)
        return 0
    count = sum(read_and_walk(path) for path in paths)
    print("ready", count, flush=True)
    for _ in sys.stdin:
        start, cpu_start = time.perf_counter(), time.process_time()
        count = sum(read_and_walk(path) for path in paths)
        print(f"{time.perf_counter() - start:.6f} {count} {time.process_time() - cpu_start:.6f}",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
