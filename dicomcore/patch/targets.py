"""Where a selector points in a data set: found by reading only, before anything changes.

A `Target` is the route from the top level to the data set that holds the element (pairs
of sequence tag and item index), the last step of the selector, and the element's tag (None
for a private element whose creator has no block yet: the engine reserves one). The engine
then makes that route its own (copy on write) and acts there.

`strict` is for actions that create or need what they name (set, append, remove): a missing
sequence on the path or an item index out of range is an error. The other actions (delete,
empty, replace) have nothing to do where nothing is, so those targets are left out, as are
elements that are absent; the check of file meta (which lives outside the data set) is kept.

>>> from dicomcore import Dataset
>>> from dicomcore.patch import Selector
>>> ds = Dataset(PatientID="1", OtherPatientIDsSequence=[Dataset(PatientID="2")])
>>> [(t.route, f"{t.tag:08X}") for t in find_targets(ds, Selector.anywhere("PatientID"))]
[((), '00100020'), (((1052674, 0),), '00100020')]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from ..dataset import Dataset
from .errors import InvalidOperation
from .paths import PathStep, describe, find_private_tag
from .select import Selector

__all__ = ["Route", "Target", "find_targets"]

def _nothing() -> None:
    """The check of a search without a budget."""


Route = tuple[tuple[int, int], ...]
"""(sequence tag, item index) pairs from the top level down to a data set."""


class Target(NamedTuple):
    """One place an action applies: see the module docstring."""

    route: Route
    step: PathStep
    tag: int | None


def find_targets(ds: Dataset, selector: Selector, strict: bool = False,
                 check: Callable[[], None] = _nothing) -> list[Target]:
    """Every place in `ds` the selector names, in tag order, item by item. `check` is called
    for each item entered (the engine's `WorkBudget.check`, which may raise)."""
    if selector.kind == "path":
        return _path_targets(ds, selector.steps, strict, check)
    found: list[Target] = []
    if selector.kind == "private":
        _walk(ds, (), lambda tag: bool(tag >> 16 & 1), found, check)
    else:
        wanted = selector.steps[0].tag
        _walk(ds, (), lambda tag: tag == wanted, found, check)
    return found


def _walk(ds: Dataset, route: Route, match: Callable[[int], bool], found: list[Target],
          check: Callable[[], None]) -> None:
    """Matching elements at any depth; a matching sequence is not looked into."""
    for elem in ds:
        tag = int(elem.tag)
        if match(tag):
            found.append(Target(route, PathStep(tag), tag))
        elif elem.VR == "SQ":
            for index, item in enumerate(elem.value):
                check()
                _walk(item, (*route, (tag, index)), match, found, check)


def _path_targets(root: Dataset, steps: tuple[PathStep, ...], strict: bool,
                  check: Callable[[], None]) -> list[Target]:
    level: list[tuple[Route, Dataset]] = [((), root)]
    for step in steps[:-1]:
        following = []
        for route, ds in level:
            tag = step.tag if step.creator is None else find_private_tag(ds, step)[0]
            elem = ds.get_item(tag) if tag is not None else None
            if elem is None or elem.VR != "SQ":
                if not strict:
                    continue
                raise InvalidOperation(f"no sequence {describe(tag, step)} on the path")
            items = elem.value
            for index in _indices(len(items), step.index, strict):
                check()
                following.append(((*route, (tag, index)), items[index]))
        level = following
    last = steps[-1]
    targets = []
    for route, ds in level:
        tag = last.tag if last.creator is None else find_private_tag(ds, last)[0]
        meta = tag is not None and tag >> 16 == 0x0002 and not route
        if not strict and not meta and (tag is None or ds.get_item(tag) is None):
            continue
        targets.append(Target(route, last, tag))
    return targets


def _indices(count: int, index: int | str | None, strict: bool) -> range | list[int]:
    if index == "*":
        return range(count)
    assert isinstance(index, int)
    if not -count <= index < count:
        if not strict:
            return []
        raise InvalidOperation(f"item index {index} is out of range ({count} items)")
    return [index % count]
