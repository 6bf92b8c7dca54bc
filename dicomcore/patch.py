"""Attribute patches: validated edits applied atomically, all or nothing.

A patch is a JSON array of operations in the spirit of RFC 6902::

    [{"op": "set", "path": "PatientName", "value": "Doe^Jane"},
     {"op": "delete", "path": "(0010,1000)"},
     {"op": "set", "path": "ReferencedStudySequence[*].ReferencedSOPInstanceUID",
      "value": "1.2.3"},
     {"op": "append", "path": "OtherPatientIDsSequence", "value": {"PatientID": "X"}},
     {"op": "remove", "path": "OtherPatientIDsSequence[0]"},
     {"op": "set", "path": "(0009,\"ACME 1.0\",04)", "vr": "LO", "value": "private"}]

- `set` creates or replaces an element, `delete` removes one (absent: nothing to do),
  `append` adds an item to a sequence (created if absent), `remove` deletes an item by index.
- A path names an element by keyword, by tag ("(0010,0010)", "00100010", "0010,0010"),
  inside sequences ("Seq[0].Keyword", "[*]" for every item, "[-1]" for the last) and private
  elements by creator: "(gggg,\"CREATOR\",ee)"; a new private block is reserved when the
  creator is absent.
- "vr" is needed where the dictionary does not know the element (private ones) or gives an
  ambiguous VR; "force": true allows changing file meta (group 0002) or the attributes that
  describe the pixel data while Pixel Data is present, which are refused otherwise.
- Values are JSON: strings, numbers, lists, PN as a string or a PS3.18 PN object, binary
  as base64, SQ as a list of objects of path -> value. A PS3.18 DICOM JSON object is a patch
  too: elements present are set, an element without "Value" is emptied.

Every value is validated against its VR before anything changes (`validation`). On any
failure `PatchError` lists every failing operation with its index and reason and the data set
is untouched. Elements a patch does not name are not touched at all, so a file written with
`write_like_original=True` changes only in the patched elements and the lengths around them.
"""

from __future__ import annotations

import base64
import binascii
import warnings
from dataclasses import dataclass
from typing import Any

from . import dictionary
from .charset import python_encodings
from .dataelem import DataElement
from .dataset import Dataset
from .limits import MAX_DEPTH
from .personname import PersonName
from .sequence import Sequence
from .tag import Tag
from .validation import validate_value
from .valuerep import DS, IS, format_DS
from .vr import VALID_VRS

__all__ = ["apply", "parse", "Operation", "PatchError", "PathStep"]

_OPS = ("set", "delete", "append", "remove")
_PIXEL_DESCRIPTION = frozenset({0x00280002, 0x00280004, 0x00280006, 0x00280008, 0x00280010,
                                0x00280011, 0x00280100, 0x00280101, 0x00280102, 0x00280103})
_PIXEL_TAGS = (0x7FE00010, 0x7FE00008, 0x7FE00009)
_AMBIGUOUS = ("US or SS", "OB or OW", "US or OW", "US or SS or OW")
_TEXT_VRS = frozenset({"SH", "LO", "ST", "LT", "UC", "UT", "PN"})


def _check_character_set(value: Any) -> None:
    """Only defined terms of PS3.3 C.12.1.1.2: an unknown one would garble every text."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        python_encodings(list(value) if isinstance(value, list) else (value or None))
    if caught:
        raise _Failed(f"not a Specific Character Set this library knows: {caught[0].message}")


def _encodings_of(value: Any) -> tuple[str, ...]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return python_encodings(list(value) if isinstance(value, list) else (value or None))


class PatchError(ValueError):
    """The patch was not applied; `errors` lists {"index", "op", "path", "reason"}."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        self.errors = errors
        lines = [f"operation {e['index']} ({e['op']} {e['path']}): {e['reason']}" for e in errors]
        super().__init__("patch not applied: " + "; ".join(lines))


@dataclass(frozen=True)
class PathStep:
    """One element of a path: its tag (or private creator block) and an optional index."""

    tag: int | None
    creator: str | None = None
    private_element: int | None = None
    index: int | str | None = None  # int, "*" or None


@dataclass(frozen=True)
class Operation:
    op: str
    path: tuple[PathStep, ...]
    text: str
    value: Any = None
    vr: str | None = None
    force: bool = False
    decoded: bool = False  # the value is already Python (from a DICOM JSON object)


class _Failed(Exception):
    pass


def parse(patch: Any) -> list[Operation]:
    """Operations from a patch array or a PS3.18 JSON object; PatchError if malformed."""
    operations, errors = _parse_collecting(patch)
    if errors:
        raise PatchError(errors)
    return [op for op in operations if op is not None]


def _parse_collecting(patch: Any) -> tuple[list[Operation | None], list[dict[str, Any]]]:
    """Each operation parsed alone (None where it failed) and the failures, so that a
    malformed operation is reported together with the ones that fail later."""
    if isinstance(patch, dict):
        return list(_from_dicom_json(patch)), []
    if not isinstance(patch, list):
        return [], [{"index": None, "op": None, "path": None,
                     "reason": "a patch is a JSON array of operations or a DICOM JSON object"}]
    operations: list[Operation | None] = []
    errors = []
    for index, raw in enumerate(patch):
        try:
            operations.append(_operation(raw))
        except _Failed as exc:
            errors.append(_error(index, raw, str(exc)))
            operations.append(None)
    return operations, errors


def _error(index: int | None, raw: Any, reason: str) -> dict[str, Any]:
    op = raw.get("op") if isinstance(raw, dict) else None
    path = raw.get("path") if isinstance(raw, dict) else None
    return {"index": index, "op": op, "path": path, "reason": reason}


def _operation(raw: Any) -> Operation:
    if not isinstance(raw, dict):
        raise _Failed("an operation is an object with op and path")
    unknown = set(raw) - {"op", "path", "value", "vr", "force"}
    if unknown:
        raise _Failed(f"unknown members {sorted(unknown)}")
    op = raw.get("op")
    if op not in _OPS:
        raise _Failed(f"op must be one of {', '.join(_OPS)}")
    path = raw.get("path")
    if not isinstance(path, str) or not path:
        raise _Failed("path must be a non-empty string")
    vr = raw.get("vr")
    if vr is not None and vr not in VALID_VRS:
        raise _Failed(f"vr {vr!r} is not a VR")
    if op in ("set", "append") and "value" not in raw:
        raise _Failed(f"{op} needs a value")
    force = raw.get("force", False)
    if not isinstance(force, bool):
        raise _Failed("force is true or false")
    steps = parse_path(path)
    if op == "remove" and (steps[-1].index is None or steps[-1].index == "*"):
        raise _Failed("remove takes a path to one item, such as Sequence[0]")
    if op in ("set", "delete", "append") and steps[-1].index is not None:
        raise _Failed(f"{op} takes a path to an element, not to an item")
    return Operation(op, steps, path, raw.get("value"), vr, force)


def parse_path(text: str) -> tuple[PathStep, ...]:
    """Path text -> steps; raises _Failed with the reason."""
    steps = []
    pos = 0
    while pos < len(text):
        if text[pos] == "(":
            end = _closing_paren(text, pos)
            name, pos = text[pos:end + 1], end + 1
        else:
            end = pos
            while end < len(text) and text[end] not in ".[":
                end += 1
            name, pos = text[pos:end], end
        index: int | str | None = None
        if pos < len(text) and text[pos] == "[":
            close = text.find("]", pos)
            if close < 0:
                raise _Failed(f"unclosed [ in path {text!r}")
            inner = text[pos + 1:close].strip()
            if inner == "*":
                index = "*"
            else:
                try:
                    index = int(inner)
                except ValueError:
                    raise _Failed(f"item index {inner!r} is not a number or *") from None
            pos = close + 1
        steps.append(_step(name.strip(), index))
        if pos < len(text):
            if text[pos] != ".":
                raise _Failed(f"unexpected {text[pos]!r} in path {text!r}")
            pos += 1
            if pos == len(text):
                raise _Failed(f"path {text!r} ends with a dot")
    for step in steps[:-1]:
        if step.index is None:
            raise _Failed(f"path {text!r}: a sequence on the way needs an item index")
    return tuple(steps)


def _closing_paren(text: str, start: int) -> int:
    quoted = False
    for i in range(start + 1, len(text)):
        if text[i] == '"':
            quoted = not quoted
        elif text[i] == ")" and not quoted:
            return i
    raise _Failed(f"unclosed ( in path {text!r}")


def _step(name: str, index: int | str | None) -> PathStep:
    if name.startswith("(") and '"' in name:
        inner = name[1:-1]
        group_text, _, rest = inner.partition(",")
        creator, _, element_text = rest.rpartition(",")
        creator = creator.strip()
        try:
            group = int(group_text.strip(), 16)
            element = int(element_text.strip(), 16)
        except ValueError:
            raise _Failed(f"{name!r} is not (gggg,\"CREATOR\",ee)") from None
        if not (creator.startswith('"') and creator.endswith('"') and len(creator) >= 2):
            raise _Failed(f"the creator in {name!r} must be quoted")
        if not group & 1 or group < 0x0009 or group > 0xFFFD or not 0 <= element <= 0xFF:
            raise _Failed(f"{name!r}: a private group is odd, 0009-FFFD, and the element "
                          "00-FF")
        text = creator[1:-1].strip()
        problems = validate_value("LO", text)
        if not text or problems:
            raise _Failed(f"{name!r}: the private creator must be a non-empty LO value")
        return PathStep(None, text, group << 16 | element, index)
    try:
        tag = int(Tag(name))
    except (ValueError, TypeError, OverflowError):
        raise _Failed(f"{name!r} is not a keyword or a tag") from None
    _check_element_tag(tag, name)
    return PathStep(tag, None, None, index)


def _check_element_tag(tag: int, name: str) -> None:
    group = tag >> 16
    if group == 0xFFFE:
        raise _Failed(f"{name!r}: item and delimiter tags are not elements")
    if tag & 0xFFFF == 0:
        raise _Failed(f"{name!r}: group lengths are computed by the writer")
    if group & 1 and (group < 0x0009 or group == 0xFFFF):
        raise _Failed(f"{name!r}: group {group:04X} cannot hold elements")


def _from_dicom_json(obj: dict[str, Any]) -> list[Operation]:
    """A DICOM JSON object as `set` operations; values are checked when they are applied,
    sequence items member by member like `append` values."""
    from .json import element_from_json

    operations = []
    for key, element in obj.items():
        try:
            tag = int(Tag(key)) if len(key) == 8 else None
        except (ValueError, TypeError, OverflowError):
            tag = None
        if tag is None:
            raise _Failed(f"{key!r} is not a tag key")
        _check_element_tag(tag, key)
        if not isinstance(element, dict) or element.get("vr") not in VALID_VRS:
            raise _Failed(f"{key}: an element is an object with a known \"vr\"")
        if "BulkDataURI" in element:
            raise _Failed(f"{key}: a patch cannot fetch a BulkDataURI; send InlineBinary")
        if element["vr"] == "SQ":
            items = element.get("Value") or []
            if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                raise _Failed(f"{key}: sequence items must be objects")
            operations.append(Operation("set", (PathStep(tag),), key, items, "SQ"))
            continue
        try:
            elem = element_from_json(key, element)
        except ValueError as exc:
            raise _Failed(str(exc)) from None
        operations.append(Operation("set", (PathStep(tag),), key, elem.value, elem.VR,
                                    False, decoded=True))
    return operations


# -- applying ----------------------------------------------------------------------------

def apply(ds: Dataset, patch: Any, force: bool = False) -> None:
    """Apply a patch (see the module docstring) to `ds`, all of it or none of it."""
    try:
        if _is_operations(patch):
            operations: list[Operation | None] = list(patch)
            errors: list[dict[str, Any]] = []
        else:
            operations, errors = _parse_collecting(patch)
    except _Failed as exc:
        raise PatchError([{"index": None, "op": "set", "path": None, "reason": str(exc)}]) \
            from None
    work = _Work(ds)
    # A new Specific Character Set applies to every value of the patch, whatever its place.
    order = sorted(range(len(operations)), key=lambda i: not _sets_charset(operations[i]))
    for index in order:
        operation = operations[index]
        if operation is None:
            continue
        try:
            work.run(operation, force or operation.force)
        except _Failed as exc:
            errors.append({"index": index, "op": operation.op, "path": operation.text,
                           "reason": str(exc)})
        except RecursionError:
            errors.append({"index": index, "op": operation.op, "path": operation.text,
                           "reason": "the value is nested too deeply"})
    if errors:
        raise PatchError(sorted(errors, key=lambda e: (e["index"] is not None,
                                                       e["index"] or 0)))
    ds._dict.clear()
    ds._dict.update(work.root._dict)
    if work.meta is not None:
        ds.file_meta = work.meta


def _sets_charset(op: Operation | None) -> bool:
    return op is not None and op.op == "set" and len(op.path) == 1 and op.path[0].tag == 0x00080005


def _is_operations(patch: Any) -> bool:
    return isinstance(patch, list) and bool(patch) and all(isinstance(o, Operation)
                                                           for o in patch)


class _Work:
    """A copy of the data set that shares every element it has not been told to change."""

    def __init__(self, ds: Dataset, owned: set[int] | None = None,
                 depth: int = 0) -> None:
        self.original = ds
        self.root = ds.copy() if owned is None else ds
        self.owned: set[int] = owned if owned is not None else set()
        self.owned.add(id(self.root))
        self.depth = depth  # how deep `root` is nested in the data set being patched
        self.meta: Dataset | None = None

    def run(self, op: Operation, force: bool) -> None:
        for parent, ancestors in self._parents(op):
            last = op.path[-1]
            tag = self._tag(parent, last, create=op.op in ("set", "append"))
            if tag is None:
                continue  # deleting a private element whose creator is absent
            self._check_allowed(tag, parent, ancestors, op, force)
            if tag >> 16 == 0x0002 and not ancestors and self.depth == 0:
                parent = self._meta()
            if op.op == "set":
                self._set(parent, tag, op, ancestors)
            elif op.op == "delete":
                parent._dict.pop(tag, None)
            elif op.op == "append":
                self._append(parent, tag, op, ancestors)
            else:
                self._remove(parent, tag, last.index)

    # walking ------------------------------------------------------------------------

    def _parents(self, op: Operation) -> list[tuple[Dataset, tuple[Dataset, ...]]]:
        """The data sets the last step of the path refers into (copied for writing)."""
        level = [(self.root, ())]
        for step in op.path[:-1]:
            following = []
            for ds, ancestors in level:
                tag = self._tag(ds, step, create=False)
                elem = ds._dict.get(tag) if tag is not None else None
                if elem is None or elem.VR != "SQ":
                    if op.op == "delete":
                        continue
                    raise _Failed(f"no sequence {_name(tag, step)} on the path")
                items = self._owned_sequence(ds, tag)
                for i in self._indices(items, step.index, op):
                    following.append((items[i], (ds, *ancestors)))
            level = following
        return level

    def _indices(self, items: Sequence, index: int | str | None, op: Operation) -> list[int]:
        if index == "*":
            return list(range(len(items)))
        assert isinstance(index, int)
        if not -len(items) <= index < len(items):
            if op.op == "delete":
                return []
            raise _Failed(f"item index {index} is out of range ({len(items)} items)")
        return [index % len(items)]

    def _owned_sequence(self, ds: Dataset, tag: int) -> Sequence:
        """The sequence at `tag` in `ds`, replaced by a copy (with copied items) once."""
        elem = ds._dict[tag]
        if id(elem) in self.owned:
            return elem.value
        old = elem.value
        items = Sequence(item.copy() for item in old)
        items.is_undefined_length = getattr(old, "is_undefined_length", False)
        self.owned.update(id(item) for item in items)
        new = _replacement(elem, "SQ", items)
        self.owned.add(id(new))
        ds._dict[tag] = new
        return items

    def _tag(self, ds: Dataset, step: PathStep, create: bool) -> int | None:
        if step.creator is None:
            tag = step.tag
            assert tag is not None
            if tag >> 16 & 1 and tag & 0xFF00 and create and \
                    (tag & 0xFFFF0000 | (tag >> 8 & 0xFF)) not in ds._dict:
                raise _Failed(f"{Tag(tag)} has no private creator: name the element as "
                              f'(gggg,"CREATOR",ee)')
            return tag
        assert step.private_element is not None
        group = step.private_element >> 16
        free = None
        for element in range(0x10, 0x100):
            creator = ds._dict.get(group << 16 | element)
            if creator is None:
                free = element if free is None else free
                continue
            if isinstance(creator.value, str) and creator.value.strip() == step.creator:
                return group << 16 | element << 8 | (step.private_element & 0xFF)
        if not create:
            return None
        if free is None:
            raise _Failed(f"group {group:04X} has no free private block")
        ds._dict[group << 16 | free] = DataElement(group << 16 | free, "LO", step.creator)
        return group << 16 | free << 8 | (step.private_element & 0xFF)

    def _meta(self) -> Dataset:
        """The file meta group, copied once: group 0002 operations (with force) go there."""
        if self.meta is None:
            from .dataset import FileMetaDataset

            current = getattr(self.original, "file_meta", None)
            self.meta = FileMetaDataset(current) if current is not None else FileMetaDataset()
        return self.meta

    # checks -------------------------------------------------------------------------

    def _check_allowed(self, tag: int, parent: Dataset, ancestors: tuple[Dataset, ...],
                       op: Operation, force: bool) -> None:
        if tag == 0x00020010:
            raise _Failed("the Transfer Syntax UID follows the encoding: write with "
                          "transfer_syntax= to transcode")
        if tag >> 16 == 0x0002 and (ancestors or self.depth):
            raise _Failed("file meta elements (group 0002) belong to the top level")
        if force:
            return
        if tag >> 16 == 0x0002:
            raise _Failed("file meta elements (group 0002) change only with force")
        if not ancestors and tag in _PIXEL_DESCRIPTION and \
                any(t in self.root._dict for t in _PIXEL_TAGS):
            raise _Failed(f"{_name(tag)} describes the pixel data: it changes only with "
                          "force while Pixel Data is present")

    # operations ---------------------------------------------------------------------

    def _set(self, parent: Dataset, tag: int, op: Operation,
             ancestors: tuple[Dataset, ...]) -> None:
        vr, vm = self._vr_vm(parent, tag, op)
        if vr == "SQ":
            value = self._items(op.value, (parent, *ancestors))
        else:
            value = op.value if op.decoded else _convert(vr, op.value)
            if tag == 0x00080005:
                _check_character_set(value)
            problems = validate_value(vr, value, vm, self._encodings(parent, ancestors, tag,
                                                                     value))
            if problems:
                raise _Failed("; ".join(problems))
            value = _typed(vr, value)
        old = parent._dict.get(tag)
        parent._dict[tag] = _replacement(old, vr, value) if old is not None else \
            DataElement(tag, vr, value)
        if tag == 0x00080005:
            self._reencode_text(parent, _encodings_of(parent._dict[tag].value), top=True)

    def _reencode_text(self, ds: Dataset, encodings: tuple[str, ...], top: bool = False
                       ) -> None:
        """After a new Specific Character Set: every text value of `ds`, and of the items
        that inherit it, is decoded with the set it was read in and will be encoded with the
        new one (its old bytes would now mean something else)."""
        if not top and 0x00080005 in ds._dict:
            return  # an item with its own character set keeps it
        for tag, elem in list(ds._dict.items()):
            if elem.VR == "SQ":
                for item in self._owned_sequence(ds, tag):
                    self._reencode_text(item, encodings)
            elif elem.VR in _TEXT_VRS and elem.raw_value is not None:
                value = elem.value
                problems = validate_value(elem.VR, value, None, encodings)
                if problems:
                    raise _Failed(f"{_name(tag)} cannot be written in the new character set: "
                                  f"{problems[0]}")
                ds._dict[tag] = _replacement(elem, elem.VR, value)

    def _append(self, parent: Dataset, tag: int, op: Operation,
                ancestors: tuple[Dataset, ...]) -> None:
        elem = parent._dict.get(tag)
        if elem is None:
            vr, _ = self._vr_vm(parent, tag, op)
            if vr != "SQ":
                raise _Failed(f"{_name(tag)} is not a sequence")
            new = DataElement(tag, "SQ", Sequence())
            self.owned.add(id(new))
            parent._dict[tag] = new
        elif elem.VR != "SQ":
            raise _Failed(f"{_name(tag)} is a {elem.VR}, not a sequence")
        items = self._owned_sequence(parent, tag)
        items.extend(self._items([op.value], (parent, *ancestors)))

    def _remove(self, parent: Dataset, tag: int, index: Any) -> None:
        elem = parent._dict.get(tag)
        if elem is None or elem.VR != "SQ":
            raise _Failed(f"no sequence {_name(tag)}")
        items = self._owned_sequence(parent, tag)
        if not -len(items) <= index < len(items):
            raise _Failed(f"item index {index} is out of range ({len(items)} items)")
        del items[index]

    def _items(self, value: Any, ancestors: tuple[Dataset, ...]) -> Sequence:
        if value is None:
            return Sequence()
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise _Failed("a sequence value is a list of objects")
        depth = self.depth + len(ancestors)
        if depth >= MAX_DEPTH - 1:
            raise _Failed(f"sequences nested deeper than {MAX_DEPTH} levels cannot be read back")
        items = Sequence()
        for obj in value:
            item = Dataset()
            sub = _Work(item, self.owned, depth + 1)
            for key, member in obj.items():
                if isinstance(member, dict) and "vr" in member:
                    sub_ops = _from_dicom_json({key: member})
                else:
                    sub_ops = [Operation("set", parse_path(key), key, member, None, False)]
                for sub_op in sub_ops:
                    sub.run(sub_op, True)
            items.append(item)
        return items

    def _vr_vm(self, parent: Dataset, tag: int, op: Operation) -> tuple[str, str | None]:
        try:
            vr, vm = dictionary.dictionary_VR(tag), dictionary.dictionary_VM(tag)
        except KeyError:
            vr, vm = None, None
        if op.vr is not None:
            if vr is not None and vr not in _AMBIGUOUS and vr != op.vr and vr != "NONE":
                raise _Failed(f"{_name(tag)} is {vr} in the dictionary, not {op.vr}")
            return op.vr, vm
        existing = parent._dict.get(tag)
        if vr is None or vr in _AMBIGUOUS:
            if existing is not None and existing.VR not in _AMBIGUOUS and existing.VR != "UN":
                return existing.VR, vm
            raise _Failed(f"{_name(tag)} needs an explicit vr")
        if vr == "NONE":
            raise _Failed(f"{_name(tag)} cannot hold a value")
        return vr, vm

    def _encodings(self, parent: Dataset, ancestors: tuple[Dataset, ...], tag: int,
                   value: Any) -> tuple[str, ...]:
        if tag == 0x00080005:
            return ("iso8859",)
        for ds in (parent, *ancestors):
            elem = ds._dict.get(0x00080005)
            if elem is not None:
                terms = elem.value
                return python_encodings(list(terms) if isinstance(terms, list) else
                                        (terms or None))
        return python_encodings(None)


def _replacement(old: DataElement | None, vr: str, value: Any) -> DataElement:
    """A new element in the old one's place: where it stood in the file and how its
    sequence was delimited are kept, so the writer keeps the layout."""
    new = DataElement(old.tag if old is not None else 0, vr, value)
    if old is not None:
        new.file_tell = old.file_tell
        if vr == "SQ" and old.VR == "SQ":
            new.is_undefined_length = old.is_undefined_length
            new.raw_VR = old.raw_VR
    return new


def _name(tag: int | None, step: PathStep | None = None) -> str:
    if tag is None:
        return f'({(step.private_element or 0) >> 16:04X},"{step.creator}")' if step else "?"
    keyword = dictionary.keyword_for_tag(tag) if not (tag >> 16) & 1 else ""
    return f"{keyword} {Tag(tag)}" if keyword else str(Tag(tag))


def _typed(vr: str, value: Any) -> Any:
    """Validated IS/DS text as the IS/DS values reading gives."""
    if vr not in ("IS", "DS"):
        return value
    kind = IS if vr == "IS" else DS
    if isinstance(value, list):
        return [kind(v) if v not in (None, "") else v for v in value]
    return kind(value) if value not in (None, "") else value


def _convert(vr: str, value: Any) -> Any:
    """JSON value -> the Python value the element holds; raises _Failed with the reason."""
    if value is None:
        return None
    if isinstance(value, list):
        return [_convert_one(vr, v) for v in value] if len(value) != 1 else \
            _convert_one(vr, value[0])
    return _convert_one(vr, value)


def _convert_one(vr: str, value: Any) -> Any:
    if value is None:
        return ""
    if vr in ("OB", "OD", "OF", "OL", "OV", "OW", "UN"):
        if not isinstance(value, str):
            raise _Failed(f"a {vr} value is a base64 string")
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise _Failed(f"a {vr} value is a base64 string") from None
    if vr == "PN":
        if isinstance(value, dict):
            from .json import _pn_from_json

            try:
                return _pn_from_json("PN", value)
            except ValueError as exc:
                raise _Failed(str(exc)) from None
        if isinstance(value, str):
            return PersonName(value)
        raise _Failed("a PN value is a string or an object of Alphabetic/Ideographic/Phonetic")
    if vr == "AT":
        try:
            return Tag(value)
        except (ValueError, TypeError, OverflowError):
            raise _Failed(f"{value!r} is not a tag") from None
    if vr in ("US", "SS", "UL", "SL", "SV", "UV"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Failed(f"a {vr} value is an integer, not {value!r}")
        return value
    if vr in ("FL", "FD"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _Failed(f"a {vr} value is a number, not {value!r}")
        return float(value)
    if vr in ("IS", "DS"):
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise _Failed(f"a {vr} value is a number or a numeric string")
        if isinstance(value, str):
            return value.strip()
        try:
            return str(IS(value)) if vr == "IS" else format_DS(float(value))
        except (ValueError, OverflowError) as exc:
            raise _Failed(str(exc)) from None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise _Failed(f"a {vr} value is a string, not {type(value).__name__}")
    return str(value)
