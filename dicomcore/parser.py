"""Parse encoded data sets into `Dataset`s: element headers, sequences, items, fragments.

The contract, for each element at the current position:
1. the header is decoded by the `header.HeaderCodec` of the data set's encoding;
2. a header of group FFFE is an item or delimiter: `_delimiter` decides what it ends;
3. `stop_when(tag, VR, length)`, at the top level only, may end reading before the value;
4. `_read_value` reads the value into memory, leaves it on disk (`defer_size`) or parses it
   (SQ, encapsulated pixel data); the element is stored undecoded: values are decoded on
   first access.

What it recovers from, always with a warning: a file that ends inside a value or sequence
(what was read is kept), an explicit-VR data set that is really implicit, a stray sequence
delimiter. What it refuses with `InvalidDicomError` (naming the offset and tag): a header cut
in the middle, a value longer than the item or sequence that holds it, an item tag where an
element belongs (or the reverse), an undefined length on a VR that cannot have one, and
nesting deeper than `limits.MAX_DEPTH`. More elements and items (at every depth together)
than `max_elements` is `limits.LimitExceeded`, raised as the first one too many is read. An
item longer than its sequence is read whole with a warning, as pydicom and dcmtk do. Knows
nothing about files, preambles or file meta.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from . import dictionary
from ._dicomdict import DICTIONARY
from .charset import DEFAULT_ENCODINGS, python_encodings
from .dataelem import _BASE_TAGS, _UNSET, DataElement, _base_tag
from .dataset import Dataset, resolve_ambiguous_vr
from .deferred import DeferredSource, DeferredValue
from .errors import DicomWarning, InvalidDicomError, TruncatedFileWarning
from .header import (
    EXPLICIT_LE_HEADER,
    IMPLICIT_LE_HEADER,
    ITEM_HEADER_SIZE,
    SHORT_LENGTH_VR_CODES,
    UNDEFINED_LENGTH,
    header_codec,
)
from .limits import MAX_DEPTH, LimitExceeded
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
    private_creator_tag,
)
from .vr import AMBIGUOUS_VRS, VALID_VRS

__all__ = ["DatasetParser", "StopWhen"]

StopWhen = Callable[[BaseTag, "str | None", int], bool]

_STRUCTURE_VRS = frozenset({"SQ", "UN"})  # values `_read_value` may have to parse
_END = True  # what `_delimiter` returns when the header ends the data set
_KNOWN_VR_BYTES = frozenset(vr.encode() for vr in VALID_VRS)
# Dictionary VRs an implicit-VR element is read with in the run loop: no structure to parse,
# and no ambiguity to resolve (those are not in VALID_VRS).
_PLAIN_VRS = frozenset(VALID_VRS) - _STRUCTURE_VRS


def _looks_explicit(vr: bytes) -> bool:
    return 0x40 < vr[0] < 0x5B and 0x40 < vr[1] < 0x5B


class DatasetParser:
    """Reads data sets from a `ByteStream` in one byte order; see the module docstring."""

    def __init__(self, stream: ByteStream, is_little_endian: bool, defer_size: int | None = None,
                 source: DeferredSource | None = None, max_elements: int | None = None) -> None:
        self.stream = stream
        # Elements and items of the data sets read to their end so far, at every depth: a
        # data set adds its own when it ends, and checks its running count in the loop
        # against what is left of the limit (recomputed after each value that may nest).
        self.counted = 0
        self.max_elements = max_elements
        self._limit = max_elements if max_elements is not None else UNDEFINED_LENGTH << 8
        self.little = is_little_endian
        self.defer_size = defer_size
        self.source = source
        self._implicit_codec = header_codec(True, is_little_endian)
        self._explicit_codec = header_codec(False, is_little_endian)
        self._item_header = self._implicit_codec.decode_item

    # -- data sets -----------------------------------------------------------------------

    def read_dataset(self, implicit: bool, end: int | None = None, depth: int = 0,
                     encodings: tuple[str, ...] = DEFAULT_ENCODINGS,
                     stop_when: StopWhen | None = None,
                     ancestors: tuple[Dataset, ...] = (), *, group: int | None = None
                     ) -> Dataset:
        """Read elements until `end` (absolute offset), an item delimiter (`end` None inside
        an undefined-length item), the end of the data, or `stop_when`; with `group`, also
        before the first element of another group (the file meta and command groups: a
        `stop_when` of their own would cost a call per element and the run loop)."""
        if depth > MAX_DEPTH:
            raise InvalidDicomError(f"sequences nested deeper than {MAX_DEPTH} levels",
                                    self.stream.pos)
        stream = self.stream
        elements: dict[int, DataElement] = {}
        in_item = depth > 0
        # An item of undefined length is read to its delimiter (`end` None).
        ds = (Dataset.adopt(elements, is_undefined_length_sequence_item=True)
              if in_item and end is None else Dataset.adopt(elements))
        if not implicit:
            # A known VR where the first header has its VR: explicit, without the call
            # (read once per item).
            p = stream.pos - stream.base
            if stream.buf[p + 4:p + 6] not in _KNOWN_VR_BYTES:
                implicit = self._detect_implicit(in_item, end)
            if implicit and in_item:
                ds.is_implicit_VR = True  # the writer keeps the item implicit
        decode = self._implicit_codec.decode if implicit else self._explicit_codec.decode
        # Explicit VR little endian (most files): the header of a short-length VR is
        # unpacked here, without a call; every other header goes through `decode`.
        explicit_le = not implicit and self.little
        unpack_explicit = EXPLICIT_LE_HEADER.unpack_from
        short_vrs = SHORT_LENGTH_VR_CODES
        lineage = (ds, *ancestors)
        make = DataElement.from_raw
        little = self.little
        # Longer values may be deferred; an undefined length is 0xFFFFFFFF, longer still.
        fast_limit = UNDEFINED_LENGTH - 1 if self.defer_size is None else self.defer_size
        ambiguous: list[DataElement] = []
        creators: dict[int, str | None] = {}  # Private Creator names, decoded once each
        budget = self._budget()
        # An undefined-length item ends at its delimiter: the end of the data before it is
        # a truncation, checked after each element.
        data_end = stream.size if in_item and end is None else None
        # The group whose group length element was read last, where its elements start and
        # where the last of them ended: the writer keeps a group length as read while its
        # group is unchanged.
        tracked: int | None = None
        tracked_start = tracked_end = 0
        group_sizes: dict[int, int] = {}
        run_fast = (explicit_le or (implicit and little)) and stop_when is None
        read_run = self._read_plain_run if explicit_le else self._read_implicit_run
        undefined_item = in_item and end is None
        while True:
            if run_fast:
                at_delimiter = read_run(elements, creators, encodings, end, data_end,
                                        fast_limit, budget,
                                        group if tracked is None else tracked, undefined_item)
                if tracked is not None:
                    tracked_end = stream.pos
                if at_delimiter:
                    break
            pos = stream.pos
            if end is not None and pos >= end:
                break
            buf = stream.buf
            p = pos - stream.base
            if len(buf) - p < 12:
                got = stream.fill(12)
                buf = stream.buf
                p = 0
                if got < 8:
                    self._end_of_data(pos, got, in_item, end)
                    break
            odd_vr = None
            vr = None
            if explicit_le:
                tag_group, element, vr_code, length = unpack_explicit(buf, p)
                if tag_group != 0xFFFE:
                    vr = short_vrs.get(vr_code)
            if vr is not None:
                tag = tag_group << 16 | element
                size = 8  # the window holds at least 8 bytes here: no truncation check
                if stop_when is not None and stop_when(BaseTag(tag), vr, length):
                    break
                if group is not None and tag_group != group:
                    break
            else:
                tag, vr, length, size = decode(buf, p)
                if len(buf) - p < size:
                    self._truncated(pos, tag, "header cut short")
                    stream.skip(len(buf) - p)  # nothing can follow: outer levels end here too
                    break
                if tag >> 16 == 0xFFFE:
                    if self._delimiter(tag, pos, in_item, end) is _END:
                        break
                    continue
                if stop_when is not None and stop_when(BaseTag(tag), vr if isinstance(vr, str)
                                                       else None, length):
                    break
                if group is not None and tag >> 16 != group:
                    break
                if vr is None:
                    entry = DICTIONARY.get(tag)
                    vr = entry[0] if entry is not None else _implicit_vr(tag, elements)
                elif vr.__class__ is bytes:
                    odd_vr = self._odd_vr(vr, pos, tag)  # type: ignore[arg-type]
                    vr = "UN"
            if tracked is not None and tag >> 16 != tracked:
                group_sizes[tracked] = tracked_end - tracked_start
                tracked = None
            stream.pos = value_pos = pos + size
            if (vr in _STRUCTURE_VRS or length > fast_limit
                    or (end is not None and value_pos + length > end)):
                elem = self._read_value(tag, vr, length, pos, value_pos, implicit, end, depth,
                                        encodings, lineage)  # type: ignore[arg-type]
                vr = elem.VR  # a UN may have been given its dictionary VR
                budget = self._budget()
            else:
                # The common case, kept in the loop for speed: a short primitive value,
                # usually inside the window already.
                q = p + size
                if q + length <= len(buf):
                    raw = buf[q:q + length]
                    stream.pos = value_pos + length
                else:
                    raw = stream.take(length)
                    if len(raw) < length:
                        self._truncated(pos, tag, f"value of {length} bytes has {len(raw)}")
                elem = make(tag, vr, raw, little, encodings, value_pos)  # type: ignore[arg-type]
            if tag == SPECIFIC_CHARACTER_SET:
                encodings = python_encodings(elem.value)
            if odd_vr is not None:
                elem.raw_VR = odd_vr
            if tag & 0x10000 and tag & 0xFF00:
                elem.private_creator = _creator_of(tag, elements, creators)
            if vr in AMBIGUOUS_VRS:
                ambiguous.append(elem)
            elements[tag] = elem
            if len(elements) > budget:
                self._too_many(pos, tag)
            if not tag & 0xFFFF:
                tracked = tag >> 16
                tracked_start = tracked_end = stream.pos
            elif tracked is not None:
                tracked_end = stream.pos
            if data_end is not None and stream.pos >= data_end:
                self._truncated(stream.pos, tag, "item has no delimiter")
                break
        self.counted += len(elements) + in_item
        if in_item and self.counted > self._limit:
            self._too_many(stream.pos, None)
        if tracked is not None:
            group_sizes[tracked] = tracked_end - tracked_start
        if group_sizes:
            ds.original_group_sizes = group_sizes
        for elem in ambiguous:
            resolve_ambiguous_vr(elem, lineage)
        if depth == 0:
            ds.is_implicit_VR = implicit
        return ds

    def _read_plain_run(self, elements: dict[int, DataElement], creators: dict[int, str | None],
                        encodings: tuple[str, ...], end: int | None, data_end: int | None,
                        fast_limit: int, budget: int, group: int | None,
                        undefined_item: bool) -> bool:
        """Read the run of plain elements at the current position into `elements`, in a
        loop of its own (explicit VR little endian only): a short-length VR, the whole value
        inside the window, not a group length or Specific Character Set, and in `group` if
        not None. It stops before any other element, leaving it to `read_dataset`
        (which sees none of the run's elements: none of them needs its checks); that is most
        elements of most files, read at half the cost. An item delimiter that ends
        `undefined_item` is read too: True then, and the item is complete."""
        stream = self.stream
        buf, base, p, limit = self._run_window(end, data_end)
        header_end = len(buf) - 12  # a header is unpacked only with 12 bytes left, as above
        unpack = EXPLICIT_LE_HEADER.unpack_from
        short_vrs = SHORT_LENGTH_VR_CODES
        new = object.__new__
        element_class = DataElement
        base_tags = _BASE_TAGS
        new_base_tag = _base_tag
        unset = _UNSET
        charset_tag = SPECIFIC_CHARACTER_SET
        while p <= header_end and p < limit:
            elem_group, element, vr_code, length = unpack(buf, p)
            vr = short_vrs.get(vr_code)
            v = p + 8  # where the value starts
            q = v + length
            if (vr is None or not element or q > limit or length > fast_limit
                    or (group is not None and elem_group != group) or elem_group == 0xFFFE):
                if elem_group == 0xFFFE and element == 0xE00D and undefined_item:
                    stream.pos = base + p + ITEM_HEADER_SIZE
                    return True
                break
            tag = elem_group << 16 | element
            if tag == charset_tag:
                break
            # DataElement.from_raw(tag, vr, raw, True, encodings, offset), built here: the
            # call costs as much as the rest of the element (tests/test_parser.py checks
            # that both build the same element).
            elem = elements[tag] = new(element_class)
            base_tag = base_tags.get(tag)
            elem.tag = base_tag if base_tag is not None else new_base_tag(tag)
            elem.VR = vr
            elem._raw = buf[v:q]
            elem._little = True
            elem._encodings = encodings
            elem.is_undefined_length = False
            elem.file_tell = base + v
            elem.raw_VR = None
            elem.private_creator = None
            elem._value = unset
            if elem_group & 1 and element & 0xFF00:
                elem.private_creator = _creator_of(tag, elements, creators)
            if len(elements) > budget:
                self._too_many(base + p, tag)
            p = q
        stream.pos = base + p
        return False

    def _read_implicit_run(self, elements: dict[int, DataElement],
                           creators: dict[int, str | None], encodings: tuple[str, ...],
                           end: int | None, data_end: int | None, fast_limit: int,
                           budget: int, group: int | None, undefined_item: bool) -> bool:
        """`_read_plain_run` for implicit VR little endian: the run of elements the standard
        dictionary gives a plain VR (not SQ, UN or an ambiguous one), under the same
        conditions; private, unknown and repeating-group tags are left to `read_dataset`
        (the dictionary has no private tag, so no element here has a private creator;
        `creators` is taken for the same signature)."""
        stream = self.stream
        buf, base, p, limit = self._run_window(end, data_end)
        header_end = len(buf) - 12  # as `_read_plain_run`
        unpack = IMPLICIT_LE_HEADER.unpack_from
        dictionary_get = DICTIONARY.get
        plain_vrs = _PLAIN_VRS
        make = DataElement.from_raw
        while p <= header_end and p < limit:
            elem_group, element, length = unpack(buf, p)
            tag = elem_group << 16 | element
            entry = dictionary_get(tag)
            v = p + 8  # where the value starts
            q = v + length
            if (entry is None or entry[0] not in plain_vrs or not element or q > limit
                    or length > fast_limit or (group is not None and elem_group != group)
                    or tag == SPECIFIC_CHARACTER_SET):
                if tag == ITEM_DELIMITER and undefined_item:
                    stream.pos = base + p + ITEM_HEADER_SIZE
                    return True
                break
            elements[tag] = make(tag, entry[0], buf[v:q], True, encodings, base + v)
            if len(elements) > budget:
                self._too_many(base + p, tag)
            p = q
        stream.pos = base + p
        return False

    def _run_window(self, end: int | None, data_end: int | None
                    ) -> tuple[bytes, int, int, int]:
        """A run loop's window: its buffer, the buffer's offset in the stream, the current
        position in it, and where the run's values must end (the window's end, `end`, or
        before `data_end`, since a value ending there is a truncation to report)."""
        stream = self.stream
        buf = stream.buf
        base = stream.base
        limit = len(buf)
        if end is not None and end - base < limit:
            limit = end - base
        if data_end is not None and data_end - base - 1 < limit:
            limit = data_end - base - 1
        return buf, base, stream.pos - base, limit

    def _budget(self) -> int:
        """How many elements the data set being read may hold beyond the counted ones."""
        return self._limit - self.counted

    def _too_many(self, pos: int, tag: int | None) -> None:
        raise LimitExceeded(f"more than {self.max_elements} data elements and items",
                            pos, tag, "max_elements")

    def _detect_implicit(self, in_item: bool, end: int | None) -> bool:
        """PS3.5 7.1: an explicit-VR data set whose first element has no VR is implicit."""
        stream = self.stream
        if stream.fill(8) < 8 or (end is not None and stream.pos + 8 > end):
            return False
        _, vr, _, _ = self._explicit_codec.decode(stream.buf, stream.pos - stream.base)
        if not isinstance(vr, bytes) or _looks_explicit(vr):
            return False  # a known VR, an unknown one that looks like a VR, or an item
        if not in_item:
            warnings.warn("the transfer syntax says explicit VR but the data set is encoded "
                          "with implicit VR: reading it as implicit VR", DicomWarning,
                          stacklevel=3)
        return True

    def _end_of_data(self, pos: int, got: int, in_item: bool, end: int | None) -> None:
        """Fewer than 8 bytes left where a header belongs: a clean end, or a truncation."""
        if got == 0:
            if in_item and end is None:
                self._truncated(pos, None, "item has no delimiter")
            elif end is not None and (self.stream.size is None or end > self.stream.size):
                self._truncated(pos, None, "the data set is shorter than its length")
        elif in_item or got >= 4:
            self._truncated(pos, None, f"only {got} bytes left for a header")

    def _delimiter(self, tag: int, pos: int, in_item: bool, end: int | None) -> bool:
        """An item or delimiter header where an element belongs: `_END` when it ends the
        data set, False when it is skipped (with a warning); an item tag is refused."""
        undefined_item = in_item and end is None
        if tag == ITEM_DELIMITER:
            self.stream.skip(8)
            if undefined_item:
                return _END
            warnings.warn(f"item delimiter outside an undefined-length item at offset {pos}: "
                          f"ignored", DicomWarning, stacklevel=3)
            return False
        if tag == SEQUENCE_DELIMITER:
            if undefined_item:
                # An undefined-length item closed by its sequence's delimiter.
                warnings.warn(f"item without delimiter ends at the sequence delimiter at "
                              f"offset {pos}", DicomWarning, stacklevel=3)
                return _END
            self.stream.skip(8)
            warnings.warn(f"stray sequence delimiter at offset {pos}: ignored", DicomWarning,
                          stacklevel=3)
            return False
        raise InvalidDicomError("item tag where a data element belongs", pos, tag)

    def _odd_vr(self, vr_bytes: bytes, pos: int, tag: int) -> str:
        """An explicit VR this library does not know: kept (as text) and read as UN when it
        looks like a VR, refused when it is garbage."""
        text = vr_bytes.decode("latin-1")
        if not (_looks_explicit(vr_bytes) or vr_bytes == b"  "):
            raise InvalidDicomError(f"invalid VR bytes {vr_bytes!r} in an explicit-VR data set",
                                    pos, tag)
        warnings.warn(f"unknown VR {text!r} for {Tag(tag)} at offset {pos}: value kept as bytes",
                      DicomWarning, stacklevel=3)
        return text

    # -- values --------------------------------------------------------------------------

    def _read_value(self, tag: int, vr: str, length: int, pos: int, value_pos: int,
                    implicit: bool, end: int | None, depth: int, encodings: tuple[str, ...],
                    lineage: tuple[Dataset, ...]) -> DataElement:
        """The value whose header ended at `value_pos` (the stream is there): read, deferred,
        or parsed as a sequence or as encapsulated fragments."""
        if length == UNDEFINED_LENGTH:
            return self._undefined_length(tag, vr, implicit, value_pos, depth, encodings,
                                          lineage)
        stream = self.stream
        value_end = value_pos + length
        self._check_fits(value_end, end, pos, tag)
        if vr == "SQ" or (vr == "UN" and self._un_is_sequence(tag, length)):
            reader = self._un_items() if vr == "UN" else self
            seq = reader.read_sequence(implicit or vr == "UN", value_end, depth + 1, encodings,
                                       lineage)
            self.counted = reader.counted
            stream.seek(max(value_end, stream.pos) if stream.size is None
                        else min(max(value_end, stream.pos), stream.size))
            return _sequence_element(tag, seq, value_pos, False, vr)
        defer_size = self.defer_size
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
        elem = DataElement.from_raw(tag, vr, raw, self.little, encodings, value_pos)
        if vr == "UN":
            # A UN whose VR is known after all (as pydicom): from the private dictionary
            # for a private element whose creator it knows, else from the standard one.
            if tag & 0x10000 and tag & 0xFF00:
                known = _private_vr(tag, lineage[0].get_item(private_creator_tag(tag)))
            else:
                known = _dictionary_vr(tag) if length < 0xFFFF else None
            if known is not None and known != "SQ":
                elem.VR = known
                elem.raw_VR = "UN"
        return elem

    def _un_items(self) -> DatasetParser:
        """The parser of a UN sequence's items: PS3.5 6.2.2 encodes them in implicit VR
        little endian, also inside big endian data."""
        if self.little:
            return self
        parser = DatasetParser(self.stream, True, self.defer_size, self.source,
                               self.max_elements)
        parser.counted = self.counted  # the caller takes the count back after the items
        return parser

    def _un_is_sequence(self, tag: int, length: int) -> bool:
        """A UN element the dictionary knows as SQ holds implicit VR little endian items."""
        return not tag >> 16 & 1 and length < 0xFFFF and _dictionary_vr(tag) == "SQ"

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
            p = pos - stream.base
            if len(stream.buf) - p < 8:
                if stream.fill(8) < 8:
                    self._truncated(pos, None, "sequence ends without its delimiter"
                                    if end is None else "sequence is shorter than its length")
                    break
                p = 0
            tag, length = self._item_header(stream.buf, p)
            if tag == ITEM:
                stream.pos = pos + ITEM_HEADER_SIZE  # inside the window: no `skip` needed
                if length == UNDEFINED_LENGTH:
                    item = self.read_dataset(implicit, None, depth, encodings, None, ancestors)
                else:
                    item_end = pos + ITEM_HEADER_SIZE + length
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
                stream.skip(ITEM_HEADER_SIZE)
                if end is None:
                    break
                warnings.warn(f"sequence delimiter inside a defined-length sequence at offset "
                              f"{pos}: ignored", DicomWarning, stacklevel=2)
            elif tag == ITEM_DELIMITER and end is None:
                # A stray item delimiter between items: skip it as dcmtk does.
                stream.skip(ITEM_HEADER_SIZE)
                warnings.warn(f"stray item delimiter at offset {pos}: ignored", DicomWarning,
                              stacklevel=2)
            else:
                raise InvalidDicomError(f"expected an item tag (FFFE,E000) in a sequence, found "
                                        f"{Tag(tag)}", pos, tag)
        return seq

    def _undefined_length(self, tag: int, vr: str, implicit: bool, value_pos: int, depth: int,
                          encodings: tuple[str, ...], ancestors: tuple[Dataset, ...]
                          ) -> DataElement:
        if vr in ("OB", "OW", "OB or OW") or (tag == PIXEL_DATA and vr != "SQ"):
            raw = self.read_encapsulated(tag, value_pos)
            elem = DataElement.from_raw(tag, vr if vr in ("OB", "OW") else "OB", raw,
                                        self.little, encodings, value_pos, True)
            if vr not in ("OB", "OW", "OB or OW"):
                elem.raw_VR = vr  # kept for the writer when it wrote e.g. UN
            return elem
        if vr == "SQ" or vr == "UN" or implicit:
            reader = self._un_items() if vr == "UN" else self
            seq = reader.read_sequence(implicit or vr == "UN", None, depth + 1, encodings,
                                       ancestors)
            self.counted = reader.counted
            return _sequence_element(tag, seq, value_pos, True, vr)
        raise InvalidDicomError(f"undefined length is not allowed for VR {vr}", value_pos - 12,
                                tag)

    def read_encapsulated(self, tag: int, value_pos: int) -> Any:
        """Walk the fragments of encapsulated pixel data; the value is every byte up to the
        sequence delimiter (items included), read or deferred."""
        stream = self.stream
        header = self._item_header
        length = 0
        while True:
            pos = stream.pos
            # After a fragment larger than the window the next header is read alone: a
            # window read there would copy the start of the next fragment for nothing.
            ahead = ITEM_HEADER_SIZE if length > stream.window else None
            if stream.fill(8, ahead) < 8:
                self._truncated(pos, tag, "encapsulated pixel data has no sequence delimiter")
                value_end = pos + stream.available
                stream.skip(stream.available)
                break
            item_tag, length = header(stream.buf, pos - stream.base)
            if item_tag == SEQUENCE_DELIMITER:
                value_end = pos
                stream.skip(ITEM_HEADER_SIZE)
                break
            if item_tag != ITEM or length == UNDEFINED_LENGTH:
                raise InvalidDicomError(f"expected a fragment item (FFFE,E000) in encapsulated "
                                        f"pixel data, found {Tag(item_tag)}", pos, tag)
            stream.skip(ITEM_HEADER_SIZE)
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


def _sequence_element(tag: int, seq: Sequence, value_pos: int, undefined: bool,
                      file_vr: str) -> DataElement:
    elem = DataElement.from_sequence(tag, seq, value_pos, undefined)
    if file_vr == "UN":
        elem.raw_VR = "UN"
    return elem


def _dictionary_vr(tag: int) -> str | None:
    """The VR the standard dictionary gives `tag` (private creators: LO), or None."""
    entry = DICTIONARY.get(tag)
    if entry is not None:
        return entry[0]
    if tag >> 16 & 1:
        return "LO" if 0x0010 <= tag & 0xFFFF <= 0x00FF else None
    try:
        return dictionary.dictionary_VR(tag)
    except KeyError:
        return None


def _implicit_vr(tag: int, elements: dict[int, DataElement]) -> str:
    """The VR of an implicit-VR element: from the standard dictionary, or for a private
    element from the private dictionary by the creator that reserved its block (`elements`
    is the data set read so far); UN when unknown."""
    if tag & 0x10000 and tag & 0xFF00:
        return _private_vr(tag, elements.get(private_creator_tag(tag))) or "UN"
    vr = _dictionary_vr(tag)
    if vr is not None:
        return vr
    return "UL" if tag & 0xFFFF == 0 else "UN"


def _private_vr(tag: int, creator: DataElement | None) -> str | None:
    """The private dictionary's VR of a private data element, or None."""
    name = _creator_name(creator)
    return dictionary.private_vr(tag, name) if name else None


def _creator_of(tag: int, elements: dict[int, DataElement],
                creators: dict[int, str | None]) -> str | None:
    """The name of the Private Creator of `tag`'s block, cached in `creators`."""
    creator_tag = private_creator_tag(tag)
    try:
        return creators[creator_tag]
    except KeyError:
        name = creators[creator_tag] = _creator_name(elements.get(creator_tag))
        return name


def _creator_name(creator: DataElement | None) -> str | None:
    """The text of a Private Creator element, decoded without caching it in the element
    (values stay undecoded until a user asks for them)."""
    if creator is None:
        return None
    name = creator.peek_value()
    return name if isinstance(name, str) and name else None
