"""pydicom 3's everyday API on dicomcore: keys, tags, errors, private blocks, encoding state
and reading, each case run on both libraries and required to agree (tests/pydicom_parity.py).

Where dicomcore differs on purpose the test says so and checks dicomcore's behaviour.
"""

from __future__ import annotations

import io
import warnings
from typing import Any

import pytest

import dicomcore
from dicomcore.private import PrivateBlock

from .corpus import PYDICOM_DATA
from .pydicom_parity import DICOMCORE, PYDICOM, Lib, assert_same, outcomes, warning_categories

CT = PYDICOM_DATA / "test_files" / "CT_small.dcm"
MR_IMPLICIT = PYDICOM_DATA / "test_files" / "MR_small_implicit.dcm"
BIG_ENDIAN = PYDICOM_DATA / "test_files" / "MR_small_bigendian.dcm"
NESTED_PRIVATE = PYDICOM_DATA / "test_files" / "nested_priv_SQ.dcm"


# -- tags and keys ---------------------------------------------------------------------------

KEY_CASES: dict[str, Any] = {
    "Tag of a str and an int": lambda m: m.tag.Tag("0x01", 0),
    "Tag of two hex strings": lambda m: int(m.tag.Tag("10", "20")),
    "Tag negative": lambda m: m.tag.Tag(-1),
    "Tag above 32 bits": lambda m: m.tag.Tag(2 ** 32),
    "Tag of three": lambda m: m.tag.Tag((1, 2, 3)),
    "Tag group too large": lambda m: m.tag.Tag((0x10000, 0)),
    "Tag unknown keyword": lambda m: m.tag.Tag("NotAKeyword"),
    "Tag keyword": lambda m: int(m.tag.Tag("PatientName")),
    "TupleTag": lambda m: int(m.tag.TupleTag((0x0010, 0x0020))),
    "pydicom's tag names": lambda m: [int(m.tag.ItemTag), int(m.tag.ItemDelimiterTag),
                                      int(m.tag.SequenceDelimiterTag), int(m.tag.TAG_PIXREP),
                                      int(m.tag.TAG_CHARSET)],
    "get of a negative int": lambda m: m.Dataset().get(-16),
    "get of a 40-bit int": lambda m: m.Dataset().get(2 ** 40),
    "get of an unknown name": lambda m: m.Dataset().get("NotAKeyword", 3),
    "get of an absent keyword": lambda m: m.Dataset().get("PatientName", "none"),
    "pop of a 40-bit int": lambda m: m.Dataset().pop(2 ** 40),
    "pop of a negative int": lambda m: m.Dataset().pop(-1),
    "pop with a default": lambda m: m.Dataset().pop(2 ** 40, "default"),
    "pop of an unknown name": lambda m: m.Dataset().pop("NotAKeyword"),
    "[] of a 40-bit int": lambda m: m.Dataset()[2 ** 40],
    "[] of a negative int": lambda m: m.Dataset()[-1],
    "[] of an unknown name": lambda m: m.Dataset()["NotAKeyword"],
    "in of a 40-bit int": lambda m: 2 ** 40 in m.Dataset(),
    "absent keyword attribute": lambda m: m.Dataset().PatientName,
    "repeating group keyword set": lambda m: setattr(m.Dataset(), "OverlayRows", 1),
    "a non-element set as a DataElement": lambda m: m.Dataset().__setitem__(0x00100010, 3),
    "InvalidDicomError without a message": lambda m: str(m.errors.InvalidDicomError()),
}


@pytest.mark.parametrize("case", KEY_CASES.values(), ids=KEY_CASES.keys())
def test_keys_and_tags_as_pydicom(case: Any) -> None:
    assert_same(case)


@pytest.mark.parametrize("name", ["PatientsName", "patientName", "FooBar", "X1", "foo_Bar",
                                  "foo", "is_foo", "a_B", "_private", "Foo_"])
def test_camel_case_attribute_warns_as_pydicom(name: str) -> None:
    def case(m: Lib) -> None:
        setattr(m.Dataset(), name, 1)

    expected = warning_categories(case, PYDICOM)
    assert bool(warning_categories(case, DICOMCORE)) == bool(expected)
    ds = dicomcore.Dataset()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        setattr(ds, name, 1)
    assert getattr(ds, name) == 1 and len(ds) == 0


def test_deliberate_differences_in_keys() -> None:
    """pydicom makes a tag of a float (int(1.5) == 1); dicomcore refuses it as no tag."""
    with pytest.raises(TypeError):
        dicomcore.tag.Tag(1.5)
    with pytest.raises(TypeError):
        dicomcore.Dataset().get(1.5)
    with pytest.raises(KeyError):
        dicomcore.Dataset()[1.5]


def test_tag_in_exception_names_the_tag() -> None:
    for m in (PYDICOM, DICOMCORE):
        with pytest.raises(KeyError, match=r"\(0010,0010\)"), \
                m.tag.tag_in_exception(m.tag.Tag(0x00100010)):
            raise KeyError("inner")


# -- private blocks --------------------------------------------------------------------------

def _with_creators(m: Lib) -> Any:
    ds = m.Dataset()
    ds.PatientName = "Doe^John"
    ds.add_new(0x00090010, "LO", "GEMS_IDEN_01")
    ds.add_new(0x00091004, "SH", "product")
    ds.add_new(0x00090011, "LO", "ACME 1.0")
    return ds


def _block_created(m: Lib) -> Any:
    ds = _with_creators(m)
    block = ds.private_block(0x0009, "NEW CREATOR", create=True)
    block.add_new(0x01, "LO", "one")
    block.add_new(0x02, "US", 7)
    return [(int(e.tag), e.VR, e.value) for e in ds], block.block_start, block.group, \
        block.private_creator, ds[block.get_tag(0x02)].private_creator


def _add_new_private(m: Lib) -> Any:
    ds = m.Dataset()
    ds.add_new_private("GEMS_IDEN_01", 0x0009, 0x04, "from the dictionary")
    ds.add_new_private("ACME 1.0", 0x0009, 0x01, [1, 2], vr="US")
    return [(int(e.tag), e.VR, e.value) for e in ds]


def _removed(m: Lib) -> Any:
    ds = m.dcmread(NESTED_PRIVATE)
    ds.add_new(0x00090010, "LO", "ACME 1.0")
    ds.add_new(0x00091001, "LO", "gone")
    ds.remove_private_tags()
    return [int(e.tag) for e in ds.iterall()]


PRIVATE_CASES: dict[str, Any] = {
    "creators of a group": lambda m: _with_creators(m).private_creators(0x0009),
    "creators of an even group": lambda m: _with_creators(m).private_creators(0x0010),
    "block of a creator": lambda m: int(_with_creators(m).private_block(0x0009, "ACME 1.0")
                                         .get_tag(0x01)),
    "block of an absent creator": lambda m: _with_creators(m).private_block(0x0009, "NONE"),
    "block in an even group": lambda m: _with_creators(m).private_block(0x0010, "ACME 1.0"),
    "block of an empty creator": lambda m: _with_creators(m).private_block(0x0009, ""),
    "offset above 0xFF": lambda m: _with_creators(m).private_block(0x0009, "ACME 1.0")
    .get_tag(0x100),
    "block item": lambda m: _with_creators(m).private_block(0x0009, "GEMS_IDEN_01")[0x04]
    .value,
    "block item absent": lambda m: _with_creators(m).private_block(0x0009, "ACME 1.0")[0x04],
    "block contains": lambda m: [o in _with_creators(m).private_block(0x0009, "GEMS_IDEN_01")
                                 for o in (0x04, 0x05)],
    "get_private_item": lambda m: _with_creators(m).get_private_item(0x0009, 0x04,
                                                                     "GEMS_IDEN_01").value,
    "get_private_item absent": lambda m: _with_creators(m).get_private_item(0x0009, 0x04,
                                                                            "ACME 1.0"),
    "create a block": _block_created,
    "add_new_private": _add_new_private,
    "add_new_private unknown to the dictionary": lambda m: m.Dataset().add_new_private(
        "ACME 1.0", 0x0009, 0x01, "x"),
    "remove_private_tags at every depth": _removed,
    "name of a known private element": lambda m: _with_creators(m)[0x00091004].name,
}


@pytest.mark.parametrize("case", PRIVATE_CASES.values(), ids=PRIVATE_CASES.keys())
def test_private_blocks_as_pydicom(case: Any) -> None:
    assert_same(case)


def test_private_block_delete_and_type() -> None:
    ds = dicomcore.Dataset()
    block = ds.private_block(0x0041, "ACME 1.0", create=True)
    assert isinstance(block, PrivateBlock) and isinstance(block, dicomcore.dataset.PrivateBlock)
    block.add_new(0x10, "LO", "x")
    assert 0x00411010 in ds
    del block[0x10]
    assert 0x00411010 not in ds and 0x10 not in block
    with pytest.raises(KeyError):
        del block[0x10]
    # the next creator takes the next free block
    assert ds.private_block(0x0041, "OTHER", create=True).block_start == 0x1100


# -- encoding state --------------------------------------------------------------------------

def _encoding_state(m: Lib, path: Any) -> Any:
    ds = m.dcmread(path)
    item_state = None
    for elem in ds:
        if elem.VR == "SQ" and elem.value:
            item_state = elem.value[0].original_encoding
            break
    return ds.original_encoding, ds.is_original_encoding, list(ds.original_character_set), \
        item_state is not None


ENCODING_CASES: dict[str, Any] = {
    "explicit little": lambda m: _encoding_state(m, CT),
    "implicit little": lambda m: _encoding_state(m, MR_IMPLICIT),
    "big endian": lambda m: _encoding_state(m, BIG_ENDIAN),
    "new data set": lambda m: (m.Dataset().original_encoding,
                               m.Dataset().is_original_encoding),
    "set_original_encoding": lambda m: _set_original(m),
    "changed character set": lambda m: _charset_changed(m),
    "read_encoding": lambda m: list(m.dcmread(CT).read_encoding),
    "buffer of a path": lambda m: m.dcmread(CT).buffer,
    "buffer of a BytesIO": lambda m: isinstance(m.dcmread(io.BytesIO(CT.read_bytes())).buffer,
                                                io.BytesIO),
    "decode": lambda m: m.dcmread(CT).decode(),
}


def _set_original(m: Lib) -> Any:
    ds = m.Dataset()
    ds.set_original_encoding(True, True, "iso8859")
    return ds.original_encoding, ds.original_character_set


def _charset_changed(m: Lib) -> Any:
    ds = m.dcmread(CT)
    before = ds.is_original_encoding
    ds.SpecificCharacterSet = "ISO_IR 192"
    return before, ds.is_original_encoding


@pytest.mark.parametrize("case", ENCODING_CASES.values(), ids=ENCODING_CASES.keys())
def test_encoding_state_as_pydicom(case: Any) -> None:
    assert_same(case)


# -- reading ---------------------------------------------------------------------------------

def _tags(ds: Any) -> list[int]:
    return [int(e.tag) for e in ds]


SPECIFIC = ["PatientName", 0x00280010, (0x0008, 0x0060), "OtherPatientIDsSequence",
            "NotAKeywordButIgnored"]
READ_CASES: dict[str, Any] = {
    "specific_tags": lambda m: _tags(m.dcmread(CT, specific_tags=SPECIFIC[:4])),
    "specific_tags values": lambda m: str(m.dcmread(CT, specific_tags=["PatientName"])
                                          .PatientName),
    "specific_tags of an unknown keyword": lambda m: m.dcmread(CT, specific_tags=SPECIFIC),
    "specific_tags of pixel data, stop before pixels": lambda m: _tags(m.dcmread(
        CT, stop_before_pixels=True, specific_tags=["PixelData", "Rows"])),
    "specific_tags, implicit": lambda m: _tags(m.dcmread(MR_IMPLICIT, specific_tags=[
        0x00080060, 0x7FE00010])),
    "read_file_meta_info": lambda m: [(int(e.tag), e.VR, e.value) for e in
                                      m.filereader.read_file_meta_info(CT)],
    "read_file_meta_info of no DICOM": lambda m: m.filereader.read_file_meta_info(
        PYDICOM_DATA / "test_files" / "no_meta.dcm"),
}


@pytest.mark.parametrize("case", READ_CASES.values(), ids=READ_CASES.keys())
def test_reading_as_pydicom(case: Any) -> None:
    assert_same(case)


def test_specific_tags_reads_no_further_than_needed() -> None:
    """Reading stops after the last tag asked for: the pixel data of a file object is not
    read when only header elements are wanted."""
    big = dicomcore.dcmread(CT)
    big.PixelData = bytes(2 << 20)
    written = io.BytesIO()
    big.save_as(written)
    data = written.getvalue()

    class Counting(io.BytesIO):
        furthest = 0

        def read(self, n: int | None = -1) -> bytes:
            chunk = super().read(n)
            Counting.furthest = max(Counting.furthest, self.tell())
            return chunk

    ds = dicomcore.dcmread(Counting(data), specific_tags=["PatientName"])
    assert _tags(ds) == [0x00080005, 0x00100010]
    assert Counting.furthest < 1 << 20


def test_datetime_conversion_per_call() -> None:
    import pydicom.config

    ds = dicomcore.dcmread(CT, datetime_conversion=True)
    plain = dicomcore.dcmread(CT)
    assert isinstance(ds.StudyDate, dicomcore.valuerep.DA) and ds.StudyDate.year == 2004
    assert isinstance(ds.StudyTime, dicomcore.valuerep.TM) and isinstance(plain.StudyDate, str)
    saved = pydicom.config.datetime_conversion
    pydicom.config.datetime_conversion = True  # values convert on access: compare inside
    try:
        reference = pydicom.dcmread(CT)
        compared = 0
        for elem in ds:
            if elem.VR in ("DA", "DT", "TM") and elem.value:
                expected = reference[elem.tag].value
                assert type(expected).__name__ == type(elem.value).__name__
                assert elem.value == expected and str(elem.value) == str(expected)
                compared += 1
        assert compared >= 10
    finally:
        pydicom.config.datetime_conversion = saved
    written = io.BytesIO()
    ds.save_as(written)
    assert written.getvalue() == CT.read_bytes()


def test_outcomes_helper_sees_a_difference() -> None:
    """The parity helper is not vacuous: a case that differs is caught."""
    (_, on_pydicom), (_, on_dicomcore) = outcomes(lambda m: m.__name__ if hasattr(m, "__name__")
                                                  else m.name)
    assert on_pydicom != on_dicomcore
    with pytest.raises(AssertionError):
        assert_same(lambda m: m.name)


def test_a_slice_keeps_the_encoding_as_pydicom() -> None:
    assert_same(lambda m: (m.dcmread(MR_IMPLICIT)[0x00080000:0x00100000].original_encoding,
                           m.dcmread(MR_IMPLICIT)[0x00080000:0x00100000].is_implicit_VR))


def _updated(m: Lib, **change: Any) -> Any:
    ds = m.dcmread(CT)
    ds.update_raw_element(0x00280010, **change)
    return ds[0x00280010].VR, ds[0x00280010].value


def _file_meta_ensured(m: Lib) -> Any:
    ds = m.Dataset()
    ds.ensure_file_meta()
    first = ds.file_meta
    ds.ensure_file_meta()
    return type(first).__name__, first is ds.file_meta, len(first)


def _cleared(m: Lib, keyword: str) -> Any:
    ds = m.dcmread(CT)
    ds[keyword].clear()
    return ds[keyword].value == ds[keyword].empty_value, ds[keyword].is_empty


MORE_DATASET_CASES: dict[str, Any] = {
    "update_raw_element VR": lambda m: _updated(m, vr="SS"),
    "update_raw_element value": lambda m: _updated(m, value=b"\x00\x01"),
    "update_raw_element nothing": lambda m: _updated(m),
    "update_raw_element bad VR": lambda m: _updated(m, vr="XX"),
    "update_raw_element value not bytes": lambda m: _updated(m, value="12"),
    "update_raw_element absent": lambda m: m.Dataset().update_raw_element(0x00100010, vr="LO"),
    "update_raw_element decoded": lambda m: _decoded_then_updated(m),
    "ensure_file_meta": _file_meta_ensured,
    "get_item of a slice": lambda m: [int(t) for t in m.dcmread(CT).get_item(
        slice(0x00100000, 0x00110000)).keys()],
    "get_item keep_deferred": lambda m: str(m.dcmread(CT, defer_size=100).get_item(
        0x7FE00010, keep_deferred=True).tag),
    "DataElement validation_mode": lambda m: m.DataElement(0x00100020, "LO", "1",
                                                           validation_mode=0).value,
    "DataElement is_buffered": lambda m: m.DataElement(0x00100020, "LO", "1").is_buffered,
    "clear a text value": lambda m: _cleared(m, "PatientName"),
    "clear a number": lambda m: _cleared(m, "Rows"),
    "clear a sequence": lambda m: _cleared(m, "OtherPatientIDsSequence"),
}


def _decoded_then_updated(m: Lib) -> Any:
    ds = m.dcmread(CT)
    ds.Rows  # noqa: B018 - decoding it is the point
    ds.update_raw_element(0x00280010, vr="SS")


@pytest.mark.parametrize("case", MORE_DATASET_CASES.values(), ids=MORE_DATASET_CASES.keys())
def test_more_dataset_calls_as_pydicom(case: Any) -> None:
    assert_same(case)


DATADICT_TAGS = [0x00100010, "PatientName", (0x0028, 0x0010), 0x60003000, 0x00091001,
                 0x00000000, 0x12345678, 0x00181010, "NotAKeyword", 0x00090010, 0x00082112]
DATADICT_CASES = {
    f"{name}({tag!r})": (name, tag)
    for name in ("dictionary_VR", "dictionary_VM", "dictionary_description",
                 "dictionary_keyword", "dictionary_has_tag", "dictionary_is_retired",
                 "keyword_for_tag", "get_entry", "private_dictionary_VR",
                 "private_dictionary_VM", "private_dictionary_description",
                 "get_private_entry")
    for tag in DATADICT_TAGS}


@pytest.mark.parametrize("name, tag", DATADICT_CASES.values(), ids=DATADICT_CASES.keys())
def test_datadict_as_pydicom(name: str, tag: Any) -> None:
    args = (tag, "GEMS_IDEN_01") if "private" in name else (tag,)
    assert_same(lambda m: getattr(m.datadict, name)(*args))


def test_datadict_keywords_as_pydicom() -> None:
    for keyword in ("PatientName", "OverlayData", "NotAKeyword", "Rows"):
        assert_same(lambda m, k=keyword: (m.datadict.tag_for_keyword(k),
                                          m.datadict.repeater_has_keyword(k)))


def _bare(m: Lib, **options: Any) -> Any:
    data = CT.read_bytes()
    fp = io.BytesIO(data)
    fp.seek(data.index(b"\x08\x00\x05\x00CS"))  # the first element after the file meta
    ds = m.filereader.read_dataset(fp, False, True, **options)
    return [int(e.tag) for e in ds], fp.tell()


def _preamble(m: Lib, data: bytes, force: bool) -> Any:
    fp = io.BytesIO(data)
    return m.filereader.read_preamble(fp, force), fp.tell()


BARE_CASES: dict[str, Any] = {
    "read_dataset": lambda m: _bare(m),
    "read_dataset parent_encoding and specific_tags": lambda m: _bare(
        m, parent_encoding="latin_1", specific_tags=[0x00100010, 0x00280010]),
    "read_preamble": lambda m: _preamble(m, CT.read_bytes(), False),
    "read_preamble of no DICOM, forced": lambda m: _preamble(m, b"\x08\x00" * 100, True),
    "read_preamble of no DICOM": lambda m: _preamble(m, b"\x08\x00" * 100, False),
}


@pytest.mark.parametrize("case", BARE_CASES.values(), ids=BARE_CASES.keys())
def test_bare_reading_as_pydicom(case: Any) -> None:
    assert_same(case)


@pytest.mark.parametrize("vr, value", [("PN", "A" * 100), ("US", 70000), ("DA", "2020-01-02"),
                                       ("US", 12), ("LO", "fine")])
def test_element_validate_warns_as_pydicom(vr: str, value: Any) -> None:
    def case(m: Lib) -> None:
        m.DataElement(0x00280010 if vr == "US" else 0x00100010, vr, None).validate(value)

    assert bool(warning_categories(case, DICOMCORE)) == bool(warning_categories(case, PYDICOM))
