"""Raw elements: a data set's elements one at a time, without building a data set.

`data_element_generator(fp, is_implicit_VR, is_little_endian, ...)` is pydicom's generator
for code that streams elements: it yields a `RawDataElement` (tag, VR, length, value bytes,
value offset, encoding) for each element of defined length and for encapsulated pixel data,
and a `DataElement` holding a `Sequence` for a sequence of undefined length (whose items
must be parsed to find its end). It reads from the current position of `fp` and stops at
the end of the data, at an item delimiter (the end of an undefined-length item), or before
the first element for which `stop_when(tag, VR, length)` is true (leaving `fp` at that
element's header). Headers are decoded by `header.HeaderCodec`, sequences by the parser.

`convert_raw_data_element(raw)` makes the `DataElement` a data set holds: its value is
decoded on first access, as for elements the reader makes.

>>> import io
>>> data = bytes.fromhex("10001000 0800 0000 446f655e4a6f686e")   # (0010,0010), 8 bytes
>>> [(str(e.tag), e.length, e.value) for e in data_element_generator(io.BytesIO(data),
...                                                                  True, True)]
[('(0010,0010)', 8, b'Doe^John')]
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, BinaryIO, NamedTuple

from . import dictionary
from .charset import python_encodings
from .dataelem import DataElement
from .deferred import DeferredSource
from .header import ITEM_HEADER_SIZE, UNDEFINED_LENGTH, HeaderCodec
from .parser import DatasetParser
from .stream import ByteStream
from .tag import ITEM, ITEM_DELIMITER, SPECIFIC_CHARACTER_SET, BaseTag, Tag, private_creator_tag
from .vr import STR_VRS

__all__ = ["RawDataElement", "data_element_generator", "convert_raw_data_element"]

_EMPTY_BYTES_VRS = STR_VRS | {"SQ", "PN"}


class RawDataElement(NamedTuple):
    """An element as read: `value` is its bytes (None when deferred or skipped)."""

    tag: BaseTag
    VR: str | None
    length: int
    value: bytes | None
    value_tell: int
    is_implicit_VR: bool
    is_little_endian: bool
    is_raw: bool = True
    is_buffered: bool = False

    @property
    def is_undefined_length(self) -> bool:
        return self.length == UNDEFINED_LENGTH


def data_element_generator(fp: BinaryIO, is_implicit_VR: bool, is_little_endian: bool,  # noqa: N803
                           stop_when: Callable[[BaseTag, str | None, int], bool] | None = None,
                           defer_size: int | str | float | None = None,
                           encoding: str | list[str] = "iso8859",
                           specific_tags: list[Any] | None = None,
                           ) -> Iterator[RawDataElement | DataElement]:
    """Yield the elements at the current position of `fp` (see the module docstring).

    `defer_size`: values longer than this are not read (`value` None; they are skipped).
    `specific_tags`: only these tags are yielded (plus Specific Character Set, whose value
    gives the character set of the sequences that follow). `encoding` is the character set
    (Python codec names) sequences are decoded with until one is read.
    """
    from .filereader import parse_defer_size

    defer = parse_defer_size(defer_size)
    wanted = {int(Tag(t)) for t in specific_tags} | {SPECIFIC_CHARACTER_SET} \
        if specific_tags else None
    encodings = (encoding,) if isinstance(encoding, str) else tuple(encoding)
    stream = ByteStream(fp)
    codec = HeaderCodec(is_implicit_VR, is_little_endian)
    implicit_codec = HeaderCodec(True, is_little_endian)
    source = DeferredSource(None, fp, None)
    try:
        while True:
            pos = stream.pos
            if stream.fill(12) < 8:
                return
            buf, p = stream.buf, pos - stream.base
            tag, vr, length, size = codec.decode(buf, p)
            if isinstance(vr, bytes):
                if b"AA" <= vr <= b"ZZ":
                    vr = vr.decode("ascii")  # an unknown VR: a short length, as pydicom
                else:  # no VR at all: this element is implicit VR (pydicom's recovery)
                    tag, vr, length, size = implicit_codec.decode(buf, p)
            if len(buf) - p < size:
                return  # the header is cut short: the data ends here
            if tag == ITEM_DELIMITER:
                stream.skip(ITEM_HEADER_SIZE)
                return
            if stop_when is not None and stop_when(BaseTag(tag), vr, length):
                return
            stream.skip(size)
            value_tell = stream.pos
            if length == UNDEFINED_LENGTH:
                elem = _undefined_length(stream, tag, vr, is_implicit_VR, is_little_endian,
                                         defer, source, encodings)
                if wanted is None or tag in wanted:
                    yield elem
                continue
            if wanted is not None and tag not in wanted:
                stream.skip(length)
                continue
            if defer is not None and length > defer and tag != SPECIFIC_CHARACTER_SET:
                stream.skip(length)
                value: bytes | None = None
            elif length:
                value = stream.take(length)
            else:
                value = b"" if vr in _EMPTY_BYTES_VRS else None
            if tag == SPECIFIC_CHARACTER_SET and value is not None:
                encodings = python_encodings(value.decode("latin-1").rstrip(" \0") or None)
            yield RawDataElement(BaseTag(tag), vr, length, value, value_tell, is_implicit_VR,
                                 is_little_endian)
    finally:
        stream.sync()


def _undefined_length(stream: ByteStream, tag: int, vr: str | None, implicit: bool,
                      little: bool, defer: int | None, source: DeferredSource,
                      encodings: tuple[str, ...]) -> RawDataElement | DataElement:
    """A sequence (parsed, to find where it ends) or encapsulated pixel data (raw bytes up to
    the sequence delimiter, as pydicom gives them)."""
    value_tell = stream.pos
    if vr is None:
        vr = dictionary.dictionary_VR(tag) if dictionary.dictionary_has_tag(tag) else None
        if vr is None and stream.fill(8) >= 8:  # unknown: a sequence if an item follows
            next_tag, _ = HeaderCodec(True, little).decode_item(stream.buf,
                                                                stream.pos - stream.base)
            vr = "SQ" if next_tag == ITEM else None
    parser = DatasetParser(stream, little, defer, source)
    if vr in ("SQ", "UN"):
        # PS3.5 6.2.2: the items of an undefined-length UN are implicit VR little endian.
        if vr == "UN":
            parser = DatasetParser(stream, True, defer, source)
        seq = parser.read_sequence(implicit or vr == "UN", None, 1, encodings, ())
        return DataElement(tag, "SQ", seq, value_tell, is_undefined_length=True)
    raw = parser.read_encapsulated(tag, value_tell)
    value = raw if isinstance(raw, bytes) else None
    return RawDataElement(BaseTag(tag), vr, UNDEFINED_LENGTH, value, value_tell, implicit,
                          little)


def convert_raw_data_element(raw: RawDataElement, *, encoding: str | list[str] | None = None,
                             ds: Any = None) -> DataElement:
    """The `DataElement` of a raw element, its value decoded on first access. A missing VR
    (implicit data) comes from the dictionary, the private dictionary (by the creator in
    `ds`) or is UN; `encoding` is the character set (Python codec names)."""
    if isinstance(raw, DataElement):
        return raw
    tag = int(raw.tag)
    creator = _creator(tag, ds)
    vr = raw.VR if raw.VR is not None else _implicit_vr(tag, creator)
    encodings = ("iso8859",) if encoding is None else (
        (encoding,) if isinstance(encoding, str) else tuple(encoding))
    elem = DataElement.from_raw(tag, vr, raw.value or b"", raw.is_little_endian, encodings,
                                raw.value_tell, raw.length == UNDEFINED_LENGTH)
    elem.private_creator = creator
    return elem


def _creator(tag: int, ds: Any) -> str | None:
    """The creator of a private data element (not of a Private Creator) in `ds`."""
    if ds is None or not tag >> 16 & 1 or tag & 0xFFFF < 0x1000:
        return None
    found = ds.get_item(private_creator_tag(tag))
    name = found.value if found is not None else None
    return name if isinstance(name, str) and name else None


def _implicit_vr(tag: int, creator: str | None) -> str:
    if tag >> 16 & 1:
        if 0x0010 <= tag & 0xFFFF <= 0x00FF:
            return "LO"
        return (dictionary.private_vr(tag, creator) if creator else None) or "UN"
    try:
        vr = dictionary.dictionary_VR(tag)
    except KeyError:
        return "UL" if tag & 0xFFFF == 0 else "UN"
    return vr
