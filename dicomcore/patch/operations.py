"""Patches as data: the operation list and the PS3.18 JSON object, parsed and checked.

A patch is a JSON array of operations in the spirit of RFC 6902::

    [{"op": "set", "path": "PatientName", "value": "Doe^Jane"},
     {"op": "delete", "path": "(0010,1000)"},
     {"op": "append", "path": "OtherPatientIDsSequence", "value": {"PatientID": "X"}},
     {"op": "remove", "path": "OtherPatientIDsSequence[0]"},
     {"op": "set", "path": "(0009,\"ACME 1.0\",04)", "vr": "LO", "value": "private"}]

or a PS3.18 DICOM JSON object, whose elements are `set` (an element without "Value" is
emptied). Parsing checks what an operation says on its face (its members, op, path, vr);
values are checked when they are applied, against the data set (`engine`). Each operation is
parsed alone, so that one malformed operation is reported together with the failures of the
others. Every operation is one `AttributeOp` (`as_attribute_op`): a path `Selector` and the
`Action` of the same name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..dataset import Dataset
from ..jsonvalue import element_from_json
from ..tag import Tag
from ..vr import VALID_VRS
from .errors import InvalidOperation, PatchError
from .paths import PathStep, check_element_tag, parse_path
from .select import Action, AttributeOp, Selector, check_pair

__all__ = ["Operation", "Parsed", "parse", "parse_collecting", "as_attribute_op",
           "item_operations"]

_OPS = ("set", "delete", "append", "remove")
_MEMBERS = frozenset({"op", "path", "value", "vr", "force"})


@dataclass(frozen=True)
class Operation:
    """One parsed patch operation: `op` on the element (or item) `path` names."""

    op: str
    path: tuple[PathStep, ...]
    text: str
    value: Any = None
    vr: str | None = None
    force: bool = False


Parsed = tuple[int, Operation, AttributeOp]
"""An operation's index in the patch, the operation, and the selector + action it is."""


def parse(patch: Any) -> list[Operation]:
    """Operations from a patch array or a PS3.18 JSON object; PatchError if malformed."""
    parsed, errors = parse_collecting(patch)
    if errors:
        raise PatchError(errors)
    return [operation for _, operation, _ in parsed]


def parse_collecting(patch: Any) -> tuple[list[Parsed], list[dict[str, Any]]]:
    """Each operation parsed alone, and the failures of those that are malformed."""
    if isinstance(patch, dict):
        try:
            return [(index, op, as_attribute_op(op))
                    for index, op in enumerate(_from_dicom_json(patch))], []
        except InvalidOperation as exc:
            return [], [{"index": None, "op": "set", "path": None, "reason": str(exc)}]
    if not isinstance(patch, list):
        return [], [{"index": None, "op": None, "path": None,
                     "reason": "a patch is a JSON array of operations or a DICOM JSON object"}]
    parsed = []
    errors = []
    for index, raw in enumerate(patch):
        try:
            operation = _operation(raw)
            parsed.append((index, operation, as_attribute_op(operation)))
        except InvalidOperation as exc:
            op = raw.get("op") if isinstance(raw, dict) else None
            path = raw.get("path") if isinstance(raw, dict) else None
            errors.append({"index": index, "op": op, "path": path, "reason": str(exc)})
    return parsed, errors


def _operation(raw: Any) -> Operation:
    """One operation object, checked on its face (the path an op takes: `as_attribute_op`)."""
    if not isinstance(raw, dict):
        raise InvalidOperation("an operation is an object with op and path")
    unknown = set(raw) - _MEMBERS
    if unknown:
        raise InvalidOperation(f"unknown members {sorted(unknown)}")
    op = raw.get("op")
    if op not in _OPS:
        raise InvalidOperation(f"op must be one of {', '.join(_OPS)}")
    path = raw.get("path")
    if not isinstance(path, str) or not path:
        raise InvalidOperation("path must be a non-empty string")
    vr = raw.get("vr")
    if vr is not None and vr not in VALID_VRS:
        raise InvalidOperation(f"vr {vr!r} is not a VR")
    if op in ("set", "append") and "value" not in raw:
        raise InvalidOperation(f"{op} needs a value")
    force = raw.get("force", False)
    if not isinstance(force, bool):
        raise InvalidOperation("force is true or false")
    return Operation(op, parse_path(path), path, raw.get("value"), vr, force)


def as_attribute_op(operation: Operation) -> AttributeOp:
    """The selector and action an operation stands for."""
    selector = Selector("path", operation.path, operation.text)
    if operation.op == "set":
        action = Action.set(operation.value, operation.vr)
    elif operation.op == "append":
        action = Action.append(operation.value, operation.vr)
    elif operation.op == "delete":
        action = Action.delete()
    else:
        action = Action.remove()
    check_pair(selector, action)
    return AttributeOp(selector, action, operation.force)


def _from_dicom_json(obj: dict[str, Any]) -> list[Operation]:
    """A DICOM JSON object as `set` operations; values are checked when they are applied,
    sequence items member by member like `append` values."""
    operations = []
    for key, element in obj.items():
        try:
            tag = int(Tag(key)) if isinstance(key, str) and len(key) == 8 else None
        except (ValueError, TypeError, OverflowError):
            tag = None
        if tag is None:
            raise InvalidOperation(f"{key!r} is not a tag key")
        check_element_tag(tag, key)
        if not isinstance(element, dict) or element.get("vr") not in VALID_VRS:
            raise InvalidOperation(f"{key}: an element is an object with a known \"vr\"")
        if "BulkDataURI" in element:
            raise InvalidOperation(f"{key}: a patch cannot fetch a BulkDataURI; send "
                                   "InlineBinary")
        if element["vr"] == "SQ":
            items = element.get("Value") or []
            if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                raise InvalidOperation(f"{key}: sequence items must be objects")
            operations.append(Operation("set", (PathStep(tag),), key, items, "SQ"))
            continue
        try:
            elem = element_from_json(key, element)
        except ValueError as exc:
            raise InvalidOperation(str(exc)) from None
        operations.append(Operation("set", (PathStep(tag),), key, elem.value, elem.VR))
    return operations


def item_operations(item: dict[str, Any] | Dataset) -> list[AttributeOp]:
    """The members of a new sequence item as `set` operations, so that they are checked as
    any value is: each member is a path -> value, or a tag key -> a PS3.18 element object;
    or each element of a Dataset given as the item."""
    if isinstance(item, Dataset):
        return [AttributeOp(Selector.tag(elem.tag), Action.set(elem.value, elem.VR))
                for elem in item]
    ops = []
    for key, member in item.items():
        if isinstance(member, dict) and "vr" in member:
            ops.extend(as_attribute_op(op) for op in _from_dicom_json({key: member}))
        else:
            if not isinstance(key, str) or not key:
                raise InvalidOperation("path must be a non-empty string")
            ops.append(as_attribute_op(Operation("set", parse_path(key), key, member)))
    return ops
