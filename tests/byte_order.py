"""The big endian files of the corpus and dcmtk's little endian copies of their values: the
oracle of the bulk data byte order tests (PS3.18 8.7.3.3.1: bulk data is little endian).

`dcmconv +te` writes a file as Explicit VR Little Endian; pydicom reads that copy, and each
value's bytes there are what the bulk routes must give for the big endian original.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import tempfile
import warnings
from pathlib import Path
from typing import BinaryIO

import pydicom
from pydicom.dataset import Dataset

from .bytes_fixtures import LONG_HEADER_VRS
from .corpus import ALL_READABLE

DCMCONV = shutil.which("dcmconv")


def _big_endian(path: Path) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return pydicom.dcmread(path, stop_before_pixels=True).original_encoding[1] is False
        except Exception:
            return False


BIG_ENDIAN = [p for p in ALL_READABLE if _big_endian(p)]
"""The corpus files pydicom reads as big endian (19 with pydicom-data)."""


@functools.cache
def little_endian_values(path: Path) -> dict[str, tuple[str, bytes]]:
    """Every value of the file but its meta (group 0002), by element path (`7FE00010`,
    `00041220/3/00041500`): its VR and its bytes in dcmconv's little endian copy."""
    with tempfile.TemporaryDirectory() as directory:
        copy = Path(directory) / "little.dcm"
        subprocess.run([DCMCONV, "+te", str(path), str(copy)], check=True, timeout=60,
                       capture_output=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = pydicom.dcmread(copy)
        with open(copy, "rb") as fp:
            return dict(_values(ds, fp, ""))


def _values(ds: Dataset, fp: BinaryIO, prefix: str) -> list[tuple[str, tuple[str, bytes]]]:
    found = []
    for tag in list(ds.keys()):  # keys, not elements: iterating would decode them
        if tag.group == 2:
            continue
        key = f"{prefix}{int(tag):08X}"
        elem = ds.get_item(tag)
        if elem.VR == "SQ":
            for i, item in enumerate(ds[tag].value):
                found.extend(_values(item, fp, f"{key}/{i}/"))
            continue
        value = elem.value
        if not isinstance(value, bytes | None):
            # pydicom decoded it while reading (the character set, an ambiguous VR): the
            # bytes at its offset, after its header's 2-byte length (PS3.5 7.1.2).
            assert elem.VR not in LONG_HEADER_VRS, (key, elem.VR)
            fp.seek(elem.file_tell - 2)
            length = int.from_bytes(fp.read(2), "little")
            value = fp.read(length)
        found.append((key, (elem.VR, value or b"")))
    return found
