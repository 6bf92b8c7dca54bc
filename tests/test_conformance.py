"""dicomcore reads every file of the pydicom corpora as pydicom 3 does.

For each file and three ways of reading (everything, deferred values, stop before pixels):
the same tags at every depth (file meta too), the same VRs and equal values. Deliberate
differences, each listed in the README:
- private elements of implicit-VR data sets whose VR pydicom takes from its private
  dictionary are UN here; their bytes must still be exactly pydicom's raw bytes.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pydicom
import pytest
from pydicom.dataelem import RawDataElement

import dicomcore
from dicomcore import InvalidDicomError
from dicomcore.valuerep import PersonName

from .corpus import FILES, corpus_id, looks_like_dicom, pydicom_outcome

MODES = {
    "all": {},
    "deferred": {"defer_size": 64},
    "stop_before_pixels": {"stop_before_pixels": True},
}


def _same_value(ours: Any, theirs: Any) -> bool:
    if isinstance(theirs, pydicom.valuerep.PersonName) or isinstance(ours, PersonName):
        return str(ours) == str(theirs)
    if isinstance(theirs, (list, tuple)) and not isinstance(theirs, (str, bytes)):
        if not isinstance(ours, (list, tuple)) or len(ours) != len(theirs):
            return False
        return all(_same_value(a, b) for a, b in zip(ours, theirs, strict=True))
    if isinstance(theirs, float) and isinstance(ours, float):
        return ours == theirs or (ours != ours and theirs != theirs)
    if isinstance(theirs, (int, float)) and not isinstance(theirs, bool):
        return isinstance(ours, (int, float)) and ours == theirs
    if isinstance(theirs, bytes):
        return isinstance(ours, bytes) and ours == theirs
    if theirs is None:
        return ours is None
    if isinstance(theirs, str):
        return isinstance(ours, str) and str(ours) == str(theirs)
    return ours == theirs


def compare(ours: dicomcore.Dataset, theirs: pydicom.Dataset, where: str = "",
            group_lengths: bool = True) -> list[str]:
    """Every difference between the two data sets, as readable lines; `group_lengths=False`
    leaves (gggg,0000) elements out of it."""
    problems = []
    our_tags = set(ours._dict)
    their_tags = {int(t) for t in theirs.keys()}
    if not group_lengths:
        our_tags = {t for t in our_tags if t & 0xFFFF}
        their_tags = {t for t in their_tags if t & 0xFFFF}
    if our_tags != their_tags:
        missing = sorted(their_tags - our_tags)
        extra = sorted(our_tags - their_tags)
        problems.append(f"{where}: tags differ: missing {[f'{t:08X}' for t in missing]}, "
                        f"extra {[f'{t:08X}' for t in extra]}")
    for tag in sorted(our_tags & their_tags):
        raw = theirs.get_item(tag)
        elem = theirs[tag]
        mine = ours[tag]
        label = f"{where}({tag >> 16:04X},{tag & 0xFFFF:04X})"
        if mine.VR != elem.VR:
            if (tag >> 16) & 1 and mine.VR == "UN" and isinstance(raw, RawDataElement):
                if (mine.value or b"") != (raw.value or b""):
                    problems.append(f"{label}: private UN bytes differ from pydicom's raw bytes")
                continue
            if (tag >> 16) & 1 and mine.VR == "UN" and not mine.value and not elem.value:
                continue  # empty private value: pydicom converts those at once
            problems.append(f"{label}: VR {mine.VR} != pydicom {elem.VR}")
            continue
        if elem.VR == "SQ":
            if len(mine.value) != len(elem.value):
                problems.append(f"{label}: {len(mine.value)} items != {len(elem.value)}")
                continue
            for i, (a, b) in enumerate(zip(mine.value, elem.value, strict=True)):
                problems.extend(compare(a, b, f"{label}[{i}].", group_lengths))
            continue
        if not _same_value(mine.value, elem.value):
            problems.append(f"{label} {elem.VR}: {mine.value!r} != pydicom {elem.value!r}")
    return problems


def _pydicom_read(path: Path, force: bool, mode: dict[str, Any]) -> pydicom.FileDataset:
    options = {"stop_before_pixels": mode.get("stop_before_pixels", False)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.dcmread(path, force=force, **options)


def _ours(path: Path, force: bool, mode: dict[str, Any]) -> dicomcore.FileDataset:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return dicomcore.dcmread(path, force=force, **mode)


@pytest.mark.parametrize("mode", MODES.values(), ids=MODES.keys())
@pytest.mark.parametrize("path", FILES, ids=corpus_id)
def test_reads_like_pydicom(path: Path, mode: dict[str, Any]) -> None:
    outcome = pydicom_outcome(path)
    if outcome == "refused":
        with pytest.raises(InvalidDicomError):
            _ours(path, True, mode)
        return
    force = outcome == "force"
    if force:
        with pytest.raises(InvalidDicomError):
            _ours(path, False, mode)
        if not looks_like_dicom(path):
            return  # a text or image file beside the DICOM ones: refusing it is what matters
    theirs = _pydicom_read(path, force, mode)
    ours = _ours(path, force, mode)
    problems = compare(ours, theirs)
    their_meta = getattr(theirs, "file_meta", None) or pydicom.Dataset()
    problems += compare(ours.file_meta, their_meta, "meta:")
    assert (ours.preamble is None) == (theirs.preamble is None)
    if ours.preamble is not None:
        assert ours.preamble == theirs.preamble
    assert not problems, "\n".join(problems)
