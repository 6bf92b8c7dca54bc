"""The data set parser, through `filereader.read_dataset` (its stable entry point).

The fixtures are annotated bytes, one top-level element per entry, so a test knows where
each element ends without asking the parser. One case table (`CASES`) drives:

- a full read, compared with the values written beside the fixture and with pydicom's
  reading of the same bytes;
- a read from a file object that returns one byte per call;
- a read of every prefix (truncation at every byte offset): each either reads, keeping every
  element that is whole in the prefix, or raises `InvalidDicomError` with an offset, never
  anything else;
- a read with trailing garbage.

Then the cases that are not plain data sets: delimiters where they do not belong, errors
with their offset and tag, `stop_when`, `defer_size`, nesting limits and the recovery of an
implicit VR data set declared explicit.
"""

from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass, field
from typing import Any

import pytest
from pydicom.filereader import read_dataset as pydicom_read_dataset

from dicomcore.charset import DEFAULT_ENCODINGS
from dicomcore.errors import DicomWarning, InvalidDicomError, TruncatedFileWarning
from dicomcore.filereader import dcmread, read_dataset
from dicomcore.filewriter import dcmwrite
from dicomcore.limits import MAX_DEPTH
from dicomcore.stream import WINDOW
from dicomcore.vr import LONG_LENGTH_VRS

from .bytes_fixtures import element, header, item, sequence, summary, swap

# -- fixtures: annotated bytes, explicit VR little endian ------------------------------------

NESTED_EXPLICIT_LE = [
    bytes([0x08, 0x00, 0x05, 0x00, 0x43, 0x53, 0x0A, 0x00,  # (0008,0005) CS, length 10
           *b"ISO_IR 100"]),                                 #   Specific Character Set
    bytes([0x08, 0x00, 0x15, 0x11, 0x53, 0x51, 0x00, 0x00,  # (0008,1115) SQ, reserved
           0xFF, 0xFF, 0xFF, 0xFF,                           #   undefined length
           0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF,  #   (FFFE,E000) item, undefined
           0x08, 0x00, 0x50, 0x11, 0x55, 0x49, 0x06, 0x00,  #     (0008,1150) UI, length 6
           *b"1.2.3\0",
           0x08, 0x00, 0x40, 0x11, 0x53, 0x51, 0x00, 0x00,  #     (0008,1140) SQ, reserved
           0x18, 0x00, 0x00, 0x00,                           #       length 24
           0xFE, 0xFF, 0x00, 0xE0, 0x10, 0x00, 0x00, 0x00,  #       (FFFE,E000) item, 16
           0x08, 0x00, 0x55, 0x11, 0x55, 0x49, 0x08, 0x00,  #         (0008,1155) UI, 8
           *b"1.2.3.4\0",
           0xFE, 0xFF, 0x0D, 0xE0, 0x00, 0x00, 0x00, 0x00,  #   (FFFE,E00D) item delimiter
           0xFE, 0xFF, 0x00, 0xE0, 0x00, 0x00, 0x00, 0x00,  #   (FFFE,E000) item, length 0
           0xFE, 0xFF, 0xDD, 0xE0, 0x00, 0x00, 0x00, 0x00]),  # (FFFE,E0DD) seq. delimiter
    bytes([0x08, 0x00, 0x12, 0x21, 0x53, 0x51, 0x00, 0x00,  # (0008,2112) SQ, reserved
           0x00, 0x00, 0x00, 0x00]),                         #   length 0: no items
    bytes([0x10, 0x00, 0x10, 0x00, 0x50, 0x4E, 0x0A, 0x00,  # (0010,0010) PN, length 10
           *b"Buc^J\xe9r\xf4me"]),                           #   Latin-1 (ISO_IR 100)
    bytes([0x40, 0x00, 0x75, 0x02, 0x53, 0x51, 0x00, 0x00,  # (0040,0275) SQ, reserved
           0xFF, 0xFF, 0xFF, 0xFF,                           #   undefined length
           0xFE, 0xFF, 0xDD, 0xE0, 0x00, 0x00, 0x00, 0x00]),  # (FFFE,E0DD): no items
]
NESTED_VALUES = {
    0x00080005: ("CS", "ISO_IR 100"),
    0x00081115: ("SQ", [{0x00081150: ("UI", "1.2.3"),
                         0x00081140: ("SQ", [{0x00081155: ("UI", "1.2.3.4")}])},
                        {}]),
    0x00082112: ("SQ", []),
    0x00100010: ("PN", "Buc^Jérôme"),
    0x00400275: ("SQ", []),
}


def nested(implicit: bool, little: bool) -> list[bytes]:
    """NESTED_EXPLICIT_LE in any encoding, built from PS3.5 by the fixture helpers."""
    kw = {"implicit": implicit, "little": little}
    inner = sequence(0x00081140, [item(element(0x00081155, "UI", b"1.2.3.4\0", **kw),
                                       little=little)], **kw)
    first = item(element(0x00081150, "UI", b"1.2.3\0", **kw) + inner, undefined=True,
                 little=little)
    return [
        element(0x00080005, "CS", b"ISO_IR 100", **kw),
        sequence(0x00081115, [first, item(b"", little=little)], undefined=True, **kw),
        sequence(0x00082112, [], **kw),
        element(0x00100010, "PN", b"Buc^J\xe9r\xf4me", **kw),
        sequence(0x00400275, [], undefined=True, **kw),
    ]


ENCAPSULATED_EXPLICIT_LE = [
    bytes([0x28, 0x00, 0x10, 0x00, 0x55, 0x53, 0x02, 0x00,  # (0028,0010) US, length 2
           0x02, 0x00]),                                     #   Rows 2
    bytes([0xE0, 0x7F, 0x10, 0x00, 0x4F, 0x42, 0x00, 0x00,  # (7FE0,0010) OB, reserved
           0xFF, 0xFF, 0xFF, 0xFF,                           #   undefined: encapsulated
           0xFE, 0xFF, 0x00, 0xE0, 0x00, 0x00, 0x00, 0x00,  #   item: empty offset table
           0xFE, 0xFF, 0x00, 0xE0, 0x04, 0x00, 0x00, 0x00,  #   item: fragment, 4 bytes
           0x01, 0x02, 0x03, 0x04,
           0xFE, 0xFF, 0x00, 0xE0, 0x02, 0x00, 0x00, 0x00,  #   item: fragment, 2 bytes
           0x05, 0x06,
           0xFE, 0xFF, 0xDD, 0xE0, 0x00, 0x00, 0x00, 0x00]),  # (FFFE,E0DD) seq. delimiter
]
# The value of encapsulated pixel data is its items, as read (PS3.5 A.4), delimiter excluded.
ENCAPSULATED_VALUES = {
    0x00280010: ("US", 2),
    0x7FE00010: ("OB", ENCAPSULATED_EXPLICIT_LE[1][12:-8]),
}

UN_EXPLICIT_LE = [
    bytes([0x08, 0x00, 0x15, 0x11, 0x55, 0x4E, 0x00, 0x00,  # (0008,1115) UN, reserved
           0xFF, 0xFF, 0xFF, 0xFF,                           #   undefined: implicit VR items
           0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF,  #   (FFFE,E000) item, undefined
           0x08, 0x00, 0x50, 0x11, 0x06, 0x00, 0x00, 0x00,  #     (0008,1150) implicit, 6
           *b"1.2.3\0",
           0xFE, 0xFF, 0x0D, 0xE0, 0x00, 0x00, 0x00, 0x00,  #   (FFFE,E00D) item delimiter
           0xFE, 0xFF, 0xDD, 0xE0, 0x00, 0x00, 0x00, 0x00]),  # (FFFE,E0DD) seq. delimiter
    bytes([0x08, 0x00, 0x40, 0x11, 0x55, 0x4E, 0x00, 0x00,  # (0008,1140) UN, reserved
           0x16, 0x00, 0x00, 0x00,                           #   length 22; SQ in PS3.6
           0xFE, 0xFF, 0x00, 0xE0, 0x0E, 0x00, 0x00, 0x00,  #   (FFFE,E000) item, 14
           0x08, 0x00, 0x50, 0x11, 0x06, 0x00, 0x00, 0x00,  #     (0008,1150) implicit, 6
           *b"1.2.3\0"]),
    bytes([0x09, 0x00, 0x10, 0x10, 0x55, 0x4E, 0x00, 0x00,  # (0009,1010) UN, reserved
           0x04, 0x00, 0x00, 0x00,                           #   length 4, private: stays UN
           0x01, 0x02, 0x03, 0x04]),
    bytes([0x10, 0x00, 0x10, 0x00, 0x55, 0x4E, 0x00, 0x00,  # (0010,0010) UN, reserved
           0x08, 0x00, 0x00, 0x00,                           #   length 8; PN in PS3.6
           *b"Doe^John"]),
]
UN_VALUES = {
    0x00081115: ("SQ", [{0x00081150: ("UI", "1.2.3")}]),
    0x00081140: ("SQ", [{0x00081150: ("UI", "1.2.3")}]),
    0x00091010: ("UN", b"\x01\x02\x03\x04"),
    0x00100010: ("PN", "Doe^John"),
}

GROUP_LENGTHS_EXPLICIT_LE = [
    bytes([0x08, 0x00, 0x00, 0x00, 0x55, 0x4C, 0x04, 0x00,  # (0008,0000) UL, length 4
           0x16, 0x00, 0x00, 0x00]),                         #   22 bytes in group 0008
    bytes([0x08, 0x00, 0x60, 0x00, 0x43, 0x53, 0x02, 0x00,  # (0008,0060) CS, length 2
           *b"MR"]),
    bytes([0x08, 0x00, 0x70, 0x00, 0x4C, 0x4F, 0x04, 0x00,  # (0008,0070) LO, length 4
           *b"ACME"]),
    bytes([0x09, 0x00, 0x00, 0x00, 0x55, 0x4C, 0x04, 0x00,  # (0009,0000) UL, length 4
           0x20, 0x00, 0x00, 0x00]),                         #   32 bytes in group 0009
    bytes([0x09, 0x00, 0x10, 0x00, 0x4C, 0x4F, 0x08, 0x00,  # (0009,0010) LO, length 8
           *b"ACME 1.0"]),                                   #   private creator
    bytes([0x09, 0x00, 0x01, 0x10, 0x55, 0x4E, 0x00, 0x00,  # (0009,1001) UN, reserved
           0x04, 0x00, 0x00, 0x00,                           #   length 4
           0x01, 0x02, 0x03, 0x04]),
    bytes([0x10, 0x00, 0x10, 0x00, 0x50, 0x4E, 0x08, 0x00,  # (0010,0010) PN, length 8
           *b"Doe^John"]),
]
GROUP_LENGTH_VALUES = {
    0x00080000: ("UL", 22), 0x00080060: ("CS", "MR"), 0x00080070: ("LO", "ACME"),
    0x00090000: ("UL", 32), 0x00090010: ("LO", "ACME 1.0"), 0x00091001: ("UN", b"\1\2\3\4"),
    0x00100010: ("PN", "Doe^John"),
}

# -- every VR: one element each, in group 0072 where PS3.6 has a "Selector" of every VR -----

SAME_BYTES = object()  # the decoded value is the value's bytes, in the data set's byte order

# (tag, VR, value bytes in little endian, the decoded value)
VR_TABLE: list[tuple[int, str, bytes, Any]] = [
    (0x0072005E, "AE", b"STORESCP", "STORESCP"),
    (0x0072005F, "AS", b"018Y", "018Y"),
    (0x00720060, "AT", bytes([0x10, 0x00, 0x10, 0x00,  # (0010,0010)
                              0x08, 0x00, 0x05, 0x00]),  # (0008,0005)
     [0x00100010, 0x00080005]),
    (0x00720061, "DA", b"20240229", "20240229"),
    (0x00720062, "CS", b"ORIGINAL\\PRIMARY", ["ORIGINAL", "PRIMARY"]),
    (0x00720063, "DT", b"20240229235960.5+0100 ", "20240229235960.5+0100"),
    (0x00720064, "IS", b"-1\\42 ", [-1.0, 42.0]),
    (0x00720065, "OB", bytes([0x00, 0x01, 0x02, 0xFF]), SAME_BYTES),
    (0x00720066, "LO", b"Hello\\World ", ["Hello", "World"]),
    (0x00720067, "OF", bytes([0x00, 0x00, 0x80, 0x3F]), SAME_BYTES),  # 1.0f
    (0x00720068, "LT", b"line 1\r\nline\\2", "line 1\r\nline\\2"),
    (0x00720069, "OW", bytes([0x01, 0x02, 0x03, 0x04]), SAME_BYTES),
    (0x0072006A, "PN", b"Doe^John\\Roe^Jane ", ["Doe^John", "Roe^Jane"]),
    (0x0072006B, "TM", b"235960.123456 ", "235960.123456"),
    (0x0072006C, "SH", b"ABC ", "ABC"),
    (0x0072006D, "UN", bytes([0x01, 0x02, 0x03, 0x04]), SAME_BYTES),
    (0x0072006E, "ST", b"a\\b ", "a\\b"),
    (0x0072006F, "UC", b"a\\b ", ["a", "b"]),
    (0x00720070, "UT", b"texts ", "texts"),
    (0x00720071, "UR", b"http://example.com/a\\b", "http://example.com/a\\b"),
    (0x00720072, "DS", b"1.5\\-2.5E3", [1.5, -2500.0]),
    (0x00720073, "OD", bytes([0x00] * 6 + [0xF0, 0x3F]), SAME_BYTES),  # 1.0
    (0x00720074, "FD", bytes([0x00] * 6 + [0xF0, 0x3F] +  # 1.0
                             [0x00] * 6 + [0x04, 0xC0]),  # -2.5
     [1.0, -2.5]),
    (0x00720075, "OL", bytes([0x01, 0x00, 0x00, 0x00]), SAME_BYTES),
    (0x00720076, "FL", bytes([0x00, 0x00, 0x80, 0x3F]), 1.0),
    (0x00720078, "UL", bytes([0x78, 0x56, 0x34, 0x12]), 0x12345678),
    (0x0072007A, "US", bytes([0x01, 0x00, 0xFF, 0xFF]), [1, 0xFFFF]),
    (0x0072007C, "SL", bytes([0xFE, 0xFF, 0xFF, 0xFF]), -2),
    (0x0072007E, "SS", bytes([0x00, 0x80]), -32768),
    (0x0072007F, "UI", b"1.2.840.10008.1.2\0", "1.2.840.10008.1.2"),
    (0x00720081, "OV", bytes([0x01] + [0x00] * 7), SAME_BYTES),
    (0x00720082, "SV", bytes([0xFF] * 8), -1),
    (0x00720083, "UV", bytes([0x01] + [0x00] * 7), 1),
]


def every_vr(implicit: bool, little: bool) -> list[bytes]:
    return [element(tag, vr, value if little else swap(vr, value), implicit=implicit,
                    little=little) for tag, vr, value, _ in VR_TABLE]


def every_vr_values(little: bool) -> dict[int, tuple[str, Any]]:
    return {tag: (vr, (value if little else swap(vr, value)) if expected is SAME_BYTES
                  else expected) for tag, vr, value, expected in VR_TABLE}


# PS3.5 7.1: a value may be empty (length 0) in every VR; pydicom's empty values are '' for
# text and None for numbers and bytes.
TEXT_VRS = {"AE", "AS", "CS", "DA", "DT", "LO", "LT", "PN", "SH", "ST", "TM", "UC", "UI", "UR",
            "UT"}


def every_vr_empty(implicit: bool, little: bool) -> list[bytes]:
    return [element(tag, vr, b"", implicit=implicit, little=little)
            for tag, vr, _, _ in VR_TABLE]


EVERY_VR_EMPTY_VALUES = {tag: (vr, "" if vr in TEXT_VRS else None) for tag, vr, _, _ in VR_TABLE}

# Implicit VR: the VR of (0028,0106) "US or SS" follows Pixel Representation (PS3.3 C.7.6.3),
# native Pixel Data "OB or OW" is OW (PS3.5 A.1).
AMBIGUOUS_IMPLICIT_LE = [
    bytes([0x28, 0x00, 0x03, 0x01, 0x02, 0x00, 0x00, 0x00,  # (0028,0103) implicit, length 2
           0x01, 0x00]),                                     #   Pixel Representation 1
    bytes([0x28, 0x00, 0x06, 0x01, 0x02, 0x00, 0x00, 0x00,  # (0028,0106) implicit, length 2
           0xFE, 0xFF]),                                     #   -2 as SS
    bytes([0xE0, 0x7F, 0x10, 0x00, 0x04, 0x00, 0x00, 0x00,  # (7FE0,0010) implicit, length 4
           0x01, 0x02, 0x03, 0x04]),
]
AMBIGUOUS_VALUES = {0x00280103: ("US", 1), 0x00280106: ("SS", -2),
                    0x7FE00010: ("OW", b"\x01\x02\x03\x04")}

# -- the case table --------------------------------------------------------------------------

@dataclass
class Case:
    name: str
    elements: list[bytes]  # one entry per top-level element
    implicit: bool
    little: bool
    values: dict[int, tuple[str, Any]]
    pydicom_agrees: bool = True
    group_sizes: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        assert len(self.values) == len(self.elements), "one value per top-level element"

    @property
    def data(self) -> bytes:
        return b"".join(self.elements)

    @property
    def ends(self) -> list[int]:
        """Where each top-level element ends."""
        out, pos = [], 0
        for chunk in self.elements:
            pos += len(chunk)
            out.append(pos)
        return out


CASES = [
    Case("nested-explicit-le", NESTED_EXPLICIT_LE, False, True, NESTED_VALUES),
    Case("nested-implicit-le", nested(True, True), True, True, NESTED_VALUES),
    Case("nested-explicit-be", nested(False, False), False, False, NESTED_VALUES),
    Case("encapsulated-explicit-le", ENCAPSULATED_EXPLICIT_LE, False, True,
         ENCAPSULATED_VALUES),
    Case("encapsulated-implicit-le",
         [element(0x00280010, "US", b"\x02\x00", implicit=True),
          header(0x7FE00010, None, 0xFFFFFFFF, implicit=True, little=True) +
          ENCAPSULATED_EXPLICIT_LE[1][12:]], True, True, ENCAPSULATED_VALUES),
    Case("un-explicit-le", UN_EXPLICIT_LE, False, True, UN_VALUES),
    Case("un-implicit-le",
         [element(0x00090010, "LO", b"ACME", implicit=True),
          # a private element of undefined length in implicit VR: a sequence (PS3.5 7.5)
          header(0x00091010, None, 0xFFFFFFFF, implicit=True, little=True) +
          item(element(0x00081150, "UI", b"1.2.3\0", implicit=True), undefined=True) +
          bytes([0xFE, 0xFF, 0xDD, 0xE0, 0x00, 0x00, 0x00, 0x00])],
         True, True, {0x00090010: ("LO", "ACME"),
                      0x00091010: ("SQ", [{0x00081150: ("UI", "1.2.3")}])}),
    Case("group-lengths-explicit-le", GROUP_LENGTHS_EXPLICIT_LE, False, True,
         GROUP_LENGTH_VALUES, group_sizes={0x0008: 22, 0x0009: 32}),
    Case("group-lengths-implicit-le",
         [element(0x00080000, "UL", (22).to_bytes(4, "little"), implicit=True),
          element(0x00080060, "CS", b"MR", implicit=True),
          element(0x00080070, "LO", b"ACME", implicit=True),
          element(0x00090000, "UL", (28).to_bytes(4, "little"), implicit=True),
          element(0x00090010, "LO", b"ACME 1.0", implicit=True),
          element(0x00091001, "UN", b"\1\2\3\4", implicit=True),
          element(0x00100010, "PN", b"Doe^John", implicit=True)], True, True,
         {**GROUP_LENGTH_VALUES, 0x00090000: ("UL", 28)},
         # pydicom reads a private group length in implicit VR as UN; PS3.5 7.2 says UL
         pydicom_agrees=False, group_sizes={0x0008: 22, 0x0009: 28}),
    Case("every-vr-explicit-le", every_vr(False, True), False, True, every_vr_values(True)),
    Case("every-vr-explicit-be", every_vr(False, False), False, False, every_vr_values(False)),
    Case("every-vr-implicit-le", every_vr(True, True), True, True, every_vr_values(True)),
    Case("every-vr-empty-explicit-le", every_vr_empty(False, True), False, True,
         EVERY_VR_EMPTY_VALUES),
    Case("every-vr-empty-explicit-be", every_vr_empty(False, False), False, False,
         EVERY_VR_EMPTY_VALUES),
    Case("every-vr-empty-implicit-le", every_vr_empty(True, True), True, True,
         EVERY_VR_EMPTY_VALUES),
    Case("ambiguous-implicit-le", AMBIGUOUS_IMPLICIT_LE, True, True, AMBIGUOUS_VALUES),
]
CASE_IDS = [c.name for c in CASES]


def _read(data: bytes | io.IOBase, case: Case, **options: Any) -> Any:
    fp = io.BytesIO(data) if isinstance(data, bytes) else data
    return read_dataset(fp, case.implicit, case.little, **options)  # type: ignore[arg-type]


def _read_quietly(data: bytes, case: Case) -> tuple[Any, list[warnings.WarningMessage]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = _read(data, case)
        summary_ = summary(ds)
    return summary_, caught


class OneByteReads(io.RawIOBase):
    """A seekable file object that returns at most one byte per read call."""

    def __init__(self, data: bytes) -> None:
        self._inner = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._inner.tell()

    def seek(self, pos: int, whence: int = io.SEEK_SET) -> int:
        return self._inner.seek(pos, whence)

    def read(self, n: int = -1) -> bytes:
        return self._inner.read(1 if n is None or n < 0 else min(n, 1))


def test_the_helpers_build_the_annotated_fixture_byte_for_byte() -> None:
    assert nested(False, True) == NESTED_EXPLICIT_LE
    assert every_vr(False, True)[0] == bytes([0x72, 0x00, 0x5E, 0x00, 0x41, 0x45, 0x08, 0x00,
                                              *b"STORESCP"])


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_read(case: Case) -> None:
    values, caught = _read_quietly(case.data, case)
    assert values == case.values
    assert [str(w.message) for w in caught] == []
    ds = _read(case.data, case)
    assert ds.is_implicit_VR is case.implicit and ds.is_little_endian is case.little
    if case.group_sizes:
        assert ds.original_group_sizes == case.group_sizes


@pytest.mark.parametrize("case", [c for c in CASES if c.pydicom_agrees],
                         ids=[c.name for c in CASES if c.pydicom_agrees])
def test_read_as_pydicom_reads(case: Case) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = pydicom_read_dataset(io.BytesIO(case.data), case.implicit, case.little)
        theirs_summary = summary(theirs)
    assert summary(_read(case.data, case)) == theirs_summary


def test_every_fixture_value_has_an_even_length() -> None:
    assert [vr for _, vr, value, _ in VR_TABLE if len(value) % 2] == []  # PS3.5 7.1.1


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_written_back_as_read(case: Case) -> None:
    """The writer's side of the table: what was read is written back byte for byte."""
    ds = dcmread(io.BytesIO(case.data), force=True)
    out = io.BytesIO()
    dcmwrite(out, ds)
    assert out.getvalue() == case.data


def _set_every_value_again(ds: Any) -> None:
    for elem in ds:
        if elem.VR == "SQ":
            for child in elem.value:
                _set_every_value_again(child)
        else:
            elem.value = elem.value  # the writer now encodes the value, not the bytes read
            assert elem.raw_value is None


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_decoded_values_encode_to_the_bytes_they_came_from(case: Case) -> None:
    ds = dcmread(io.BytesIO(case.data), force=True)
    _set_every_value_again(ds)
    out = io.BytesIO()
    dcmwrite(out, ds)
    assert out.getvalue() == case.data


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_dcmread_force_finds_the_encoding_of_a_bare_data_set(case: Case) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = dcmread(io.BytesIO(case.data), force=True)
    assert summary(ds) == case.values
    assert (ds.is_implicit_VR, ds.is_little_endian) == (case.implicit, case.little)
    assert caught == []


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_read_one_byte_per_read_call(case: Case) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        values = summary(_read(OneByteReads(case.data), case))  # type: ignore[arg-type]
    assert values == case.values
    assert caught == []


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_bytelength_reads_that_many_bytes_and_leaves_the_file_after_them(case: Case) -> None:
    head = b"".join(case.elements[:2])
    fp = io.BytesIO(b"\x00" * 5 + case.data)
    fp.seek(5)
    ds = read_dataset(fp, case.implicit, case.little, bytelength=len(head))
    assert fp.tell() == 5 + len(head)
    assert summary(ds) == dict(list(case.values.items())[:2])  # values are in file order


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_truncated_at_every_offset(case: Case) -> None:
    data, ends = case.data, case.ends
    full = summary(_read(data, case))
    tags = list(case.values)
    for cut in range(len(data)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                ds = _read(data[:cut], case)
                got = summary(ds)
            except InvalidDicomError as exc:
                assert isinstance(exc.offset, int) and 0 <= exc.offset <= cut, (cut, exc)
                assert exc.tag is None or isinstance(exc.tag, int)
                continue
            except Exception as exc:  # noqa: BLE001 - the point of the test
                pytest.fail(f"cut at {cut}: {type(exc).__name__}: {exc}")
        whole = [tag for tag, end in zip(tags, ends, strict=True) if end <= cut]
        for tag in whole:
            assert got.get(tag) == full[tag], f"cut at {cut}: {tag:08X} lost or changed"
        truncated = [w for w in caught if issubclass(w.category, TruncatedFileWarning)]
        if cut in ends or cut == 0:
            assert set(got) == set(whole), f"cut at {cut}: elements that are not in the data"
            assert truncated == [], f"cut at {cut}: warned at an element boundary"
        elif cut - max([0] + [e for e in ends if e <= cut]) >= 4:
            assert truncated, f"cut at {cut}: the partial element was not reported"


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_truncated_at_every_offset_with_every_value_deferred(case: Case) -> None:
    data, ends = case.data, case.ends
    tags = list(case.values)
    for cut in range(len(data)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                ds = _read(data[:cut], case, defer_size=0)
            except InvalidDicomError as exc:
                assert isinstance(exc.offset, int) and 0 <= exc.offset <= cut, (cut, exc)
                continue
            except Exception as exc:  # noqa: BLE001 - the point of the test
                pytest.fail(f"cut at {cut}: {type(exc).__name__}: {exc}")
            got = summary(ds)  # reads the deferred values from the prefix
        for tag, end in zip(tags, ends, strict=True):
            if end <= cut:
                assert got.get(tag) == case.values[tag], f"cut at {cut}: {tag:08X}"


GARBAGE = [b"\x00", b"\x00\x00\x00", b"\xff" * 8, b"\x00" * 8, bytes(range(1, 11)),
           b"\xfe\xff\x00\xe0"]


@pytest.mark.parametrize("garbage", GARBAGE, ids=[g.hex() for g in GARBAGE])
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_trailing_garbage(case: Case, garbage: bytes) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            got = summary(_read(case.data + garbage, case))
        except InvalidDicomError as exc:
            assert exc.offset is not None and exc.offset >= len(case.data), exc
            return
    for tag, value in case.values.items():
        assert got[tag] == value


# -- delimiters where they do not belong -----------------------------------------------------

STRAY_DELIMITERS = bytes([
    0x10, 0x00, 0x10, 0x00, 0x50, 0x4E, 0x08, 0x00,  # (0010,0010) PN, length 8
    *b"Doe^John",
    0xFE, 0xFF, 0x0D, 0xE0, 0x00, 0x00, 0x00, 0x00,  # (FFFE,E00D) outside any item
    0xFE, 0xFF, 0xDD, 0xE0, 0x00, 0x00, 0x00, 0x00,  # (FFFE,E0DD) outside any sequence
    0x10, 0x00, 0x20, 0x00, 0x4C, 0x4F, 0x04, 0x00,  # (0010,0020) LO, length 4
    *b"ID01",
])

STRAY_IN_SEQUENCES = bytes([
    0x08, 0x00, 0x15, 0x11, 0x53, 0x51, 0x00, 0x00,  # (0008,1115) SQ, reserved
    0xFF, 0xFF, 0xFF, 0xFF,                           #   undefined length
    0xFE, 0xFF, 0x00, 0xE0, 0x0E, 0x00, 0x00, 0x00,  #   (FFFE,E000) item, 14
    0x08, 0x00, 0x50, 0x11, 0x55, 0x49, 0x06, 0x00,  #     (0008,1150) UI, 6
    *b"1.2.3\0",
    0xFE, 0xFF, 0x0D, 0xE0, 0x00, 0x00, 0x00, 0x00,  #   (FFFE,E00D) between items
    0xFE, 0xFF, 0x00, 0xE0, 0x0E, 0x00, 0x00, 0x00,  #   (FFFE,E000) item, 14
    0x08, 0x00, 0x50, 0x11, 0x55, 0x49, 0x06, 0x00,  #     (0008,1150) UI, 6
    *b"1.2.4\0",
    0xFE, 0xFF, 0xDD, 0xE0, 0x00, 0x00, 0x00, 0x00,  #   (FFFE,E0DD) seq. delimiter
    0x08, 0x00, 0x40, 0x11, 0x53, 0x51, 0x00, 0x00,  # (0008,1140) SQ, reserved
    0x1E, 0x00, 0x00, 0x00,                           #   length 30
    0xFE, 0xFF, 0x00, 0xE0, 0x0E, 0x00, 0x00, 0x00,  #   (FFFE,E000) item, 14
    0x08, 0x00, 0x50, 0x11, 0x55, 0x49, 0x06, 0x00,  #     (0008,1150) UI, 6
    *b"1.2.5\0",
    0xFE, 0xFF, 0xDD, 0xE0, 0x00, 0x00, 0x00, 0x00,  #   (FFFE,E0DD) in a defined length
])


def test_stray_delimiters_at_the_top_level_are_skipped_with_a_warning() -> None:
    with pytest.warns(DicomWarning) as caught:
        ds = read_dataset(io.BytesIO(STRAY_DELIMITERS), False, True)
    assert summary(ds) == {0x00100010: ("PN", "Doe^John"), 0x00100020: ("LO", "ID01")}
    messages = [str(w.message) for w in caught]
    assert any("item delimiter" in m and "offset 16" in m for m in messages)
    assert any("sequence delimiter" in m and "offset 24" in m for m in messages)


def test_stray_delimiters_in_sequences_are_skipped_with_a_warning() -> None:
    with pytest.warns(DicomWarning) as caught:
        ds = read_dataset(io.BytesIO(STRAY_IN_SEQUENCES), False, True)
    assert summary(ds) == {
        0x00081115: ("SQ", [{0x00081150: ("UI", "1.2.3")}, {0x00081150: ("UI", "1.2.4")}]),
        0x00081140: ("SQ", [{0x00081150: ("UI", "1.2.5")}]),
    }
    messages = [str(w.message) for w in caught]
    assert any("item delimiter" in m and "offset 34" in m for m in messages)
    assert any("sequence delimiter" in m and "offset 106" in m for m in messages)


def test_an_item_closed_by_its_sequence_delimiter() -> None:
    data = bytes([
        0x08, 0x00, 0x15, 0x11, 0x53, 0x51, 0x00, 0x00,  # (0008,1115) SQ, reserved
        0xFF, 0xFF, 0xFF, 0xFF,                           #   undefined length
        0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF,  #   (FFFE,E000) item, undefined
        0x08, 0x00, 0x50, 0x11, 0x55, 0x49, 0x06, 0x00,  #     (0008,1150) UI, 6
        *b"1.2.3\0",
        0xFE, 0xFF, 0xDD, 0xE0, 0x00, 0x00, 0x00, 0x00,  #   (FFFE,E0DD): no item delimiter
        0x10, 0x00, 0x10, 0x00, 0x50, 0x4E, 0x04, 0x00,  # (0010,0010) PN, length 4
        *b"Doe ",
    ])
    with pytest.warns(DicomWarning, match="item without delimiter"):
        ds = read_dataset(io.BytesIO(data), False, True)
    assert summary(ds) == {0x00081115: ("SQ", [{0x00081150: ("UI", "1.2.3")}]),
                           0x00100010: ("PN", "Doe")}


# -- errors: offset and tag ------------------------------------------------------------------

PN_DOE = bytes([0x10, 0x00, 0x10, 0x00, 0x50, 0x4E, 0x04, 0x00, *b"Doe "])  # 12 bytes

ERRORS = [
    pytest.param(PN_DOE + bytes([
        0xFE, 0xFF, 0x00, 0xE0, 0x04, 0x00, 0x00, 0x00,  # (FFFE,E000) where an element belongs
        0x01, 0x02, 0x03, 0x04,
    ]), "item tag where a data element belongs", 12, 0xFFFEE000, id="item-at-top-level"),
    pytest.param(PN_DOE + bytes([
        0x10, 0x00, 0x20, 0x00, 0x01, 0x02, 0x04, 0x00,  # (0010,0020) VR bytes 01 02
        *b"ID01",
    ]), "invalid VR bytes", 12, 0x00100020, id="invalid-vr-bytes"),
    pytest.param(PN_DOE + bytes([
        0x40, 0x00, 0x60, 0xA1, 0x55, 0x54, 0x00, 0x00,  # (0040,A160) UT, reserved
        0xFF, 0xFF, 0xFF, 0xFF,                           #   undefined length: not for UT
    ]), "undefined length is not allowed", 12, 0x0040A160, id="undefined-length-ut"),
    pytest.param(PN_DOE + bytes([
        0x08, 0x00, 0x15, 0x11, 0x53, 0x51, 0x00, 0x00,  # (0008,1115) SQ, reserved
        0x14, 0x00, 0x00, 0x00,                           #   length 20
        0xFE, 0xFF, 0x00, 0xE0, 0x0C, 0x00, 0x00, 0x00,  #   (FFFE,E000) item, 12
        0x08, 0x00, 0x50, 0x11, 0x55, 0x49, 0x10, 0x00,  #     (0008,1150) UI, 16: past 12
        *b"1.2.3\0",
    ]), "past the end of the item", 32, 0x00081150, id="value-longer-than-its-item"),
    pytest.param(PN_DOE + bytes([
        0x08, 0x00, 0x15, 0x11, 0x53, 0x51, 0x00, 0x00,  # (0008,1115) SQ, reserved
        0xFF, 0xFF, 0xFF, 0xFF,                           #   undefined length
        0x08, 0x00, 0x50, 0x11, 0x55, 0x49, 0x06, 0x00,  #   (0008,1150) where an item belongs
        *b"1.2.3\0",
    ]), "expected an item tag", 24, 0x00081150, id="element-where-an-item-belongs"),
    pytest.param(PN_DOE + bytes([
        0xE0, 0x7F, 0x10, 0x00, 0x4F, 0x42, 0x00, 0x00,  # (7FE0,0010) OB, reserved
        0xFF, 0xFF, 0xFF, 0xFF,                           #   undefined: encapsulated
        0x08, 0x00, 0x50, 0x11, 0x55, 0x49, 0x06, 0x00,  #   (0008,1150) where a fragment is
        *b"1.2.3\0",
    ]), "expected a fragment item", 24, 0x7FE00010, id="element-where-a-fragment-belongs"),
]


@pytest.mark.parametrize(("data", "message", "offset", "tag"), ERRORS)
def test_errors_name_the_offset_and_the_tag(data: bytes, message: str, offset: int, tag: int
                                            ) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(InvalidDicomError, match=message) as info:
            read_dataset(io.BytesIO(data), False, True)
    assert (info.value.offset, info.value.tag) == (offset, tag)
    assert f"offset {offset}" in str(info.value)


@pytest.mark.parametrize(("tag", "vr", "value"), [
    (0x00091020, "UN", b"ID01"),  # private, not in any dictionary: bytes
    (0x00100020, "LO", "ID01"),  # PS3.6 knows it: decoded as an explicit UN would be
])
def test_an_unknown_vr_warns_and_keeps_what_the_file_said(tag: int, vr: str, value: Any
                                                          ) -> None:
    data = PN_DOE + bytes([
        tag >> 16 & 0xFF, tag >> 24, tag & 0xFF, tag >> 8 & 0xFF,  # the element's tag
        0x5A, 0x5A, 0x04, 0x00,                                     # VR "ZZ", length 4
        *b"ID01",
    ])
    with pytest.warns(DicomWarning, match="unknown VR 'ZZ'.*offset 12"):
        ds = read_dataset(io.BytesIO(data), False, True)
    elem = ds[tag]
    assert (elem.VR, elem.value, elem.raw_VR) == (vr, value, "ZZ")
    assert ds.PatientName == "Doe"


@pytest.mark.parametrize("cut", [1, 5, 11])
def test_an_element_across_bytelength_is_refused(cut: int) -> None:
    data = b"".join(NESTED_EXPLICIT_LE)
    start = len(NESTED_EXPLICIT_LE[0]) + len(NESTED_EXPLICIT_LE[1])  # (0008,2112) SQ, 12 bytes
    with pytest.raises(InvalidDicomError, match="past the end") as info:
        read_dataset(io.BytesIO(data), False, True, bytelength=start + cut)
    assert (info.value.offset, info.value.tag) == (start, 0x00082112)


def test_an_item_longer_than_its_sequence_is_read_whole_with_a_warning() -> None:
    data = bytes([
        0x08, 0x00, 0x15, 0x11, 0x53, 0x51, 0x00, 0x00,  # (0008,1115) SQ, reserved
        0x0A, 0x00, 0x00, 0x00,                           #   length 10: too short
        0xFE, 0xFF, 0x00, 0xE0, 0x0E, 0x00, 0x00, 0x00,  #   (FFFE,E000) item, 14
        0x08, 0x00, 0x50, 0x11, 0x55, 0x49, 0x06, 0x00,  #     (0008,1150) UI, 6
        *b"1.2.3\0",
    ])
    with pytest.warns(DicomWarning, match="runs 12 bytes past the end of its sequence"):
        ds = read_dataset(io.BytesIO(data), False, True)
    assert summary(ds) == {0x00081115: ("SQ", [{0x00081150: ("UI", "1.2.3")}])}
    # (pydicom 3.0.2 does not: it stops the item at the sequence's end and reads the rest of
    # the item as a top-level element with the tag (1150,4955).)


# -- nesting ---------------------------------------------------------------------------------

def _nested(levels: int) -> bytes:
    """`levels` sequences, each an undefined-length item of the one before."""
    opening = (header(0x00081115, "SQ", 0xFFFFFFFF, implicit=False, little=True) +
               bytes([0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF]))  # item, undefined
    closing = bytes([0xFE, 0xFF, 0x0D, 0xE0, 0x00, 0x00, 0x00, 0x00,  # item delimiter
                     0xFE, 0xFF, 0xDD, 0xE0, 0x00, 0x00, 0x00, 0x00])  # sequence delimiter
    leaf = element(0x00081150, "UI", b"1.2.3\0")
    return opening * levels + leaf + closing * levels


def test_nesting_up_to_the_limit_is_read() -> None:
    ds = read_dataset(io.BytesIO(_nested(MAX_DEPTH)), False, True)
    depth = 0
    while 0x00081115 in ds:
        ds = ds[0x00081115].value[0]
        depth += 1
    assert depth == MAX_DEPTH
    assert ds[0x00081150].value == "1.2.3"


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 10_000])
def test_nesting_beyond_the_limit_is_refused(levels: int) -> None:
    with pytest.raises(InvalidDicomError, match="nested deeper") as info:
        read_dataset(io.BytesIO(_nested(levels)), False, True)
    # the item that goes one level too deep starts after MAX_DEPTH + 1 openings of 20 bytes
    assert info.value.offset == 20 * (MAX_DEPTH + 1)


# -- explicit VR declared, implicit VR found -------------------------------------------------

@pytest.mark.parametrize("elements", [nested(True, True), every_vr(True, True)],
                         ids=["nested", "every-vr"])
def test_implicit_data_declared_explicit_is_read_as_implicit(elements: list[bytes]) -> None:
    data = b"".join(elements)
    with pytest.warns(DicomWarning, match="implicit VR"):
        ds = read_dataset(io.BytesIO(data), False, True)
    assert ds.is_implicit_VR is True
    assert summary(ds) == summary(read_dataset(io.BytesIO(data), True, True))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = pydicom_read_dataset(io.BytesIO(data), False, True)
    assert summary(ds) == summary(theirs)


@pytest.mark.parametrize("undefined", [False, True], ids=["defined", "undefined"])
def test_implicit_items_in_an_explicit_data_set_are_read_as_implicit(undefined: bool) -> None:
    implicit_content = bytes([
        0x08, 0x00, 0x50, 0x11, 0x06, 0x00, 0x00, 0x00,  # (0008,1150) implicit, length 6
        *b"1.2.3\0",
        0x08, 0x00, 0x55, 0x11, 0x08, 0x00, 0x00, 0x00,  # (0008,1155) implicit, length 8
        *b"1.2.3.4\0",
    ])
    data = (element(0x00080005, "CS", b"ISO_IR 100") +
            sequence(0x00081115, [item(implicit_content, undefined=undefined)],
                     undefined=undefined) +
            element(0x00100010, "PN", b"Doe "))
    ds = read_dataset(io.BytesIO(data), False, True)
    expected = {0x00080005: ("CS", "ISO_IR 100"),
                0x00081115: ("SQ", [{0x00081150: ("UI", "1.2.3"),
                                     0x00081155: ("UI", "1.2.3.4")}]),
                0x00100010: ("PN", "Doe")}
    assert summary(ds) == expected
    assert ds.is_implicit_VR is False
    assert ds[0x00081115].value[0].is_implicit_VR is True, "so a writer keeps the item so"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert summary(pydicom_read_dataset(io.BytesIO(data), False, True)) == expected


# -- stop_when -------------------------------------------------------------------------------

@pytest.mark.parametrize("case", [CASES[0], CASES[1], CASES[2]], ids=CASE_IDS[:3])
def test_stop_when_sees_each_top_level_header_and_stops_before_the_value(case: Case) -> None:
    seen: list[tuple[int, str | None, int]] = []

    def stop(tag: int, vr: str | None, length: int) -> bool:
        seen.append((int(tag), vr, length))
        return tag >= 0x00100010

    fp = io.BytesIO(case.data)
    ds = read_dataset(fp, case.implicit, case.little, stop_when=stop)
    assert sorted(summary(ds)) == [0x00080005, 0x00081115, 0x00082112]
    vrs: list[str | None] = [None] * 4 if case.implicit else ["CS", "SQ", "SQ", "PN"]
    assert seen == list(zip([0x00080005, 0x00081115, 0x00082112, 0x00100010], vrs,
                            [10, 0xFFFFFFFF, 0, 10], strict=True))
    stop_at = sum(len(e) for e in case.elements[:3])
    assert fp.tell() == stop_at, "the file is left at the element that stopped reading"
    theirs_fp = io.BytesIO(case.data)
    pydicom_read_dataset(theirs_fp, case.implicit, case.little,
                         stop_when=lambda t, v, n: t >= 0x00100010)
    assert theirs_fp.tell() == stop_at


# -- defer_size ------------------------------------------------------------------------------

LONG_OB = bytes([
    0x08, 0x00, 0x05, 0x00, 0x43, 0x53, 0x0A, 0x00,  # (0008,0005) CS, length 10
    *b"ISO_IR 100",
    0x10, 0x00, 0x10, 0x00, 0x50, 0x4E, 0x0A, 0x00,  # (0010,0010) PN, length 10
    *b"Buc^J\xe9r\xf4me",
    0x42, 0x00, 0x11, 0x00, 0x4F, 0x42, 0x00, 0x00,  # (0042,0011) OB, reserved
    0x64, 0x00, 0x00, 0x00,                           #   length 100
    *range(100),
])


@pytest.mark.parametrize(("defer_size", "deferred"), [
    (None, set()), (100, set()), (99, {0x00420011}), ("50 B", {0x00420011}),
    (0, {0x00100010, 0x00420011}),  # never the Specific Character Set
])
def test_defer_size(defer_size: int | str | None, deferred: set[int]) -> None:
    fp = io.BytesIO(LONG_OB)
    ds = read_dataset(fp, False, True, defer_size=defer_size)
    assert {e.tag for e in ds if e.is_deferred} == deferred
    assert ds[0x00420011].value == bytes(range(100)), "read on access"
    assert ds.PatientName == "Buc^Jérôme", "decoded with the character set read before"
    assert not any(e.is_deferred for e in ds)


def test_deferred_encapsulated_pixel_data_is_read_on_access() -> None:
    fp = io.BytesIO(ENCAPSULATED_EXPLICIT_LE[0] + ENCAPSULATED_EXPLICIT_LE[1])
    ds = read_dataset(fp, False, True, defer_size=10)
    assert ds[0x7FE00010].is_deferred
    assert ds[0x7FE00010].value == ENCAPSULATED_VALUES[0x7FE00010][1]


class CountingReads(io.BytesIO):
    """A BytesIO that counts the bytes its read calls return."""

    bytes_read = 0

    def read(self, n: int | None = -1) -> bytes:
        data = super().read(n)
        self.bytes_read += len(data)
        return data


@pytest.mark.parametrize("defer_size", [None, 1024])
def test_fragments_larger_than_the_window_are_walked_by_their_headers(
        defer_size: int | None) -> None:
    fragments = [bytes([i]) * (WINDOW + 8000) for i in range(10)]
    value = item(b"") + b"".join(item(f) for f in fragments)
    data = (header(0x7FE00010, "OB", 0xFFFFFFFF, implicit=False, little=True) + value
            + struct.pack("<HHL", 0xFFFE, 0xE0DD, 0) + element(0xFFFCFFFC, "OB", b"\0\0"))
    fp = CountingReads(data)
    ds = read_dataset(fp, False, True, defer_size=defer_size)
    assert ds[0x7FE00010].is_deferred is (defer_size is not None)
    # One window, a header per fragment, the value once when not deferred; a window read
    # after each fragment would add 10 windows.
    wanted = 0 if defer_size else len(value)
    assert fp.bytes_read < wanted + 2 * WINDOW, fp.bytes_read
    assert ds[0x7FE00010].value == value
    assert ds[0xFFFCFFFC].value == b"\0\0"


def test_a_deferred_value_cut_short_is_reported() -> None:
    with pytest.warns(TruncatedFileWarning, match="value of 100 bytes has 40"):
        ds = read_dataset(io.BytesIO(LONG_OB[:-60]), False, True, defer_size=10)
    assert ds.PatientName == "Buc^Jérôme"


# -- gaps found by these tests, fixed since -------------------------------------------------

def test_undefined_length_un_in_big_endian_data_holds_little_endian_items() -> None:
    inner = bytes([0x08, 0x00, 0x50, 0x11, 0x06, 0x00, 0x00, 0x00,  # (0008,1150) implicit LE, 6
                   *b"1.2.3\0"])
    data = bytes([
        0x00, 0x08, 0x11, 0x15, 0x55, 0x4E, 0x00, 0x00,  # (0008,1115) UN, big endian
        0xFF, 0xFF, 0xFF, 0xFF,                           #   undefined length
        0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF,  #   (FFFE,E000) item, little endian
        *inner,
        0xFE, 0xFF, 0x0D, 0xE0, 0x00, 0x00, 0x00, 0x00,  #   (FFFE,E00D) item delimiter
        0xFE, 0xFF, 0xDD, 0xE0, 0x00, 0x00, 0x00, 0x00,  #   (FFFE,E0DD) seq. delimiter
        0x00, 0x10, 0x00, 0x10, 0x50, 0x4E, 0x00, 0x04,  # (0010,0010) PN, big endian, 4
        *b"Doe ",
    ])
    ds = read_dataset(io.BytesIO(data), False, False)
    assert summary(ds) == {0x00081115: ("SQ", [{0x00081150: ("UI", "1.2.3")}]),
                           0x00100010: ("PN", "Doe")}


def test_a_long_header_cut_short_inside_an_item_is_reported_as_a_truncation() -> None:
    data = b"".join(NESTED_EXPLICIT_LE)[:60]  # 8 of the 12 header bytes of (0008,1140)
    with pytest.warns(TruncatedFileWarning):
        ds = read_dataset(io.BytesIO(data), False, True)
    assert summary(ds)[0x00080005] == NESTED_VALUES[0x00080005]


def test_elements_of_the_plain_run_are_built_as_from_raw_builds_them() -> None:
    """The run loop builds its elements itself (the call to `DataElement.from_raw` would cost
    as much as the rest): every slot as from_raw sets it from what the bytes say, at every
    depth, a private element's creator included."""
    from dicomcore.dataelem import DataElement

    private = (element(0x00090010, "LO", b"ACME") + element(0x00091001, "SH", b"ab")
               + element(0x00091002, "OB", b"\x01\x02"))  # a long header: read_dataset's
    data = b"".join(NESTED_EXPLICIT_LE[:1]) + private + b"".join(NESTED_EXPLICIT_LE[1:])
    ds = read_dataset(io.BytesIO(data), False, True)
    elements = [e for e in ds.iterall() if e.VR != "SQ"]
    assert {int(e.tag) for e in elements} >= {0x00081150, 0x00081155, 0x00100010, 0x00091001}
    slots = [slot for slot in DataElement.__slots__ if slot != "__weakref__"]
    for elem in elements:
        long_header = elem.VR in LONG_LENGTH_VRS
        at = elem.file_tell  # where the value starts, after its header
        start = at - (12 if long_header else 8)
        group, number, vr = struct.unpack_from("<HH2s", data, start)
        length = struct.unpack_from("<L" if long_header else "<H", data,
                                    start + (8 if long_header else 6))[0]
        assert (group << 16 | number, vr.decode()) == (int(elem.tag), elem.VR)
        assert elem.raw_value == data[at:at + length]
        # ISO_IR 100 at every depth, after the element that says so
        encodings = DEFAULT_ENCODINGS if elem.tag == 0x00080005 else ("latin_1",)
        assert elem.encodings == encodings
        made = DataElement.from_raw(group << 16 | number, vr.decode(), data[at:at + length],
                                    True, encodings, at)
        if made.tag.is_private and number & 0xFF00:
            made.private_creator = "ACME"
        if not elem.is_raw:  # Specific Character Set: decoded by the parser
            made.value  # noqa: B018
        assert {slot: getattr(elem, slot) for slot in slots} == \
            {slot: getattr(made, slot) for slot in slots}, elem
        assert elem.tag is made.tag
    assert ds[0x00091001].private_creator == "ACME"
