"""dicomcore.bulk: where a value's bytes are, checked against the files themselves and pydicom."""

from __future__ import annotations

import base64
from pathlib import Path

import pydicom
import pytest

from dicomcore import read_file
from dicomcore.bulk import BulkSpan, bulk_span
from dicomcore.json import to_json_dict

from .byte_order import BIG_ENDIAN, DCMCONV, little_endian_values
from .bytes_fixtures import element
from .corpus import PYDICOM_DATA, corpus_id

FILES = PYDICOM_DATA / "test_files"
CT = FILES / "CT_small.dcm"


def _file_bytes(path, offset: int, length: int) -> bytes:  # noqa: ANN001
    with open(path, "rb") as fp:
        fp.seek(offset)
        return fp.read(length)


def test_deferred_value_is_located_in_the_file() -> None:
    with open(CT, "rb") as fp:
        ds = read_file(fp, defer_size=1024)
        span = bulk_span(ds, "7FE00010")
        pixels = pydicom.dcmread(CT).PixelData
        assert span.data is None and span.length == len(pixels)
        assert span.offset == pydicom.dcmread(CT)["PixelData"].file_tell
        assert _file_bytes(CT, span.offset, span.length) == pixels
        assert b"".join(span.chunks(chunk_size=1000)) == pixels
        assert b"".join(span.chunks(10, 5000, 333)) == pixels[10:5000]
        assert list(span.chunks(5, 5)) == [] and list(span.chunks(span.length)) == []


def test_value_in_memory_has_its_bytes_and_its_place() -> None:
    ds = read_file(CT)
    span = bulk_span(ds, "00100020")  # Patient ID, read into memory
    oracle = pydicom.dcmread(CT)["PatientID"]
    assert span.offset == oracle.file_tell
    assert span.data == _file_bytes(CT, span.offset, span.length) == b"1CT1"
    assert b"".join(span.chunks(1, 3)) == b"CT"


def test_nested_path_and_leading_slash() -> None:
    ds = read_file(CT)
    span = bulk_span(ds, "/00101002/1/00100020")
    oracle = pydicom.dcmread(CT).OtherPatientIDsSequence[1]["PatientID"]
    # Offsets count from the file's start at any depth (pydicom's nested file_tell does not).
    assert span.offset is not None
    assert span.data == _file_bytes(CT, span.offset, span.length)
    assert span.data.rstrip(b" ") == oracle.value.encode()


def test_changed_value_is_what_the_writer_would_write() -> None:
    ds = read_file(CT)
    ds.PatientName = "Doe^Jane"
    assert bulk_span(ds, "00100010") == BulkSpan(8, None, b"Doe^Jane")
    ds.PatientName = "Doe^Jo"  # odd after "^": padded with a space, as written
    ds.PatientID = "ABC"
    assert bulk_span(ds, "00100020").data == b"ABC "
    ds.Rows = 300
    assert bulk_span(ds, "00280010").data == (300).to_bytes(2, "little")


def test_changed_value_is_little_endian_in_its_character_set() -> None:
    big = read_file(FILES / "ExplVR_BigEnd.dcm")
    big.Rows = 300  # bulk data is little endian (PS3.18 8.7.3.3.1), a big endian file's too
    assert bulk_span(big, "00280010").data == (300).to_bytes(2, "little")
    big.RedPaletteColorLookupTableData = b"\x01\x02"  # bytes set are taken as they are
    assert b"".join(bulk_span(big, "00281201").chunks()) == b"\x01\x02"
    utf8 = read_file(PYDICOM_DATA / "charset_files" / "chrX1.dcm")
    assert str(utf8.SpecificCharacterSet) == "ISO_IR 192"
    utf8.PatientName = "Müller"
    assert bulk_span(utf8, "00100010").data == "Müller".encode() + b" "


def test_nested_item_character_set_decides() -> None:
    ds = read_file(CT)
    item = ds.OtherPatientIDsSequence[0]
    item.SpecificCharacterSet = "ISO_IR 100"
    item.PatientID = "é"
    assert bulk_span(ds, "00101002/0/00100020").data == b"\xe9 "


def test_list_changed_in_place_is_not_served_from_stale_bytes() -> None:
    ds = read_file(CT)
    assert bulk_span(ds, "00080008").offset is not None
    ds.ImageType[0] = "DERIVED"
    span = bulk_span(ds, "00080008")
    assert span.offset is None and span.data.startswith(b"DERIVED\\")


def test_deflated_file_is_read_from_its_inflated_stream() -> None:
    path = FILES / "image_dfl.dcm"
    ds = read_file(path, defer_size=256)
    try:
        span = bulk_span(ds, "7FE00010")
        assert span.data is None
        assert b"".join(span.chunks()) == pydicom.dcmread(path).PixelData
    finally:
        ds.close()


@pytest.mark.parametrize("path", ["", "7FE00011", "zzzzzzzz", "7FE00010/0",
                                  "00101002/9/00100020", "00101002/x/00100020",
                                  "../../etc/passwd"])
def test_no_such_path_is_key_error(path: str) -> None:
    with pytest.raises(KeyError):
        bulk_span(read_file(CT), path)


def test_a_sequence_has_no_bytes() -> None:
    with pytest.raises(ValueError, match="sequence"):
        bulk_span(read_file(CT), "00101002")


@pytest.mark.skipif(DCMCONV is None, reason="dcmtk not installed locally (CI installs it)")
@pytest.mark.parametrize("defer_size", [None, 16], ids=["in-memory", "deferred"])
@pytest.mark.parametrize("path", BIG_ENDIAN, ids=corpus_id)
def test_values_of_a_big_endian_file_are_little_endian(path: Path, defer_size: int | None
                                                       ) -> None:
    """Bulk data is little endian (PS3.18 8.7.3.3.1): every value of each big endian corpus
    file (pixel data, LUTs, US, UL, AT, ...; OB and text as stored) is what dcmtk's
    `dcmconv +te` writes, whole and in ranges that start and end inside a number."""
    expected = little_endian_values(path)
    ds = read_file(path, defer_size=defer_size)
    try:
        for key, (_vr, value) in expected.items():
            span = bulk_span(ds, key)
            assert not span.little_endian and span.length == len(value), key
            assert b"".join(span.chunks()) == value, key
            size = 9 if len(value) < 4096 else 4099  # smaller than a number or not a multiple
            pieces = list(span.chunks(3, len(value) - 1, size))
            assert b"".join(pieces) == value[3:-1], key
            assert all(len(piece) <= size for piece in pieces), key
    finally:
        ds.close()


def test_little_endian_values_are_given_as_stored() -> None:
    ds = read_file(CT, defer_size=1024)
    try:
        span = bulk_span(ds, "7FE00010")
        assert span.little_endian and span.swap_width == 0
        assert b"".join(span.chunks(7, 1001, 5)) == _file_bytes(CT, span.offset + 7, 994)
    finally:
        ds.close()


# An explicit VR big endian file (PS3.5 A.3) with numbers of each width, and a damaged value:
# an OW of odd length, whose last byte is no whole number.
EDGE_FILE = b"".join([
    b"\0" * 128, b"DICM",
    element(0x00020010, "UI", b"1.2.840.10008.1.2.2\0"),  # Transfer Syntax UID: big endian
    element(0x00209165, "AT", b"\x00\x18\x00\x50", little=False),  # (0018,0050): two words
    element(0x00281201, "OW", b"\x00\x01\x00\x02\x09", little=False),  # words 1, 2 and a byte
    element(0x00660041, "OV", b"\0" * 7 + b"\x05", little=False),  # 5 in 8 bytes
    element(0x7FE00010, "OW", b"\x00\x01\x00\x02\x00\x03", little=False),  # words 1, 2, 3
])
# What bulk data carries: little endian numbers; the odd byte as stored, as the JSON model
# and the writer leave it (`values.swap_bytes`).
EDGE_VALUES = {"00209165": "18005000", "00281201": "0100020009",
               "00660041": "0500000000000000", "7FE00010": "010002000300"}


@pytest.mark.parametrize("defer_size", [None, 2], ids=["in-memory", "deferred"])
def test_every_range_of_a_big_endian_value(tmp_path: Path, defer_size: int | None) -> None:
    """Ranges of 0 and 1 bytes, at the very end, inside a number of each width (AT: two
    16-bit numbers, OV: one of 64 bits), in chunks smaller than a number."""
    path = tmp_path / "edges.dcm"
    path.write_bytes(EDGE_FILE)
    ds = read_file(path, defer_size=defer_size)
    try:
        for key, text in EDGE_VALUES.items():
            value = bytes.fromhex(text)
            span = bulk_span(ds, key)
            assert span.length == len(value) and (span.data is None) == bool(defer_size)
            model = to_json_dict(ds)[key]
            if "InlineBinary" in model or key != "00209165":  # AT is a Value, not bytes
                assert base64.b64decode(model["InlineBinary"]) == value, key
            for start in range(len(value) + 1):
                for end in range(start, len(value) + 2):
                    for size in (1, 3, 8):
                        pieces = list(span.chunks(start, end, size))
                        assert b"".join(pieces) == value[start:end], (key, start, end, size)
                        assert all(0 < len(p) <= max(size, span.swap_width) for p in pieces)
    finally:
        ds.close()


@pytest.mark.parametrize("defer_size", [None, 2], ids=["in-memory", "deferred"])
def test_a_list_changed_in_place_is_given_as_changed(tmp_path: Path, defer_size: int | None
                                                      ) -> None:
    # The bytes read are stale once a decoded list is changed in place: the value is encoded
    # (little endian), as the writer encodes it, whether or not it was left on disk.
    path = tmp_path / "big.dcm"
    path.write_bytes(b"".join([
        b"\0" * 128, b"DICM",
        element(0x00020010, "UI", b"1.2.840.10008.1.2.2\0"),  # big endian
        element(0x00283006, "US", b"\x00\x01\x00\x02\x00\x03", little=False),  # 1, 2, 3
    ]))
    ds = read_file(path, defer_size=defer_size)
    try:
        assert b"".join(bulk_span(ds, "00283006").chunks()).hex() == "010002000300"
        ds[0x00283006].value[0] = 9
        span = bulk_span(ds, "00283006")
        assert span.offset is None and b"".join(span.chunks()).hex() == "090002000300"
    finally:
        ds.close()
