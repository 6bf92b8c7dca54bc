"""Element and item headers of one encoding, in both directions.

PS3.5 7.1 and 7.5: an implicit-VR header is the tag (group and element, 16 bits each) and a
32-bit length; an explicit-VR header is the tag, two VR characters and a 16-bit length, or,
for the VRs in `vr.LONG_LENGTH_VRS`, two reserved bytes and a 32-bit length. Item and
delimiter headers (group FFFE) are a tag and a 32-bit length in every encoding. The reader
decodes with `HeaderCodec.decode` and the writer encodes with `HeaderCodec.encode`: one codec,
so the two cannot disagree on a header's form.

>>> codec = HeaderCodec(implicit=False, little=True)
>>> raw = codec.encode(0x00100010, "PN", 8)
>>> raw.hex(" ")
'10 00 10 00 50 4e 08 00'
>>> codec.decode(raw, 0)
(1048592, 'PN', 8, 8)
"""

from __future__ import annotations

from functools import cache
from struct import Struct

from .vr import LONG_LENGTH_VRS, VALID_VRS

__all__ = ["HeaderCodec", "header_codec", "UNDEFINED_LENGTH", "ITEM_HEADER_SIZE",
           "EXPLICIT_LE_HEADER", "IMPLICIT_LE_HEADER", "SHORT_LENGTH_VRS",
           "SHORT_LENGTH_VR_CODES"]

UNDEFINED_LENGTH = 0xFFFFFFFF
ITEM_HEADER_SIZE = 8

SHORT_LENGTH_VRS = {vr.encode(): vr for vr in VALID_VRS if vr not in LONG_LENGTH_VRS}
"""The VR bytes of an explicit-VR header with a 16-bit length, and their VR."""
_SHORT_VR_BYTES = {vr: vr_bytes for vr_bytes, vr in SHORT_LENGTH_VRS.items()}
EXPLICIT_LE_HEADER = Struct("<HHHH")
"""Group, element, VR and 16-bit length of an explicit VR little endian header, the VR's
two bytes as one number (`SHORT_LENGTH_VR_CODES`: an int is looked up without the bytes
object and its hash): the parser unpacks the common header (a short-length VR) with it in
its loop, saving a call per element; `HeaderCodec.decode` reads every other."""
IMPLICIT_LE_HEADER = Struct("<HHL")
"""Group, element and 32-bit length of an implicit VR little endian header (the parser's
run loop unpacks it itself, as `EXPLICIT_LE_HEADER`)."""
SHORT_LENGTH_VR_CODES = {int.from_bytes(vr_bytes, "little"): vr
                         for vr_bytes, vr in SHORT_LENGTH_VRS.items()}
"""`SHORT_LENGTH_VRS` by the VR bytes read as a little endian number."""
_LONG_VRS = {vr.encode(): vr for vr in LONG_LENGTH_VRS}


class HeaderCodec:
    """Headers of implicit or explicit VR, little or big endian.

    `decode(buf, pos)` returns `(tag, vr, length, size)`:

    - `vr` is None for implicit VR and for items and delimiters (group FFFE), the VR as a
      str for a known explicit VR, and the two VR bytes as `bytes` for an unknown one (whose
      length is then read in the short form);
    - `size` is the header's size in bytes: 8, or 12 for a long-length explicit VR. When
      fewer than `size` bytes are left in `buf` after `pos`, `length` is 0 and the caller
      must treat the header as cut short. At least 8 bytes must be available.
    """

    __slots__ = ("implicit", "little", "decode", "_tag_length", "_explicit", "_length",
                 "_pack_tag_length", "_pack_short", "_pack_long")

    def __init__(self, implicit: bool, little: bool) -> None:
        self.implicit = implicit
        self.little = little
        order = "<" if little else ">"
        self._tag_length = Struct(order + "HHL").unpack_from
        self._explicit = Struct(order + "HH2sH").unpack_from
        self._length = Struct(order + "L").unpack_from
        self._pack_tag_length = Struct(order + "HHL").pack
        self._pack_short = Struct(order + "HH2sH").pack
        self._pack_long = Struct(order + "HH2sHL").pack
        self.decode = self._decode_implicit if implicit else self._decode_explicit

    def _decode_implicit(self, buf: bytes, pos: int) -> tuple[int, str | bytes | None, int, int]:
        group, elem, length = self._tag_length(buf, pos)
        return group << 16 | elem, None, length, 8

    def _decode_explicit(self, buf: bytes, pos: int) -> tuple[int, str | bytes | None, int, int]:
        group, elem, vr_bytes, length = self._explicit(buf, pos)
        if group == 0xFFFE:
            return group << 16 | elem, None, self._length(buf, pos + 4)[0], 8
        vr = SHORT_LENGTH_VRS.get(vr_bytes)
        if vr is not None:
            return group << 16 | elem, vr, length, 8
        vr = _LONG_VRS.get(vr_bytes)
        if vr is None:
            return group << 16 | elem, vr_bytes, length, 8
        if len(buf) - pos < 12:
            return group << 16 | elem, vr, 0, 12
        return group << 16 | elem, vr, self._length(buf, pos + 8)[0], 12

    def encode(self, tag: int, vr: str, length: int) -> bytes:
        """The header of an element; a value too long for a short-length VR is written
        with the header of UN (PS3.5 6.2.2)."""
        if self.implicit:
            return self._pack_tag_length(tag >> 16, tag & 0xFFFF, length)
        vr_bytes = _SHORT_VR_BYTES.get(vr)
        if vr_bytes is not None and length <= 0xFFFF:
            return self._pack_short(tag >> 16, tag & 0xFFFF, vr_bytes, length)
        if vr in LONG_LENGTH_VRS:
            return self._pack_long(tag >> 16, tag & 0xFFFF, vr.encode(), 0, length)
        if length > 0xFFFF:
            return self._pack_long(tag >> 16, tag & 0xFFFF, b"UN", 0, length)
        return self._pack_short(tag >> 16, tag & 0xFFFF, vr.encode()[:2].ljust(2), length)

    def encode_item(self, tag: int, length: int) -> bytes:
        """An item or delimiter header (tag and 32-bit length in every encoding)."""
        return self._pack_tag_length(tag >> 16, tag & 0xFFFF, length)

    def decode_item(self, buf: bytes, pos: int) -> tuple[int, int]:
        """(tag, length) of an item or delimiter header; 8 bytes must be available."""
        group, elem, length = self._tag_length(buf, pos)
        return group << 16 | elem, length


@cache
def header_codec(implicit: bool, little: bool) -> HeaderCodec:
    """The shared codec of one encoding: codecs hold no state, and making one compiles six
    structs, which the reader and writer would otherwise do for every data set."""
    return HeaderCodec(implicit, little)
