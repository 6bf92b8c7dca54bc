"""Value codecs: one table from VR to the function that turns raw bytes into Python values.

Each decoder takes `(raw, is_little_endian, encodings)` and returns the value pydicom 3
gives for the same bytes: `str` for text VRs (padding removed), `PersonName`, `IS`/`DS`,
`int`/`float`, `bytes`, `Tag`, or a `MultiValue` when there is more than one value.
Decoding never raises on malformed text: an IS or DS that is not a number is returned as
the text it is, and numbers whose length is not a multiple of their size come back as bytes
with a warning.
"""

from __future__ import annotations

import datetime
import struct
import warnings
from array import array
from collections.abc import Callable, Iterable
from typing import Any

from .charset import ASCII_FIRST_CODECS, decode_values, encode_values
from .errors import BytesLengthException, DicomWarning
from .personname import PersonName, decode_person_names
from .tag import BaseTag, Tag
from .uid import UID
from .valuerep import DS, IS, MultiValue
from .vr import BYTES_VRS, NUMBER_FORMATS, PADDING, STR_VRS, SWAP_WIDTH

__all__ = ["decode_value", "encode_value", "pad", "swap_bytes", "little_endian_width",
           "little_endian_bytes", "unchanged_raw", "empty_text_value", "DECODERS", "ENCODERS",
           "convert_AE_string", "convert_ATvalue", "convert_DA_string", "convert_DS_string",
           "convert_DT_string", "convert_IS_string", "convert_TM_string", "convert_UR_string",
           "convert_string", "convert_OBvalue", "convert_OWvalue", "convert_OVvalue",
           "convert_UN", "convert_UI", "convert_tag", "convert_numbers", "convert_PN",
           "convert_text", "convert_single_string", "convert_value", "converters"]

Decoder = Callable[[bytes, bool, tuple[str, ...]], Any]


def empty_text_value(vr: str | None) -> Any:
    """The value a non-sequence element of this VR has when its length is 0 (the model's
    `empty_value_for_VR` adds the empty Sequence of SQ)."""
    if vr == "PN":
        return PersonName("")
    if vr in STR_VRS:
        return ""
    return None


def _one_or_many(items: list[Any], kind: Callable[[Any], Any]) -> Any:
    if len(items) == 1:
        return items[0]
    return MultiValue(kind, items)


def _converted(kind: Callable[[Any], Any], items: Iterable[Any]) -> MultiValue:
    """A MultiValue of items that are of their type already (numbers from struct, str from
    a split), without the call per item of `MultiValue(kind, items)`: a LUT of 4,096 numbers
    costs one list instead of 4,096 calls."""
    values = _new_multivalue(MultiValue)
    _list_init(values, items)
    values.type_constructor = kind
    return values


_new_multivalue = MultiValue.__new__
_list_init = list.__init__


def _ascii_strings(raw: bytes, little: bool, encodings: tuple[str, ...]) -> Any:
    text = raw.decode("latin-1").rstrip(" \0")
    if "\\" not in text:
        return text
    return _converted(str, text.split("\\"))


def _ae(raw: bytes, little: bool, encodings: tuple[str, ...]) -> Any:
    parts = [s.strip() for s in raw.decode("latin-1").split("\\")]
    return _one_or_many(parts, str)


def _ui(raw: bytes, little: bool, encodings: tuple[str, ...]) -> Any:
    text = raw.decode("latin-1").rstrip("\0 ")
    if "\\" not in text:
        # What UID(text) gives, without its checks and their cost (a value read from a
        # file is always a str): a third of the time.
        return _new_str(UID, text.strip())
    return MultiValue(UID, text.split("\\"))


_new_str = str.__new__


def _ur(raw: bytes, little: bool, encodings: tuple[str, ...]) -> Any:
    return raw.decode("latin-1").rstrip()


def _number_string(kind: type, text: str) -> Any:
    """One IS or DS value; text that is not a number is kept as text, with a warning."""
    if not text.strip(" \0"):
        return text if text == "" else kind(text)
    try:
        return kind(text)
    except (ValueError, OverflowError):
        warnings.warn(f"invalid {kind.__name__} value {text!r} kept as text", DicomWarning,
                      stacklevel=4)
        return text


def _plain_number(kind: type, parse: type) -> Callable[[str], Any]:
    """The decoder of one IS or DS value: a plain number is built as `kind(text)` builds
    it, without its checks (twice as fast); anything else goes through `kind` itself."""
    make = parse.__new__  # int.__new__ or float.__new__: kind(text) without its checks

    def value(text: str) -> Any:
        stripped = text.strip(" \0")
        if stripped:
            try:
                number = parse(stripped)
            except ValueError:
                pass
            else:
                made = make(kind, number)
                made.original_string = stripped
                return made
        return _number_string(kind, text)
    return value


_is_value = _plain_number(IS, int)
_ds_value = _plain_number(DS, float)


def _is(raw: bytes, little: bool, encodings: tuple[str, ...]) -> Any:
    text = raw.decode("latin-1").rstrip(" \0")
    if "\\" not in text:
        return _is_value(text)
    # What MultiValue(_is_value, parts) holds ('' kept as it is, as _is_value keeps it),
    # without its per-item call.
    return _converted(_is_value, [_is_value(part) for part in text.split("\\")])


def _ds(raw: bytes, little: bool, encodings: tuple[str, ...]) -> Any:
    text = raw.decode("latin-1").strip()
    if "\\" not in text:
        return _ds_value(text)
    return _converted(_ds_value, [_ds_value(part) for part in text.split("\\")])


def _text(vr: str) -> Decoder:
    """Charset text: the value(s) as `charset.decode_values` splits them for `vr`."""
    def decode(raw: bytes, little: bool, encodings: tuple[str, ...]) -> Any:
        if raw.isascii() and 0x1B not in raw and 0x5C not in raw and (
                not encodings or encodings[0] in ASCII_FIRST_CODECS):
            # One ASCII value (most): what decode_values gives it, without the list.
            return raw.decode("ascii").rstrip("\0 ")
        parts = decode_values(raw, vr, encodings)
        return parts[0] if len(parts) == 1 else _converted(str, parts)
    return decode


def _pn(raw: bytes, little: bool, encodings: tuple[str, ...]) -> Any:
    return _one_or_many(decode_person_names(raw, encodings), PersonName)


def _bytes(raw: bytes, little: bool, encodings: tuple[str, ...]) -> Any:
    return raw


def _at(raw: bytes, little: bool, encodings: tuple[str, ...]) -> Any:
    count = len(raw) // 4
    if len(raw) % 4:
        warnings.warn(f"AT value of {len(raw)} bytes is not a multiple of 4", DicomWarning,
                      stacklevel=3)
    halves = struct.unpack(f"{'<' if little else '>'}{count * 2}H", raw[: count * 4])
    tags = [BaseTag(halves[i] << 16 | halves[i + 1]) for i in range(0, len(halves), 2)]
    if not tags:
        return None
    return _one_or_many(tags, BaseTag)


def _numbers(fmt: str) -> Decoder:
    size = struct.calcsize("<" + fmt)
    # One value (most elements) through a compiled struct: no format string to build.
    one_little = struct.Struct("<" + fmt).unpack
    one_big = struct.Struct(">" + fmt).unpack

    def decode(raw: bytes, little: bool, encodings: tuple[str, ...]) -> Any:
        if len(raw) == size:
            return (one_little if little else one_big)(raw)[0]
        count, rest = divmod(len(raw), size)
        if rest:
            warnings.warn(f"value of {len(raw)} bytes is not a multiple of {size}: kept as bytes",
                          DicomWarning, stacklevel=3)
            return raw
        numbers = struct.unpack(f"{'<' if little else '>'}{count}{fmt}", raw)
        if count == 1:
            return numbers[0]
        return _converted(_identity, numbers)

    return decode


def _identity(value: Any) -> Any:
    return value


DECODERS: dict[str, Decoder] = {
    "AE": _ae,
    "AS": _ascii_strings,
    "AT": _at,
    "CS": _ascii_strings,
    "DA": _ascii_strings,
    "DS": _ds,
    "DT": _ascii_strings,
    "IS": _is,
    "LO": _text("LO"),
    "LT": _text("LT"),
    "PN": _pn,
    "SH": _text("SH"),
    "ST": _text("ST"),
    "TM": _ascii_strings,
    "UC": _text("UC"),
    "UI": _ui,
    "UR": _ur,
    "UT": _text("UT"),
    **{vr: _numbers(fmt) for vr, fmt in NUMBER_FORMATS.items()},
    **dict.fromkeys(BYTES_VRS, _bytes),
}


def decode_value(vr: str, raw: bytes, is_little_endian: bool, encodings: tuple[str, ...]) -> Any:
    """Decode the raw bytes of one non-sequence element; unknown VRs give the bytes."""
    if not raw:
        return empty_text_value(vr)
    decoder = DECODERS.get(vr, _bytes)
    return decoder(raw, is_little_endian, encodings)


# -- encoding: the writer's mirror table ---------------------------------------------------

Encoder = Callable[[Any, bool, tuple[str, ...]], bytes]

def _as_list(value: Any) -> list[Any]:
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _date_text(value: Any, vr: str) -> str:
    if vr in ("DA", "DT", "TM") and getattr(value, "original_string", None) is not None:
        return str(value)  # a DA/DT/TM value: the text it was made from
    if isinstance(value, datetime.datetime) and vr == "DT":
        text = value.strftime("%Y%m%d%H%M%S")
        if value.microsecond:
            text += f".{value.microsecond:06d}"
        if value.utcoffset() is not None:
            offset = int(value.utcoffset().total_seconds() // 60)  # type: ignore[union-attr]
            sign = "+" if offset >= 0 else "-"
            text += f"{sign}{abs(offset) // 60:02d}{abs(offset) % 60:02d}"
        return text
    if isinstance(value, datetime.date) and vr == "DA":
        return value.strftime("%Y%m%d")
    if isinstance(value, datetime.time) and vr == "TM":
        text = value.strftime("%H%M%S")
        return text + (f".{value.microsecond:06d}" if value.microsecond else "")
    return "" if value is None else str(value)


def _encode_ascii(value: Any, little: bool, encodings: tuple[str, ...], vr: str = "") -> bytes:
    text = "\\".join(_date_text(v, vr) for v in _as_list(value))
    try:
        return text.encode("ascii")
    except UnicodeEncodeError as exc:
        raise ValueError(f"{text[exc.start]!r} is not allowed in a {vr or 'text'} value") \
            from None


def _ascii_encoder(vr: str) -> Encoder:
    def encode(value: Any, little: bool, encodings: tuple[str, ...]) -> bytes:
        return _encode_ascii(value, little, encodings, vr)
    return encode


def _encode_number_strings(kind: type) -> Encoder:
    def encode(value: Any, little: bool, encodings: tuple[str, ...]) -> bytes:
        texts = []
        for v in _as_list(value):
            if v is None or v == "":
                texts.append("")
            elif isinstance(v, str):
                texts.append(v.strip())
            elif kind is DS and not isinstance(v, DS):
                texts.append(str(DS(v)))
            elif kind is IS and not isinstance(v, IS):
                texts.append(str(IS(v)))
            else:
                texts.append(str(v))
        return "\\".join(texts).encode("ascii")
    return encode


def _text_encoder(vr: str) -> Encoder:
    def encode(value: Any, little: bool, encodings: tuple[str, ...]) -> bytes:
        values = ["" if v is None else str(v) for v in _as_list(value)]
        return encode_values(values, vr, encodings)
    return encode


def _encode_numbers(fmt: str) -> Encoder:
    def encode(value: Any, little: bool, encodings: tuple[str, ...]) -> bytes:
        if isinstance(value, (bytes, bytearray, memoryview)):
            return bytes(value)
        values = _as_list(value)
        if fmt in "fd":
            values = [float(v) for v in values]
        else:
            values = [int(v) for v in values]
        try:
            return struct.pack(f"{'<' if little else '>'}{len(values)}{fmt}", *values)
        except struct.error as exc:
            raise ValueError(f"{values} out of range for this VR: {exc}") from None
    return encode


def _encode_at(value: Any, little: bool, encodings: tuple[str, ...]) -> bytes:
    tags = [Tag(v) for v in _as_list(value)]
    halves = [h for t in tags for h in (t >> 16, t & 0xFFFF)]
    return struct.pack(f"{'<' if little else '>'}{len(halves)}H", *halves)


def _encode_bytes(value: Any, little: bool, encodings: tuple[str, ...]) -> bytes:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, (list, tuple)) and all(isinstance(v, (bytes, bytearray)) for v in value):
        return b"".join(value)
    raise ValueError(f"binary VRs take bytes, not {type(value).__name__}")


ENCODERS: dict[str, Encoder] = {
    **{vr: _ascii_encoder(vr) for vr in ("AE", "AS", "CS", "DA", "DT", "TM", "UI", "UR")},
    "DS": _encode_number_strings(DS),
    "IS": _encode_number_strings(IS),
    **{vr: _text_encoder(vr) for vr in ("LO", "LT", "PN", "SH", "ST", "UC", "UT")},
    "AT": _encode_at,
    **{vr: _encode_numbers(fmt) for vr, fmt in NUMBER_FORMATS.items()},
    **dict.fromkeys(BYTES_VRS, _encode_bytes),
}


def encode_value(vr: str, value: Any, is_little_endian: bool, encodings: tuple[str, ...]
                 ) -> bytes:
    """Encode a Python value of a non-sequence element, without padding.

    Raises ValueError (or charset.CharsetEncodeError) for a value the VR cannot hold.
    """
    if value is None or (isinstance(value, (str, list, tuple, bytes)) and len(value) == 0):
        return b""
    return ENCODERS.get(vr, _encode_bytes)(value, is_little_endian, encodings)


def pad(vr: str, data: bytes) -> bytes:
    """Pad to even length with the VR's padding byte."""
    if len(data) % 2:
        return data + PADDING.get(vr, b"\0")
    return data


_ARRAY_CODES = {2: "H", 4: "L" if array("L").itemsize == 4 else "I", 8: "Q"}


def swap_bytes(data: bytes, width: int) -> bytes:
    """`data` as numbers of `width` bytes (2, 4 or 8: `vr.SWAP_WIDTH`) in the other byte
    order; a tail shorter than one number (a value of the wrong length) is left as it is."""
    usable = len(data) - len(data) % width
    numbers = array(_ARRAY_CODES[width], data[:usable])
    numbers.byteswap()
    return numbers.tobytes() + data[usable:]


def little_endian_width(elem: Any) -> int:
    """The width of the numbers to swap an element's value bytes by to make them little
    endian, as the DICOM JSON model and bulk data carry them (PS3.18 8.7.3.3.1, F.2.7): the
    VR's (`vr.SWAP_WIDTH`) while the value is a big endian file's; 0 for bytes and text, a
    little endian value, or one set since reading (taken as it is, as the writer takes it)."""
    if elem.is_little_endian or elem.raw_value is None:
        return 0
    return SWAP_WIDTH.get(elem.VR, 0)


def unchanged_raw(elem: Any) -> Any:
    """The bytes an element was read with (bytes, or its deferred value), or None when its
    value was set since reading or, decoded as a list, changed in place (the bytes are then
    stale): what the writer copies and bulk data gives as they are."""
    raw = elem.raw_value
    if raw is None:
        return None
    value = elem._value
    if isinstance(value, list):
        # A decoded list may have been changed in place: trust the bytes only if it equals
        # what they decode to.
        data = raw if isinstance(raw, bytes) else raw.read()
        if decode_value(elem.VR, data, elem.is_little_endian, elem.encodings) != value:
            return None
    return raw


def little_endian_bytes(elem: Any) -> bytes:
    """The bytes of a binary element's value in little endian order (`little_endian_width`)."""
    data = bytes(elem.value)
    width = little_endian_width(elem)
    return swap_bytes(data, width) if width else data


# -- pydicom's converter names, for code that decodes raw bytes itself ----------------------
# Each is the table's decoder for its VR (above), with pydicom's signature; `encodings` are
# Python codec names (as `charset.python_encodings` gives them).

def _codecs(encodings: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    if not encodings:
        return ("iso8859",)
    return (encodings,) if isinstance(encodings, str) else tuple(encodings)


def _converter(vr: str) -> Callable[..., Any]:
    def convert(byte_string: bytes, is_little_endian: bool = True,
                struct_format: str | None = None) -> Any:
        return decode_value(vr, byte_string, is_little_endian, ("iso8859",))
    convert.__doc__ = f"The value of {vr} bytes, as the reader decodes it."
    return convert


convert_AE_string = _converter("AE")  # noqa: N816 - pydicom's names
convert_ATvalue = _converter("AT")  # noqa: N816
convert_DA_string = _converter("DA")  # noqa: N816
convert_DS_string = _converter("DS")  # noqa: N816
convert_DT_string = _converter("DT")  # noqa: N816
convert_IS_string = _converter("IS")  # noqa: N816
convert_TM_string = _converter("TM")  # noqa: N816
convert_UR_string = _converter("UR")  # noqa: N816
convert_string = _converter("CS")
convert_OBvalue = _converter("OB")  # noqa: N816
convert_OWvalue = _converter("OW")  # noqa: N816
convert_OVvalue = _converter("OV")  # noqa: N816
convert_UN = _converter("UN")  # noqa: N816


def convert_UI(byte_string: bytes, is_little_endian: bool = True,  # noqa: N802
               struct_format: str | None = None) -> Any:
    """UID value(s) from UI bytes (trailing NUL and spaces removed)."""
    return decode_value("UI", byte_string, is_little_endian, ("iso8859",))


def convert_tag(byte_string: bytes, is_little_endian: bool, offset: int = 0) -> BaseTag:
    """The tag stored at `offset` of `byte_string` (four bytes: group, element)."""
    order = "<" if is_little_endian else ">"
    group, element = struct.unpack_from(f"{order}HH", byte_string, offset)
    return BaseTag(group << 16 | element)


def convert_numbers(byte_string: bytes, is_little_endian: bool, struct_format: str) -> Any:
    """Binary numbers of one `struct` format ("H", "l", "d", ...): one value alone, several
    as a MultiValue, '' for no bytes (as pydicom)."""
    if not byte_string:
        return ""
    size = struct.calcsize("<" + struct_format)
    count, rest = divmod(len(byte_string), size)
    if rest:
        raise BytesLengthException(f"{len(byte_string)} bytes are not a whole number of "
                                   f"{struct_format!r} values ({size} bytes each)")
    numbers = struct.unpack(f"{'<' if is_little_endian else '>'}{count}{struct_format}",
                            byte_string)
    return numbers[0] if count == 1 else MultiValue(_identity, numbers)


def convert_PN(byte_string: bytes, encodings: list[str] | None = None) -> Any:  # noqa: N802
    """PersonName value(s) from PN bytes in the character set `encodings`."""
    return decode_value("PN", byte_string, True, _codecs(encodings))


def convert_text(byte_string: bytes, encodings: list[str] | None = None,
                 vr: str | None = None) -> Any:
    """Text value(s) of a character-set VR (SH, LO, UC, and LT, ST, UT as one value)."""
    return decode_value(vr or "LO", byte_string, True, _codecs(encodings))


def convert_single_string(byte_string: bytes, encodings: list[str] | None = None,
                          vr: str | None = None) -> str:
    """One text value (LT, ST, UT: backslashes are text); trailing spaces removed."""
    return decode_value(vr if vr in ("LT", "ST", "UT") else "LT", byte_string, True,
                        _codecs(encodings))  # type: ignore[no-any-return]


def convert_value(VR: str, raw_data_element: Any,  # noqa: N803
                  encodings: str | list[str] | None = None) -> Any:
    """The value of a `RawDataElement` (see `rawelement`) as the reader gives it."""
    if VR == "SQ":
        raise NotImplementedError("a sequence value is parsed by the reader: use dcmread or "
                                  "rawelement.data_element_generator")
    raw = raw_data_element.value or b""
    return decode_value(VR, raw, raw_data_element.is_little_endian, _codecs(encodings))


converters: dict[str, Callable[..., Any]] = {vr: _converter(vr) for vr in DECODERS}
"""VR -> a converter `(byte_string, is_little_endian)`; PN and the text VRs decode in the
default character set here (use `convert_PN` / `convert_text` for others)."""
