"""The DICOM JSON model (PS3.18 Annex F) and a simplified keyword view for people.

`to_json_dict(ds)` gives exactly the F.2 model: keys are eight upper-case hex digits in tag
order, "vr" always, "Value" absent for an empty element (empty sequences too), PN as objects
with "Alphabetic"/"Ideographic"/"Phonetic", AT as hex strings, IS/DS/US/SS/UL/SL/FL/FD/SV/UV
as numbers, SQ as lists of objects, null for an empty value inside a multi-valued element.
Binary values (OB/OD/OF/OL/OV/OW/UN) are "InlineBinary" (base64) while their base64 text is
at most `bulk_data_threshold` characters, and above it "BulkDataURI" from
`bulk_data_element_handler(elem)`; with no handler they stay "InlineBinary" (pydicom's rule:
nothing is lost). A handler that returns None leaves the value out (the element keeps only its
"vr"): `omit_bulk_data` is such a handler, and what the service and the command line use
unless asked for inline values; a large deferred value is then never read. File meta (group
0002) is included only with `include_meta`.

Values that break their VR never make the conversion fail: an IS or DS whose text is not a
number is given as that text (a JSON string), and bytes that cannot be numbers of their VR
(a wrong length) as "InlineBinary".

`from_json(data)` is the inverse; `to_simple_dict(ds)` is a keyword-keyed view for people:
`{"PatientName": "Doe^John", "Rows": 512, "ReferencedStudySequence": [{...}], ...}`, private
and unknown elements keyed by their tag "(0009,1001)", binary values as a placeholder such as
"<OW: 524288 bytes>".
"""

from __future__ import annotations

import base64
import inspect
import json as _json
import re
from binascii import b2a_base64
from collections.abc import Callable
from typing import Any

from . import dictionary
from .charset import python_encodings
from .dataelem import DataElement
from .dataset import Dataset
from .jsonvalue import PN_GROUPS, BulkDataURIHandler, dataset_from_json, element_from_json
from .multival import MultiValue
from .personname import PersonName
from .tag import SPECIFIC_CHARACTER_SET, BaseTag
from .valuerep import DS, IS
from .values import little_endian_bytes
from .vr import AMBIGUOUS_VRS, BYTES_VRS, FLOAT_VRS, INT_VRS, VALID_VRS

__all__ = ["to_json_dict", "to_json", "from_json", "to_simple_dict", "BulkDataHandler",
           "BulkDataURIHandler", "element_from_json", "element_to_json_dict",
           "element_paths", "element_at_path", "omit_bulk_data", "three_argument_handler"]

BulkDataHandler = Callable[[DataElement], "str | None"]


def omit_bulk_data(elem: DataElement) -> None:
    """A bulk data handler that leaves large values out of the model (see the module
    docstring): for answers that must not grow with the pixel data."""
    return None

_HEX_TAG = re.compile(r"[0-9A-Fa-f]{8}")
_INDEX = re.compile(r"[0-9]{1,9}")


def to_json_dict(ds: Dataset, bulk_data_threshold: int = 1024,
                 bulk_data_element_handler: BulkDataHandler | None = None,
                 include_meta: bool = False, *, suppress_invalid_tags: bool = False
                 ) -> dict[str, Any]:
    """The PS3.18 F.2 model of `ds` as plain dicts and lists (see the module docstring).

    `suppress_invalid_tags=True` leaves out an element whose value cannot be put in the model
    (the conversion raised), as pydicom does, instead of raising.
    """
    result: dict[str, Any] = {}
    meta = getattr(ds, "file_meta", None) if include_meta else None
    if meta is not None:
        _add_elements(result, meta, bulk_data_threshold, bulk_data_element_handler,
                      suppress_invalid_tags)
    _add_elements(result, ds, bulk_data_threshold, bulk_data_element_handler,
                  suppress_invalid_tags)
    return result


def _add_elements(result: dict[str, Any], ds: Dataset, threshold: int,
                  handler: BulkDataHandler | None, suppress_invalid_tags: bool) -> None:
    """The F.2 object of each element of `ds`, in tag order, under its hex key.

    The common elements (text, numbers, a person's name, a sequence, binary values inline)
    are converted here without a call per element, to what `element_to_json_dict` gives;
    the rest go through it.
    """
    keys = _HEX_KEYS
    kinds = _KINDS
    for elem in ds.values():
        tag = elem.tag
        key = keys.get(tag)
        if key is None:
            key = f"{tag:08X}"
            if len(keys) < _HEX_KEYS_KEPT:
                keys[tag] = key
        vr = elem.VR
        try:
            kind = kinds.get(vr)
            if kind is not None:
                value = elem.value
                cls = value.__class__
                if kind is _TEXT:
                    if cls is str:
                        result[key] = {"vr": vr, "Value": [value]} if value else {"vr": vr}
                        continue
                    if isinstance(value, str):  # UID and other str subclasses: as str
                        result[key] = {"vr": vr, "Value": [str(value)]} if value else \
                            {"vr": vr}
                        continue
                elif kind is _INT:
                    if cls is int:
                        result[key] = {"vr": vr, "Value": [value]}
                        continue
                    if cls is IS:
                        result[key] = {"vr": vr, "Value": [int(value)]}
                        continue
                elif cls is float or cls is DS:
                    number = float(value)
                    if number - number == 0.0:  # not NaN or infinity, which JSON lacks
                        result[key] = {"vr": vr, "Value": [number]}
                        continue
                if cls is MultiValue and len(value) > 1:
                    # Each value as the VR's converter gives it; a plain one is kept as is,
                    # which is what the converter would return, without the call.
                    if kind is _TEXT:
                        items = [v if v.__class__ is str and v else _text_json(v)
                                 for v in value]
                    elif kind is _INT:
                        items = [v if v.__class__ is int else _int_json(v) for v in value]
                    else:
                        items = [v if v.__class__ is float and v - v == 0.0 else _float_json(v)
                                 for v in value]
                    result[key] = {"vr": vr, "Value": items}
                    continue
            elif vr == "PN":
                value = elem.value
                if value.__class__ is PersonName:
                    name = _pn_json(value)
                    result[key] = {"vr": vr, "Value": [name]} if name is not None else \
                        {"vr": vr}
                    continue
            elif vr == "SQ":
                items = []
                for item in elem.value:
                    members: dict[str, Any] = {}
                    _add_elements(members, item, threshold, handler, suppress_invalid_tags)
                    items.append(members)
                result[key] = {"vr": vr, "Value": items} if items else {"vr": vr}
                continue
            elif handler is None and vr in BYTES_VRS:
                value = elem.value
                if value.__class__ is bytes and elem.is_little_endian:
                    # Base64 of the bytes read, as element_to_json_dict gives it.
                    result[key] = {"vr": vr, "InlineBinary":
                                   b2a_base64(value, newline=False).decode("ascii")} \
                        if value else {"vr": vr}
                    continue
            result[key] = element_to_json_dict(elem, handler, threshold, suppress_invalid_tags)
        except Exception:
            if not suppress_invalid_tags:
                raise


# The key of each tag met, made once: formatting it costs more than the rest of a short
# text element. Bounded, as private tags are as many as inputs make up.
_HEX_KEYS: dict[int, str] = {}
_HEX_KEYS_KEPT = 1 << 16


def to_json(ds: Dataset, bulk_data_threshold: int = 1024,
            bulk_data_element_handler: BulkDataHandler | None = None,
            include_meta: bool = False, *, dump_handler: Callable[[dict[str, Any]], str]
            | None = None, suppress_invalid_tags: bool = False, **dumps_options: Any) -> str:
    """`to_json_dict` as a JSON string: `dump_handler(model)` when given (pydicom's), else
    `json.dumps(model, **dumps_options)`; with neither, the same text written without the
    model (`jsontext`)."""
    if dump_handler is None and not dumps_options:
        from .jsontext import write_json_text

        return write_json_text(ds, bulk_data_threshold, bulk_data_element_handler,
                               include_meta, suppress_invalid_tags)
    model = to_json_dict(ds, bulk_data_threshold, bulk_data_element_handler, include_meta,
                         suppress_invalid_tags=suppress_invalid_tags)
    if dump_handler is not None:
        return dump_handler(model)
    return _json.dumps(model, **dumps_options)


# json.dumps's defaults without its check for cycles, which the model cannot have: that
# check costs an eighth of the encoding.
_ENCODER = _json.JSONEncoder(check_circular=False)


def element_to_json_dict(elem: DataElement, bulk_data_element_handler: BulkDataHandler | None,
                         bulk_data_threshold: int = 1024, suppress_invalid_tags: bool = False
                         ) -> dict[str, Any]:
    """The F.2 object of one element (`DataElement.to_json_dict`)."""
    threshold, handler = bulk_data_threshold, bulk_data_element_handler
    vr = elem.VR
    out: dict[str, Any] = {"vr": vr}
    if vr == "SQ":
        items = [to_json_dict(item, threshold, handler,
                              suppress_invalid_tags=suppress_invalid_tags)
                 for item in elem.value]
        if items:
            out["Value"] = items
        return out
    # The threshold is on the base64 text, which is 4/3 of the bytes (as pydicom).
    limit = threshold // 4 * 3
    if vr in BYTES_VRS and elem.is_deferred and handler is not None \
            and elem.raw_value.length > limit:
        # Decided from the length alone: a large value left on disk stays there.
        _bulk(out, elem, handler)
        return out
    value = elem.value
    if vr in BYTES_VRS or isinstance(value, bytes):
        if value:
            # Little endian whatever the file's byte order (PS3.18 F.2.7, 8.7.3.3.1).
            data = bytes(value) if elem.is_little_endian else little_endian_bytes(elem)
            if len(data) <= limit or handler is None:
                out["InlineBinary"] = base64.b64encode(data).decode("ascii")
            else:
                _bulk(out, elem, handler)
        return out
    convert = _VALUE_JSON.get(vr, _text_json)
    if isinstance(value, list):
        if not value or (len(value) == 1 and (value[0] is None or value[0] == "")):
            return out
        out["Value"] = [convert(v) for v in value]
        return out
    # One value (most elements): no list to build and test first.
    if value is None or isinstance(value, str) and not value:
        return out
    one = convert(value)
    if vr == "PN" and one is None:
        return out  # an empty name alone: no value
    out["Value"] = [one]
    return out


def _bulk(out: dict[str, Any], elem: DataElement, handler: BulkDataHandler) -> None:
    uri = handler(elem)
    if uri is not None:
        out["BulkDataURI"] = uri


def _pn_json(value: Any) -> dict[str, str] | None:
    name = value if isinstance(value, PersonName) else PersonName(str(value or ""))
    if not str(name):
        return None
    groups = name.components
    return {key: group for key, group in zip(PN_GROUPS, groups, strict=False) if group} or \
        {"Alphabetic": ""}


def _number_json(value: Any, vr: str) -> Any:
    return _int_json(value) if vr in INT_VRS else _float_json(value)


def _int_json(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        return value or None  # IS text that is not a number: what there is
    return int(value)


def _float_json(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        return value or None  # DS text that is not a number: what there is
    number = float(value)
    if number != number or number in (_INF, -_INF):
        return str(value)  # JSON has no NaN or infinity
    return number


def _text_json(value: Any) -> Any:
    return str(value) if value is not None and value != "" else None


def _at_json(value: Any) -> Any:
    return f"{value:08X}" if value is not None else None


_INF = float("inf")
# VRs whose values go into the model as text (`_text_json`).
_TEXT_VRS = frozenset(VALID_VRS) - BYTES_VRS - INT_VRS - FLOAT_VRS - {"SQ", "PN", "AT"}
# The VRs whose single values the data set loops (here and in jsontext) convert themselves,
# by the kind of value they hold.
_TEXT, _INT, _FLOAT = "text", "int", "float"
_KINDS = {**dict.fromkeys(_TEXT_VRS, _TEXT), **dict.fromkeys(INT_VRS, _INT),
          **dict.fromkeys(FLOAT_VRS, _FLOAT)}
# One converter per VR for each value (of a single or multi-valued element).
_VALUE_JSON: dict[str, Callable[[Any], Any]] = {
    **dict.fromkeys(INT_VRS, _int_json), **dict.fromkeys(FLOAT_VRS, _float_json),
    "PN": _pn_json, "AT": _at_json,
}


# -- from JSON -------------------------------------------------------------------------------

def from_json(data: dict[str, Any] | str | bytes,
              bulk_data_uri_handler: Callable[..., Any] | None = None) -> Dataset:
    """A Dataset from the PS3.18 F.2 model (a dict, or JSON text).

    "BulkDataURI" values are fetched with `bulk_data_uri_handler(uri)` or
    `bulk_data_uri_handler(tag, vr, uri)` (pydicom accepts both); without a handler they are
    left empty with a warning. A UN "InlineBinary" of an element the dictionary knows is
    decoded with the dictionary's VR, as pydicom does ('HFS', not b'HFS '). Raises
    ValueError for a structure that is not the model.
    """
    if isinstance(data, (str, bytes)):
        try:
            data = _json.loads(data)
        except RecursionError:
            raise ValueError("the JSON is nested too deeply") from None
    if not isinstance(data, dict):
        raise ValueError("DICOM JSON must be an object of tag keys")
    ds = dataset_from_json(data, three_argument_handler(bulk_data_uri_handler))
    resolve_un(ds)
    return ds


def three_argument_handler(handler: Callable[..., Any] | None) -> BulkDataURIHandler | None:
    """`handler` as `(tag, vr, uri) -> value`, also when it takes the URI alone."""
    if handler is None:
        return None
    try:
        count = len(inspect.signature(handler).parameters)
    except (TypeError, ValueError):  # a builtin without a signature: pydicom's 3 arguments
        return handler
    if count == 1:
        return lambda tag, vr, uri: handler(uri)
    return handler


def resolve_un(ds: Dataset, encodings: tuple[str, ...] | None = None) -> None:
    """Give the UN elements of `ds` (and its items) that the dictionary knows their
    dictionary VR, the bytes decoded as implicit VR little endian (PS3.5 6.2.2)."""
    scs = ds.get_item(SPECIFIC_CHARACTER_SET)
    if scs is not None or encodings is None:
        encodings = python_encodings(scs.value if scs is not None else None)
    for elem in list(ds):
        if elem.VR == "SQ":
            for item in elem.value:
                resolve_un(item, encodings)
        elif elem.VR == "UN":
            known = un_as_known(elem, encodings)
            if known is not elem:
                ds.add(known)


def un_as_known(elem: DataElement, encodings: tuple[str, ...]) -> DataElement:
    """The element with its dictionary VR if it is UN bytes of a known public tag (not SQ,
    not ambiguous), else the element itself."""
    value = elem.value
    if elem.VR != "UN" or not isinstance(value, bytes) or elem.tag.is_private:
        return elem
    try:
        vr = dictionary.dictionary_VR(elem.tag)
    except KeyError:
        return elem
    if vr in ("SQ", "UN", "NONE") or vr in AMBIGUOUS_VRS:
        return elem
    return DataElement.from_raw(elem.tag, vr, value, True, encodings)


# -- the simplified view -------------------------------------------------------------------

def to_simple_dict(ds: Dataset, include_meta: bool = False) -> dict[str, Any]:
    """A keyword-keyed view for people (see the module docstring)."""
    result: dict[str, Any] = {}
    meta = getattr(ds, "file_meta", None) if include_meta else None
    elements = (list(meta) if meta is not None else []) + list(ds)
    for elem in elements:
        result[elem.keyword or str(BaseTag(elem.tag))] = _simple_value(elem)
    return result


def _simple_value(elem: DataElement) -> Any:
    if elem.VR == "SQ":
        return [to_simple_dict(item) for item in elem.value]
    if elem.is_deferred and elem.VR in BYTES_VRS:
        return f"<{elem.VR}: {elem.raw_value.length} bytes>"
    value = elem.value
    if isinstance(value, (bytes, bytearray)):
        return f"<{elem.VR}: {len(value)} bytes>"
    if isinstance(value, list):
        return [_simple_scalar(v, elem.VR) for v in value]
    return _simple_scalar(value, elem.VR)


def _simple_scalar(value: Any, vr: str) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, PersonName):
        return str(value)
    if vr == "AT":
        return str(BaseTag(value))
    if vr in INT_VRS or vr in FLOAT_VRS:
        return _number_json(value, vr)
    return str(value)


# -- locating values for BulkDataURIs ----------------------------------------------------------

def element_paths(ds: Dataset) -> dict[int, str]:
    """id(element) -> its path "gggggggg[/item/gggggggg...]", for building BulkDataURIs."""
    paths: dict[int, str] = {}

    def walk(dataset: Dataset, prefix: str) -> None:
        for elem in dataset:
            path = f"{prefix}{elem.tag:08X}"
            paths[id(elem)] = path
            if elem.VR == "SQ":
                for index, item in enumerate(elem.value):
                    walk(item, f"{path}/{index}/")

    walk(ds, "")
    return paths


def element_at_path(ds: Dataset, path: str) -> DataElement:
    """The element a path from `element_paths` names; KeyError when there is none."""
    parts = path.strip("/").split("/")
    if len(parts) % 2 != 1:
        raise KeyError(path)
    current: Dataset = ds
    for position, part in enumerate(parts):
        if position % 2 == 0:
            if not _HEX_TAG.fullmatch(part):
                raise KeyError(path)
            elem = current.get_item(int(part, 16))
            if elem is None:
                raise KeyError(path)
            if position == len(parts) - 1:
                return elem
            if elem.VR != "SQ":
                raise KeyError(path)
        else:
            if not _INDEX.fullmatch(part) or int(part) >= len(elem.value):
                raise KeyError(path)
            current = elem.value[int(part)]
    raise KeyError(path)
