"""Encapsulated pixel data: offset table, fragments and frames, checked against pydicom."""

from __future__ import annotations

from pathlib import Path

import pydicom
import pytest
from pydicom import encaps as pydicom_encaps

import dicomcore
from dicomcore.encaps import basic_offset_table, fragments, frames

from .corpus import ORACLE_READABLE, corpus_id


def _encapsulated() -> list[Path]:
    found = []
    for path in ORACLE_READABLE:
        try:
            ds = dicomcore.dcmread(path, stop_before_pixels=False)
        except dicomcore.InvalidDicomError:
            continue
        if "PixelData" in ds and ds["PixelData"].is_undefined_length:
            found.append(path)
    return found


ENCAPSULATED = _encapsulated()


def test_the_corpus_has_encapsulated_files() -> None:
    assert len(ENCAPSULATED) > 20


@pytest.mark.parametrize("path", ENCAPSULATED, ids=corpus_id)
def test_fragments_and_frames_match_pydicom(path: Path) -> None:
    ours = dicomcore.dcmread(path)
    theirs = pydicom.dcmread(path)
    value = ours.PixelData
    # pydicom yields the offset table item as the first "fragment".
    assert fragments(value) == list(pydicom_encaps.generate_fragments(theirs.PixelData))[1:]
    count = int(theirs.get("NumberOfFrames", 1) or 1)
    bot = basic_offset_table(value)
    if bot or count == 1 or len(fragments(value)) == count:
        expected = list(pydicom_encaps.generate_frames(theirs.PixelData,
                                                      number_of_frames=count))
        assert frames(value, count) == expected


def test_bad_fragment_item_is_invalid() -> None:
    with pytest.raises(dicomcore.InvalidDicomError):
        fragments(b"\xfe\xff\x00\xe0\x00\x00\x00\x00\x10\x00\x10\x00\x02\x00\x00\x00ab")
