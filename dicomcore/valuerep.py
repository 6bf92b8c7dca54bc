"""Python types for DICOM values that plain types cannot represent faithfully.

`IS` and `DS` are numbers that remember the text they were read from, so writing an
unchanged value gives back the same bytes; `MultiValue` is the list type for VM > 1;
`PersonName` (from `personname`) is re-exported here because pydicom users import it
from `valuerep`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from .personname import PersonName

__all__ = ["IS", "DS", "DSfloat", "MultiValue", "PersonName", "format_DS"]


class IS(int):
    """Integer String: an int that keeps the string it was read from."""

    original_string: str | None

    def __new__(cls, val: Any) -> Any:
        if isinstance(val, str):
            text = val.strip(" \0")
            if not text:
                return val
            try:
                number = int(text)
            except ValueError:
                as_float = float(text)  # "1.0" is tolerated as pydicom does; "1A" raises
                if not as_float.is_integer():
                    raise ValueError(f"{val!r} is not an integer")
                number = int(as_float)
            obj = super().__new__(cls, number)
            obj.original_string = text
            return obj
        if isinstance(val, float) and not val.is_integer():
            raise ValueError(f"{val!r} is not an integer")
        obj = super().__new__(cls, val)
        obj.original_string = val.original_string if isinstance(val, IS) else None
        return obj

    def __str__(self) -> str:
        return self.original_string if self.original_string is not None else int.__repr__(self)

    def __repr__(self) -> str:
        return repr(str(self))


class DS(float):
    """Decimal String: a float that keeps the string it was read from."""

    original_string: str | None

    def __new__(cls, val: Any) -> Any:
        if isinstance(val, str):
            text = val.strip(" \0")
            if not text:
                return val
            obj = super().__new__(cls, float(text))
            obj.original_string = text
            return obj
        obj = super().__new__(cls, val)
        obj.original_string = val.original_string if isinstance(val, DS) else None
        return obj

    def __str__(self) -> str:
        if self.original_string is not None:
            return self.original_string
        return format_DS(float(self))

    def __repr__(self) -> str:
        return repr(str(self))


DSfloat = DS


def format_DS(value: float) -> str:  # noqa: N802 - VR names are upper case
    """The shortest text for `value` that fits the 16 bytes a DS allows."""
    if math.isnan(value) or math.isinf(value):
        raise ValueError("DS cannot hold NaN or infinity")
    text = repr(value)
    if text.endswith(".0"):
        text = text[:-2]
    if len(text) <= 16:
        return text
    for digits in range(16, 0, -1):
        text = f"{value:.{digits}g}"
        if len(text) <= 16:
            return text
    raise ValueError(f"{value} cannot be written in 16 characters")


class MultiValue(list):
    """A list of values of one element (VM > 1); every item goes through `type_constructor`."""

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

    def __str__(self) -> str:
        return "[" + ", ".join(repr(v) if isinstance(v, str) else str(v) for v in self) + "]"

    __repr__ = __str__
