"""Python types for DICOM values that plain types cannot represent faithfully.

`IS` and `DS` are numbers that remember the text they were read from, so writing an
unchanged value gives back the same bytes; `MultiValue` is the list type for VM > 1;
`PersonName` (from `personname`) is re-exported here because pydicom users import it
from `valuerep`.
"""

from __future__ import annotations

import math
from decimal import Decimal
from enum import Enum
from typing import Any

from .dates import DA, DT, TM
from .multival import MultiValue
from .personname import PersonName
from .vr import AMBIGUOUS_VRS, VALID_VRS

__all__ = ["IS", "ISfloat", "DS", "DSfloat", "DSdecimal", "DA", "DT", "TM", "MultiValue",
           "PersonName", "VR", "format_DS", "format_number_as_ds", "is_valid_ds"]


VR = Enum("VR", [(name.replace(" or ", "_"), name)  # type: ignore[misc]
                 for name in (*VALID_VRS, *sorted(AMBIGUOUS_VRS))], type=str, module=__name__)
"""pydicom's VR enumeration: `VR.US == "US"`, `VR.US_SS == "US or SS"`; members are strs,
so they go wherever a VR string does."""
VR.__str__ = str.__str__  # type: ignore[method-assign]


class _EqualsItsText:
    """IS and DS equal a string that is their text ("1.50" == DS("1.50")), and a number
    by value otherwise."""

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            return str(self) == other
        return super().__eq__(other)  # type: ignore[no-any-return]

    def __ne__(self, other: object) -> bool:
        return not self == other


class IS(_EqualsItsText, int):
    """Integer String: an int that keeps the string it was read from.

    As in pydicom: empty text gives back the text, None gives None, a value that is a number
    but not a whole one ("1.5") gives an `ISfloat`, and text that is no number raises
    ValueError. `str()` gives the original text, and the value equals that text.

    >>> v = IS(" 0012 ")
    >>> v + 1, str(v), v == "0012"
    (13, '0012', True)
    """

    original_string: str | None

    def __new__(cls, val: Any) -> Any:
        if val is None:
            return None
        if isinstance(val, str):
            text = val.strip(" \0")
            if not text:
                return val
            try:
                number = int(text)
            except ValueError:
                as_float = float(text)  # "1.0" is tolerated as pydicom does; "1A" raises
                if not math.isfinite(as_float):
                    raise ValueError(f"{val!r} is not an integer") from None
                if not as_float.is_integer():
                    return ISfloat(text)
                number = int(as_float)
            obj = super().__new__(cls, number)
            obj.original_string = text
            return obj
        if isinstance(val, float) and not val.is_integer():
            return ISfloat(val)
        obj = super().__new__(cls, val)
        obj.original_string = getattr(val, "original_string", None) if isinstance(
            val, IS) else None
        return obj

    __hash__ = int.__hash__

    def __str__(self) -> str:
        return self.original_string if self.original_string is not None else int.__repr__(self)

    def __repr__(self) -> str:
        return f"'{int.__repr__(self)}'"


class ISfloat(float):
    """An IS value that is not a whole number ("1.5"): kept, as pydicom keeps it, as a float
    that remembers its text, rather than refused."""

    original_string: str | None

    def __new__(cls, val: Any) -> Any:
        if isinstance(val, str):
            text = val.strip(" \0")
            obj = super().__new__(cls, float(text))
            obj.original_string = text
            return obj
        obj = super().__new__(cls, val)
        obj.original_string = getattr(val, "original_string", None)
        return obj

    def __str__(self) -> str:
        return self.original_string if self.original_string is not None else float.__repr__(
            self)

    # pydicom shows an ISfloat as a plain float in dumps.
    __repr__ = float.__repr__


class DS(_EqualsItsText, float):
    """Decimal String: a float that keeps the string it was read from.

    `str()` gives the original text, or for a number made from a float its repr, as pydicom
    does; with `auto_format=True` the text is shortened to the 16 characters a DS allows.
    Empty text gives back the text and None gives None.

    >>> v = DS("1.50")
    >>> v * 2, str(v), repr(v), str(DS(1 / 3, auto_format=True))
    (3.0, '1.50', "'1.50'", '0.33333333333333')
    """

    original_string: str | None

    def __new__(cls, val: Any, auto_format: bool = False) -> Any:
        if val is None:
            return None
        if isinstance(val, str):
            text = val.strip(" \0")
            if not text:
                return val
            obj = super().__new__(cls, float(text))
            original: str | None = text
        else:
            obj = super().__new__(cls, val)
            original = getattr(val, "original_string", None) if isinstance(val, DS) else None
        if auto_format and (original is None or len(original) > 16):
            original = format_DS(float(obj))
        obj.original_string = original
        return obj

    __hash__ = float.__hash__

    def __str__(self) -> str:
        if self.original_string is not None:
            return self.original_string
        return float.__repr__(self)

    def __repr__(self) -> str:
        return f"'{self}'"


DSfloat = DS


class DSdecimal(_EqualsItsText, Decimal):
    """Decimal String as a `decimal.Decimal`, for exact arithmetic on DS text (pydicom's
    `DSdecimal`); keeps its original text as `DS` does. A float is refused (TypeError, as
    pydicom: its digits are a guess) unless `allow_float=True` (pydicom's
    `config.allow_DS_float`, here an argument).

    >>> v = DSdecimal("1.50")
    >>> v + DSdecimal("0.25"), str(v), repr(v)
    (Decimal('1.75'), '1.50', "'1.50'")
    """

    original_string: str | None

    def __new__(cls, val: Any, auto_format: bool = False, *, allow_float: bool = False) -> Any:
        if val is None:
            return None
        if isinstance(val, str):
            text = val.strip(" \0")
            if not text:
                return val
            obj = super().__new__(cls, text)
            original: str | None = text
        else:
            if isinstance(val, float):
                if not allow_float:
                    raise TypeError("'DS' cannot be instantiated with a float value unless "
                                    "allow_float=True; convert the value to a string with "
                                    "the digits wanted, or pass a Decimal")
                val = repr(val)
            obj = super().__new__(cls, val)
            original = getattr(val, "original_string", None)
        if auto_format and (original is None or len(original) > 16):
            original = format_number_as_ds(Decimal(obj))
        obj.original_string = original
        return obj

    __hash__ = Decimal.__hash__

    def __str__(self) -> str:
        return self.original_string if self.original_string is not None else Decimal.__str__(
            self)

    def __repr__(self) -> str:
        return f"'{self}'"


def is_valid_ds(s: str) -> bool:
    """Whether `s` is valid DS text: at most 16 characters of a decimal number (PS3.5 6.2).

    >>> is_valid_ds("1.5e3"), is_valid_ds("1.5a"), is_valid_ds("12345678901234567")
    (True, False, False)
    """
    from .validation import validate_value

    return isinstance(s, str) and "\\" not in s and not validate_value("DS", s)


def format_number_as_ds(val: float | Decimal) -> str:
    """The text of a float or Decimal in the 16 characters a DS allows (see `format_DS`);
    TypeError for other types, ValueError for NaN and infinity (as pydicom).

    >>> format_number_as_ds(Decimal("0.1234567890123456789"))
    '0.12345678901235'
    """
    if not isinstance(val, (float, Decimal)):
        raise TypeError("'val' must be of type float or decimal.Decimal")
    return format_DS(val)


def format_DS(value: float | Decimal) -> str:  # noqa: N802 - VR names are upper case
    """The text of `value` in the 16 characters a DS allows, keeping as many digits as fit.

    Python's repr when it fits; otherwise fixed-point, or scientific notation for magnitudes
    below 1e-4 or from 1e14 (1e13 when negative) where fixed-point would lose more digits.
    These are pydicom's rules, so `DS(x, auto_format=True)` prints as pydicom's does.

    >>> format_DS(1.0), format_DS(1 / 3), format_DS(-1 / 3), format_DS(2 ** -20)
    ('1.0', '0.33333333333333', '-0.3333333333333', '9.5367431641e-07')
    """
    if not math.isfinite(value):
        raise ValueError("DS cannot hold NaN or infinity")
    text = str(value) if isinstance(value, Decimal) else repr(float(value))
    if len(text) <= 16:
        return text
    sign = 1 if value < 0 else 0
    magnitude = math.log10(abs(value))
    if -4 <= magnitude < 14 - sign:
        decimals = 14 - sign - (math.floor(magnitude) if magnitude >= 1 else 0)
        text = f"{value:.{decimals}f}"
        if len(text) <= 16:  # rounding up may add a digit before the point
            return text
    text = f"{value:.{10 - sign}e}"
    return text if len(text) <= 16 else f"{value:.{9 - sign}e}"
