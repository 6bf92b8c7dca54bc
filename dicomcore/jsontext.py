"""DICOM JSON text (PS3.18 F.2) written straight from a data set, for `json.to_json`.

`write_json_text(ds, ...)` gives exactly the text `json.dumps(to_json_dict(ds, ...))` gives
(same keys, order, separators and escapes), without building the model first and without
the encoder scanning every character of large base64 values for escapes. The rules of the
model stay in `json`: here each VR has a writer that turns the common value types into text
directly, and anything else (an unusual value type, an ambiguous VR, a value that breaks its
VR) is handed to `json.element_to_json_dict` and the standard encoder, element by element;
an element whose writer fails is written again that way, so errors and
`suppress_invalid_tags` behave as in `to_json_dict`.

The text is built as a list of pieces joined once at the end: a base64 value is one piece,
copied only by that join.
"""

from __future__ import annotations

from binascii import b2a_base64
from collections.abc import Callable
from json.encoder import encode_basestring_ascii
from typing import Any

from .dataelem import DataElement
from .dataset import Dataset
from .json import (
    _ENCODER,
    _HEX_KEYS_KEPT,
    _INT,
    _KINDS,
    _TEXT,
    _TEXT_VRS,
    BulkDataHandler,
    _float_json,
    _int_json,
    _pn_json,
    element_to_json_dict,
    to_json_dict,
)
from .uid import UID
from .valuerep import DS, IS
from .values import little_endian_bytes
from .vr import BYTES_VRS, FLOAT_VRS, INT_VRS, VALID_VRS

__all__ = ["write_json_text"]


class _Options:
    """What every element's writer needs, passed as one argument."""

    __slots__ = ("threshold", "limit", "handler", "suppress")

    def __init__(self, threshold: int, handler: BulkDataHandler | None, suppress: bool) -> None:
        self.threshold = threshold
        # The threshold is on the base64 text, which is 4/3 of the bytes (as in `json`).
        self.limit = threshold // 4 * 3
        self.handler = handler
        self.suppress = suppress


class _Unhandled(Exception):
    """A value type the VR's writer does not write itself: the model's rules write it."""


def write_json_text(ds: Dataset, bulk_data_threshold: int = 1024,
                    bulk_data_element_handler: BulkDataHandler | None = None,
                    include_meta: bool = False, suppress_invalid_tags: bool = False) -> str:
    """`json.dumps(to_json_dict(ds, ...))`, written directly (see the module docstring)."""
    options = _Options(bulk_data_threshold, bulk_data_element_handler, suppress_invalid_tags)
    parts = ["{"]
    meta = getattr(ds, "file_meta", None) if include_meta else None
    if meta is not None:
        if any(elem.tag in ds for elem in meta):
            # One key twice: the model keeps the meta element's place and the data set's
            # value, which one pass in tag order cannot write; the model does.
            return _ENCODER.encode(to_json_dict(ds, bulk_data_threshold,
                                                bulk_data_element_handler, include_meta,
                                                suppress_invalid_tags=suppress_invalid_tags))
        _write_dataset(parts, meta, options)
        if len(parts) > 1:
            parts.append(", ")
            _write_dataset(parts, ds, options)
            if parts[-1] == ", ":  # the data set wrote nothing
                parts.pop()
        else:
            _write_dataset(parts, ds, options)
    else:
        _write_dataset(parts, ds, options)
    parts.append("}")
    return "".join(parts)


def _write_dataset(parts: list[str], ds: Dataset, options: _Options) -> None:
    """The members of the F.2 object of `ds`, in tag order, each as ', "KEY": {...}' but the
    first without its comma."""
    start = len(parts)
    append = parts.append
    prefixes = _PREFIXES
    kinds = _KINDS
    heads = _HEADS
    empties = _EMPTIES
    writers = _WRITERS
    encode = encode_basestring_ascii
    int_repr = _int_repr
    float_repr = _float_repr
    for elem in ds.values():
        tag = elem.tag
        prefix = prefixes.get(tag)
        if prefix is None:
            prefix = _prefix(tag)
        vr = elem.VR
        mark = len(parts)
        try:
            # One value of text or a number (most elements), written here without a call;
            # the same as the VR's writer gives.
            kind = kinds.get(vr)
            if kind is not None:
                value = elem.value
                cls = value.__class__
                if kind is _TEXT:
                    if cls is str or cls is UID:
                        append(f"{prefix}{heads[vr]}{encode(value)}]}}" if value
                               else prefix + empties[vr])
                        continue
                elif kind is _INT:
                    if cls is int or cls is IS:
                        append(f"{prefix}{heads[vr]}{int_repr(value)}]}}")
                        continue
                elif (cls is float or cls is DS) and value - value == 0.0:  # not NaN or inf
                    append(f"{prefix}{heads[vr]}{float_repr(value)}]}}")
                    continue
            writers.get(vr, _write_model)(parts, elem, prefix, options)
        except Exception:
            del parts[mark:]
            _write_model(parts, elem, prefix, options)
    if len(parts) > start:
        parts[start] = parts[start][2:]


def _prefix(tag: int) -> str:
    """', "GGGGEEEE": ', kept for the next element of that tag while the cache has room."""
    prefix = f', "{tag:08X}": '
    if len(_PREFIXES) < _HEX_KEYS_KEPT:
        _PREFIXES[tag] = prefix
    return prefix


# Bounded as json's key cache is: private tags are as many as inputs make up.
_PREFIXES: dict[int, str] = {}


def _write_model(parts: list[str], elem: DataElement, prefix: str, options: _Options) -> None:
    """The element through the model's rules and the standard encoder: what every writer
    falls back to, and what raises (or, with suppress_invalid_tags, leaves the element out)
    as `to_json_dict` does."""
    try:
        model = element_to_json_dict(elem, options.handler, options.threshold,
                                     options.suppress)
    except Exception:
        if not options.suppress:
            raise
        return
    parts.append(prefix + _ENCODER.encode(model))


def _write_sequence(parts: list[str], elem: DataElement, prefix: str,
                    options: _Options) -> None:
    items = elem.value
    if not items:
        parts.append(prefix + '{"vr": "SQ"}')
        return
    parts.append(prefix + '{"vr": "SQ", "Value": [{')
    for position, item in enumerate(items):
        if position:
            parts.append(", {")
        _write_dataset(parts, item, options)
        parts.append("}")
    parts.append("]}")


def _write_bytes(parts: list[str], elem: DataElement, prefix: str, options: _Options) -> None:
    vr = elem.VR
    handler = options.handler
    if handler is not None and elem.is_deferred and elem.raw_value.length > options.limit:
        # Decided from the length alone: a large value left on disk stays there.
        _write_bulk(parts, elem, prefix, handler)
        return
    value = elem.value
    if value is None or value == b"":
        parts.append(prefix + _EMPTIES[vr])
    elif value.__class__ is not bytes:
        raise _Unhandled
    elif handler is None or len(value) <= options.limit:
        if not elem.is_little_endian:
            value = little_endian_bytes(elem)  # the model's byte order (PS3.18 F.2.7)
        parts.append(prefix + _INLINE_HEADS[vr])
        parts.append(b2a_base64(value, newline=False).decode("ascii"))
        parts.append('"}')
    else:
        _write_bulk(parts, elem, prefix, handler)


def _write_bulk(parts: list[str], elem: DataElement, prefix: str,
                handler: BulkDataHandler) -> None:
    uri = handler(elem)
    if uri is None:
        parts.append(prefix + _EMPTIES[elem.VR])
    else:
        parts.append(f'{prefix}{{"vr": "{elem.VR}", "BulkDataURI": {_ENCODER.encode(uri)}}}')


def _values_writer(one: Callable[[Any], str], many: Callable[[list[Any]], str]
                   ) -> Callable[[list[str], DataElement, str, _Options], None]:
    """A writer for a VR whose values are written by `one(value)` (a single value) and
    `many(values)` (a multi-valued element), with the model's rules for empty values."""

    def write(parts: list[str], elem: DataElement, prefix: str, options: _Options) -> None:
        value = elem.value
        if isinstance(value, bytes):
            raise _Unhandled  # the model gives bytes as InlineBinary whatever the VR
        vr = elem.VR
        if isinstance(value, list):
            if not value or (len(value) == 1 and (value[0] is None or value[0] == "")):
                parts.append(prefix + _EMPTIES[vr])
            else:
                parts.append(f"{prefix}{_HEADS[vr]}{many(value)}]}}")
        elif value is None or isinstance(value, str) and not value:
            parts.append(prefix + _EMPTIES[vr])
        else:
            text = one(value)
            if text == "null" and vr == "PN":
                parts.append(prefix + _EMPTIES[vr])  # an empty name alone: no value
            else:
                parts.append(f"{prefix}{_HEADS[vr]}{text}]}}")

    return write


def _plain(value: Any) -> str:
    """The JSON text of a value the model holds (what `json.dumps` writes for it)."""
    if value is None:
        return "null"
    if value.__class__ is str:
        return encode_basestring_ascii(value)
    return _ENCODER.encode(value)


_int_repr = int.__repr__
_float_repr = float.__repr__


def _int_text(value: Any) -> str:
    if isinstance(value, int):
        return _int_repr(value)  # what int(value) gives, as digits (IS, bool: int's)
    return _plain(_int_json(value))


def _ints_text(values: list[Any]) -> str:
    try:
        return ", ".join(map(_int_repr, values))
    except TypeError:  # not all ints (None, invalid IS text)
        return ", ".join(map(_int_text, values))


def _float_text(value: Any) -> str:
    if isinstance(value, float) and value == value and value not in _INFINITIES:
        return _float_repr(value)
    return _plain(_float_json(value))


def _floats_text(values: list[Any]) -> str:
    try:
        text = ", ".join(map(_float_repr, values))
    except TypeError:  # not all floats (None, invalid DS text)
        return ", ".join(map(_float_text, values))
    if "n" in text:  # "nan" or "inf": no JSON numbers, the model gives their text
        return ", ".join(map(_float_text, values))
    return text


_INFINITIES = (float("inf"), float("-inf"))


def _text_text(value: Any) -> str:
    if value is None or not value != "":
        return "null"
    cls = value.__class__
    if cls is str or cls is UID:
        return encode_basestring_ascii(value)
    if isinstance(value, (bytes, bytearray)):
        raise _Unhandled
    return encode_basestring_ascii(str(value))


def _texts_text(values: list[Any]) -> str:
    return ", ".join(map(_text_text, values))


def _pn_text(value: Any) -> str:
    if value is None:
        return "null"
    groups = _pn_json(value)
    if groups is None:
        return "null"
    return "{" + ", ".join(f'"{key}": {encode_basestring_ascii(group)}'
                           for key, group in groups.items()) + "}"


def _pns_text(values: list[Any]) -> str:
    return ", ".join(map(_pn_text, values))


def _at_text(value: Any) -> str:
    return "null" if value is None else f'"{value:08X}"'


def _ats_text(values: list[Any]) -> str:
    return ", ".join(map(_at_text, values))


# The start of an element's object with a value, and the whole object without one, per VR.
_VRS = (*VALID_VRS, *BYTES_VRS)
_HEADS = {vr: f'{{"vr": "{vr}", "Value": [' for vr in _VRS}
_EMPTIES = {vr: f'{{"vr": "{vr}"}}' for vr in _VRS}
_INLINE_HEADS = {vr: f'{{"vr": "{vr}", "InlineBinary": "' for vr in BYTES_VRS}

# One writer per VR; a VR without one (none in VALID_VRS) goes through the model.
_WRITERS: dict[str, Callable[[list[str], DataElement, str, _Options], None]] = {
    **dict.fromkeys(_TEXT_VRS, _values_writer(_text_text, _texts_text)),
    **dict.fromkeys(INT_VRS, _values_writer(_int_text, _ints_text)),
    **dict.fromkeys(FLOAT_VRS, _values_writer(_float_text, _floats_text)),
    **dict.fromkeys(BYTES_VRS, _write_bytes),
    "PN": _values_writer(_pn_text, _pns_text),
    "AT": _values_writer(_at_text, _ats_text),
    "SQ": _write_sequence,
}
