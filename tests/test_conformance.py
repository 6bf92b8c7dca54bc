"""dicomcore reads every file of the pydicom corpora as pydicom 3 does.

For each file and three ways of reading (everything, deferred values, stop before pixels):
the same tags at every depth (file meta too), the same VRs and equal values. Deliberate
differences, each listed in the README:
- private elements of implicit-VR data sets whose VR pydicom takes from its private
  dictionary are UN here; their bytes must still be exactly pydicom's raw bytes.
- a file that ends inside undefined-length pixel data: pydicom 3 gives an empty data set,
  dicomcore warns and keeps every element, the pixel data as far as the file goes.
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
from dicomcore.errors import TruncatedFileWarning
from dicomcore.valuerep import PersonName

from .corpus import ALL_FILES, DATA_STORE, corpus_id, looks_like_dicom, pydicom_outcome

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
@pytest.mark.parametrize("path", ALL_FILES, ids=corpus_id)
def test_reads_like_pydicom(path: Path, mode: dict[str, Any]) -> None:
    outcome = pydicom_outcome(path)
    if outcome == "refused":
        with pytest.raises(InvalidDicomError):
            _ours(path, True, mode)
        return
    if outcome == "emptied":
        _assert_kept_before_the_cut(path, mode)
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


def _assert_kept_before_the_cut(path: Path, mode: dict[str, Any]) -> None:
    """pydicom reads nothing of the file; dicomcore reads what pydicom reads when it stops
    before the pixel data, and the pixel data up to the end of the file, with a warning."""
    assert not len(_pydicom_read(path, False, {}))
    theirs = _pydicom_read(path, False, {"stop_before_pixels": True})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ours = dicomcore.dcmread(path, **mode)
    cut = any(issubclass(w.category, TruncatedFileWarning) for w in caught)
    if mode.get("stop_before_pixels"):
        assert not cut and "PixelData" not in ours
    else:
        assert cut and ours["PixelData"].is_undefined_length
        assert path.read_bytes().endswith(ours.PixelData)
        del ours.PixelData
    problems = compare(ours, theirs) + compare(ours.file_meta, theirs.file_meta, "meta:")
    assert not problems, "\n".join(problems)


def test_the_corpus_holds_pydicoms_downloadable_files_as_pydicom_finds_them() -> None:
    """pydicom-data (the test extra) is installed, and its files are the ones pydicom 3's
    data manager finds by name: the corpus is pydicom's whole data, not a copy of it."""
    from pydicom.data import get_testdata_file
    from pydicom.data.data_manager import external_data_sources

    assert len(DATA_STORE) == 68, "pydicom-data, in the test extra, is not installed"
    source = external_data_sources()["pydicom-data"]
    assert sorted(Path(p) for p in source.get_paths("*.dcm")) == DATA_STORE
    for path in DATA_STORE:
        assert Path(get_testdata_file(path.name, download=False)) == path
