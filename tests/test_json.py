"""The DICOM JSON model: pydicom 3 as the oracle over the whole corpus, and round trips."""

from __future__ import annotations

import base64
import io
import json
import shutil
import struct
import subprocess
import warnings
from pathlib import Path
from typing import Any

import pydicom
import pytest

import dicomcore
from dicomcore.dataset import Dataset
from dicomcore.json import (
    element_to_json_dict,
    from_json,
    omit_bulk_data,
    to_json,
    to_json_dict,
    to_simple_dict,
)

from .byte_order import BIG_ENDIAN
from .bytes_fixtures import NUMBER_WIDTH, element, swap
from .corpus import ALL_READABLE, PYDICOM_DATA, corpus_id, pydicom_outcome

HUGE = 1 << 40
FILES = [p for p in ALL_READABLE if pydicom_outcome(p) == "read"]


def _normalise(obj: Any) -> Any:
    """pydicom's model with the differences we make on purpose taken out (README):
    '' inside a list is null, an empty sequence has no "Value", base64 compared decoded."""
    if isinstance(obj, dict):
        out = {}
        for key, value in obj.items():
            if key == "InlineBinary":
                out[key] = base64.b64decode(value)
            elif key == "Value":
                value = [_normalise(v) for v in value]
                value = [None if v == "" else v for v in value]
                if value:
                    out[key] = value
            else:
                out[key] = _normalise(value)
        return out
    if isinstance(obj, list):
        return [_normalise(v) for v in obj]
    return obj


def _private_un(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    """Private elements that are UN here and typed by pydicom's private dictionary: the
    deliberate difference of the README. Replace pydicom's entry by ours where the bytes
    are the ones pydicom read."""
    for key, elem in ours.items():
        other = theirs.get(key)
        if other is None:
            continue
        if elem["vr"] == "UN" and other["vr"] != "UN" and int(key[:4], 16) & 1:
            theirs[key] = elem
        elif elem["vr"] == "SQ" and other.get("vr") == "SQ":
            for a, b in zip(elem.get("Value", []), other.get("Value", []), strict=False):
                _private_un(a, b)


def _pydicom_json(ds: pydicom.Dataset) -> tuple[dict[str, Any], list[str]]:
    """pydicom's model element by element, and the keys it cannot convert."""
    model, failed = {}, []
    for elem in ds:
        key = f"{elem.tag:08X}"
        try:
            model[key] = elem.to_json_dict(None, HUGE)
        except ValueError:
            failed.append(key)
    return model, failed


def _little_endian(model: dict[str, Any]) -> dict[str, Any]:
    """pydicom's model of a big endian file with its binary values in the model's little
    endian order (PS3.18 F.2.7): a deliberate difference (README); pydicom gives the file's
    bytes."""
    for elem in model.values():
        if "InlineBinary" in elem and elem["vr"] in NUMBER_WIDTH:
            data = swap(elem["vr"], base64.b64decode(elem["InlineBinary"]))
            elem["InlineBinary"] = base64.b64encode(data).decode()
        for item in elem.get("Value", []) if elem["vr"] == "SQ" else []:
            _little_endian(item)
    return model


@pytest.mark.parametrize("path", FILES, ids=corpus_id)
def test_json_model_matches_pydicom(path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = to_json_dict(dicomcore.dcmread(path), bulk_data_threshold=HUGE)
        source = pydicom.dcmread(path)
        theirs, failed = _pydicom_json(source)
    if not source.original_encoding[1]:
        theirs = _little_endian(theirs)
    for key in failed:
        # pydicom raises on a value that breaks its VR (badVR.dcm's IS "1A"); we say what
        # there is: the text.
        assert all(isinstance(v, str) for v in ours[key]["Value"]), ours[key]
        ours.pop(key)
    ours, theirs = _normalise(ours), _normalise(theirs)
    assert list(ours) == sorted(ours)
    assert ours == theirs


@pytest.mark.parametrize("path", FILES, ids=corpus_id)
def test_from_json_round_trip_writes_the_same_values(path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = dicomcore.dcmread(path)
    text = to_json(ds, bulk_data_threshold=HUGE)
    back = from_json(text)
    back.file_meta = dicomcore.FileMetaDataset()
    back.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.1"
    back.preamble = b"\0" * 128
    out = io.BytesIO()
    dicomcore.write_file(out, back)
    again = dicomcore.dcmread(io.BytesIO(out.getvalue()))
    # Group lengths are recomputed for the new encoding: compare everything else.
    expected = _padded({k: v for k, v in json.loads(text).items() if not k.endswith("0000")})
    got = {k: v for k, v in to_json_dict(again, HUGE).items() if not k.endswith("0000")}
    assert got == expected


def _padded(obj: Any) -> Any:
    """Odd-length binary values as written: padded with NUL to even length."""
    if isinstance(obj, dict):
        out = {k: _padded(v) for k, v in obj.items()}
        if "InlineBinary" in out:
            data = base64.b64decode(out["InlineBinary"])
            if len(data) % 2:
                out["InlineBinary"] = base64.b64encode(data + b"\0").decode()
        return out
    if isinstance(obj, list):
        return [_padded(v) for v in obj]
    return obj


# An explicit VR big endian file (PS3.5 A.3): binary values of 2-, 4- and 8-byte numbers.
BIG_ENDIAN_FILE = b"".join([
    b"\0" * 128, b"DICM",
    element(0x00020010, "UI", b"1.2.840.10008.1.2.2\0"),  # Transfer Syntax UID: big endian
    element(0x00281201, "OW", b"\x00\x01\x00\x02", little=False),  # words 1, 2
    element(0x00640009, "OF", b"\x3f\x80\x00\x00", little=False),  # 1.0
    element(0x00660022, "OD", b"\x3f\xf0" + b"\0" * 6, little=False),  # 1.0
    element(0x00660040, "OL", b"\x00\x00\x00\x07", little=False),  # 7
    element(0x7FE00010, "OB", b"\x01\x02", little=False),  # bytes: no order
])


def test_binary_values_of_a_big_endian_file_are_little_endian_in_json() -> None:
    """PS3.18 F.2.7 (PS3.5's byte order rules apply) and 8.7.3.3.1 (bulk data is little
    endian): the model carries no transfer syntax, so its binary values are little endian,
    as dcmtk's dcm2json writes them; pydicom gives the file's bytes."""
    ds = dicomcore.dcmread(io.BytesIO(BIG_ENDIAN_FILE))
    expected = {"00281201": struct.pack("<2H", 1, 2), "00640009": struct.pack("<f", 1.0),
                "00660022": struct.pack("<d", 1.0), "00660040": struct.pack("<L", 7),
                "7FE00010": b"\x01\x02"}
    for model in (to_json_dict(ds), json.loads(to_json(ds))):
        assert {k: base64.b64decode(v["InlineBinary"]) for k, v in model.items()} == expected
    # Back from JSON: the same numbers, now little endian.
    back = from_json(to_json(ds))
    assert back[0x00281201].value == expected["00281201"] and back[0x00281201].is_little_endian
    # A value set since reading is taken as it is, as the writer takes it.
    ds[0x00281201].value = b"\x05\x00"
    assert base64.b64decode(to_json_dict(ds)["00281201"]["InlineBinary"]) == b"\x05\x00"


DCM2JSON = shutil.which("dcm2json")


def _inline_binaries(model: dict[str, Any], where: str = "") -> dict[str, bytes]:
    """Every InlineBinary of the model at any depth, by its path of keys."""
    found = {}
    for key, elem in model.items():
        if "InlineBinary" in elem:
            found[where + key] = base64.b64decode(elem["InlineBinary"])
        for i, item in enumerate(elem.get("Value", []) if elem["vr"] == "SQ" else []):
            found.update(_inline_binaries(item, f"{where}{key}[{i}]."))
    return found


@pytest.mark.skipif(DCM2JSON is None, reason="dcmtk not installed locally (CI installs it)")
@pytest.mark.parametrize("path", BIG_ENDIAN, ids=corpus_id)
def test_binary_values_of_big_endian_files_are_dcm2jsons(path: Path) -> None:
    """dcmtk as a second oracle where pydicom gives the file's bytes: every binary value of
    each big endian corpus file, pixel data and LUTs included, little endian as dcm2json
    writes it."""
    done = subprocess.run([DCM2JSON, str(path)], capture_output=True, timeout=60, check=False)
    if done.returncode:
        pytest.skip(f"dcm2json does not convert this file: {done.stderr[:80]!r}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = to_json_dict(dicomcore.dcmread(path), bulk_data_threshold=HUGE)
    theirs = _inline_binaries(json.loads(done.stdout))
    assert _inline_binaries(ours) == theirs


def test_bulk_data_threshold_and_handler() -> None:
    ds = dicomcore.dcmread(FILES[0])
    pixels = ds["PixelData"]
    # Without a handler a large value stays inline, as pydicom writes it: nothing is lost.
    inline = to_json_dict(ds)[f"{pixels.tag:08X}"]
    assert base64.b64decode(inline["InlineBinary"]) == pixels.value
    assert to_json_dict(ds, bulk_data_element_handler=omit_bulk_data)["7FE00010"] == \
        {"vr": pixels.VR}
    uris = to_json_dict(ds, bulk_data_element_handler=lambda e: f"bulk/{e.tag:08X}")
    assert uris["7FE00010"]["BulkDataURI"] == "bulk/7FE00010"
    back = from_json(uris, lambda tag, vr, uri: b"\0\1" if uri == "bulk/7FE00010" else b"")
    assert back.PixelData == b"\0\1"


def _typed(obj: Any) -> Any:
    """The model with each leaf paired with its exact type (an IS is not an int here)."""
    if isinstance(obj, dict):
        return {key: _typed(value) for key, value in obj.items()}
    if isinstance(obj, list):
        return [_typed(value) for value in obj]
    return (type(obj), obj)


def _element_by_element(ds: Dataset) -> dict[str, Any]:
    """The model of `ds` from `element_to_json_dict` for each element but sequences, whose
    items are built the same way (an empty sequence without "Value")."""
    model: dict[str, Any] = {}
    for elem in ds:
        key = f"{elem.tag:08X}"
        if elem.VR == "SQ":
            items = [_element_by_element(item) for item in elem.value]
            model[key] = {"vr": "SQ", "Value": items} if items else {"vr": "SQ"}
        else:
            model[key] = element_to_json_dict(elem, None)
    return model


@pytest.mark.parametrize("path", FILES, ids=corpus_id)
def test_data_set_loop_gives_what_element_to_json_dict_gives(path: Path) -> None:
    """to_json_dict converts the common elements in its own loop: the same objects, value
    types included, as the element conversion it stands in for, at every depth."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = dicomcore.dcmread(path)
        assert _typed(to_json_dict(ds)) == _typed(_element_by_element(ds))


def test_model_details() -> None:
    ds = dicomcore.Dataset()
    ds.PatientName = "Yamada^Tarou=山田^太郎"
    ds.ImagePositionPatient = ["1.5", "", "2"]
    ds.InstanceNumber = "1A"
    ds.add_new(0x00209165, "AT", [0x00100010, 0x00200013])
    ds.add_new(0x00081140, "SQ", [])
    ds.add_new(0x00100020, "LO", "")
    model = to_json_dict(ds)
    assert model["00100010"] == {"vr": "PN", "Value": [
        {"Alphabetic": "Yamada^Tarou", "Ideographic": "山田^太郎"}]}
    assert model["00200032"] == {"vr": "DS", "Value": [1.5, None, 2.0]}
    assert model["00200013"] == {"vr": "IS", "Value": ["1A"]}, "invalid IS says what there is"
    assert model["00209165"] == {"vr": "AT", "Value": ["00100010", "00200013"]}
    assert model["00081140"] == {"vr": "SQ"}
    assert model["00100020"] == {"vr": "LO"}
    assert "00020010" not in to_json_dict(dicomcore.dcmread(FILES[0]))
    assert "00020010" in to_json_dict(dicomcore.dcmread(FILES[0]), include_meta=True)


def test_simple_view() -> None:
    ds = dicomcore.dcmread(PYDICOM_DATA / "test_files" / "CT_small.dcm")
    simple = to_simple_dict(ds)
    assert simple["PatientName"] == "CompressedSamples^CT1"
    assert simple["Rows"] == 128
    assert simple["PixelSpacing"] == [0.661468, 0.661468]
    assert simple["OtherPatientIDsSequence"][0]["PatientID"] == "ABCD1234"
    assert simple["PixelData"] == "<OW: 32768 bytes>"
    assert simple["(0009,0010)"] == "GEMS_IDEN_01"
    json.dumps(simple)


@pytest.mark.parametrize("bad", ['[]', '{"00100010": 3}', '{"zz": {"vr": "PN"}}',
                                 '{"00100010": {"vr": "PN", "Value": "x"}}',
                                 '{"7FE00010": {"vr": "OB", "InlineBinary": "***"}}'])
def test_bad_json_is_a_value_error(bad: str) -> None:
    with pytest.raises(ValueError):
        from_json(bad)


DCMCONV = shutil.which("dcmconv")


@pytest.fixture(scope="module")
def implicit_copies(tmp_path_factory: pytest.TempPathFactory) -> dict[Path, Path | None]:
    """Each corpus file re-encoded as implicit VR little endian by dcmtk (`dcmconv +ti`);
    None where dcmconv refuses (encapsulated pixel data, files it cannot read)."""
    folder = tmp_path_factory.mktemp("implicit")
    copies: dict[Path, Path | None] = {}
    for index, path in enumerate(FILES):
        out = folder / f"{index}.dcm"
        done = subprocess.run([DCMCONV, "+ti", str(path), str(out)], capture_output=True,
                              timeout=60, check=False)
        copies[path] = out if done.returncode == 0 and out.exists() else None
    return copies


@pytest.mark.skipif(DCMCONV is None, reason="dcmtk not installed locally (CI installs it)")
@pytest.mark.parametrize("path", FILES, ids=corpus_id)
def test_json_of_implicit_vr_copy_matches_pydicom(path: Path,
                                                 implicit_copies: dict[Path, Path | None]
                                                 ) -> None:
    """Implicit VR data carries no VRs: private elements get theirs from the private
    dictionary by their creator, as pydicom gives them."""
    copy = implicit_copies[path]
    if copy is None:
        pytest.skip("dcmconv +ti does not convert this file (encapsulated or unreadable)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = to_json_dict(dicomcore.dcmread(copy), bulk_data_threshold=HUGE)
        theirs, failed = _pydicom_json(pydicom.dcmread(copy))
    for key in failed:
        ours.pop(key)
    ours, theirs = _normalise(ours), _normalise(theirs)
    for key, elem in theirs.items():
        if key.endswith("0000") and int(key[:4], 16) & 1 and elem["vr"] == "UN":
            # A private group length is UL here (PS3.5 7.2); pydicom leaves it UN. Same bytes.
            length = int.from_bytes(elem["InlineBinary"], "little")
            assert ours[key] == {"vr": "UL", "Value": [length]}
            theirs[key] = ours[key]
    assert ours == theirs


def test_implicit_vr_copies_cover_private_elements(implicit_copies: dict[Path, Path | None]
                                                   ) -> None:
    """The comparison above is not vacuous: most files convert, and private elements with
    a VR from the private dictionary (not UN) are among them."""
    if DCMCONV is None:
        pytest.skip("dcmtk not installed locally (CI installs it)")
    converted = [c for c in implicit_copies.values() if c is not None]
    assert len(converted) >= len(FILES) // 2
    typed = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for copy in converted:
            for elem in dicomcore.dcmread(copy).iterall():
                typed += elem.tag.is_private and elem.private_creator is not None \
                    and elem.VR != "UN"
    assert typed > 100
