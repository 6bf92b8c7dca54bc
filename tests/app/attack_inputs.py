"""Hostile inputs, built byte by byte: deflate bombs, element floods, wide sequences.

Shared by the unit tests (small sizes, `make test`) and `tests/app/attack.py` (full sizes,
`make attack`). Every builder takes its size as an argument and returns bytes or writes to
a file, so neither holds more than the attack needs.
"""

from __future__ import annotations

import struct
import zlib

EXPLICIT_LE = "1.2.840.10008.1.2.1"
DEFLATED = "1.2.840.10008.1.2.1.99"
SOP_CLASS = "1.2.840.10008.5.1.4.1.1.7"  # Secondary Capture


def element(tag: int, vr: str, value: bytes) -> bytes:
    """One explicit VR little endian element (value padded to even length)."""
    if len(value) % 2:
        value += b"\0" if vr in ("UI", "OB") else b" "
    if vr in ("OB", "OW", "SQ", "UN", "UT", "UC", "UR", "OD", "OF", "OL", "OV", "SV", "UV"):
        return struct.pack("<HH2sHI", tag >> 16, tag & 0xFFFF, vr.encode(), 0, len(value)) + value
    return struct.pack("<HH2sH", tag >> 16, tag & 0xFFFF, vr.encode(), len(value)) + value


def file_meta(transfer_syntax: str, sop_instance: str = "1.2.3.4") -> bytes:
    """Preamble, DICM and a file meta group for `transfer_syntax`."""
    body = (element(0x00020001, "OB", b"\0\1") + element(0x00020002, "UI", SOP_CLASS.encode())
            + element(0x00020003, "UI", sop_instance.encode())
            + element(0x00020010, "UI", transfer_syntax.encode()))
    return (b"\0" * 128 + b"DICM" + element(0x00020000, "UL", struct.pack("<I", len(body)))
            + body)


def header_elements(sop_instance: str = "1.2.3.4") -> bytes:
    """The few top-level elements every test instance has (SOP class and instance, patient)."""
    return (element(0x00080016, "UI", SOP_CLASS.encode())
            + element(0x00080018, "UI", sop_instance.encode())
            + element(0x00100010, "PN", b"Muller^Jurgen"))


def deflate_bomb(inflated_bytes: int, sop_instance: str = "1.2.3.4") -> bytes:
    """A deflated file whose data set inflates to about `inflated_bytes`: a few real elements,
    then OB values of zeros (at most 1 GiB each) in private group 0011 (1,000:1 and better)."""
    deflater = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    parts = [deflater.compress(header_elements(sop_instance))]
    zeros = bytes(1 << 20)
    left = max(inflated_bytes - 200, 0)
    element_number = 0x1000
    while left:
        value = min(left, 1 << 30)
        parts.append(deflater.compress(struct.pack("<HH2sHI", 0x0011, element_number, b"OB",
                                                   0, value)))
        element_number += 1
        left -= value
        while value:
            piece = min(value, len(zeros))
            parts.append(deflater.compress(zeros[:piece]))
            value -= piece
    parts.append(deflater.flush())
    return file_meta(DEFLATED, sop_instance) + b"".join(parts)


def element_flood(count: int, sop_instance: str = "1.2.3.4", deflated: bool = False) -> bytes:
    """A file of `count` tiny distinct elements (10 bytes each: an SH of two characters) in
    groups no dictionary knows, after the usual header."""
    body = bytearray(header_elements(sop_instance))
    pack = struct.Struct("<HH2sH2s").pack
    for i in range(count):
        body += pack(0x0100 + 2 * (i >> 16), i & 0xFFFF, b"SH", 2, b"A ")
    if deflated:
        deflater = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
        return file_meta(DEFLATED, sop_instance) + deflater.compress(body) + deflater.flush()
    return file_meta(EXPLICIT_LE, sop_instance) + bytes(body)


def wide_sequence(items: int, sop_instance: str = "1.2.3.4") -> bytes:
    """A file with a sequence of `items` items of one element each (Referenced Image
    Sequence, items holding a Referenced SOP Instance UID)."""
    item_body = element(0x00081155, "UI", b"1.2.3")
    item = struct.pack("<HHI", 0xFFFE, 0xE000, len(item_body)) + item_body
    value = item * items
    sequence = struct.pack("<HH2sHI", 0x0008, 0x1140, b"SQ", 0, len(value)) + value
    return file_meta(EXPLICIT_LE, sop_instance) + header_elements(sop_instance) + sequence

