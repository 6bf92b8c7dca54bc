"""`MultiValue`: the list type of an element's values when there is more than one (VM > 1).

Every item goes through the element's `type_constructor`, so values added later are of the
same types as those read (IS, DS, UID, PersonName, ...). pydicom users import it from here.

>>> values = MultiValue(int, ["1", "2"])
>>> values.append("3")
>>> values
[1, 2, 3]
"""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["MultiValue"]


class MultiValue(list):
    """A list of values of one element (VM > 1); every item goes through `type_constructor`.

    None and '' items are kept as they are (an empty value among others). Copies keep the
    constructor; a pickle keeps it when it can be pickled, else the items alone.
    """

    type_constructor: Callable[[Any], Any]

    def __init__(self, type_constructor: Callable[[Any], Any], iterable: Iterable[Any]) -> None:
        self.type_constructor = type_constructor
        super().__init__(self._convert(v) for v in iterable)

    def _convert(self, value: Any) -> Any:
        if value is None or (isinstance(value, str) and value == ""):
            return value
        return self.type_constructor(value)

    def __setitem__(self, index: Any, value: Any) -> None:
        if isinstance(index, slice):
            super().__setitem__(index, [self._convert(v) for v in value])
        else:
            super().__setitem__(index, self._convert(value))

    def append(self, value: Any) -> None:
        super().append(self._convert(value))

    def extend(self, values: Iterable[Any]) -> None:
        super().extend(self._convert(v) for v in values)

    def insert(self, index: Any, value: Any) -> None:
        super().insert(index, self._convert(value))

    def __iadd__(self, values: Iterable[Any]) -> MultiValue:  # type: ignore[override]
        self.extend(values)
        return self

    # Copies and pickles rebuild from the items as they are: they were converted already,
    # and list's default protocol would append them before the constructor is restored.
    def __copy__(self) -> MultiValue:
        return _restore_multivalue(type(self), self.type_constructor, list(self))

    def __deepcopy__(self, memo: dict[int, Any]) -> MultiValue:
        return _restore_multivalue(type(self), self.type_constructor,
                                   copy.deepcopy(list(self), memo))

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        extra = {k: v for k, v in self.__dict__.items() if k != "type_constructor"}
        return (_restore_multivalue,
                (type(self), _picklable(self.type_constructor), list(self)), extra or None)

    def __str__(self) -> str:
        if not self:
            return ""
        return "[" + ", ".join(repr(v) if isinstance(v, (str, bytes)) else str(v)
                               for v in self) + "]"

    __repr__ = __str__


def _restore_multivalue(cls: type[MultiValue], constructor: Callable[[Any], Any],
                        items: list[Any]) -> MultiValue:
    clone = cls.__new__(cls)
    clone.type_constructor = constructor
    list.extend(clone, items)
    return clone


def _picklable(constructor: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """The constructor if pickle can store it (by reference), else one that keeps values."""
    try:
        pickle.dumps(constructor)
    except (pickle.PicklingError, AttributeError, TypeError):
        return _keep
    return constructor


def _keep(value: Any) -> Any:
    return value
