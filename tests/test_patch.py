"""Attribute patches: operations, paths, validation, atomicity, and the bytes they leave."""

from __future__ import annotations

import io
import shutil
import subprocess
import warnings
from pathlib import Path
from typing import Any

import pydicom
import pytest

import dicomcore
from dicomcore.patch import PatchError, apply
from dicomcore.validation import validate_value, vm_allows

from .corpus import PYDICOM_DATA

FILES = PYDICOM_DATA / "test_files"
CT = FILES / "CT_small.dcm"
DCMDUMP = shutil.which("dcmdump")


def _written(ds: dicomcore.Dataset, **options: Any) -> bytes:
    out = io.BytesIO()
    dicomcore.write_file(out, ds, **options)
    return out.getvalue()


def _pydicom(data: bytes) -> pydicom.FileDataset:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.dcmread(io.BytesIO(data))


def test_set_delete_append_remove_read_back_in_pydicom() -> None:
    ds = dicomcore.dcmread(CT)
    apply(ds, [
        {"op": "set", "path": "PatientName", "value": "Doe^Jane"},
        {"op": "set", "path": "(0010,0030)", "value": "19800102"},
        {"op": "delete", "path": "00101010"},
        {"op": "set", "path": "OtherPatientIDsSequence[*].TypeOfPatientID", "value": "RFID"},
        {"op": "set", "path": "OtherPatientIDsSequence[-1].PatientID", "value": "LAST"},
        {"op": "append", "path": "OtherPatientIDsSequence",
         "value": {"PatientID": "NEW", "TypeOfPatientID": "TEXT"}},
        {"op": "remove", "path": "OtherPatientIDsSequence[0]"},
        {"op": "set", "path": "ImageType", "value": ["DERIVED", "SECONDARY"]},
        {"op": "set", "path": "SliceThickness", "value": 2.5},
        {"op": "set", "path": "InstanceNumber", "value": 42},
        {"op": "set", "path": "ReferencedImageSequence",
         "value": [{"ReferencedSOPClassUID": "1.2.3", "ReferencedSOPInstanceUID": "1.2.3.4"}]},
    ])
    for data in (_written(ds), _written(ds, write_like_original=False)):
        theirs = _pydicom(data)
        assert theirs.PatientName == "Doe^Jane"
        assert theirs.PatientBirthDate == "19800102"
        assert "PatientAge" not in theirs
        assert [i.PatientID for i in theirs.OtherPatientIDsSequence] == ["LAST", "NEW"]
        assert theirs.OtherPatientIDsSequence[0].TypeOfPatientID == "RFID"
        assert list(theirs.ImageType) == ["DERIVED", "SECONDARY"]
        assert theirs.SliceThickness == 2.5 and theirs.InstanceNumber == 42
        assert theirs.ReferencedImageSequence[0].ReferencedSOPInstanceUID == "1.2.3.4"
        if DCMDUMP:
            run = subprocess.run([DCMDUMP, "-q", "-"], input=data, capture_output=True)
            assert run.returncode == 0 and not run.stderr, run.stderr


def test_patch_touches_only_the_bytes_it_names() -> None:
    original = CT.read_bytes()
    ds = dicomcore.dcmread(CT)
    apply(ds, [{"op": "set", "path": "PatientID", "value": "1CT2"}])  # same length
    data = _written(ds)
    assert len(data) == len(original)
    differing = [i for i, (a, b) in enumerate(zip(data, original, strict=True)) if a != b]
    at = original.index(b"1CT1")
    assert differing == [at + 3]


def test_patch_inside_a_sequence_keeps_everything_else() -> None:
    original = CT.read_bytes()
    ds = dicomcore.dcmread(CT)
    apply(ds, [{"op": "set", "path": "OtherPatientIDsSequence[1].PatientID",
                "value": "4321DCBA"}])
    data = _written(ds)
    assert len(data) == len(original)
    assert data.replace(b"4321DCBA", b"1234ABCD") == original


def test_private_elements_by_creator() -> None:
    ds = dicomcore.dcmread(CT)
    apply(ds, [
        {"op": "set", "path": '(0009,"GEMS_IDEN_01",04)', "vr": "SH", "value": "changed"},
        {"op": "set", "path": '(0029,"ACME 1.0",10)', "vr": "LO", "value": "new block"},
    ])
    assert ds[0x00091004].value == "changed"
    creator = next(e for e in ds if e.tag >> 16 == 0x0029 and e.value == "ACME 1.0")
    assert ds[0x00290000 | (creator.tag & 0xFF) << 8 | 0x10].value == "new block"
    theirs = _pydicom(_written(ds))
    block = theirs.private_block(0x0029, "ACME 1.0")
    assert block[0x10].value == "new block"
    with pytest.raises(PatchError, match="explicit vr"):
        apply(ds, [{"op": "set", "path": '(0029,"ACME 1.0",11)', "value": "x"}])


def test_failing_patch_changes_nothing_and_lists_every_failure() -> None:
    ds = dicomcore.dcmread(CT)
    before = _written(ds)
    with pytest.raises(PatchError) as info:
        apply(ds, [
            {"op": "set", "path": "PatientName", "value": "Fine^Name"},
            {"op": "set", "path": "Rows", "value": 10},
            {"op": "set", "path": "Modality", "value": "lower case"},
            {"op": "set", "path": "StudyDate", "value": "20241332"},
            {"op": "set", "path": "Columns", "value": 70000, "force": True},
            {"op": "delete", "path": "TransferSyntaxUID"},
            {"op": "set", "path": "NoSuchKeyword", "value": 1},
            {"op": "remove", "path": "OtherPatientIDsSequence[5]"},
            {"op": "set", "path": "PatientID", "value": "x" * 65},
            {"op": "set", "path": "ImagePositionPatient", "value": [1, 2]},
        ])
    failed = {e["index"]: e["reason"] for e in info.value.errors}
    assert sorted(failed) == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    assert "pixel data" in failed[1] and "force" in failed[1]
    assert "CS" in failed[2] and "calendar" in failed[3] and "range" in failed[4]
    assert "Transfer Syntax" in failed[5] and "keyword" in failed[6] and "range" in failed[7]
    assert "64" in failed[8] and "VM 3" in failed[9]
    assert _written(ds) == before
    assert ds.PatientName == "CompressedSamples^CT1"


def test_character_set_is_checked_and_can_be_widened_by_the_same_patch() -> None:
    ds = dicomcore.dcmread(CT)  # ISO_IR 100
    with pytest.raises(PatchError, match="Specific Character Set"):
        apply(ds, [{"op": "set", "path": "PatientName", "value": "山田^太郎"}])
    apply(ds, [{"op": "set", "path": "PatientName", "value": "山田^太郎"},
               {"op": "set", "path": "SpecificCharacterSet", "value": "ISO_IR 192"}])
    assert _pydicom(_written(ds)).PatientName == "山田^太郎"


def test_pn_object_binary_and_at_values() -> None:
    ds = dicomcore.dcmread(CT)
    apply(ds, [
        {"op": "set", "path": "SpecificCharacterSet", "value": "ISO_IR 192"},
        {"op": "set", "path": "PatientName",
         "value": {"Alphabetic": "Yamada^Tarou", "Ideographic": "山田^太郎"}},
        {"op": "set", "path": "(0009,1001)", "vr": "OB", "value": "AAEC"},
        {"op": "set", "path": "DimensionIndexPointer", "value": "(0020,0032)"},
    ])
    assert str(ds.PatientName) == "Yamada^Tarou=山田^太郎"
    assert ds[0x00091001].value == b"\0\1\2"
    assert ds.DimensionIndexPointer == 0x00200032


def test_dicom_json_object_is_a_merge_patch() -> None:
    ds = dicomcore.dcmread(CT)
    apply(ds, {"00100010": {"vr": "PN", "Value": [{"Alphabetic": "Merged^Name"}]},
               "00100020": {"vr": "LO"},
               "00081030": {"vr": "LO", "Value": ["New study"]}})
    assert ds.PatientName == "Merged^Name"
    assert ds.PatientID == ""
    assert ds.StudyDescription == "New study"


def test_force_allows_pixel_description_changes() -> None:
    ds = dicomcore.dcmread(CT)
    apply(ds, [{"op": "set", "path": "Rows", "value": 64}], force=True)
    assert ds.Rows == 64


@pytest.mark.parametrize("bad", [
    [{"op": "move", "path": "PatientName"}], [{"op": "set", "path": "PatientName"}],
    [{"op": "set", "path": "", "value": 1}], [{"op": "remove", "path": "PatientName"}],
    [{"op": "set", "path": "Seq[x].A", "value": 1}], [{"op": "set", "path": "A.B", "value": 1}],
    [{"op": "set", "path": "PatientName", "value": "x", "extra": 1}], "not a patch",
    [{"op": "set", "path": "(0009,GEMS,01)", "value": "x"}],
])
def test_malformed_patches(bad: Any) -> None:
    ds = dicomcore.dcmread(CT)
    with pytest.raises(PatchError) as info:
        apply(ds, bad)
    assert info.value.errors


@pytest.mark.parametrize(("vr", "value", "ok"), [
    ("CS", "ORIGINAL", True), ("CS", "lower", False), ("UI", "1.2.840.10008", True),
    ("UI", "1.02.3", False), ("DA", "20240229", True), ("DA", "20230229", False),
    ("TM", "235959.123456", True), ("TM", "2400x", False), ("AS", "045Y", True),
    ("AS", "45Y", False), ("IS", "2147483647", True), ("IS", "2147483648", False),
    ("DS", "1.5e3", True), ("DS", "1,5", False), ("US", 65535, True), ("US", -1, False),
    ("SS", -32768, True), ("FL", 1e39, False), ("FD", 1e300, True), ("AE", "PACS", True),
    ("AE", "   ", False), ("LO", "x" * 64, True), ("SH", "x" * 17, False),
    ("DT", "20240101120000.5+0100", True), ("DT", "2024-01-01", False),
    ("PN", "a^b^c^d^e^f", False), ("PN", "Doe^John=山田^太郎", True),
])
def test_validation_by_vr(vr: str, value: Any, ok: bool) -> None:
    assert (validate_value(vr, value) == []) is ok


@pytest.mark.parametrize(("vm", "count", "ok"), [
    ("1", 1, True), ("1", 2, False), ("1-n", 5, True), ("2-2n", 4, True), ("2-2n", 3, False),
    ("3", 3, True), ("1-3", 4, False), ("3-3n", 6, True),
])
def test_vm(vm: str, count: int, ok: bool) -> None:
    assert vm_allows(vm, count) is ok


def test_patched_file_reads_in_dcmtk(tmp_path: Path) -> None:
    if not DCMDUMP:
        pytest.skip("dcmtk not installed locally (CI installs it)")
    ds = dicomcore.dcmread(FILES / "MR_small_implicit.dcm")
    apply(ds, [{"op": "set", "path": "PatientName", "value": "Patched^Implicit"}])
    target = tmp_path / "p.dcm"
    dicomcore.write_file(target, ds)
    run = subprocess.run([DCMDUMP, str(target)], capture_output=True)
    assert b"Patched^Implicit" in run.stdout and not run.stderr


@pytest.mark.parametrize(("operation", "reason"), [
    ({"op": "set", "path": "(FFFE,E000)", "vr": "OB", "value": ""}, "item and delimiter"),
    ({"op": "set", "path": "(0008,0000)", "vr": "UL", "value": 1}, "group lengths"),
    ({"op": "set", "path": "(0051,1010)", "vr": "LO", "value": "x"}, "no private creator"),
    ({"op": "set", "path": '(0003,"X",10)', "vr": "LO", "value": "x"}, "private group"),
    ({"op": "set", "path": '(0009,"' + "x" * 65 + '",10)', "vr": "LO", "value": "x"},
     "private creator"),
    ({"op": "set", "path": "StudyDescription", "vr": "ZZ", "value": "x"}, "not a VR"),
    ({"op": "set", "path": "SpecificCharacterSet", "value": "BOGUS"}, "Character Set"),
    ({"op": "set", "path": "PatientName", "value": "a\\b"}, "backslash"),
    ({"op": "set", "path": "StudyDate", "value": "\u0662\u0660\u0662\u0664\u0660\u0661"
      "\u0660\u0661"}, "DA"),
    ({"op": "set", "path": "TransferSyntaxUID", "value": "1.2.840.10008.1.2", "force": True},
     "transfer_syntax"),
])
def test_operations_that_would_break_the_file_are_refused(operation: dict, reason: str) -> None:
    ds = dicomcore.dcmread(CT)
    with pytest.raises(PatchError, match=reason):
        apply(ds, [operation])


def test_nesting_past_what_can_be_read_back_is_refused() -> None:
    value: dict = {"PatientID": "deep"}
    for _ in range(80):
        value = {"ReferencedImageSequence": [value]}
    ds = dicomcore.dcmread(CT)
    with pytest.raises(PatchError, match="nested deeper"):
        apply(ds, [{"op": "set", "path": "ReferencedImageSequence",
                    "value": value["ReferencedImageSequence"]}])


def test_new_character_set_reencodes_text_the_patch_did_not_name() -> None:
    ds = dicomcore.dcmread(CT)
    apply(ds, [{"op": "set", "path": "PatientName", "value": "Müller^Jörg"}])
    ds = dicomcore.dcmread(io.BytesIO(_written(ds)))
    apply(ds, [{"op": "set", "path": "SpecificCharacterSet", "value": "ISO_IR 192"},
               {"op": "set", "path": "StudyDescription", "value": "山田"}])
    data = _written(ds)
    assert str(_pydicom(data).PatientName) == "Müller^Jörg"
    assert str(dicomcore.dcmread(io.BytesIO(data)).PatientName) == "Müller^Jörg"


def test_file_meta_changes_go_to_the_file_meta_with_force() -> None:
    ds = dicomcore.dcmread(CT)
    apply(ds, [{"op": "set", "path": "SourceApplicationEntityTitle", "value": "PACS",
                "force": True}])
    assert ds.file_meta.SourceApplicationEntityTitle == "PACS"
    assert "SourceApplicationEntityTitle" not in ds
    assert _pydicom(_written(ds)).file_meta.SourceApplicationEntityTitle == "PACS"


def test_ds_from_a_float_is_formatted_to_fit() -> None:
    ds = dicomcore.dcmread(CT)
    apply(ds, [{"op": "set", "path": "SliceThickness", "value": 0.1 + 0.2}])
    assert abs(float(ds.SliceThickness) - 0.3) < 1e-12
    assert len(str(ds.SliceThickness)) <= 16


@pytest.mark.parametrize(("merge", "reason"), [
    ({"00081140": {"vr": "SQ", "Value": [{"00081150": {"vr": "UI", "Value": ["not a uid"]}}]}},
     "UI"),
    ({"00100010": {"vr": "PN", "BulkDataURI": "file:///etc/passwd"}}, "BulkDataURI"),
    ({"00100010": {"vr": "PN", "InlineBinary": "AAAA"}}, "InlineBinary"),
    ({"00200013": {"vr": "IS", "Value": [{"a": 1}]}}, "IS"),
    ({"00100010": {"vr": "US", "Value": [1]}}, "dictionary"),
])
def test_merge_patches_are_validated_too(merge: dict, reason: str) -> None:
    ds = dicomcore.dcmread(CT)
    with pytest.raises(PatchError, match=reason):
        apply(ds, merge)


@pytest.mark.parametrize(("patch", "message"), [
    ([{"path": "PatientName"}], "operation 0 (PatientName): op must be one of"),
    (["x"], "operation 0: an operation is an object"),
    ("a string", "the patch: a patch is a JSON array"),
    ([{"op": "set"}], "operation 0 (set): path must be"),
    ({"a": 1}, "the patch (set): 'a' is not a tag key"),
])
def test_error_messages_say_what_is_missing_in_words(patch: Any, message: str) -> None:
    with pytest.raises(PatchError) as caught:
        apply(dicomcore.dcmread(CT), patch)
    assert message in str(caught.value) and "None" not in str(caught.value)
