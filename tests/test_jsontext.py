"""The JSON text writer: `to_json`'s text is `json.dumps(to_json_dict(...))` character for
character, over every corpus file with every option, and for values the corpus lacks."""

from __future__ import annotations

import datetime
import json
import math
import warnings
from pathlib import Path
from typing import Any

import pytest

import dicomcore
from dicomcore import jsontext
from dicomcore.dataelem import DataElement
from dicomcore.dataset import Dataset
from dicomcore.json import omit_bulk_data, to_json, to_json_dict
from dicomcore.jsontext import write_json_text

from .corpus import READABLE, corpus_id, data_store_files, pydicom_outcome

FILES = [p for p in READABLE + data_store_files() if pydicom_outcome(p) == "read"]


def _uri(elem: DataElement) -> str:
    return f"bulk/{elem.tag:08X}?é\"\\"  # escapes and non-ASCII in a URI too


# Each option set to_json takes besides dump_handler and the json.dumps options.
OPTIONS: list[dict[str, Any]] = [
    {},
    {"bulk_data_threshold": 1 << 40},
    {"bulk_data_threshold": 0},
    {"bulk_data_element_handler": omit_bulk_data},
    {"bulk_data_element_handler": _uri, "bulk_data_threshold": 64},
    {"include_meta": True},
    {"include_meta": True, "bulk_data_element_handler": _uri, "suppress_invalid_tags": True},
]


def _same_text(ds: Dataset, **options: Any) -> str:
    """The writer's text, asserted equal to the model's, and parsed equal too."""
    expected = json.dumps(to_json_dict(ds, **options))
    text = write_json_text(ds, **options)
    assert text == expected
    assert json.loads(text) == json.loads(expected)
    assert to_json(ds, **options) == text
    return text


@pytest.mark.parametrize("path", FILES, ids=corpus_id)
def test_text_is_the_models_text(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    through_model: list[DataElement] = []
    write_model = jsontext._write_model

    def counted(parts: list[str], elem: DataElement, *args: Any) -> None:
        through_model.append(elem)
        write_model(parts, elem, *args)

    monkeypatch.setattr(jsontext, "_write_model", counted)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for options in OPTIONS:
            _same_text(dicomcore.dcmread(path), **options)
        # Large values left on disk: a handler is asked from the length alone.
        deferred = dicomcore.dcmread(path, defer_size=256)
        _same_text(deferred, bulk_data_element_handler=_uri, bulk_data_threshold=64)
        _same_text(dicomcore.dcmread(path, defer_size=256), bulk_data_threshold=64)
    assert not through_model, "the writers write every element of a file read"


def _dataset(*elements: tuple[int, str, Any]) -> Dataset:
    ds = Dataset()
    for tag, vr, value in elements:
        ds.add_new(tag, vr, value)
    return ds


CASES: dict[str, Dataset] = {
    "empty": Dataset(),
    "numbers that JSON has no number for": _dataset(
        (0x00189087, "FD", [1.5, math.nan, -math.inf]), (0x00181318, "DS", "NaN"),
        (0x00283003, "FL", math.inf), (0x00200032, "DS", ["1.5", "", "2e3"])),
    "invalid IS and DS text": _dataset((0x00200013, "IS", "1A"), (0x00280030, "DS", ["x", "1"])),
    "ints and floats of the other kind": _dataset(
        (0x00280010, "US", [1, 2]), (0x00189087, "FD", [1, 2]), (0x00181318, "DS", 3)),
    "names": _dataset((0x00100010, "PN", "Yamada^Tarou=山田^太郎=やまだ^たろう"),
                      (0x00081050, "PN", ["A^B", "", "==C"]), (0x00081060, "PN", "")),
    "text escapes and non-ASCII": _dataset(
        (0x00104000, "LT", 'a "quote"\\ back\nslash \x01 é 字 😀'),
        (0x00080081, "ST", "tab\there"), (0x00100020, "LO", "")),
    "multi-valued text with empty values": _dataset(
        (0x00080008, "CS", ["ORIGINAL", "", "AXIAL"]), (0x00081030, "LO", [""]),
        (0x00200052, "UI", "1.2.3")),
    "tags": _dataset((0x00209165, "AT", [0x00100010, 0x00200013]), (0x00209167, "AT", 0x10)),
    "binary values": _dataset((0x7FE00010, "OW", b"\0\1" * 700), (0x00420011, "OB", b""),
                              (0x00281201, "OW", b"\xff" * 3)),
    "bytes in a text element": _dataset((0x00100020, "LO", b"\xe9t\xe9")),
    "a date object": _dataset((0x00080020, "DA", datetime.date(2020, 1, 2))),
    "sequences": _dataset(
        (0x00081140, "SQ", []),
        (0x00081115, "SQ", [Dataset(), _dataset((0x00081150, "UI", "1.2"),
                                                (0x00081199, "SQ", [Dataset()]))])),
}


@pytest.mark.parametrize("name", CASES)
def test_values_the_corpus_lacks(name: str) -> None:
    for options in OPTIONS:
        _same_text(CASES[name], **options)


def test_nan_is_text_and_the_rest_numbers() -> None:
    model = json.loads(write_json_text(CASES["numbers that JSON has no number for"]))
    assert model["00189087"]["Value"] == [1.5, "nan", "-inf"]
    assert model["00200032"]["Value"] == [1.5, None, 2000.0]


def test_a_failing_element_raises_or_is_left_out() -> None:
    item = _dataset((0x00100010, "PN", "A^B"), (0x7FE00010, "OB", b"\0" * 600))
    ds = _dataset((0x00100020, "LO", "id"), (0x00081115, "SQ", [item]))

    def failing(elem: DataElement) -> str:
        raise ValueError("no store for bulk data")

    with pytest.raises(ValueError, match="no store"):
        write_json_text(ds, 64, failing)
    with pytest.raises(ValueError, match="no store"):
        to_json_dict(ds, 64, failing)
    text = _same_text(ds, bulk_data_threshold=64, bulk_data_element_handler=failing,
                      suppress_invalid_tags=True)
    assert "7FE00010" not in text and "00100010" in text


def test_handler_results() -> None:
    ds = CASES["binary values"]
    calls: list[int] = []

    def counting(elem: DataElement) -> Any:
        calls.append(elem.tag)
        return 7 if elem.tag == 0x7FE00010 else None

    assert json.loads(write_json_text(ds, 64, counting)) == {
        "00281201": {"vr": "OW", "InlineBinary": "////"},
        "00420011": {"vr": "OB"}, "7FE00010": {"vr": "OW", "BulkDataURI": 7}}
    assert calls == [0x7FE00010], "the handler is asked once, for the large value only"
    _same_text(ds, bulk_data_threshold=64, bulk_data_element_handler=counting)


def test_meta_and_data_set_sharing_a_key() -> None:
    ds = _dataset((0x00020010, "UI", "1.2.840.10008.1.2"), (0x00100020, "LO", "x"))
    ds.file_meta = dicomcore.FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.1"
    ds.file_meta.MediaStorageSOPInstanceUID = "1.2"
    _same_text(ds, include_meta=True)
    ds.file_meta = dicomcore.FileMetaDataset()
    _same_text(ds, include_meta=True)
    _same_text(Dataset(), include_meta=True)


def test_options_that_need_the_model() -> None:
    ds = CASES["names"]
    assert to_json(ds, indent=2) == json.dumps(to_json_dict(ds), indent=2)
    assert to_json(ds, dump_handler=lambda model: str(sorted(model))) == \
        str(sorted(to_json_dict(ds)))
