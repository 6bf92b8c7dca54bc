"""The real files the tests run over: every file shipped in pydicom's data folders.

pydicom is the oracle of these tests only; dicomcore never imports it.
"""

from __future__ import annotations

import functools
import os
import warnings
from pathlib import Path

import pydicom.data

try:  # pydicom's downloadable data files, on PyPI as pydicom-data (the test extra)
    import data_store
except ImportError:
    data_store = None

PYDICOM_DATA = Path(pydicom.data.__file__).parent
CORPUS_DIRS = (PYDICOM_DATA / "test_files", PYDICOM_DATA / "charset_files")
DATA_STORE_DIR = Path(data_store.__file__).parent / "data" if data_store is not None else None


def corpus_files() -> list[Path]:
    """Every file in the corpora (DICOMDIR tree included), sorted."""
    files = []
    for root in CORPUS_DIRS:
        for dirpath, _, names in os.walk(root):
            files.extend(Path(dirpath) / n for n in names if not n.endswith(".py"))
    return sorted(files)


def data_store_files() -> list[Path]:
    """pydicom's downloadable data files (68 files, 58 MB, mostly pixel data), sorted; []
    when pydicom-data is not installed."""
    if DATA_STORE_DIR is None:
        return []
    return sorted(p for p in DATA_STORE_DIR.iterdir() if p.suffix == ".dcm")


def corpus_id(path: Path) -> str:
    if DATA_STORE_DIR is not None and path.parent == DATA_STORE_DIR:
        return f"data_store/{path.name}"
    return str(path.relative_to(PYDICOM_DATA))


@functools.cache
def pydicom_outcome(path: Path) -> str:
    """'read' if pydicom reads it, 'force' if only with force=True, 'refused' otherwise;
    'emptied' if pydicom reads it as an empty data set though it holds elements before
    its pixel data (pydicom 3 drops every element it read when a file ends inside
    undefined-length pixel data; dicomcore keeps them: a deliberate difference, README)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ds = pydicom.dcmread(path)
        except Exception:
            pass
        else:
            if not len(ds) and len(pydicom.dcmread(path, stop_before_pixels=True)):
                return "emptied"
            return "read"
        try:
            pydicom.dcmread(path, force=True)
            return "force"
        except Exception:
            return "refused"


def looks_like_dicom(path: Path) -> bool:
    """Files that are DICOM (with or without meta), as opposed to text/json/icc/gz beside them."""
    return path.suffix.lower() not in {".txt", ".json", ".icc", ".gz", ".dump"} and \
        path.name not in {"README"}


FILES = corpus_files()
READABLE = [p for p in FILES if looks_like_dicom(p)]
# The conformance tests run over both corpora; the benchmarks keep to READABLE.
DATA_STORE = data_store_files()
ALL_FILES = FILES + DATA_STORE
ALL_READABLE = READABLE + DATA_STORE
# The files pydicom reads as they are: the oracle for tests that compare with its data set.
ORACLE_READABLE = [p for p in ALL_READABLE if pydicom_outcome(p) != "emptied"]
