"""Build large multi-frame test files without holding them in memory.

The header is encoded by hand here (explicit VR little endian), independent of the library
under test; the pixel data is made sparse with `truncate`, so a 1 GiB file costs no disk.
"""

from __future__ import annotations

import struct
from pathlib import Path

_LONG = {"OB", "OW", "OF", "SQ", "UT", "UN"}


def element(tag: int, vr: str, value: bytes) -> bytes:
    if len(value) % 2:
        value += b"\0" if vr in ("UI", "OB") else b" "
    head = struct.pack("<HH2s", tag >> 16, tag & 0xFFFF, vr.encode())
    if vr in _LONG:
        return head + struct.pack("<HL", 0, len(value)) + value
    return head + struct.pack("<H", len(value)) + value


def item(content: bytes) -> bytes:
    return struct.pack("<HHL", 0xFFFE, 0xE000, len(content)) + content


def header(pixel_length: int, frames: int, rows: int, columns: int) -> bytes:
    """Preamble, meta and data set up to and including the Pixel Data header."""
    sop_class = b"1.2.840.10008.5.1.4.1.1.7.2"
    sop_instance = b"1.2.826.0.1.3680043.2.1125.1.99999"
    meta_body = b"".join([
        element(0x00020001, "OB", b"\0\1"),
        element(0x00020002, "UI", sop_class),
        element(0x00020003, "UI", sop_instance),
        element(0x00020010, "UI", b"1.2.840.10008.1.2.1"),
    ])
    meta = element(0x00020000, "UL", struct.pack("<L", len(meta_body))) + meta_body
    seq_item = item(element(0x00081150, "UI", b"1.2.3.4") + element(0x00081155, "UI", b"1.2.3.5"))
    body = b"".join([
        element(0x00080005, "CS", b"ISO_IR 100"),
        element(0x00080016, "UI", sop_class),
        element(0x00080018, "UI", sop_instance),
        element(0x00080060, "CS", b"OT"),
        element(0x00081140, "SQ", seq_item),
        element(0x00100010, "PN", b"Big^File"),
        element(0x00100020, "LO", b"BIG-1"),
        element(0x0020000D, "UI", b"1.2.826.0.1.3680043.2.1125.1.99998"),
        element(0x0020000E, "UI", b"1.2.826.0.1.3680043.2.1125.1.99997"),
        element(0x00200013, "IS", b"1"),
        element(0x00280002, "US", struct.pack("<H", 1)),
        element(0x00280004, "CS", b"MONOCHROME2"),
        element(0x00280008, "IS", str(frames).encode()),
        element(0x00280010, "US", struct.pack("<H", rows)),
        element(0x00280011, "US", struct.pack("<H", columns)),
        element(0x00280100, "US", struct.pack("<H", 8)),
        element(0x00280101, "US", struct.pack("<H", 8)),
        element(0x00280102, "US", struct.pack("<H", 7)),
        element(0x00280103, "US", struct.pack("<H", 0)),
    ])
    pixel_header = struct.pack("<HH2sHL", 0x7FE0, 0x0010, b"OB", 0, pixel_length)
    return b"\0" * 128 + b"DICM" + meta + body + pixel_header


def write_multiframe(path: Path, size: int = 1 << 30, rows: int = 1024, columns: int = 1024,
                     sparse: bool = True) -> int:
    """Write a multi-frame 8-bit file of about `size` bytes; return the pixel length.

    A sparse file costs no disk; `sparse=False` writes every pixel byte (a repeating ramp),
    for benchmarks where the file system must not be able to skip the holes."""
    frames = max(size // (rows * columns), 1)
    pixel_length = frames * rows * columns
    head = header(pixel_length, frames, rows, columns)
    with open(path, "wb") as fp:
        fp.write(head)
        if not sparse:
            frame = bytes(range(256)) * (rows * columns // 256)
            for _ in range(frames):
                fp.write(frame)
            return pixel_length
        # A recognisable last frame byte, so a copy can be checked at both ends.
        fp.truncate(len(head) + pixel_length - 1)
        fp.seek(0, 2)
        fp.write(b"\x7f")
    return pixel_length
