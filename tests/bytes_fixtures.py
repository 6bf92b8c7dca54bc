"""Building blocks for byte fixtures, written from PS3.5 7.1 and 7.5 and not from dicomcore.

Fixtures in the tests are annotated byte lists (one line per header field, as dicom-rs's
tests are); these helpers build the same headers where a fixture is generated (three
encodings of one table, nesting a hundred levels deep). `summary` turns a data set read by
dicomcore or by pydicom into plain Python values so that the two can be compared.
"""

from __future__ import annotations

import struct
from typing import Any

# PS3.5 Table 7.1-1: explicit VR headers with two reserved bytes and a 32-bit length.
LONG_HEADER_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR",
                             "UT", "UV"})
# The size of the numbers each VR holds: what a change of byte order reverses (PS3.5 7.3).
NUMBER_WIDTH = {"US": 2, "SS": 2, "OW": 2, "AT": 2, "UL": 4, "SL": 4, "FL": 4, "OF": 4,
                "OL": 4, "FD": 8, "OD": 8, "SV": 8, "UV": 8, "OV": 8}
UNDEFINED = 0xFFFFFFFF


def header(tag: int, vr: str | None, length: int, *, implicit: bool, little: bool) -> bytes:
    """The header of one data element (PS3.5 7.1.1-7.1.3)."""
    order = "<" if little else ">"
    group, elem = tag >> 16, tag & 0xFFFF
    if implicit or vr is None:
        return struct.pack(order + "HHL", group, elem, length)
    if vr in LONG_HEADER_VRS:
        return struct.pack(order + "HH2s2xL", group, elem, vr.encode(), length)
    return struct.pack(order + "HH2sH", group, elem, vr.encode(), length)


def element(tag: int, vr: str, value: bytes, *, implicit: bool = False,
            little: bool = True) -> bytes:
    """One element with a defined length: header and value as given."""
    return header(tag, vr, len(value), implicit=implicit, little=little) + value


def item(content: bytes, *, undefined: bool = False, little: bool = True) -> bytes:
    """An item (FFFE,E000) holding `content`; undefined length ends with (FFFE,E00D)."""
    order = "<" if little else ">"
    if undefined:
        return (struct.pack(order + "HHL", 0xFFFE, 0xE000, UNDEFINED) + content +
                struct.pack(order + "HHL", 0xFFFE, 0xE00D, 0))
    return struct.pack(order + "HHL", 0xFFFE, 0xE000, len(content)) + content


def sequence(tag: int, items: list[bytes], *, undefined: bool = False, implicit: bool = False,
             little: bool = True) -> bytes:
    """A sequence element holding already encoded items; undefined length ends with
    (FFFE,E0DD)."""
    body = b"".join(items)
    if undefined:
        return (header(tag, "SQ", UNDEFINED, implicit=implicit, little=little) + body +
                struct.pack(("<" if little else ">") + "HHL", 0xFFFE, 0xE0DD, 0))
    return header(tag, "SQ", len(body), implicit=implicit, little=little) + body


def swap(vr: str, value: bytes) -> bytes:
    """The value in the other byte order: each number of the VR's width reversed."""
    width = NUMBER_WIDTH.get(vr, 1)
    return b"".join(value[i:i + width][::-1] for i in range(0, len(value), width))


def plain(value: Any) -> Any:
    """A value as plain Python data, whichever library decoded it."""
    name = type(value).__name__
    if name in ("MultiValue", "list", "tuple"):
        return [plain(v) for v in value]
    if name in ("IS", "DS", "ISfloat", "DSfloat", "DSdecimal"):
        return float(value)
    if name == "PersonName":
        return str(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    return value


def summary(ds: Any) -> dict[int, tuple[str, Any]]:
    """{tag: (VR, value)} of a data set, items of sequences as summaries too."""
    out: dict[int, tuple[str, Any]] = {}
    for elem in ds:
        if elem.VR == "SQ":
            out[int(elem.tag)] = ("SQ", [summary(i) for i in elem.value])
        else:
            out[int(elem.tag)] = (elem.VR, plain(elem.value))
    return out
