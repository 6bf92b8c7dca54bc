"""Parse encoded data sets into `Dataset`s: element headers, sequences, items, fragments.

The contract, for each element at the current position:
1. the header is unpacked for the data set's encoding (implicit or explicit VR, byte order);
2. `stop_when(tag, VR, length)`, at the top level only, may end reading before the value;
3. the value is read into memory, left on disk (`defer_size`) or parsed (SQ, encapsulated
   pixel data), and the element is stored undecoded: values are decoded on first access.

What it recovers from, always with a warning: a file that ends inside a value or sequence
(what was read is kept), an explicit-VR data set that is really implicit, a stray sequence
delimiter. What it refuses with `InvalidDicomError` (naming the offset and tag): a header cut
in the middle, a value longer than the item or sequence that holds it, an item tag where an
element belongs (or the reverse), an undefined length on a VR that cannot have one, and
nesting deeper than `MAX_DEPTH`. An item longer than its sequence is read whole with a
warning, as pydicom and dcmtk do. Knows nothing about files, preambles or file meta.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from struct import Struct
from typing import Any

from . import dictionary
from ._dicomdict import DICTIONARY
from .charset import python_encodings
from .dataelem import DataElement
from .dataset import Dataset, resolve_ambiguous_vr
from .deferred import DeferredSource, DeferredValue
from .errors import DicomWarning, InvalidDicomError, TruncatedFileWarning
from .limits import MAX_DEPTH
from .sequence import Sequence
from .stream import ByteStream
from .tag import (
    ITEM,
    ITEM_DELIMITER,
    PIXEL_DATA,
    SEQUENCE_DELIMITER,
    SPECIFIC_CHARACTER_SET,
    BaseTag,
    Tag,
)
from .vr import AMBIGUOUS_VRS, LONG_LENGTH_VRS, VALID_VRS

__all__ = ["DatasetParser", "StopWhen"]

StopWhen = Callable[[BaseTag, "str | None", int], bool]

UNDEFINED = 0xFFFFFFFF
_VR_BY_BYTES = {vr.encode(): vr for vr in VALID_VRS}
_LONG_VRS = frozenset(vr.encode() for vr in LONG_LENGTH_VRS)


def _implicit_vr(tag: int) -> str:
    """The VR an implicit-VR element has, from the dictionary (UN when unknown)."""
    entry = DICTIONARY.get(tag)
    if entry is not None:
        return entry[0]
    if tag >> 16 & 1:
        if 0x0010 <= tag & 0xFFFF <= 0x00FF:
            return "LO"
        return "UL" if tag & 0xFFFF == 0 else "UN"
    try:
        return dictionary.dictionary_VR(tag)
    except KeyError:
        return "UL" if tag & 0xFFFF == 0 else "UN"


def _looks_explicit(vr: bytes) -> bool:
    return 0x40 < vr[0] < 0x5B and 0x40 < vr[1] < 0x5B


class DatasetParser:
    """Reads data sets from a `ByteStream` in one byte order; see the module docstring."""

    def __init__(self, stream: ByteStream, is_little_endian: bool, defer_size: int | None = None,
                 source: DeferredSource | None = None) -> None:
        self.stream = stream
        self.little = is_little_endian
        self.defer_size = defer_size
        self.source = source
        order = "<" if is_little_endian else ">"
        self._implicit_header = Struct(order + "HHL").unpack_from
        self._explicit_header = Struct(order + "HH2sH").unpack_from
        self._long_length = Struct(order + "L").unpack_from
        self._item_header = self._implicit_header

    # -- data sets -----------------------------------------------------------------------

    def read_dataset(self, implicit: bool, end: int | None = None, depth: int = 0,
                     encodings: tuple[str, ...] = ("iso8859",),
                     stop_when: StopWhen | None = None,
                     ancestors: tuple[Dataset, ...] = ()) -> Dataset:
        """Read elements until `end` (absolute offset), an item delimiter (`end` None inside
        an undefined-length item), the end of the data, or `stop_when`."""
        if depth > MAX_DEPTH:
            raise InvalidDicomError(f"sequences nested deeper than {MAX_DEPTH} levels",
                                    self.stream.pos)
        stream = self.stream
        ds = Dataset()
        elements = ds._dict
        in_item = depth > 0
        ambiguous: list[DataElement] = []
        if not implicit:
            implicit = self._detect_implicit(in_item, end)
            if implicit and in_item:
                ds.is_implicit_VR = True  # the writer keeps the item implicit
        implicit_header = self._implicit_header
        explicit_header = self._explicit_header
        long_length = self._long_length
        vr_by_bytes = _VR_BY_BYTES
        long_vrs = _LONG_VRS
        little = self.little
        defer_size = self.defer_size
        make = DataElement.from_raw
        # For a group length element: (group, where its group's elements start).
        group_length_at: tuple[int, int] | None = None
        group_sizes: dict[int, int] = {}
        while True:
            pos = stream.pos
            if group_length_at is not None and (
                    (end is not None and pos >= end) or stream.fill(2) < 2 or
                    stream.buf[pos - stream.base:pos - stream.base + 2] !=
                    group_length_at[0].to_bytes(2, "little" if little else "big")):
                # The writer keeps a group length as read while its group is unchanged.
                group_sizes[group_length_at[0]] = pos - group_length_at[1]
                group_length_at = None
            if end is not None and pos >= end:
                break
            buf = stream.buf
            p = pos - stream.base
            if len(buf) - p < 12:
                got = stream.fill(12)
                buf = stream.buf
                p = 0
                if got < 8:
                    if got == 0:
                        if in_item and end is None:
                            self._truncated(pos, None, "item has no delimiter")
                        elif end is not None and (stream.size is None or end > stream.size):
                            self._truncated(pos, None, "the data set is shorter than its length")
                        break
                    if in_item or got >= 4:
                        self._truncated(pos, None, f"only {got} bytes left for a header")
                    break
            if implicit:
                group, elem, length = implicit_header(buf, p)
                header = 8
                vr = None
            else:
                group, elem, vr_bytes, length = explicit_header(buf, p)
                if group == 0xFFFE:
                    length = long_length(buf, p + 4)[0]
                    header = 8
                    vr = None
                else:
                    vr = vr_by_bytes.get(vr_bytes)
                    if vr_bytes in long_vrs:
                        if len(buf) - p < 12:
                            self._truncated(pos, group << 16 | elem, "header cut short")
                            break
                        length = long_length(buf, p + 8)[0]
                        header = 12
                    else:
                        header = 8
            tag = group << 16 | elem
            if group == 0xFFFE:
                if tag == ITEM_DELIMITER:
                    stream.skip(8)
                    if in_item and end is None:
                        break
                    warnings.warn(f"item delimiter outside an undefined-length item at offset "
                                  f"{pos}: ignored", DicomWarning, stacklevel=2)
                    continue
                if tag == SEQUENCE_DELIMITER:
                    if in_item and end is None:
                        # An undefined-length item closed by its sequence's delimiter.
                        warnings.warn(f"item without delimiter ends at the sequence delimiter "
                                      f"at offset {pos}", DicomWarning, stacklevel=2)
                        break
                    stream.skip(8)
                    warnings.warn(f"stray sequence delimiter at offset {pos}: ignored",
                                  DicomWarning, stacklevel=2)
                    continue
                raise InvalidDicomError("item tag where a data element belongs", pos, tag)
            if stop_when is not None:
                if stop_when(BaseTag(tag), vr, length):
                    break
            if implicit:
                vr = _implicit_vr(tag)
            elif vr is None:
                vr = self._odd_vr(vr_bytes, pos, tag)
                odd_vr = vr_bytes.decode("latin-1")
            else:
                odd_vr = None
            value_pos = pos + header
            stream.pos = value_pos
            if length == UNDEFINED:
                elem_obj = self._undefined_length(tag, vr, implicit, value_pos, depth, encodings,
                                                  (ds, *ancestors))
            elif vr == "SQ" or (vr == "UN" and self._un_is_sequence(tag, length)):
                value_end = value_pos + length
                self._check_fits(value_end, end, pos, tag)
                seq = self.read_sequence(implicit or vr == "UN", value_end, depth + 1, encodings,
                                         (ds, *ancestors))
                elem_obj = make(tag, "SQ", None, little, encodings, value_pos, False)
                elem_obj._value = seq
                if vr == "UN":
                    elem_obj.raw_VR = "UN"
                stream.seek(max(value_end, stream.pos) if stream.size is None
                            else min(max(value_end, stream.pos), stream.size))
            else:
                value_end = value_pos + length
                self._check_fits(value_end, end, pos, tag)
                if (defer_size is not None and length > defer_size and self.source is not None
                        and tag != SPECIFIC_CHARACTER_SET):
                    skipped = stream.skip(length)
                    raw: Any = DeferredValue(self.source, value_pos, skipped)
                    if skipped < length:
                        self._truncated(pos, tag, f"value of {length} bytes has {skipped}")
                else:
                    raw = stream.take(length) if length else b""
                    if len(raw) < length:
                        self._truncated(pos, tag, f"value of {length} bytes has {len(raw)}")
                if vr == "UN" and length < 0xFFFF:
                    # A UN whose VR is known after all (pydicom does the same): private
                    # creators are LO, other private elements stay UN.
                    known = _known_vr(tag)
                    if known is not None:
                        elem_obj = make(tag, known, raw, little, encodings, value_pos, False)
                        elem_obj.raw_VR = "UN"
                        vr = known
                    else:
                        elem_obj = make(tag, vr, raw, little, encodings, value_pos, False)
                else:
                    elem_obj = make(tag, vr, raw, little, encodings, value_pos, False)
                if tag == SPECIFIC_CHARACTER_SET:
                    encodings = python_encodings(elem_obj.value)
                    elem_obj._encodings = encodings
            if not elem & 0xFFFF:
                group_length_at = (group, stream.pos)
            if not implicit and odd_vr is not None:
                elem_obj.raw_VR = odd_vr
            if elem_obj.VR in AMBIGUOUS_VRS:
                ambiguous.append(elem_obj)
            elements[tag] = elem_obj
            if stream.size is not None and stream.pos >= stream.size and end is None and in_item:
                self._truncated(stream.pos, tag, "item has no delimiter")
                break
        if group_length_at is not None:
            group_sizes[group_length_at[0]] = stream.pos - group_length_at[1]
        if group_sizes:
            ds.original_group_sizes = group_sizes
        if ambiguous:
            for elem_obj in ambiguous:
                resolve_ambiguous_vr(elem_obj, (ds, *ancestors))
        if depth == 0:
            ds.is_implicit_VR = implicit
        return ds

    def _detect_implicit(self, in_item: bool, end: int | None) -> bool:
        """PS3.5 7.1: an explicit-VR data set whose first element has no VR is implicit."""
        stream = self.stream
        if stream.fill(8) < 8 or (end is not None and stream.pos + 8 > end):
            return False
        p = stream.pos - stream.base
        group, _, vr, _ = self._explicit_header(stream.buf, p)
        if group == 0xFFFE:
            return False
        if _looks_explicit(vr):
            return False
        if not in_item:
            warnings.warn("the transfer syntax says explicit VR but the data set is encoded "
                          "with implicit VR: reading it as implicit VR", DicomWarning,
                          stacklevel=3)
        return True

    def _odd_vr(self, vr_bytes: bytes, pos: int, tag: int) -> str:
        text = vr_bytes.decode("latin-1")
        if not (_looks_explicit(vr_bytes) or vr_bytes == b"  "):
            raise InvalidDicomError(f"invalid VR bytes {vr_bytes!r} in an explicit-VR data set",
                                    pos, tag)
        warnings.warn(f"unknown VR {text!r} for {Tag(tag)} at offset {pos}: value kept as bytes",
                      DicomWarning, stacklevel=3)
        return "UN"

    def _un_is_sequence(self, tag: int, length: int) -> bool:
        """A UN element the dictionary knows as SQ holds implicit VR little endian items."""
        return not tag >> 16 & 1 and length < 0xFFFF and _known_vr(tag) == "SQ"

    def _check_fits(self, value_end: int, end: int | None, pos: int, tag: int) -> None:
        if end is not None and value_end > end:
            size = self.stream.size
            if size is not None and end > size:
                return  # the container itself runs past the end: a truncated file
            raise InvalidDicomError(f"value length runs {value_end - end} bytes past the end "
                                    f"of the item or sequence that holds it", pos, tag)

    def _truncated(self, pos: int, tag: int | None, what: str) -> None:
        where = f" in {Tag(tag)}" if tag is not None else ""
        warnings.warn(f"file truncated at offset {pos}{where}: {what}; kept what was read",
                      TruncatedFileWarning, stacklevel=3)

    # -- sequences -----------------------------------------------------------------------

    def read_sequence(self, implicit: bool, end: int | None, depth: int,
                      encodings: tuple[str, ...], ancestors: tuple[Dataset, ...]) -> Sequence:
        """Read items until `end` or, for undefined length (`end` None), the delimiter."""
        stream = self.stream
        seq = Sequence()
        seq.is_undefined_length = end is None
        append = list.append
        while True:
            pos = stream.pos
            if end is not None and pos >= end:
                break
            if stream.fill(8) < 8:
                self._truncated(pos, None, "sequence ends without its delimiter" if end is None
                                else "sequence is shorter than its length")
                break
            p = pos - stream.base
            group, elem, length = self._item_header(stream.buf, p)
            tag = group << 16 | elem
            if tag == ITEM:
                stream.skip(8)
                if length == UNDEFINED:
                    item = self.read_dataset(implicit, None, depth, encodings, None, ancestors)
                    item.is_undefined_length_sequence_item = True
                else:
                    item_end = pos + 8 + length
                    if end is not None and item_end > end:
                        # pydicom and dcmtk read such an item whole; so do we, and say so.
                        warnings.warn(f"item at offset {pos} runs {item_end - end} bytes past "
                                      f"the end of its sequence", DicomWarning, stacklevel=2)
                    item = self.read_dataset(implicit, item_end, depth, encodings, None,
                                             ancestors)
                    if stream.pos < item_end:
                        stream.seek(item_end if stream.size is None else
                                    min(item_end, stream.size))
                append(seq, item)
            elif tag == SEQUENCE_DELIMITER:
                stream.skip(8)
                if end is None:
                    break
                warnings.warn(f"sequence delimiter inside a defined-length sequence at offset "
                              f"{pos}: ignored", DicomWarning, stacklevel=2)
            elif tag == ITEM_DELIMITER and end is None:
                # A stray item delimiter between items: skip it as dcmtk does.
                stream.skip(8)
                warnings.warn(f"stray item delimiter at offset {pos}: ignored", DicomWarning,
                              stacklevel=2)
            else:
                raise InvalidDicomError(f"expected an item tag (FFFE,E000) in a sequence, found "
                                        f"{Tag(tag)}", pos, tag)
        return seq

    def _undefined_length(self, tag: int, vr: str, implicit: bool, value_pos: int, depth: int,
                          encodings: tuple[str, ...], ancestors: tuple[Dataset, ...]
                          ) -> DataElement:
        make = DataElement.from_raw
        if vr in ("OB", "OW", "OB or OW") or (tag == PIXEL_DATA and vr != "SQ"):
            raw = self.read_encapsulated(tag, value_pos)
            elem = make(tag, vr if vr in ("OB", "OW") else "OB", raw, self.little, encodings,
                        value_pos, True)
            if vr not in ("OB", "OW", "OB or OW"):
                elem.raw_VR = vr  # kept for the writer when it wrote e.g. UN
            return elem
        if vr == "SQ" or vr == "UN" or implicit:
            # PS3.5 6.2.2: an undefined-length UN holds implicit VR little endian items.
            seq = self.read_sequence(implicit or vr == "UN", None, depth + 1, encodings,
                                     ancestors)
            seq.is_undefined_length = True
            elem = make(tag, "SQ", None, self.little, encodings, value_pos, True)
            elem._value = seq
            if vr == "UN":
                elem.raw_VR = "UN"
            return elem
        raise InvalidDicomError(f"undefined length is not allowed for VR {vr}", value_pos - 12,
                                tag)

    def read_encapsulated(self, tag: int, value_pos: int) -> Any:
        """Walk the fragments of encapsulated pixel data; the value is every byte up to the
        sequence delimiter (items included), read or deferred."""
        stream = self.stream
        header = self._item_header
        while True:
            pos = stream.pos
            if stream.fill(8) < 8:
                self._truncated(pos, tag, "encapsulated pixel data has no sequence delimiter")
                value_end = pos + stream.available
                stream.skip(stream.available)
                break
            group, elem, length = header(stream.buf, pos - stream.base)
            item_tag = group << 16 | elem
            if item_tag == SEQUENCE_DELIMITER:
                value_end = pos
                stream.skip(8)
                break
            if item_tag != ITEM or length == UNDEFINED:
                raise InvalidDicomError(f"expected a fragment item (FFFE,E000) in encapsulated "
                                        f"pixel data, found {Tag(item_tag)}", pos, tag)
            stream.skip(8)
            skipped = stream.skip(length)
            if skipped < length:
                self._truncated(pos, tag, "a fragment is cut short")
                value_end = stream.pos
                break
        total = value_end - value_pos
        after = stream.pos
        if self.defer_size is not None and self.source is not None and total > self.defer_size:
            return DeferredValue(self.source, value_pos, total)
        stream.seek(value_pos)
        raw = stream.take(total)
        stream.seek(after)
        return raw


def _known_vr(tag: int) -> str | None:
    entry = DICTIONARY.get(tag)
    if entry is not None:
        return entry[0]
    if tag >> 16 & 1:
        return "LO" if 0x0010 <= tag & 0xFFFF <= 0x00FF else None
    try:
        return dictionary.dictionary_VR(tag)
    except KeyError:
        return None

