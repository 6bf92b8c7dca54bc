"""The patch path grammar (`dicomcore.patch.paths`): one case table of good and bad paths."""

from __future__ import annotations

import doctest

import pytest

import dicomcore
from dicomcore.patch import InvalidOperation, PathStep, parse_path
from dicomcore.patch import paths as paths_module
from dicomcore.patch.paths import check_element_tag, describe, find_private_tag


def test_docstring_examples_run() -> None:
    assert doctest.testmod(paths_module).failed == 0


@pytest.mark.parametrize(("text", "steps"), [
    ("PatientName", [PathStep(0x00100010)]),
    ("(0010,0010)", [PathStep(0x00100010)]),
    ("00100010", [PathStep(0x00100010)]),
    ("0010,0010", [PathStep(0x00100010)]),
    (" PatientName ", [PathStep(0x00100010)]),
    ("OtherPatientIDsSequence[0].PatientID",
     [PathStep(0x00101002, index=0), PathStep(0x00100020)]),
    ("OtherPatientIDsSequence[*].PatientID",
     [PathStep(0x00101002, index="*"), PathStep(0x00100020)]),
    ("OtherPatientIDsSequence[-1]", [PathStep(0x00101002, index=-1)]),
    ("(0008,1140)[ 2 ].(0008,1155)", [PathStep(0x00081140, index=2), PathStep(0x00081155)]),
    ('(0009,"GEMS_IDEN_01",04)', [PathStep(None, "GEMS_IDEN_01", 0x00090004)]),
    ('(0029,"A.B, (v2)",10)[0].(0029,"A.B, (v2)",11)',
     [PathStep(None, "A.B, (v2)", 0x00290010, 0), PathStep(None, "A.B, (v2)", 0x00290011)]),
    ("(0009,1001)", [PathStep(0x00091001)]),
])
def test_good_paths(text: str, steps: list[PathStep]) -> None:
    assert list(parse_path(text)) == steps


@pytest.mark.parametrize(("text", "reason"), [
    ("", "at least one"),
    ("NoSuchKeyword", "not a keyword or a tag"),
    ("a", "not a keyword or a tag"),  # hex, but none of the tag forms
    ("10", "not a keyword or a tag"),
    ("0010010", "not a keyword or a tag"),
    ("Seq[x].A", "not a number"),
    ("OtherPatientIDsSequence[0", "unclosed ["),
    ("OtherPatientIDsSequence.PatientID", "needs an item index"),
    ("PatientName.", "ends with a dot"),
    ("PatientName[0]x", "unexpected"),
    ('(0009,"GEMS,01)', "unclosed ("),
    ("(0009,GEMS,01)", "not a keyword or a tag"),
    ('(0009,GEMS"X",01)', "quoted"),
    ('(0008,"X",10)', "private group"),
    ('(0009,"X",100)', "private group"),
    ('(zz09,"X",10)', "(gggg"),
    ('(0009,"",10)', "non-empty LO"),
    ('(0009,"a\\b",10)', "non-empty LO"),
    ("(FFFE,E000)", "item and delimiter"),
    ("(0010,0000)", "group lengths"),
    ("(0003,0010)", "cannot hold elements"),
    ("(FFFF,0010)", "cannot hold elements"),
])
def test_bad_paths(text: str, reason: str) -> None:
    with pytest.raises(InvalidOperation, match=reason.replace("(", r"\(").replace("[", r"\[")):
        parse_path(text)


def test_element_tags_that_can_hold_values_pass() -> None:
    for tag in (0x00100010, 0x00091001, 0x7FE00010, 0x00020010):
        check_element_tag(tag, "x")


def test_a_private_step_finds_its_block_and_the_first_free_one() -> None:
    ds = dicomcore.Dataset()
    ds.add_new(0x00090010, "LO", "FIRST")
    ds.add_new(0x00090012, "LO", " SECOND ")
    step, = parse_path('(0009,"SECOND",20)')
    assert find_private_tag(ds, step) == (0x00091220, 0x11)
    other, = parse_path('(0009,"THIRD",20)')
    assert find_private_tag(ds, other) == (None, 0x11)
    assert find_private_tag(dicomcore.Dataset(), other) == (None, 0x10)


def test_names_in_messages() -> None:
    assert describe(0x00100010) == "PatientName (0010,0010)"
    assert describe(0x00091001) == "(0009,1001)"
    step, = parse_path('(0009,"ACME",01)')
    assert describe(None, step) == '(0009,"ACME")'
