"""`dicomcore.dataelem`: what a `DataElement` says about itself, how set values are
normalised, and that values read from a file are decoded only when first accessed.

pydicom 3 is the oracle: over every element of the corpus (at every depth, file meta too),
and for elements built from the same (tag, VR, value) in both libraries.
"""

from __future__ import annotations

import copy
import pickle
import warnings
from pathlib import Path
from typing import Any

import pydicom
import pytest
from pydicom.data import get_testdata_file

import dicomcore
from dicomcore import DataElement, Dataset, MultiValue, PersonName, Sequence
from dicomcore.dictionary import keyword_for_tag
from dicomcore.errors import DicomWarning
from dicomcore.tag import BaseTag
from dicomcore.uid import UID
from dicomcore.valuerep import DS, IS

from .test_dataset import corpus, corpus_pairs

CT_SMALL = get_testdata_file("CT_small.dcm")
pytestmark = pytest.mark.filterwarnings("ignore:::pydicom")


def _uid_shown_by_name(their_elem: Any) -> bool:
    """pydicom shows registered UIDs (SOP classes too) by name; ours knows transfer syntaxes."""
    value = their_elem.value
    return isinstance(value, pydicom.uid.UID) and value.name != str(value) and \
        not value.is_transfer_syntax


@corpus
def test_every_element_describes_itself_as_in_pydicom(path: Path) -> None:
    """Deliberate differences: pydicom names and types private elements from its private
    dictionary; it gives no keyword to elements of repeating groups (60xx, 50xx) where we give
    the dictionary's; it does not call group lengths retired where the dictionary does
    (PS3.5 7.2)."""
    problems = []
    for where, elem, theirs in corpus_pairs(path):
        private = elem.tag.is_private
        expected: dict[str, Any] = {
            "is_private": theirs.is_private,
            "is_undefined_length": theirs.is_undefined_length,
        }
        if theirs.keyword or not keyword_for_tag(elem.tag):
            expected["keyword"] = theirs.keyword
        if elem.tag & 0xFFFF:
            expected["is_retired"] = theirs.is_retired
        if not private:
            expected["name"] = theirs.name
        if elem.VR == theirs.VR:
            expected["VM"] = theirs.VM
            if not private and not _uid_shown_by_name(theirs):
                expected["repval"] = theirs.repval
                expected["__str__"] = str(theirs)
        for attr, value in expected.items():
            mine = str(elem) if attr == "__str__" else getattr(elem, attr)
            if mine != value:
                problems.append(f"{where} {attr}: {mine!r} != pydicom {value!r}")
    assert not problems, "\n".join(problems[:20])


def test_private_elements_are_named_as_pydicom_names_them() -> None:
    for tag, name in ((0x00090010, "Private Creator"), (0x00091010, "Private tag data"),
                      (0x00090000, "Private Creator"), (0x00291001, "Private tag data")):
        elem = DataElement(tag, "LO", "x")
        theirs = pydicom.DataElement(tag, "LO", "x")
        assert (elem.name, elem.keyword, elem.is_private) == (name, "", True)
        assert (elem.name, str(elem)) == (theirs.name, str(theirs))


# -- values set on an element: pydicom's types ---------------------------------------------

PYDICOM_TYPES = {"DSfloat": "DS", "ISfloat": "ISfloat", "MultiValue": "MultiValue",
                 "PersonName": "PersonName", "UID": "UID", "BaseTag": "BaseTag",
                 "Sequence": "Sequence"}

# (tag, VR, value): built in both libraries, they must agree.
BUILT = [
    (0x00100010, "PN", "Doe^John"), (0x00100010, "PN", ""), (0x00100010, "PN", None),
    (0x00100010, "PN", b"Doe^J"), (0x00100010, "PN", ["a^b", "c"]),
    (0x00100010, "PN", "a^b\\c^d"), (0x00100010, "PN", "Yamada^Tarou=山田^太郎=やまだ^たろう"),
    (0x00080008, "CS", "A\\B"), (0x00080008, "CS", ["A"]), (0x00080008, "CS", []),
    (0x00080008, "CS", b"A\\B"), (0x00080008, "CS", ["A"] * 17),
    (0x00200013, "IS", "5"), (0x00200013, "IS", 5), (0x00200013, "IS", " 5 "),
    (0x00200013, "IS", ""), (0x00200013, "IS", None), (0x00200013, "IS", "1.5"),
    (0x00200013, "IS", 2.0), (0x00200013, "IS", "1\\2"),
    (0x00180050, "DS", "1.50"), (0x00180050, "DS", 1.5), (0x00180050, "DS", 1),
    (0x00180050, "DS", ""), (0x00280030, "DS", "1.5\\2.5"), (0x00280030, "DS", [1.5, "2.50"]),
    (0x00080016, "UI", "1.2.3"), (0x00080016, "UI", "1.2.840.10008.1.2"),
    (0x00080016, "UI", ""), (0x00080016, "UI", None), (0x00080014, "UI", "1.2\\3.4"),
    (0x00280010, "US", 5), (0x00280010, "US", [1, 2]), (0x00280010, "US", None),
    (0x00280010, "US", list(range(16))), (0x00280010, "US", list(range(17))),
    (0x00209165, "AT", 0x00100010), (0x00209165, "AT", (0x10, 0x10)), (0x00209165, "AT", 0),
    (0x00209165, "AT", [0x00100010, 0x00100020]), (0x00209165, "AT", None),
    (0x7FE00010, "OB", b"\0" * 16), (0x7FE00010, "OB", b"\0" * 17), (0x7FE00010, "OB", None),
    (0x7FE00010, "OW", b"\\\\\\"), (0x7FE00010, "OB", [b"ab", b"cd"]),
    (0x00204000, "LT", "a\\b"), (0x00204000, "LT", "x" * 16), (0x00204000, "LT", "x" * 17),
    (0x00204000, "LT", ""), (0x00081140, "SQ", []), (0x00081140, "SQ", None),
    (0x00080000, "UL", 5), (0x00181234, "LO", "unknown tag"), (0x60020010, "US", 5),
    (0x00189219, "FD", 1.5), (0x00189219, "FD", [1.5, 2.5]), (0x00660016, "FL", 1.5),
    (0x00100020, "LO", "  x  "), (0x00100030, "DA", ""), (0x00080005, "CS", "ISO_IR 100"),
]


def _type_name(value: Any) -> str:
    name = type(value).__name__
    return PYDICOM_TYPES.get(name, name)


@pytest.mark.parametrize(("tag", "vr", "value"), BUILT,
                         ids=[f"{vr}-{v!r:.30}" for _, vr, v in BUILT])
def test_set_values_take_pydicoms_types(tag: int, vr: str, value: Any) -> None:
    elem = DataElement(tag, vr, value)
    theirs = pydicom.DataElement(tag, vr, value)
    assert _type_name(elem.value) == _type_name(theirs.value)
    if isinstance(theirs.value, pydicom.multival.MultiValue):
        assert [_type_name(v) for v in elem.value] == [_type_name(v) for v in theirs.value]
    assert elem.VM == theirs.VM
    assert elem.is_empty == theirs.is_empty
    assert elem.repval == theirs.repval
    assert str(elem) == repr(elem) == str(theirs)
    if vr != "SQ":
        assert str(elem.value) == str(theirs.value)


def test_values_pydicom_refuses_are_kept_with_a_warning() -> None:
    for vr, text in (("IS", "1A"), ("DS", "abc"), ("IS", "nan")):
        with pytest.warns(DicomWarning, match="not a valid"):
            elem = DataElement(0x00200013 if vr == "IS" else 0x00180050, vr, text)
        assert elem.value == text and type(elem.value) is str


def test_a_tuple_is_one_tag_for_at_and_a_multivalue_otherwise() -> None:
    assert DataElement(0x00209165, "AT", (0x10, 0x20)).value == 0x00100020
    elem = DataElement(0x00080008, "CS", ("A", "B"))
    assert type(elem.value) is MultiValue and elem.value == ["A", "B"] and elem.VM == 2


def test_values_added_to_a_multivalue_are_converted() -> None:
    elem = DataElement(0x00280030, "DS", ["0.5", "0.5"])
    elem.value.append(1.25)
    elem.value[0] = "0.75"
    assert [type(v) for v in elem.value] == [DS, DS, DS]
    names = DataElement(0x00101001, "PN", ["A^B", "C^D"])
    names.value.insert(0, "E^F")
    assert all(isinstance(n, PersonName) for n in names.value)
    assert names.value[0].family_name == "E"


def test_values_added_to_a_read_multivalue_are_converted() -> None:
    ds = dicomcore.dcmread(CT_SMALL)
    ds.PixelSpacing.append(2.5)
    ds.ImagePositionPatient[0] = "1.50"
    assert [type(v) for v in ds.PixelSpacing] == [DS, DS, DS]
    assert str(ds.ImagePositionPatient[0]) == "1.50"


def test_sequence_values() -> None:
    elem = DataElement(0x00081140, "SQ", [Dataset(), Dataset()])
    assert type(elem.value) is Sequence and elem.VM == 1 and not elem.is_empty
    assert DataElement(0x00081140, "SQ", None).is_empty
    with pytest.raises(TypeError):
        DataElement(0x00081140, "SQ", ["not a dataset"])
    with pytest.raises(TypeError):
        DataElement(0x00081140, "SQ", Dataset())
    with pytest.raises(TypeError):
        elem.value.append("not a dataset")
    assert repr(elem.value) == "<Sequence, length 2>"


def test_pn_values_become_person_names() -> None:
    ds = Dataset()
    ds.PatientName = "Yamada^Tarou=山田^太郎"
    assert isinstance(ds.PatientName, PersonName)
    assert (ds.PatientName.family_name, ds.PatientName.ideographic) == ("Yamada", "山田^太郎")
    ds.PatientName = PersonName("A^B")
    assert ds.PatientName == "A^B"


def test_equality_compares_tag_vr_and_value() -> None:
    elem = DataElement(0x00100020, "LO", "12")
    assert elem == DataElement(0x00100020, "LO", "12")
    assert elem != DataElement(0x00100020, "LO", "13")
    assert elem != DataElement(0x00100020, "SH", "12")
    assert elem != DataElement(0x00100021, "LO", "12")
    assert (elem == "12") is False
    with pytest.raises(TypeError):
        hash(elem)


# -- lazy decoding -----------------------------------------------------------------------

def test_read_values_are_decoded_on_first_access() -> None:
    ds = dicomcore.dcmread(CT_SMALL)
    # The reader needs Specific Character Set's value; sequences are read as items.
    plain = [e for e in ds._dict.values() if e.VR != "SQ" and e.tag != 0x00080005]
    assert plain and all(e.is_raw for e in plain)
    ds.dir(), ds.keys(), len(ds), "PatientName" in ds  # noqa: B018 - none of these decode
    ds.walk(lambda d, e: e.tag)
    assert all(e.is_raw for e in plain)
    elem = ds[0x00100010]
    raw = elem.raw_value
    assert isinstance(raw, bytes) and raw.rstrip(b" ") == b"CompressedSamples^CT1"
    value = elem.value
    assert not elem.is_raw
    assert elem.value is value  # decoded once, then kept
    assert elem.raw_value is raw  # the bytes stay for the writer
    assert str(value) == "CompressedSamples^CT1"
    elem.value = "New^Name"
    assert elem.raw_value is None and not elem.is_raw
    assert ds[0x00100020].is_raw


def test_a_deferred_value_is_read_on_access_and_not_for_a_dump() -> None:
    ds = dicomcore.dcmread(CT_SMALL, defer_size=1024)
    pixels = ds[0x7FE00010]
    assert pixels.is_deferred and pixels.is_raw
    assert pixels.repval == pydicom.dcmread(CT_SMALL)[0x7FE00010].repval
    str(ds)
    assert pixels.is_deferred
    assert len(pixels.value) == 32768
    assert not pixels.is_deferred and not pixels.is_raw


def test_copies_of_undecoded_elements_stay_undecoded_and_decode_alike() -> None:
    ds = dicomcore.dcmread(CT_SMALL, defer_size=1024)
    for tag in (0x00100010, 0x00280030, 0x7FE00010):
        elem = ds[tag]
        deep, shallow = copy.deepcopy(elem), copy.copy(elem)
        pickled = pickle.loads(pickle.dumps(elem))
        assert deep.is_raw and shallow.is_raw and pickled.is_raw
        assert not pickled.is_deferred  # a pickle carries the bytes
        assert deep == elem == shallow == pickled
        assert deep.value is not elem.value or isinstance(elem.value, int)


def test_decoded_copies_are_independent() -> None:
    elem = DataElement(0x00280030, "DS", ["0.5", "0.5"])
    deep = copy.deepcopy(elem)
    deep.value.append(1)
    assert elem.VM == 2 and deep.VM == 3
    restored = pickle.loads(pickle.dumps(elem))
    restored.value.append("2.5")
    assert type(restored.value[-1]) is DS


def test_group_length_and_unknown_tags() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        elem = DataElement(0x00180000, "UL", 4)
    assert (elem.name, elem.keyword) == ("Group Length", "")
    unknown = DataElement(0x00181234, "LO", "x")
    assert (unknown.name, unknown.keyword, unknown.is_retired) == ("", "", False)
    assert isinstance(DataElement(0x00209165, "AT", 0x00100010).value, BaseTag)
    assert isinstance(DataElement(0x00080016, "UI", "1.2.3").value, UID)
    assert isinstance(DataElement(0x00200013, "IS", "5").value, IS)
