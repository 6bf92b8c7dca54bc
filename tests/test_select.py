"""Selectors and actions (`dicomcore.patch.select`) over pydicom's corpus, checked against a
walk of the data set made here and against pydicom itself."""

from __future__ import annotations

import doctest
import hashlib
import io
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pydicom
import pytest

import dicomcore
from dicomcore.dataelem import DataElement
from dicomcore.patch import (
    Action,
    AttributeOp,
    InvalidOperation,
    PatchError,
    Selector,
    apply,
    apply_actions,
)
from dicomcore.patch import select as select_module
from dicomcore.patch import targets as targets_module

from .corpus import ALL_READABLE, PYDICOM_DATA, corpus_id, pydicom_outcome

FILES = [p for p in ALL_READABLE if pydicom_outcome(p) == "read"]
CT = PYDICOM_DATA / "test_files" / "CT_small.dcm"
RTPLAN = PYDICOM_DATA / "test_files" / "rtplan.dcm"

Location = tuple[int, ...]  # tag, item index, tag, ... from the top level


def _walk(ds: Any, route: Location = ()) -> Iterator[tuple[Location, Any]]:
    """Every element of a dicomcore or pydicom data set at any depth, with its location."""
    for elem in ds:
        location = (*route, int(elem.tag))
        yield location, elem
        if elem.VR == "SQ":
            for index, item in enumerate(elem.value):
                yield from _walk(item, (*location, index))


def _read(path: Path) -> dicomcore.Dataset:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return dicomcore.dcmread(path)


def _pydicom(source: Path | bytes) -> pydicom.Dataset:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.dcmread(io.BytesIO(source) if isinstance(source, bytes) else source)


def _written(ds: dicomcore.Dataset) -> bytes:
    out = io.BytesIO()
    dicomcore.write_file(out, ds)
    return out.getvalue()


def _private_free(location: Location) -> bool:
    return not any(tag >> 16 & 1 for tag in location[0::2])


def _uid_for(value: Any) -> str:
    """A stable replacement UID (2.25 form), as a de-identifier would make."""
    digest = hashlib.sha256(str(value).encode()).digest()[:12]
    return f"2.25.{int.from_bytes(digest, 'big')}"


@pytest.mark.parametrize("module", [select_module, targets_module])
def test_docstring_examples_run(module: Any) -> None:
    assert doctest.testmod(module).failed == 0


@pytest.mark.parametrize("path", FILES, ids=corpus_id)
def test_every_private_element_goes_as_a_manual_walk_and_pydicom_say(path: Path) -> None:
    ds = _read(path)
    before = dict(_walk(ds))
    apply_actions(ds, [(Selector.private(), Action.delete())])
    after = dict(_walk(ds))
    # The manual walk: what is left is exactly what no private element held.
    assert list(after) == [loc for loc in before if _private_free(loc)]
    # Elements that were not touched are the very objects they were (copy on write).
    for location, elem in after.items():
        if elem.VR != "SQ":
            assert elem is before[location]
    theirs = _pydicom(path)
    theirs.remove_private_tags()
    assert [loc for loc, _ in _walk(theirs)] == list(after)
    if any(not _private_free(loc) for loc in before):
        again = _pydicom(_written(ds))
        assert not [loc for loc, _ in _walk(again) if not _private_free(loc)]


ANYWHERE_TAGS = (0x00081155, 0x00081150, 0x00080100, 0x00100020)  # UI, UI, SH, LO


@pytest.mark.parametrize("path", FILES, ids=corpus_id)
def test_a_tag_at_any_depth_is_replaced_by_a_function(path: Path) -> None:
    ds = _read(path)
    before = dict(_walk(ds))
    tags = [t for t in ANYWHERE_TAGS if any(loc[-1] == t for loc in before)]
    if not tags:
        pytest.skip("the file has none of the tags")
    targets = {loc: elem.value for loc, elem in before.items() if loc[-1] in tags}
    seen: list[DataElement] = []

    def new_value(elem: DataElement) -> str:
        seen.append(elem)
        return _replacement_for(elem.tag, elem.value)

    apply_actions(ds, [AttributeOp(Selector.anywhere(tag), Action.replace(new_value))
                       for tag in tags])
    after = dict(_walk(ds))
    assert list(after) == list(before)
    assert len(seen) == len(targets)
    for location, elem in after.items():
        if location in targets:
            assert elem.value == _replacement_for(location[-1], targets[location])
            assert elem.VR == before[location].VR
        elif elem.VR != "SQ":
            assert elem is before[location]
    theirs = _pydicom(_written(ds))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert {loc: str(e.value) for loc, e in _walk(theirs) if loc in targets} == \
            {loc: str(after[loc].value) for loc in targets}


def _replacement_for(tag: int, value: Any) -> str:
    if dicomcore.dictionary.dictionary_VR(tag) == "UI":
        return _uid_for(value)
    return str(value).lower()[:16]


@pytest.mark.parametrize("path", FILES, ids=corpus_id)
def test_a_failing_action_leaves_the_data_set_untouched(path: Path) -> None:
    ds = _read(path)
    before = dict(_walk(ds))
    order = ds.tags_in_file_order()

    def fails(elem: DataElement) -> Any:
        raise RuntimeError("no replacement for this one")

    ops = [
        (Selector.private(), Action.delete()),
        (Selector.keyword("StudyDescription"), Action.set("changed")),
        (Selector.tag(0x00100010), Action.empty()),
        (Selector.path("ReferencedImageSequence[*].ReferencedSOPInstanceUID"),
         Action.delete()),
        (Selector.keyword("PatientName"), Action.set("x" * 65)),
        (Selector.anywhere(0x00080016), Action.replace(fails)),
    ]
    with pytest.raises(PatchError) as info:
        apply_actions(ds, ops)
    failed = {e["index"]: e for e in info.value.errors}
    expected = [4, 5] if any(loc[-1] == 0x00080016 for loc in before) else [4]
    assert sorted(failed) == expected
    assert failed[4]["op"] == "set" and failed[4]["path"] == "PatientName"
    if 5 in failed:
        assert "no replacement" in failed[5]["reason"]
        assert failed[5]["path"] == "(0008,0016) at any depth"
    assert ds.tags_in_file_order() == order
    after = dict(_walk(ds))
    assert list(after) == list(before)
    assert all(after[loc] is elem for loc, elem in before.items())


@pytest.mark.parametrize(("selector", "action", "check"), [
    (Selector.tag(0x00100010), Action.empty(), lambda ds: str(ds.PatientName) == ""),
    (Selector.keyword("PatientID"), Action.delete(), lambda ds: "PatientID" not in ds),
    (Selector.tag("(0010,0030)"), Action.set("19800102"),
     lambda ds: ds.PatientBirthDate == "19800102"),
    (Selector.keyword("PatientSex"), Action.replace(lambda e: "O"),
     lambda ds: ds.PatientSex == "O"),
    (Selector.path("OtherPatientIDsSequence[-1].PatientID"), Action.set("LAST"),
     lambda ds: ds.OtherPatientIDsSequence[-1].PatientID == "LAST"),
    (Selector.path("OtherPatientIDsSequence[0]"), Action.remove(),
     lambda ds: len(ds.OtherPatientIDsSequence) == 1),
    (Selector.keyword("OtherPatientIDsSequence"), Action.empty(),
     lambda ds: len(ds.OtherPatientIDsSequence) == 0),
    (Selector.keyword("OtherPatientIDsSequence"), Action.append({"PatientID": "NEW"}),
     lambda ds: ds.OtherPatientIDsSequence[-1].PatientID == "NEW"),
    (Selector.anywhere(0x00100020), Action.set("ANON"),
     lambda ds: ds.PatientID == "ANON" and
     all(i.PatientID == "ANON" for i in ds.OtherPatientIDsSequence)),
    (Selector.private(), Action.empty(),
     lambda ds: all(not e.value for e in ds.iterall() if e.tag >> 16 & 1)),
    (Selector.path('(0009,"GEMS_IDEN_01",04)'), Action.set("changed", "SH"),
     lambda ds: ds[0x00091004].value == "changed"),
])
def test_each_selector_and_action_reads_back_in_pydicom(selector: Selector, action: Action,
                                                        check: Any) -> None:
    ds = _read(CT)
    apply_actions(ds, [(selector, action)])
    assert check(ds)
    again = dicomcore.dcmread(io.BytesIO(_written(ds)))
    assert check(again)
    _pydicom(_written(ds))  # reads


def test_patch_operations_and_actions_give_the_same_data_set() -> None:
    patched, acted = _read(CT), _read(CT)
    apply(patched, [
        {"op": "set", "path": "PatientName", "value": "Doe^Jane"},
        {"op": "delete", "path": "PatientAge"},
        {"op": "set", "path": "OtherPatientIDsSequence[*].TypeOfPatientID", "value": "RFID"},
    ])
    apply_actions(acted, [
        (Selector.keyword("PatientName"), Action.set("Doe^Jane")),
        (Selector.keyword("PatientAge"), Action.delete()),
        (Selector.path("OtherPatientIDsSequence[*].TypeOfPatientID"), Action.set("RFID")),
    ])
    assert _written(patched) == _written(acted)


def test_only_the_items_entered_are_copied() -> None:
    ds = dicomcore.Dataset()
    items = [dicomcore.Dataset(ReferencedSOPInstanceUID=f"1.2.{i}") for i in range(100)]
    ds.ReferencedImageSequence = items
    sequence = ds.ReferencedImageSequence
    apply_actions(ds, [(Selector.path("ReferencedImageSequence[5].ReferencedSOPClassUID"),
                        Action.set("1.2.840.10008.5.1.4.1.1.2"))])
    new = ds.ReferencedImageSequence
    assert new is not sequence
    assert [i for i in range(100) if new[i] is not items[i]] == [5]
    assert "ReferencedSOPClassUID" not in items[5] and "ReferencedSOPClassUID" in new[5]
    assert list(sequence) == items  # the original list is as it was


def test_new_items_are_checked_in_the_character_set_around_them() -> None:
    ds = dicomcore.Dataset(SpecificCharacterSet="ISO_IR 192", PatientName="x")
    apply_actions(ds, [(Selector.keyword("OtherPatientIDsSequence"),
                        Action.append({"IssuerOfPatientID": "山田病院"}))])
    assert ds.OtherPatientIDsSequence[0].IssuerOfPatientID == "山田病院"
    plain = dicomcore.Dataset(PatientName="x")
    with pytest.raises(PatchError, match="Specific Character Set|cannot be encoded|charac"):
        apply_actions(plain, [(Selector.keyword("OtherPatientIDsSequence"),
                               Action.append({"IssuerOfPatientID": "山田病院"}))])


def test_removing_the_character_set_checks_the_text_it_covered() -> None:
    ds = _read(CT)
    apply(ds, [{"op": "set", "path": "PatientName", "value": "Müller^Jörg"}])
    ds = dicomcore.dcmread(io.BytesIO(_written(ds)))
    with pytest.raises(PatchError, match="PatientName"):
        apply_actions(ds, [(Selector.keyword("SpecificCharacterSet"), Action.delete())])
    assert ds.SpecificCharacterSet == "ISO_IR 100"


@pytest.mark.parametrize("make", [
    lambda: Selector.tag(0xFFFEE000), lambda: Selector.tag(0x00080000),
    lambda: Selector.tag("not a tag"), lambda: Selector.keyword("NoSuchKeyword"),
    lambda: Selector.path("Seq.Item"), lambda: Selector.path(""),
    lambda: Selector.anywhere(0x00030010), lambda: Action.set("x", vr="ZZ"),
    lambda: Action.replace("not callable"),
])
def test_constructors_refuse_what_cannot_be_used(make: Any) -> None:
    with pytest.raises(InvalidOperation):
        make()


@pytest.mark.parametrize(("selector", "action", "reason"), [
    (Selector.private(), Action.remove(), "remove takes a path"),
    (Selector.anywhere(0x00100020), Action.append({}), "append takes a path"),
    (Selector.keyword("PatientName"), Action.remove(), "one item"),
    (Selector.path("OtherPatientIDsSequence[0]"), Action.set("x"), "not to an item"),
    (Selector.keyword("Rows"), Action.empty(), "describes the pixel data"),
    (Selector.keyword("TransferSyntaxUID"), Action.delete(), "Transfer Syntax"),
    (Selector.keyword("Modality"), Action.replace(lambda e: "not a CS"), "CS"),
])
def test_pairs_that_cannot_apply_are_reported_by_index(selector: Selector, action: Action,
                                                       reason: str) -> None:
    ds = _read(CT)
    before = _written(ds)
    with pytest.raises(PatchError) as info:
        apply_actions(ds, [(Selector.keyword("PatientID"), Action.set("fine")),
                           (selector, action)])
    assert [e["index"] for e in info.value.errors] == [1]
    assert reason in info.value.errors[0]["reason"]
    assert _written(ds) == before


def test_force_allows_pixel_description_changes() -> None:
    ds = _read(CT)
    apply_actions(ds, [AttributeOp(Selector.keyword("Rows"), Action.set(64), force=True)])
    assert ds.Rows == 64
    apply_actions(ds, [(Selector.keyword("Columns"), Action.set(64))], force=True)
    assert ds.Columns == 64


def test_python_values_are_accepted_as_well_as_json() -> None:
    ds = _read(RTPLAN)
    apply_actions(ds, [
        (Selector.keyword("PatientName"), Action.set(dicomcore.personname.PersonName("A^B"))),
        (Selector.path('(0029,"ACME 1.0",01)'), Action.set(b"\x01\x02", "OB")),
        (Selector.keyword("DimensionIndexPointer"), Action.set(0x00200032)),
    ])
    assert str(ds.PatientName) == "A^B" and ds.DimensionIndexPointer == 0x00200032
    assert [e.value for e in ds if e.tag >> 16 == 0x0029 and e.VR == "OB"] == [b"\x01\x02"]


def test_replace_keeps_the_elements_vr_but_not_un_where_the_dictionary_knows() -> None:
    ds = dicomcore.Dataset()
    ds.add(DataElement(0x00100020, "SH", "12"))  # LO in the dictionary
    ds.add(DataElement(0x00100030, "UN", b"19800101"))  # DA in the dictionary
    ds.add(DataElement(0x00090010, "LO", "ACME"))
    ds.add(DataElement(0x00091001, "UN", b"\x01\x02"))  # unknown: stays UN, bytes
    apply_actions(ds, [
        (Selector.keyword("PatientID"), Action.replace(lambda e: e.value + "3")),
        (Selector.keyword("PatientBirthDate"), Action.replace(lambda e: "19800102")),
        (Selector.tag(0x00091001), Action.replace(lambda e: e.value[::-1])),
    ])
    assert (ds["PatientID"].VR, ds.PatientID) == ("SH", "123")
    assert (ds["PatientBirthDate"].VR, ds.PatientBirthDate) == ("DA", "19800102")
    assert (ds[0x00091001].VR, ds[0x00091001].value) == ("UN", b"\x02\x01")


def test_the_commit_leaves_elements_in_the_order_the_changes_made() -> None:
    ds = _read(CT)
    order = ds.tags_in_file_order()
    apply_actions(ds, [
        (Selector.keyword("PatientID"), Action.delete()),
        (Selector.keyword("PatientID"), Action.set("again")),
        (Selector.keyword("PatientName"), Action.set("Same^Place")),
        (Selector.path('(0029,"ACME 1.0",01)'), Action.set("new", "LO")),
    ])
    creator = next(e.tag for e in ds if e.tag >> 16 == 0x0029 and e.value == "ACME 1.0")
    new_tags = [int(creator), 0x00290001 | (creator & 0xFF) << 8]
    assert ds.tags_in_file_order() == \
        [t for t in order if t != 0x00100020] + [0x00100020] + new_tags


def test_items_given_as_data_sets_are_checked_like_any_value() -> None:
    good = dicomcore.Dataset(ReferencedSOPInstanceUID="1.2.3")
    good.ReferencedFrameNumber = [1, 2]
    ds = dicomcore.Dataset(PatientID="1")
    apply_actions(ds, [(Selector.keyword("ReferencedImageSequence"), Action.set([good]))])
    item = ds.ReferencedImageSequence[0]
    assert item is not good and item.ReferencedSOPInstanceUID == "1.2.3"
    assert list(item.ReferencedFrameNumber) == [1, 2]
    bad = dicomcore.Dataset(ReferencedSOPInstanceUID="not a uid")
    with pytest.raises(PatchError, match="UI"):
        apply_actions(ds, [(Selector.keyword("ReferencedImageSequence"), Action.set([bad]))])
    assert ds.ReferencedImageSequence[0] is item
