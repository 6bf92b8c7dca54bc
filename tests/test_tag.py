"""`dicomcore.tag`: every form `Tag()` accepts, the errors for what it refuses, and the
properties and comparisons of `BaseTag`, with pydicom's `Tag` as the oracle where both accept.
"""

from __future__ import annotations

import doctest
from typing import Any

import pydicom.tag
import pytest

from dicomcore import tag as tag_module
from dicomcore._dicomdict import DICTIONARY
from dicomcore.tag import BaseTag, Tag

PATIENT_NAME = 0x00100010

# Every form the issue names, and the others pydicom accepts, for (0010,0010).
ACCEPTED: dict[str, Any] = {
    "int": PATIENT_NAME,
    "group, element": (0x0010, 0x0010),
    "tuple": ((0x0010, 0x0010),),
    "list": ([0x0010, 0x0010],),
    "hex-str tuple": (("0010", "0010"),),
    "parenthesised": "(0010,0010)",
    "parenthesised with space": "(0010, 0010)",
    "comma": "0010,0010",
    "eight hex digits": "00100010",
    "lower-case hex": "(0010,0010)".lower(),
    "0x prefix": "0x00100010",
    "short hex": "100010",
    "keyword": "PatientName",
    "padded keyword": " PatientName ",
    "padded": " (0010,0010) ",
    "BaseTag": BaseTag(PATIENT_NAME),
}


def test_docstring_examples() -> None:
    assert doctest.testmod(tag_module).failed == 0


def _call(form: Any) -> BaseTag:
    if isinstance(form, tuple) and len(form) == 2:
        return Tag(*form)
    if isinstance(form, tuple):
        return Tag(form[0])
    return Tag(form)


@pytest.mark.parametrize("form", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_every_form_gives_the_same_tag(form: Any) -> None:
    tag = _call(form)
    assert type(tag) is BaseTag
    assert tag == PATIENT_NAME
    assert str(tag) == "(0010,0010)"


# (argument, the exception) - never anything but ValueError, TypeError or OverflowError.
REFUSED: list[tuple[Any, type[Exception]]] = [
    ("Foo", ValueError),
    ("patientname", ValueError),  # keywords are case-sensitive
    ("", ValueError),
    ("()", ValueError),
    ("10,10", ValueError),  # gggg,eeee needs four digits each
    ("(0010,001G)", ValueError),
    ("(0010,0010", ValueError),
    ("0010,", ValueError),
    ("0x10,0x10", ValueError),
    ("+0010010", ValueError),
    ("0010_0010", ValueError),
    ("0x", ValueError),
    (("0010", "zz"), ValueError),
    (-1, ValueError),
    ((-1, 0), ValueError),
    ((0, -1), ValueError),
    ((1, 2, 3), ValueError),
    ((), ValueError),
    (0x100000000, OverflowError),
    (2**64, OverflowError),
    ((0x10000, 0), OverflowError),
    ((0, 0x10000), OverflowError),
    ("0x1FFFFFFFF", OverflowError),
    ("1FFFFFFFF", OverflowError),
    (1.5, TypeError),
    (None, TypeError),
    (b"00100010", TypeError),
    ((1.5, 2), TypeError),
    ({0x10: 0x10}, TypeError),
]


@pytest.mark.parametrize(("arg", "error"), REFUSED, ids=[repr(a) for a, _ in REFUSED])
def test_bad_input_raises_the_documented_error(arg: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        Tag(arg)


@pytest.mark.parametrize("arg", [PATIENT_NAME, (0x7FE0, 0x0010), "00100010", "0x00100010",
                                 "PatientName", "PixelData", ("0010", "0010"), 0, 0xFFFFFFFF,
                                 "FFFFFFFF", -1, 0x100000000, (0x10000, 0)])
def test_agrees_with_pydicom(arg: Any) -> None:
    """Where pydicom accepts a form, the tag is the same; where it refuses, the same error."""
    try:
        expected: Any = int(pydicom.tag.Tag(arg))
    except Exception as exc:  # noqa: BLE001 - the oracle's error type is the expectation
        with pytest.raises(type(exc)):
            Tag(arg)
        return
    assert Tag(arg) == expected


def test_every_dictionary_keyword_and_printed_tag_round_trip() -> None:
    for tag, entry in DICTIONARY.items():
        base = BaseTag(tag)
        assert Tag(str(base)) == tag
        assert Tag(base.json_key) == tag
        assert Tag(base.group, base.element) == tag
        keyword = entry[3]
        if keyword:
            assert Tag(keyword) == tag, keyword


TAGS = [0x00000000, 0x00020010, 0x00100010, 0x00090010, 0x000900FF, 0x00091000, 0x00091010,
        0x0009000F, 0x00290100, 0x7FE00010, 0xFFFEE000, 0x60020010, 0xFFFFFFFF]


@pytest.mark.parametrize("value", TAGS, ids=[f"{t:08X}" for t in TAGS])
def test_properties_match_pydicom(value: int) -> None:
    ours, theirs = Tag(value), pydicom.tag.Tag(value)
    assert (ours.group, ours.element, ours.elem) == (theirs.group, theirs.element, theirs.elem)
    assert ours.is_private is theirs.is_private
    assert ours.is_private_creator is theirs.is_private_creator
    assert ours.private_creator == theirs.private_creator
    assert ours.json_key == theirs.json_key
    assert str(ours) == repr(ours) == str(theirs)


def test_prints_as_upper_case_group_and_element() -> None:
    assert str(Tag(0x7FE00010)) == "(7FE0,0010)"
    assert repr(Tag(0x00091001)) == "(0009,1001)"
    assert Tag(0xFFFEE0DD).json_key == "FFFEE0DD"


def test_is_an_int_that_hashes_like_one() -> None:
    tag = Tag(PATIENT_NAME)
    assert isinstance(tag, int)
    assert hash(tag) == hash(PATIENT_NAME)
    assert {PATIENT_NAME: "x"}[tag] == "x"
    assert tag + 1 == 0x00100011


@pytest.mark.parametrize("other", [PATIENT_NAME, (0x10, 0x10), "PatientName", "(0010,0010)",
                                   Tag(PATIENT_NAME)])
def test_equals_every_form_of_itself(other: Any) -> None:
    assert Tag(PATIENT_NAME) == other
    assert not Tag(PATIENT_NAME) != other
    assert Tag(0x00100020) != other


@pytest.mark.parametrize("other", ["Foo", 1.5, None, (1, 2, 3), b"x"])
def test_differs_from_what_is_no_tag_without_raising(other: Any) -> None:
    assert (Tag(PATIENT_NAME) == other) is False
    assert (Tag(PATIENT_NAME) != other) is True


def test_orders_against_tuples_keywords_and_ints() -> None:
    tag = Tag(PATIENT_NAME)
    assert tag < (0x0010, 0x0020)
    assert tag <= "PatientName"
    assert tag < "PatientSize"  # (0010,1020)
    assert tag > "StudyDate"  # (0008,0020)
    assert tag >= 0x00100010
    assert not tag > (0x0010, 0x0010)
    assert sorted([Tag(0x00200000), Tag(0x00080000), tag]) == [0x00080000, tag, 0x00200000]
    assert (tag < (0x10, 0x20)) == (pydicom.tag.Tag(PATIENT_NAME) < (0x10, 0x20))


def test_ordering_against_no_tag_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        _ = Tag(PATIENT_NAME) < "Foo"
    with pytest.raises(TypeError):
        _ = Tag(PATIENT_NAME) >= None
