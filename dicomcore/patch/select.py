"""Selectors and actions: what to change in a data set, and how (after dicom-rs's ops).

A `Selector` names elements, an `Action` says what to do with each, an `AttributeOp` pairs
them. Patches are lists of such pairs, applied by one engine (`apply_actions`) with one
promise: every value is validated against its VR before anything changes, and the data set
changes all at once or, with a `PatchError` listing every failing operation, not at all.
(De-identification, `dicomcore.deid`, makes its many one-element changes in one walk of its
own, checked by the same `checks`, with the same promise.)

Selectors:

- `Selector.tag(0x00100010)`, `Selector.keyword("PatientName")`: one top-level element.
- `Selector.path("ReferencedImageSequence[*].ReferencedSOPInstanceUID")`: the patch path
  grammar (`paths`), private elements by creator included.
- `Selector.private()`: every private element (odd group), at any depth.
- `Selector.anywhere(0x00080018)`: this tag at any depth (the top level and every item).

The two wildcard selectors find elements that are present and do not look inside an element
they select (deleting a private sequence deletes what it holds).

Actions:

- `Action.set(value, vr=None)`: create or replace (wildcard selectors: replace only). The
  value is JSON as in a patch or the Python value an element holds (str, int, float, bytes,
  PersonName, a list of them; for SQ a list of items, each an object of path -> value or a
  Dataset, checked element by element); `vr` is needed only where the dictionary does not
  fix it.
- `Action.empty()`: the element, if present, keeps its VR and gets a zero-length value.
- `Action.delete()`: the element, if present, goes.
- `Action.replace(function)`: the element, if present, gets `function(element)` as its value
  (validated like `set`, in the element's VR; UN gives way to the dictionary's VR). The
  function must not change the element; an exception it raises fails the operation.
- `Action.append(item)` and `Action.remove()`: add an item to a sequence (path selector of an
  element) or remove one (path selector ending in an item index).

>>> from dicomcore import Dataset
>>> from dicomcore.patch import apply_actions
>>> ds = Dataset(PatientName="Doe^John", PatientID="12")
>>> ds.add_new(0x00090010, "LO", "ACME 1.0")
>>> ds.add_new(0x00091001, "LO", "secret")
>>> apply_actions(ds, [
...     AttributeOp(Selector.tag(0x00100010), Action.set("Anonymous")),
...     AttributeOp(Selector.keyword("PatientID"), Action.replace(lambda e: e.value + "X")),
...     AttributeOp(Selector.private(), Action.delete()),
... ])
>>> str(ds.PatientName), ds.PatientID, 0x00091001 in ds
('Anonymous', '12X', False)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from .. import dictionary
from ..tag import Tag
from ..vr import VALID_VRS
from .errors import InvalidOperation
from .paths import PathStep, check_element_tag, parse_path

if TYPE_CHECKING:
    from ..dataelem import DataElement

__all__ = ["Selector", "Action", "AttributeOp", "check_pair"]

_ACTIONS = ("set", "empty", "delete", "replace", "append", "remove")


@dataclass(frozen=True)
class Selector:
    """Which elements an action applies to; build one with the class methods.

    `kind` is "path" (the `steps` of a path from the top level), "private" (every private
    element at any depth) or "anywhere" (the one tag of `steps` at any depth). `text` names
    the selection in error messages.
    """

    kind: str
    steps: tuple[PathStep, ...] = ()
    text: str = ""

    @classmethod
    def tag(cls, tag: Any) -> Selector:
        """The top-level element with this tag (an int, (group, element) or tag text)."""
        value = _tag_of(tag)
        return cls("path", (PathStep(value),), str(Tag(value)))

    @classmethod
    def keyword(cls, keyword: str) -> Selector:
        """The top-level element with this dictionary keyword."""
        value = dictionary.tag_for_keyword(keyword) if isinstance(keyword, str) else None
        if value is None:
            raise InvalidOperation(f"{keyword!r} is not a keyword of the dictionary")
        check_element_tag(value, keyword)
        return cls("path", (PathStep(value),), keyword)

    @classmethod
    def path(cls, text: str) -> Selector:
        """The elements (or items) a patch path names: see `dicomcore.patch.paths`."""
        if not isinstance(text, str) or not text:
            raise InvalidOperation("path must be a non-empty string")
        return cls("path", parse_path(text), text)

    @classmethod
    def private(cls) -> Selector:
        """Every private element (odd group, creators included), at any depth."""
        return cls("private", (), "every private element")

    @classmethod
    def anywhere(cls, tag: Any) -> Selector:
        """Every element with this tag, at the top level and in every item at any depth."""
        value = _tag_of(tag)
        return cls("anywhere", (PathStep(value),), f"{Tag(value)} at any depth")

    def __str__(self) -> str:
        return self.text


def _tag_of(tag: Any) -> int:
    try:
        value = int(Tag(tag))
    except (ValueError, TypeError, OverflowError):
        raise InvalidOperation(f"{tag!r} is not a tag") from None
    check_element_tag(value, str(Tag(value)))
    return value


@dataclass(frozen=True)
class Action:
    """What to do with each selected element; build one with the class methods."""

    kind: str
    value: Any = None
    vr: str | None = None
    function: Callable[[DataElement], Any] | None = None

    @classmethod
    def set(cls, value: Any, vr: str | None = None) -> Action:
        """Create or replace the element with `value` (JSON or Python, see the module)."""
        return cls("set", value, _checked_vr(vr))

    @classmethod
    def empty(cls) -> Action:
        """Give a present element a zero-length value of its VR."""
        return cls("empty")

    @classmethod
    def delete(cls) -> Action:
        """Remove a present element (an absent one is nothing to do)."""
        return cls("delete")

    @classmethod
    def replace(cls, function: Callable[[DataElement], Any]) -> Action:
        """Give a present element the value `function(element)` returns."""
        if not callable(function):
            raise InvalidOperation("replace takes a function of the element")
        return cls("replace", function=function)

    @classmethod
    def append(cls, item: Any, vr: str | None = None) -> Action:
        """Add an item (an object of path -> value) to a sequence, created if absent."""
        return cls("append", item, _checked_vr(vr))

    @classmethod
    def remove(cls) -> Action:
        """Remove the item a path ending in an index names."""
        return cls("remove")


def _checked_vr(vr: str | None) -> str | None:
    if vr is not None and vr not in VALID_VRS:
        raise InvalidOperation(f"vr {vr!r} is not a VR")
    return vr


class AttributeOp(NamedTuple):
    """A selector and an action; `force` allows what is refused otherwise (file meta, the
    attributes that describe present Pixel Data)."""

    selector: Selector
    action: Action
    force: bool = False


def check_pair(selector: Selector, action: Action) -> None:
    """Refuse an action its selector cannot take (InvalidOperation with the reason)."""
    if action.kind not in _ACTIONS:
        raise InvalidOperation(f"action must be one of {', '.join(_ACTIONS)}")
    if selector.kind != "path":
        if action.kind in ("append", "remove"):
            raise InvalidOperation(f"{action.kind} takes a path, not {selector.text}")
        return
    last = selector.steps[-1]
    if action.kind == "remove" and (last.index is None or last.index == "*"):
        raise InvalidOperation("remove takes a path to one item, such as Sequence[0]")
    if action.kind != "remove" and last.index is not None:
        raise InvalidOperation(f"{action.kind} takes a path to an element, not to an item")
