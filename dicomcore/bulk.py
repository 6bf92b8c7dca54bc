"""Where the bytes of one value are: to serve a value, or a range of it, without decoding it.

`bulk_span(ds, path)` names an element by a path of `element_paths` (`"7FE00010"`,
`"00081140/0/00091001"`) and answers with a `BulkSpan`:

- a value as read and left on disk (`defer_size`): its `offset` and `length`, `data` None;
  `chunks()` reads it (or a range of it) from where the reader found it;
- a value as read and held in memory: the same `offset` and `length`, and its bytes in `data`;
- a value changed since reading (or never read): `offset` None, and in `data` its bytes
  encoded little endian in its data set's character set, padded to even length.

`chunks()` gives the bytes as bulk data carries them: little endian (PS3.18 8.7.3.3.1), as
the DICOM JSON model does. A big endian file's value of numbers (OW, OF, OL, OD, OV, US,
FL, ...: the span's `swap_width`, `values.little_endian_width`) is swapped number by number
on the way out, a range of it included (the whole numbers around the range are read, swapped
and cut), in pieces of at most the chunk size; bytes and text (OB, UN, encapsulated pixel
data) are given as stored. `data` and the file keep the stored order (`little_endian`).

Offsets count from the start of the stream the data set was parsed from: the file, or for a
deflated transfer syntax the inflated data set (which `chunks()` reads from). A path that names
no element raises KeyError; a sequence has items, not bytes: ValueError.

>>> span = bulk_span(dcmread("CT_small.dcm"), "7FE00010")     # doctest: +SKIP
>>> span.offset, span.length                                  # doctest: +SKIP
(6300, 32768)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from .charset import python_encodings
from .dataset import Dataset
from .deferred import CHUNK_SIZE, DeferredValue
from .json import element_at_path
from .tag import SPECIFIC_CHARACTER_SET
from .values import encode_value, little_endian_width, pad, swap_bytes, unchanged_raw

__all__ = ["BulkSpan", "bulk_span"]


@dataclass(frozen=True)
class BulkSpan:
    """The location (`offset`, `length`) and, when in memory, the bytes (`data`) of a value;
    the byte order of those bytes (`little_endian`) and the width of the numbers `chunks()`
    swaps to give them little endian (`swap_width`; 0: none)."""

    length: int
    offset: int | None = None
    data: bytes | None = None
    deferred: DeferredValue | None = field(default=None, repr=False)
    little_endian: bool = True
    swap_width: int = 0

    def chunks(self, start: int = 0, end: int | None = None, chunk_size: int = CHUNK_SIZE
               ) -> Iterator[bytes]:
        """The bytes from `start` to `end` (exclusive; default: the end), little endian, in
        pieces of at most `chunk_size` (or one number, when that is larger)."""
        end = self.length if end is None else min(end, self.length)
        width = self.swap_width
        if not width:
            yield from self.stored_chunks(start, end, chunk_size)
            return
        if start >= end:
            return
        # Whole numbers only are swapped: the window of those around the range, then cut.
        first = start - start % width
        last = min(end + -end % width, self.length)
        step = max(chunk_size - chunk_size % width, width)
        swapped = _swapped(self.stored_chunks(first, last, step), width, step)
        yield from _cut(swapped, start - first, end - start)

    def stored_chunks(self, start: int = 0, end: int | None = None,
                      chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        """The bytes from `start` to `end` as stored, in pieces of at most `chunk_size`:
        sliced from `data`, or read from the file for a deferred value."""
        end = self.length if end is None else min(end, self.length)
        if start >= end:
            return
        if self.data is not None:
            for position in range(start, end, chunk_size):
                yield self.data[position:min(position + chunk_size, end)]
            return
        assert self.deferred is not None
        yield from self.deferred.source.iter_chunks(self.deferred.offset + start, end - start,
                                                    chunk_size)


def _swapped(pieces: Iterator[bytes], width: int, step: int) -> Iterator[bytes]:
    """`pieces` (which start at a number's start) swapped number by number, regrouped in
    pieces of `step` bytes (a multiple of `width`): a read may end inside a number. A tail
    shorter than a number (at the value's end) stays as it is, as `swap_bytes` leaves it."""
    pending = bytearray()
    for piece in pieces:
        pending += piece
        while len(pending) >= step:
            yield swap_bytes(bytes(pending[:step]), width)
            del pending[:step]
    if pending:
        yield swap_bytes(bytes(pending), width)


def _cut(pieces: Iterator[bytes], skip: int, count: int) -> Iterator[bytes]:
    """`count` bytes of `pieces` after the first `skip`."""
    for piece in pieces:
        if skip >= len(piece):
            skip -= len(piece)
            continue
        piece = piece[skip:skip + count]
        skip = 0
        count -= len(piece)
        if piece:
            yield piece
        if count <= 0:
            return


def bulk_span(ds: Dataset, path: str) -> BulkSpan:
    """Where the value the path names is (see the module docstring)."""
    elem = element_at_path(ds, path)
    if elem.VR == "SQ":
        raise ValueError(f"{path} is a sequence: it has items, not a value of bytes")
    raw = unchanged_raw(elem)
    order = (elem.is_little_endian, little_endian_width(elem))
    if isinstance(raw, DeferredValue):
        return BulkSpan(raw.length, raw.offset, None, raw, *order)
    if raw is not None:
        return BulkSpan(len(raw), elem.file_tell, bytes(raw), None, *order)
    data = pad(elem.VR, encode_value(elem.VR, elem.value, True, _encodings_at(ds, path)))
    return BulkSpan(len(data), None, data)


def _encodings_at(ds: Dataset, path: str) -> tuple[str, ...]:
    """The character set in force for the element at `path`: the innermost data set on the
    way down that has a Specific Character Set decides."""
    parts = path.strip("/").split("/")
    encodings = _own_encodings(ds, python_encodings(None))
    for depth in range(1, len(parts), 2):
        sequence = element_at_path(ds, "/".join(parts[:depth]))
        encodings = _own_encodings(sequence.value[int(parts[depth])], encodings)
    return encodings


def _own_encodings(ds: Dataset, inherited: tuple[str, ...]) -> tuple[str, ...]:
    elem = ds.get_item(SPECIFIC_CHARACTER_SET)
    return inherited if elem is None else python_encodings(elem.value)
