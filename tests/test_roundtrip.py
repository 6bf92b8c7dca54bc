"""settle_changed_values: changed values become what a read of the written file gives."""

from __future__ import annotations

import doctest
import io

import pytest

import dicomcore
from dicomcore import Dataset, roundtrip
from dicomcore.json import to_json_dict
from dicomcore.roundtrip import settle_changed_values

from .corpus import PYDICOM_DATA


def _read_back(ds: Dataset) -> Dataset:
    out = io.BytesIO()
    dicomcore.write_file(out, ds)
    return dicomcore.dcmread(io.BytesIO(out.getvalue()))


def _changed(name: str) -> Dataset:
    ds = dicomcore.dcmread(PYDICOM_DATA / "test_files" / name)
    ds.PatientName = "Müller^Jürgen "        # trailing space, a character set text
    ds.StudyDescription = "odd"               # odd length: padded when written
    ds.add_new(0x00109431, "FL", 0.1)         # stored as float32
    ds.add_new(0x0016002B, "OB", b"\1\2\3")   # odd: a pad byte
    ds.add_new(0x00400275, "SQ", [Dataset(ScheduledProcedureStepID="A ")])
    if "SpecificCharacterSet" not in ds:
        ds.SpecificCharacterSet = "ISO_IR 192"
    return ds


@pytest.mark.parametrize("name", ["CT_small.dcm", "MR_small.dcm", "rtplan.dcm"])
def test_settled_values_are_what_the_written_file_reads_as(name: str) -> None:
    ds = _changed(name)
    unsettled = to_json_dict(ds)
    expected = to_json_dict(_read_back(ds))
    assert unsettled != expected  # the changes above do differ before settling
    assert settle_changed_values(ds) is True
    assert to_json_dict(ds) == expected


def test_group_lengths_outside_group_2_are_said() -> None:
    ds = Dataset(PatientID="12")
    ds.add_new(0x00100000, "UL", 0)
    assert settle_changed_values(ds) is False


def test_unchanged_elements_keep_their_bytes() -> None:
    ds = dicomcore.dcmread(PYDICOM_DATA / "test_files" / "CT_small.dcm")
    before = {e.tag: e.raw_value for e in ds.iterall() if e.VR != "SQ"}
    settle_changed_values(ds)
    assert {e.tag: e.raw_value for e in ds.iterall() if e.VR != "SQ"} == before


def test_docstring_example_runs() -> None:
    assert doctest.testmod(roundtrip).failed == 0
