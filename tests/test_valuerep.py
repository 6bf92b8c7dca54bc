"""`dicomcore.valuerep` and the value types of read elements.

IS, ISfloat, DS and MultiValue are checked against pydicom 3's classes; then every value of
every corpus file is checked to have the type pydicom gives it (IS and DS keeping their
text, PersonName's parts, '' and None for empty values), and IS/DS text that is no number
is kept as text by the reader.
"""

from __future__ import annotations

import copy
import doctest
import io
import pickle
import struct
from pathlib import Path
from typing import Any

import pydicom
import pydicom.valuerep
import pytest
from pydicom.multival import MultiValue as TheirMultiValue

import dicomcore
from dicomcore import valuerep
from dicomcore.errors import DicomWarning
from dicomcore.personname import PersonName
from dicomcore.sequence import Sequence
from dicomcore.tag import BaseTag
from dicomcore.uid import UID
from dicomcore.valuerep import DS, IS, ISfloat, MultiValue, format_DS

from .test_dataset import corpus, corpus_pairs

pytestmark = pytest.mark.filterwarnings("ignore:::pydicom")


def test_docstring_examples() -> None:
    assert doctest.testmod(valuerep).failed == 0


# -- IS and DS against pydicom -----------------------------------------------------------

IS_INPUTS = ["5", " 5 ", "0012", "-3", "+4", "1.0", "1e3", 5, 5.0, True, "1.5", 2.5, "-0.5",
             None, "", "  "]


@pytest.mark.parametrize("val", IS_INPUTS, ids=repr)
def test_is_as_pydicom(val: Any) -> None:
    ours, theirs = IS(val), pydicom.valuerep.IS(val)
    assert type(ours).__name__ == type(theirs).__name__
    assert ours == theirs
    assert str(ours) == str(theirs)
    assert repr(ours) == repr(theirs)
    if isinstance(val, str) and val.strip():
        assert isinstance(ours, int | float)
        assert str(ours) == val.strip()  # the original text


DS_INPUTS = ["1.50", " 1.5 ", "-0.0", "1e-3", "001", "+2.5", 1.5, 1, 0.1 + 0.2, 1 / 3, -7,
             None, "", "  ", "nan"]


@pytest.mark.parametrize("val", DS_INPUTS, ids=repr)
def test_ds_as_pydicom(val: Any) -> None:
    ours, theirs = DS(val), pydicom.valuerep.DSfloat(val)
    assert (ours is None) == (theirs is None)
    assert isinstance(ours, float) == isinstance(theirs, float)
    assert str(ours) == str(theirs)
    assert repr(ours) == repr(theirs)
    if isinstance(theirs, float) and theirs == theirs:
        assert ours == theirs


@pytest.mark.parametrize("val", [1 / 3, -1 / 3, 123456789.123456789, 1e-20, 1.0, 1e20,
                                 0.1 + 0.2, -9999999999999.99, 2 ** -20, 0.0])
def test_ds_auto_format_fits_16_characters_as_pydicom(val: float) -> None:
    ours = DS(val, auto_format=True)
    assert str(ours) == str(pydicom.valuerep.DSfloat(val, auto_format=True))
    assert len(str(ours)) <= 16
    assert abs(float(str(ours)) - val) <= abs(val) * 1e-9
    assert str(DS("1.2345678901234567890", auto_format=True)) == "1.23456789012346"
    assert str(DS("1.50", auto_format=True)) == "1.50"  # valid text is kept


def test_format_ds_refuses_what_no_ds_can_hold() -> None:
    for value in (float("nan"), float("inf"), -float("inf")):
        with pytest.raises(ValueError):
            format_DS(value)


@pytest.mark.parametrize(("kind", "text"), [(IS, "1A"), (IS, "abc"), (IS, "nan"),
                                            (IS, "inf"), (DS, "abc"), (DS, "1,5")])
def test_text_that_is_no_number_is_a_value_error(kind: type, text: str) -> None:
    with pytest.raises(ValueError):
        kind(text)


def test_equality_with_text_and_hashing() -> None:
    assert IS("0012") == "0012" and IS("0012") != "12" and IS("0012") == 12
    assert DS("1.50") == "1.50" and DS("1.50") != "1.5" and DS("1.50") == 1.5
    assert (IS("5") == "5") == (pydicom.valuerep.IS("5") == "5")
    assert (DS("1.50") == "1.5") == (pydicom.valuerep.DSfloat("1.50") == "1.5")
    assert hash(IS("0012")) == hash(12) and hash(DS("1.50")) == hash(1.5)
    assert {IS("7"): "x"}[7] == "x"


@pytest.mark.parametrize("value", [IS(" 0012 "), DS("1.50"), ISfloat("2.50"), IS(3), DS(0.5)],
                         ids=repr)
def test_copies_and_pickles_keep_the_text(value: Any) -> None:
    for clone in (copy.copy(value), copy.deepcopy(value), pickle.loads(pickle.dumps(value))):
        assert type(clone) is type(value)
        assert clone == value and str(clone) == str(value)
        assert clone.original_string == value.original_string


def test_a_number_made_from_another_keeps_its_text() -> None:
    assert str(IS(IS("007"))) == "007"
    assert str(DS(DS("1.50"))) == "1.50"
    assert IS(DS("2.0")) == 2 and str(IS(DS("2.0"))) == "2"


# -- MultiValue --------------------------------------------------------------------------

def test_multivalue_converts_every_way_an_item_comes_in() -> None:
    values = MultiValue(DS, ["1.5", 2])
    values.append("3.50")
    values.extend(["4", 5.5])
    values.insert(0, "0.0")
    values[1] = "1.25"
    values[2:3] = ["2.0"]
    values += ["6"]
    assert all(type(v) is DS for v in values)
    assert [str(v) for v in values] == ["0.0", "1.25", "2.0", "3.50", "4", "5.5", "6"]
    kept = MultiValue(DS, ["1", "", None])
    assert kept[1:] == ["", None]


@pytest.mark.parametrize("items", [["A", "B"], [1, 2], ["1.5", "2.50"], [], ["a^b", "c"],
                                   [b"ab", b"c"]], ids=repr)
def test_multivalue_prints_as_pydicom(items: list[Any]) -> None:
    kind = {"1.5": DS, "a^b": PersonName}.get(items[0] if items else "", lambda v: v)
    their_kind = {DS: pydicom.valuerep.DSfloat, PersonName: pydicom.valuerep.PersonName}.get(
        kind, lambda v: v)
    ours, theirs = MultiValue(kind, items), TheirMultiValue(their_kind, items)
    assert str(ours) == repr(ours) == str(theirs)
    assert ours == list(theirs)
    assert isinstance(ours, list)


def _module_level(value: Any) -> Any:
    return DS(value)


def test_multivalue_copies_and_pickles_keep_items_and_constructor() -> None:
    values = MultiValue(_module_level, ["1.50", "2"])
    for clone in (copy.copy(values), copy.deepcopy(values), pickle.loads(pickle.dumps(values))):
        assert type(clone) is MultiValue and clone == values
        assert [str(v) for v in clone] == ["1.50", "2"]
        assert clone.type_constructor is _module_level
        clone.append("3")
        assert type(clone[-1]) is DS and len(values) == 2
    local = MultiValue(lambda v: DS(v), ["1.50"])  # noqa: PLW0108 - a closure pickle refuses
    restored = pickle.loads(pickle.dumps(local))
    assert [str(v) for v in restored] == ["1.50"] and type(restored[0]) is DS
    restored.append("7")
    assert restored[-1] == "7"  # the closure did not survive: items are kept as given


# -- the value types of read elements ----------------------------------------------------

# pydicom's class name -> ours. pydicom 3 gives a plain list for several binary numbers.
OUR_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,), "int": (int,), "float": (float,), "bytes": (bytes,),
    "NoneType": (type(None),), "PersonName": (PersonName,), "IS": (IS,), "ISfloat": (ISfloat,),
    "DSfloat": (DS,), "UID": (UID,), "BaseTag": (BaseTag,), "Sequence": (Sequence,),
    "MultiValue": (MultiValue,), "list": (MultiValue,),
}


def _type_problem(mine: Any, theirs: Any) -> str | None:
    expected = OUR_TYPES[type(theirs).__name__]
    if type(mine) not in expected:
        return f"{type(mine).__name__} where pydicom has {type(theirs).__name__}"
    if isinstance(theirs, pydicom.valuerep.PersonName):
        for part in ("family_name", "given_name", "middle_name", "name_prefix", "name_suffix",
                     "alphabetic", "ideographic", "phonetic"):
            if getattr(mine, part) != getattr(theirs, part):
                return f"{part}: {getattr(mine, part)!r} != {getattr(theirs, part)!r}"
    if isinstance(theirs, pydicom.valuerep.IS | pydicom.valuerep.DSfloat |
                  pydicom.valuerep.ISfloat) and str(mine) != str(theirs):
        return f"text {str(mine)!r} != {str(theirs)!r}"
    if theirs in ("", None) and mine != theirs:
        return f"empty value {mine!r} != {theirs!r}"
    return None


@corpus
def test_every_value_has_pydicoms_type(path: Path) -> None:
    problems = []
    for where, elem, theirs in corpus_pairs(path):
        if elem.VR != theirs.VR or theirs.VR == "SQ":
            continue  # private VRs pydicom takes from its private dictionary
        mine, their_value = elem.value, theirs.value
        pairs = [(mine, their_value)]
        if isinstance(their_value, TheirMultiValue | list):
            pairs += list(zip(mine, their_value, strict=True))
        for a, b in pairs:
            problem = _type_problem(a, b)
            if problem:
                problems.append(f"{where} {elem.VR}: {problem}")
    assert not problems, "\n".join(problems[:20])


# -- IS and DS text that is no number, as the reader meets it ------------------------------

def _explicit_le(tag: int, vr: str, value: bytes) -> bytes:
    """One explicit VR little endian element with a 2-byte length, padded to even length."""
    value += b" " * (len(value) % 2)
    return struct.pack("<HH2sH", tag >> 16, tag & 0xFFFF, vr.encode(), len(value)) + value


BAD_NUMBERS = b"".join([
    _explicit_le(0x00180050, "DS", b"abc"),      # (0018,0050) Slice Thickness
    _explicit_le(0x00200012, "IS", b"1.5"),      # (0020,0012) Acquisition Number
    _explicit_le(0x00200013, "IS", b"1A"),       # (0020,0013) Instance Number
    _explicit_le(0x00200019, "IS", b" 007 "),    # (0020,0019) Item Number
    _explicit_le(0x00201041, "DS", b"nan"),      # (0020,1041) Slice Location
])


def test_is_and_ds_that_are_no_numbers_are_read_as_text() -> None:
    ours = dicomcore.read_dataset(io.BytesIO(BAD_NUMBERS), False, True)  # decodes nothing
    theirs = pydicom.filereader.read_dataset(io.BytesIO(BAD_NUMBERS), is_implicit_VR=False,
                                             is_little_endian=True)
    with pytest.warns(DicomWarning, match="kept as text"):
        assert (ours.SliceThickness, ours.InstanceNumber) == ("abc", "1A")
    assert type(ours.InstanceNumber) is str
    assert str(ours.ItemNumber) == "007" and ours.ItemNumber == 7
    assert type(ours.AcquisitionNumber) is ISfloat and str(ours.AcquisitionNumber) == "1.5"
    assert str(ours.SliceLocation) == "nan"
    for elem in theirs:
        assert _type_problem(ours[elem.tag].value, elem.value) is None, elem
