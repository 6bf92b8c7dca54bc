"""Value codecs: one table from VR to the function that turns raw bytes into Python values.

Each decoder takes `(raw, is_little_endian, encodings)` and returns the value pydicom 3
gives for the same bytes: `str` for text VRs (padding removed), `PersonName`, `IS`/`DS`,
`int`/`float`, `bytes`, `Tag`, or a `MultiValue` when there is more than one value.
Decoding never raises on malformed text: an IS or DS that is not a number is returned as
the text it is, and numbers whose length is not a multiple of their size come back as bytes
with a warning.
"""

from __future__ import annotations

import struct
import warnings
from collections.abc import Callable
from typing import Any

from .charset import decode_text
from .errors import DicomWarning
from .personname import PersonName
from .tag import BaseTag
from .uid import UID
from .valuerep import DS, IS, MultiValue

__all__ = ["decode_value", "empty_value_for_VR", "DECODERS", "NUMBER_FORMATS", "TEXT_VRS",
           "BYTES_VRS"]

Decoder = Callable[[bytes, bool, tuple[str, ...]], Any]

NUMBER_FORMATS = {"US": "H", "SS": "h", "UL": "L", "SL": "l", "FL": "f", "FD": "d",
                  "SV": "q", "UV": "Q"}
BYTES_VRS = frozenset({"OB", "OW", "OF", "OD", "OL", "OV", "UN", "OB or OW", "US or SS",
                       "US or OW", "US or SS or OW"})
# VRs whose empty value is '' rather than None (pydicom: STR_VR less IS and DS).
TEXT_VRS = frozenset({"AE", "AS", "CS", "DA", "DT", "LO", "LT", "SH", "ST", "TM", "UC", "UI",
                      "UR", "UT"})
_TEXT_DELIMITERS = frozenset(b"\r\n\t\f")


def empty_value_for_VR(vr: str | None) -> Any:  # noqa: N802 - pydicom's public name
    """The value an element of this VR has when its length is 0."""
    if vr == "SQ":
        from .sequence import Sequence

        return Sequence()
    if vr == "PN":
        return PersonName("")
    if vr in TEXT_VRS:
        return ""
    return None


def _one_or_many(items: list[Any], kind: Callable[[Any], Any]) -> Any:
    if len(items) == 1:
        return items[0]
    return MultiValue(kind, items)


def _ascii_strings(raw: bytes, little: bool, encodings: tuple[str, ...]) -> Any:
    text = raw.decode("latin-1").rstrip(" \0")
    if "\\" not in text:
        return text
    return MultiValue(str, text.split("\\"))


def _ae(raw: bytes, little: bool, encodings: tuple[str, ...]) -> Any:
    parts = [s.strip() for s in raw.decode("latin-1").split("\\")]
    return _one_or_many(parts, str)


def _ui(raw: bytes, little: bool, encodings: tuple[str, ...]) -> Any:
    text = raw.decode("latin-1").rstrip("\0 ")
    if "\\" not in text:
        return UID(text)
    return MultiValue(UID, text.split("\\"))


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


def _number_strings(kind: type, text: str) -> Any:
    if "\\" not in text:
        return _number_string(kind, text)
    return MultiValue(lambda v: _number_string(kind, v), text.split("\\"))


def _is(raw: bytes, little: bool, encodings: tuple[str, ...]) -> Any:
    return _number_strings(IS, raw.decode("latin-1").rstrip(" \0"))


def _ds(raw: bytes, little: bool, encodings: tuple[str, ...]) -> Any:
    return _number_strings(DS, raw.decode("latin-1").strip())


def _text(raw: bytes, little: bool, encodings: tuple[str, ...]) -> Any:
    text = decode_text(raw, encodings, _TEXT_DELIMITERS)
    if "\\" not in text:
        return text.rstrip("\0 ")
    return MultiValue(str, [v.rstrip("\0 ") for v in text.split("\\")])


def _single_text(raw: bytes, little: bool, encodings: tuple[str, ...]) -> Any:
    return decode_text(raw, encodings, _TEXT_DELIMITERS).rstrip("\0 ")


def _pn(raw: bytes, little: bool, encodings: tuple[str, ...]) -> Any:
    stripped = raw.rstrip(b"\0 ")
    parts = stripped.split(b"\\")
    names = [PersonName.from_bytes(p, encodings) for p in parts]
    return _one_or_many(names, PersonName)


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

    def decode(raw: bytes, little: bool, encodings: tuple[str, ...]) -> Any:
        count, rest = divmod(len(raw), size)
        if rest:
            warnings.warn(f"value of {len(raw)} bytes is not a multiple of {size}: kept as bytes",
                          DicomWarning, stacklevel=3)
            return raw
        numbers = struct.unpack(f"{'<' if little else '>'}{count}{fmt}", raw)
        if count == 1:
            return numbers[0]
        return MultiValue(_identity, numbers)

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
    "LO": _text,
    "LT": _single_text,
    "PN": _pn,
    "SH": _text,
    "ST": _single_text,
    "TM": _ascii_strings,
    "UC": _text,
    "UI": _ui,
    "UR": _ur,
    "UT": _single_text,
    **{vr: _numbers(fmt) for vr, fmt in NUMBER_FORMATS.items()},
    **dict.fromkeys(BYTES_VRS, _bytes),
}


def decode_value(vr: str, raw: bytes, is_little_endian: bool, encodings: tuple[str, ...]) -> Any:
    """Decode the raw bytes of one non-sequence element; unknown VRs give the bytes."""
    if not raw:
        return empty_value_for_VR(vr)
    decoder = DECODERS.get(vr, _bytes)
    return decoder(raw, is_little_endian, encodings)
