"""JSON values -> the Python values elements hold: the one converter `json` and `patch` share.

Two kinds of JSON carry DICOM values, and both are read here:

- The PS3.18 F.2 model (`values_from_dicom_json`, `element_from_json`, `dataset_from_json`):
  a "Value" array, "InlineBinary" or "BulkDataURI". It is read the way pydicom reads it and
  never refuses a value its VR would reject (the model is a faithful copy of a file, broken
  or not); only a structure that is not the model raises ValueError.
- A patch value (`value_from_patch_json`): one JSON value or a list of them, checked for the
  JSON type its VR needs (an integer for US, base64 text for OB, ...) and raising ValueError
  with the reason otherwise. IS and DS stay text here, so that `validation` sees what was sent;
  `typed_number_strings` turns validated text into the IS/DS values reading gives. Python
  values that are not JSON (bytes, PersonName, Tag, IS/DS) are accepted as they are, so that
  de-identification actions can hand over what they read.

>>> str(value_from_patch_json("PN", {"Alphabetic": "Doe^Jane", "Ideographic": "山田^花子"}))
'Doe^Jane=山田^花子'
>>> values_from_dicom_json("00280010", "US", [512])
512
"""

from __future__ import annotations

import base64
import binascii
import warnings
from collections.abc import Callable
from typing import Any

from .dataelem import DataElement, empty_value_for_VR
from .dataset import Dataset
from .errors import DicomWarning
from .personname import PersonName
from .sequence import Sequence
from .tag import Tag
from .valuerep import DS, IS, format_DS
from .values import decode_value
from .vr import BINARY_VRS, BYTES_VRS, FLOAT_VRS, INT_VRS, NUMBER_FORMATS

__all__ = ["BulkDataURIHandler", "PN_GROUPS", "pn_from_json", "values_from_dicom_json",
           "element_from_json", "dataset_from_json", "value_from_patch_json",
           "typed_number_strings"]

BulkDataURIHandler = Callable[[str, str, str], Any]
"""`handler(tag_key, vr, uri)` -> the value a "BulkDataURI" stands for."""

PN_GROUPS = ("Alphabetic", "Ideographic", "Phonetic")
"""The members of a PS3.18 PN object, in the order of the PN component groups."""

_BINARY_INTS = INT_VRS & NUMBER_FORMATS.keys()  # US, SS, UL, SL, SV, UV: not IS
_BINARY_FLOATS = FLOAT_VRS & NUMBER_FORMATS.keys()  # FL, FD: not DS


def pn_from_json(value: Any, key: str = "PN") -> PersonName:
    """A PersonName from a string or a PS3.18 PN object; ValueError for anything else."""
    if isinstance(value, str):
        return PersonName(value)
    if isinstance(value, PersonName):
        return value
    if not isinstance(value, dict) or not set(value) <= set(PN_GROUPS):
        raise ValueError(f"{key}: a PN value is a string or an object of "
                         f"Alphabetic/Ideographic/Phonetic")
    groups = [str(value.get(name, "")) for name in PN_GROUPS]
    while groups and not groups[-1]:
        groups.pop()
    return PersonName("=".join(groups))


# -- the PS3.18 model ----------------------------------------------------------------------

def dataset_from_json(obj: dict[str, Any], handler: BulkDataURIHandler | None = None
                      ) -> Dataset:
    """A Dataset from a PS3.18 F.2 object of tag keys (already parsed JSON)."""
    ds = Dataset()
    for key, element in obj.items():
        ds.add(element_from_json(key, element, handler))
    return ds


def element_from_json(key: str, obj: Any, handler: BulkDataURIHandler | None = None
                      ) -> DataElement:
    """One element from its key ("00100010") and object ({"vr": "PN", "Value": [...]})."""
    try:
        tag = Tag(key)
    except (ValueError, TypeError, OverflowError):
        raise ValueError(f"{key!r} is not a tag key") from None
    if not isinstance(obj, dict) or not isinstance(obj.get("vr"), str):
        raise ValueError(f"{key}: an element must be an object with a \"vr\"")
    vr = obj["vr"]
    if "InlineBinary" in obj:
        raw = obj["InlineBinary"]
        if isinstance(raw, list) and all(isinstance(part, str) for part in raw):
            raw = "".join(raw)
        if vr not in BYTES_VRS and vr not in NUMBER_FORMATS and vr != "AT":
            raise ValueError(f"{key}: InlineBinary is for binary values, not {vr}")
        try:
            value: Any = base64.b64decode(raw, validate=True)
        except (ValueError, TypeError):
            raise ValueError(f"{key}: InlineBinary is not base64") from None
        if vr not in BYTES_VRS and vr in NUMBER_FORMATS or vr == "AT":
            value = decode_value(vr, value, True, ())
        return DataElement(tag, vr, value)
    if "BulkDataURI" in obj:
        uri = obj["BulkDataURI"]
        if handler is None:
            warnings.warn(f"{key}: no handler for BulkDataURI {uri!r}: value left empty",
                          DicomWarning, stacklevel=3)
            return DataElement(tag, vr, None)
        return DataElement(tag, vr, handler(f"{tag:08X}", vr, uri))
    values = obj.get("Value")
    if values is None:
        return DataElement(tag, vr, empty_value_for_VR(vr))
    if not isinstance(values, list):
        raise ValueError(f"{key}: \"Value\" must be a list")
    if vr == "SQ":
        items = []
        for item in values:
            if not isinstance(item, dict):
                raise ValueError(f"{key}: sequence items must be objects")
            items.append(dataset_from_json(item, handler))
        return DataElement(tag, vr, Sequence(items))
    try:
        return DataElement(tag, vr, values_from_dicom_json(key, vr, values))
    except (TypeError, OverflowError):
        raise ValueError(f"{key}: the values are not {vr} values") from None


def values_from_dicom_json(key: str, vr: str, values: list[Any]) -> Any:
    """The value of a PS3.18 "Value" array: one value alone, several as a list."""
    converted = []
    for v in values:
        if v is None:
            # null in a list: '' for text VRs (as reading gives), None for numbers
            converted.append(None if vr in INT_VRS | FLOAT_VRS else "")
        elif vr == "PN":
            converted.append(pn_from_json(v, key))
        elif vr == "AT":
            converted.append(Tag(str(v)))
        elif vr in ("IS", "DS"):
            converted.append(_number_string(v, vr))
        elif vr in INT_VRS:
            converted.append(int(v))
        elif vr in FLOAT_VRS:
            converted.append(float(v))
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            converted.append(str(v))
        elif isinstance(v, str):
            converted.append(v)
        else:
            raise ValueError(f"{key}: {v!r} is not a {vr} value")
    if len(converted) == 1:
        return converted[0]
    return converted


def _number_string(value: Any, vr: str) -> Any:
    kind = IS if vr == "IS" else DS
    if isinstance(value, str):
        try:
            return kind(value)
        except ValueError:
            return value
    if vr == "IS" and isinstance(value, float) and value.is_integer():
        value = int(value)
    return kind(value)


# -- patch values ---------------------------------------------------------------------------

def value_from_patch_json(vr: str, value: Any) -> Any:
    """A patch value (see the module docstring) as the element's value, IS/DS as text.

    None is the empty value; a list of one value is that value. ValueError says why a value
    is not one of `vr`.
    """
    if value is None:
        return None
    if isinstance(value, (list, tuple)) and not isinstance(value, (bytes, bytearray)):
        if len(value) == 1:
            return _patch_scalar(vr, value[0])
        return [_patch_scalar(vr, v) for v in value]
    return _patch_scalar(vr, value)


def _patch_scalar(vr: str, value: Any) -> Any:
    if value is None:
        return ""
    if vr in BINARY_VRS:
        if isinstance(value, (bytes, bytearray)):
            return bytes(value)
        if not isinstance(value, str):
            raise ValueError(f"a {vr} value is a base64 string")
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(f"a {vr} value is a base64 string") from None
    if vr == "PN":
        if not isinstance(value, (str, dict, PersonName)):
            raise ValueError("a PN value is a string or an object of "
                             "Alphabetic/Ideographic/Phonetic")
        return pn_from_json(value)
    if vr == "AT":
        try:
            return Tag(value)
        except (ValueError, TypeError, OverflowError):
            raise ValueError(f"{value!r} is not a tag") from None
    if vr in _BINARY_INTS:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"a {vr} value is an integer, not {value!r}")
        return int(value)
    if vr in _BINARY_FLOATS:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"a {vr} value is a number, not {value!r}")
        return float(value)
    if vr in ("IS", "DS"):
        return _number_text(vr, value)
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"a {vr} value is a string, not {type(value).__name__}")
    return str(value)


def _number_text(vr: str, value: Any) -> str:
    """IS/DS patch value -> its text: numbers formatted to fit the VR, strings as sent."""
    if isinstance(value, (IS, DS)):
        return str(value)
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"a {vr} value is a number or a numeric string")
    if isinstance(value, str):
        return value.strip()
    try:
        return str(IS(value)) if vr == "IS" else format_DS(float(value))
    except (ValueError, OverflowError) as exc:
        raise ValueError(str(exc)) from None


def typed_number_strings(vr: str, value: Any) -> Any:
    """Validated IS/DS text as the IS/DS values reading gives; other values unchanged."""
    if vr not in ("IS", "DS"):
        return value
    kind = IS if vr == "IS" else DS
    if isinstance(value, list):
        return [kind(v) if v not in (None, "") else v for v in value]
    return kind(value) if value not in (None, "") else value
