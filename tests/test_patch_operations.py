"""Parsing patches (`dicomcore.patch.operations`) and the patch values of `jsonvalue`."""

from __future__ import annotations

import doctest
from typing import Any

import pytest

import dicomcore
from dicomcore import jsonvalue
from dicomcore.jsonvalue import typed_number_strings, value_from_patch_json
from dicomcore.patch import (
    Action,
    Operation,
    PatchError,
    PathStep,
    Selector,
    apply,
    parse,
)
from dicomcore.patch.operations import as_attribute_op, item_operations
from dicomcore.personname import PersonName
from dicomcore.valuerep import DS, IS


def test_jsonvalue_docstring_examples_run() -> None:
    assert doctest.testmod(jsonvalue).failed == 0


def test_an_array_parses_into_operations() -> None:
    ops = parse([
        {"op": "set", "path": "PatientName", "value": "Doe^Jane"},
        {"op": "delete", "path": "(0010,1010)"},
        {"op": "append", "path": "OtherPatientIDsSequence", "value": {"PatientID": "X"}},
        {"op": "remove", "path": "OtherPatientIDsSequence[0]", "force": True},
        {"op": "set", "path": '(0009,"ACME",01)', "vr": "LO", "value": "x"},
    ])
    assert [(o.op, o.text, o.force) for o in ops] == [
        ("set", "PatientName", False), ("delete", "(0010,1010)", False),
        ("append", "OtherPatientIDsSequence", False),
        ("remove", "OtherPatientIDsSequence[0]", True), ("set", '(0009,"ACME",01)', False)]
    assert ops[0].path == (PathStep(0x00100010),) and ops[0].value == "Doe^Jane"
    assert ops[4].vr == "LO" and ops[4].path[0].creator == "ACME"


def test_a_dicom_json_object_parses_into_sets() -> None:
    ops = parse({"00100010": {"vr": "PN", "Value": [{"Alphabetic": "A^B"}]},
                 "00100020": {"vr": "LO"},
                 "00081140": {"vr": "SQ", "Value": [{"00081155": {"vr": "UI",
                                                                  "Value": ["1.2"]}}]}})
    assert [(o.op, o.text, o.vr) for o in ops] == [
        ("set", "00100010", "PN"), ("set", "00100020", "LO"), ("set", "00081140", "SQ")]
    assert str(ops[0].value) == "A^B" and ops[1].value == ""


def test_every_malformed_operation_is_reported_with_its_index() -> None:
    with pytest.raises(PatchError) as info:
        parse([{"op": "set", "path": "PatientName", "value": "fine"},
               {"op": "move", "path": "PatientName"},
               "not an object",
               {"op": "set", "path": "PatientName"},
               {"op": "set", "path": "PatientName", "value": 1, "vr": "XX"},
               {"op": "delete", "path": "PatientName", "force": "yes"},
               {"op": "remove", "path": "OtherPatientIDsSequence[*]"},
               {"op": "set", "path": "OtherPatientIDsSequence[0]", "value": 1},
               {"op": "set", "path": "PatientName", "value": 1, "extra": 1}])
    reasons = {e["index"]: e["reason"] for e in info.value.errors}
    assert sorted(reasons) == [1, 2, 3, 4, 5, 6, 7, 8]
    assert "op must be" in reasons[1] and "object" in reasons[2]
    assert "needs a value" in reasons[3] and "not a VR" in reasons[4]
    assert "true or false" in reasons[5] and "one item" in reasons[6]
    assert "not to an item" in reasons[7] and "extra" in reasons[8]
    assert info.value.errors[0]["op"] == "move" and info.value.errors[0]["path"] == "PatientName"


@pytest.mark.parametrize("bad", [
    "text", 3, None, {"PatientName": {"vr": "PN"}}, {"00100010": {"vr": "XX"}},
    {"00100010": {"vr": "PN", "BulkDataURI": "x"}}, {"00081140": {"vr": "SQ", "Value": [1]}},
])
def test_what_is_not_a_patch_is_one_error_without_index(bad: Any) -> None:
    with pytest.raises(PatchError) as info:
        parse(bad)
    assert [e["index"] for e in info.value.errors] == [None]


def test_operations_are_selectors_and_actions() -> None:
    op = parse([{"op": "set", "path": "PatientName", "vr": "PN", "value": "A"}])[0]
    selector, action, force = as_attribute_op(op)
    assert selector == Selector("path", (PathStep(0x00100010),), "PatientName")
    assert action == Action.set("A", "PN") and force is False
    remove = as_attribute_op(Operation("remove", (PathStep(0x00101002, index=0),), "x"))
    assert remove.action == Action.remove()


def test_item_members_are_paths_or_dicom_json_elements() -> None:
    ops = item_operations({"PatientID": "1", "00100021": {"vr": "LO", "Value": ["I"]}})
    assert [(o.selector.text, o.action.kind, o.action.value) for o in ops] == [
        ("PatientID", "set", "1"), ("00100021", "set", "I")]


def test_parsed_operations_apply_like_the_json() -> None:
    ds = dicomcore.Dataset(PatientName="A^B")
    apply(ds, parse([{"op": "set", "path": "PatientID", "value": "7"}]))
    assert ds.PatientID == "7" and str(ds.PatientName) == "A^B"


@pytest.mark.parametrize(("vr", "value", "expected"), [
    ("LO", "text", "text"), ("LO", 12, "12"), ("LO", ["a", "b"], ["a", "b"]),
    ("LO", ["only"], "only"), ("LO", None, None), ("LO", ["a", None], ["a", ""]),
    ("US", 5, 5), ("FD", 2, 2.0), ("FL", 1.5, 1.5),
    ("OB", "AAEC", b"\0\1\2"), ("OB", b"\x05", b"\x05"),
    ("AT", "(0020,0032)", 0x00200032), ("AT", 0x00200032, 0x00200032),
    ("IS", 42, "42"), ("IS", " 7 ", "7"), ("DS", 0.1 + 0.2, "0.30000000000000"),
    ("DS", DS("1.50"), "1.50"), ("IS", IS("0012"), "0012"),
])
def test_patch_values(vr: str, value: Any, expected: Any) -> None:
    assert value_from_patch_json(vr, value) == expected


def test_pn_values() -> None:
    assert str(value_from_patch_json("PN", {"Alphabetic": "A", "Phonetic": "C"})) == "A==C"
    name = PersonName("X^Y")
    assert value_from_patch_json("PN", name) is name


@pytest.mark.parametrize(("vr", "value", "reason"), [
    ("US", "5", "integer"), ("US", True, "integer"), ("US", 1.5, "integer"),
    ("FD", "1", "number"), ("OB", "not base64!", "base64"), ("OB", 5, "base64"),
    ("PN", 5, "PN"), ("PN", {"Nickname": "x"}, "PN"), ("AT", "zz", "not a tag"),
    ("IS", [1], None), ("IS", {"a": 1}, "numeric string"), ("LO", {"a": 1}, "string"),
    ("LO", True, "string"),
])
def test_patch_values_of_the_wrong_json_type(vr: str, value: Any, reason: str | None) -> None:
    if reason is None:
        assert value_from_patch_json(vr, value) == "1"
        return
    with pytest.raises(ValueError, match=reason):
        value_from_patch_json(vr, value)


def test_validated_number_text_becomes_is_and_ds() -> None:
    assert typed_number_strings("IS", ["1", ""]) == [IS("1"), ""]
    assert isinstance(typed_number_strings("DS", "1.5"), DS)
    assert typed_number_strings("LO", "1.5") == "1.5"
