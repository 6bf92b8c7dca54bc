"""Encapsulated pixel data (PS3.5 A.4): the basic offset table, fragments and frames.

The value of an encapsulated Pixel Data element, as the reader keeps it, is every byte
between its header and the sequence delimiter: a first item holding the basic offset table
(possibly empty), then one item per fragment. Nothing here decodes images.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

from .errors import InvalidDicomError

__all__ = ["iter_items", "basic_offset_table", "fragments", "frames"]

_ITEM = (0xFFFE, 0xE000)


def iter_items(value: bytes) -> Iterator[tuple[int, bytes]]:
    """(offset, content) of each item, the offset table first."""
    pos = 0
    while pos + 8 <= len(value):
        group, elem, length = struct.unpack_from("<HHL", value, pos)
        if (group, elem) == (0xFFFE, 0xE0DD):
            return
        if (group, elem) != _ITEM:
            raise InvalidDicomError(f"expected an item tag in encapsulated pixel data, found "
                                    f"({group:04X},{elem:04X})", pos, group << 16 | elem)
        end = pos + 8 + length
        if end > len(value):
            raise InvalidDicomError("a fragment runs past the end of the pixel data", pos,
                                    0xFFFEE000)
        yield pos, value[pos + 8:end]
        pos = end
    if pos != len(value):
        raise InvalidDicomError("encapsulated pixel data ends inside an item header", pos)


def basic_offset_table(value: bytes) -> list[int]:
    """The offsets of the first fragment of each frame, relative to the first fragment's
    item tag; empty when the table is empty."""
    for _, table in iter_items(value):
        return list(struct.unpack(f"<{len(table) // 4}L", table[: len(table) // 4 * 4]))
    return []


def fragments(value: bytes) -> list[bytes]:
    """The fragments, without the offset table."""
    items = iter_items(value)
    next(items, None)
    return [content for _, content in items]


def frames(value: bytes, number_of_frames: int = 1) -> list[bytes]:
    """The bytes of each frame: by the offset table when there is one, else one fragment per
    frame when the counts agree, else all fragments as one frame."""
    items = list(iter_items(value))
    if not items:
        return []
    table = basic_offset_table(value)
    data = items[1:]
    if table:
        start = data[0][0] if data else 0
        starts = [start + offset for offset in table]
        result = []
        for i, first in enumerate(starts):
            last = starts[i + 1] if i + 1 < len(starts) else len(value) + 1
            result.append(b"".join(c for pos, c in data if first <= pos < last))
        return result
    if len(data) == number_of_frames:
        return [c for _, c in data]
    if number_of_frames == 1:
        return [b"".join(c for _, c in data)]
    raise ValueError(f"{len(data)} fragments and no offset table: cannot tell the "
                     f"{number_of_frames} frames apart")
