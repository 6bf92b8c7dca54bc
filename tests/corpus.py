"""The real files the tests run over: every file shipped in pydicom's data folders.

pydicom is the oracle of these tests only; dicomcore never imports it.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pydicom.data

PYDICOM_DATA = Path(pydicom.data.__file__).parent
CORPUS_DIRS = (PYDICOM_DATA / "test_files", PYDICOM_DATA / "charset_files")


def corpus_files() -> list[Path]:
    """Every file in the corpora (DICOMDIR tree included), sorted."""
    files = []
    for root in CORPUS_DIRS:
        for dirpath, _, names in os.walk(root):
            files.extend(Path(dirpath) / n for n in names if not n.endswith(".py"))
    return sorted(files)


def corpus_id(path: Path) -> str:
    return str(path.relative_to(PYDICOM_DATA))


def pydicom_outcome(path: Path) -> str:
    """'read' if pydicom reads it, 'force' if only with force=True, 'refused' otherwise."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            pydicom.dcmread(path)
            return "read"
        except Exception:
            pass
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
