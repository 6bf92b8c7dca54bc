"""`Sequence`: the value of an SQ element, a list of `Dataset` items.

Every way of adding an item checks that it is a Dataset. `str()` shows the items, `repr()`
only their number (as pydicom, so that a dump stays one line per element).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .dataset import Dataset

__all__ = ["Sequence"]


class Sequence(list):
    """A list of Datasets; `is_undefined_length` records how the file encoded it."""

    def __init__(self, iterable: Iterable[Dataset] | None = None) -> None:
        if iterable is None:
            super().__init__()  # the reader's empty sequence: nothing to check
        else:
            super().__init__(_checked(item) for item in _items(iterable))
        self.is_undefined_length = False

    def __setitem__(self, index: Any, value: Any) -> None:
        if isinstance(index, slice):
            super().__setitem__(index, [_checked(v) for v in _items(value)])
        else:
            super().__setitem__(index, _checked(value))

    def append(self, item: Dataset) -> None:
        super().append(_checked(item))

    def extend(self, items: Iterable[Dataset]) -> None:
        super().extend(_checked(item) for item in _items(items))

    def __iadd__(self, items: Iterable[Dataset]) -> Sequence:  # type: ignore[override]
        self.extend(items)
        return self

    def insert(self, index: Any, item: Dataset) -> None:
        super().insert(index, _checked(item))

    def __str__(self) -> str:
        return "[" + "".join(str(item) for item in self) + "]"

    def __repr__(self) -> str:
        return f"<Sequence, length {len(self)}>"


def _items(iterable: Any) -> Any:
    """The items to add; one Dataset alone is refused (iterating it would give elements)."""
    from .dataset import Dataset

    if isinstance(iterable, Dataset):
        raise TypeError("a Sequence takes an iterable of Datasets, not one Dataset")
    return iterable or ()


def _checked(item: Any) -> Any:
    from .dataset import Dataset

    if not isinstance(item, Dataset):
        raise TypeError(f"a Sequence holds Dataset items, not {type(item).__name__}")
    return item
