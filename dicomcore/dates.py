"""`DA`, `DT` and `TM`: dates and times that remember the DICOM text they came from.

Each is a subclass of `datetime.date`, `datetime.datetime` or `datetime.time`, so it
compares, sorts and does arithmetic as those do; `str()` gives the text it was made from
(`original_string`) or, for one made from a Python value, the DICOM form (PS3.5 6.2:
YYYYMMDD, HHMMSS.FFFFFF, YYYYMMDDHHMMSS.FFFFFF&ZZXX). As in pydicom, empty text and None
give None, and text that is no date or time raises ValueError (pydicom's DT takes some text
the standard does not allow, such as an odd number of digits; this DT refuses it).

Elements hold these when a user assigns a `date`, `datetime` or `time` to a DA, DT or TM
element, or when a file is read with `dcmread(..., datetime_conversion=True)`; otherwise
values read are `str`, pydicom's default. There is no module-level switch.

>>> d = DA("20200102")
>>> d.year, str(d), repr(d), str(DA(datetime.date(2021, 3, 4)))
(2020, '20200102', '"20200102"', '20210304')
>>> str(TM("010203.5")), TM("010203.5").microsecond, str(TM(datetime.time(1, 2, 3)))
('010203.5', 500000, '010203')
>>> DT("20200102030405+0100").utcoffset()
datetime.timedelta(seconds=3600)
"""

from __future__ import annotations

import datetime
import re
from typing import Any

__all__ = ["DA", "DT", "TM", "datetime_value"]

_DA = re.compile(r"(\d{4})\.?(\d{2})\.?(\d{2})")
_TM = re.compile(r"(\d{2})(?:(\d{2})(?:(\d{2})(?:\.(\d{1,6}))?)?)?")
_DT = re.compile(r"(\d{4})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})"
                 r"(?:\.(\d{1,6}))?)?)?)?)?)?([+-]\d{4})?")


def _text(val: Any) -> str | None:
    """The text of a str value, None for one that is empty or blank. Padding is not removed
    (the reader removes it first): '20200102 ' is no DA, as in pydicom."""
    return val if val.strip(" \0") else None


def _microseconds(fraction: str | None) -> int:
    return int(fraction.ljust(6, "0")) if fraction else 0


def _zone(text: str | None) -> datetime.timezone | None:
    if not text:
        return None
    minutes = int(text[1:3]) * 60 + int(text[3:5])
    return datetime.timezone(datetime.timedelta(minutes=-minutes if text[0] == "-" else minutes))


class _Remembers:
    """What the three share: construction from text or a Python value, the original text,
    its str() and repr(), and pickling. Each subclass names its pattern, the Python type it
    copies, and how to turn either into the base type's constructor arguments."""

    original_string: str | None = None
    _pattern: re.Pattern[str]
    _form: str
    _copies: type

    def __new__(cls, val: Any, *args: Any, validation_mode: int | None = None,
                **kwargs: Any) -> Any:
        if args or kwargs or isinstance(val, int):
            # Python's own constructor form, which date arithmetic and replace() use.
            obj = super().__new__(cls, val, *args, **kwargs)  # type: ignore[call-arg]
            obj.original_string = None
            return obj
        if val is None:
            return None
        if isinstance(val, str):
            text = _text(val)
            if text is None:
                return None
            match = cls._pattern.fullmatch(text)
            if match is None:
                raise ValueError(f"{val!r} is not a {cls.__name__} value ({cls._form})")
            obj = super().__new__(cls, *cls._from_text(match.groups()))  # type: ignore[call-arg]
            obj.original_string = text
            return obj
        if isinstance(val, cls._copies):
            obj = super().__new__(cls, *cls._from_value(val))  # type: ignore[call-arg]
            obj.original_string = getattr(val, "original_string", None)
            return obj
        raise TypeError(f"a {cls.__name__} is made from text or a {cls._copies.__name__}, "
                        f"not {type(val).__name__}")

    @staticmethod
    def _from_text(groups: tuple[Any, ...]) -> tuple[Any, ...]:
        raise NotImplementedError

    @staticmethod
    def _from_value(val: Any) -> tuple[Any, ...]:
        raise NotImplementedError

    def __str__(self) -> str:
        return self.original_string if self.original_string is not None else self._dicom()

    def __repr__(self) -> str:
        return f'"{self}"'

    def _dicom(self) -> str:
        raise NotImplementedError

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (_restore, (type(self), str(self)))


def _restore(cls: type, text: str) -> Any:
    return cls(text)


class DA(_Remembers, datetime.date):
    """A DA value: a `datetime.date` that keeps its DICOM text ("20200102", "2020.01.02")."""

    _pattern = _DA
    _form = "YYYYMMDD"
    _copies = datetime.date

    @staticmethod
    def _from_text(groups: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(int(g) for g in groups)

    @staticmethod
    def _from_value(val: Any) -> tuple[Any, ...]:
        return val.year, val.month, val.day

    def _dicom(self) -> str:
        return f"{self.year:04d}{self.month:02d}{self.day:02d}"


class TM(_Remembers, datetime.time):
    """A TM value: a `datetime.time` that keeps its DICOM text ("0102", "010203.5")."""

    _pattern = _TM
    _form = "HHMMSS.FFFFFF"
    _copies = datetime.time

    @staticmethod
    def _from_text(groups: tuple[Any, ...]) -> tuple[Any, ...]:
        hour, minute, second, fraction = groups
        # PS3.5 allows a leap second (60): Python's time cannot hold it, as in pydicom.
        return int(hour), int(minute or 0), min(int(second or 0), 59), _microseconds(fraction)

    @staticmethod
    def _from_value(val: Any) -> tuple[Any, ...]:
        return val.hour, val.minute, val.second, val.microsecond, val.tzinfo

    def _dicom(self) -> str:
        text = f"{self.hour:02d}{self.minute:02d}{self.second:02d}"
        return f"{text}.{self.microsecond:06d}" if self.microsecond else text


class DT(_Remembers, datetime.datetime):
    """A DT value: a `datetime.datetime` that keeps its DICOM text, time zone included."""

    _pattern = _DT
    _form = "YYYYMMDDHHMMSS.FFFFFF&ZZXX"
    _copies = datetime.datetime

    @staticmethod
    def _from_text(groups: tuple[Any, ...]) -> tuple[Any, ...]:
        year, month, day, hour, minute, second, fraction, zone = groups
        return (int(year), int(month or 1), int(day or 1), int(hour or 0), int(minute or 0),
                min(int(second or 0), 59), _microseconds(fraction), _zone(zone))

    @staticmethod
    def _from_value(val: Any) -> tuple[Any, ...]:
        return (val.year, val.month, val.day, val.hour, val.minute, val.second,
                val.microsecond, val.tzinfo)

    def _dicom(self) -> str:
        text = (f"{self.year:04d}{self.month:02d}{self.day:02d}{self.hour:02d}"
                f"{self.minute:02d}{self.second:02d}")
        if self.microsecond:
            text += f".{self.microsecond:06d}"
        offset = self.utcoffset()
        if offset is not None:
            minutes = int(offset.total_seconds()) // 60
            sign = "-" if minutes < 0 else "+"
            text += f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"
        return text


_TYPES: dict[str, type] = {"DA": DA, "DT": DT, "TM": TM}


def datetime_value(vr: str, value: Any) -> Any:
    """`value` (text, a Python date/time, or a list of them) as DA/DT/TM values; a value
    that is not one (invalid text) is kept as it is, as pydicom keeps it."""
    kind = _TYPES[vr]
    if isinstance(value, list):
        return [datetime_value(vr, v) for v in value]
    if value is None or value == "" or isinstance(value, kind):
        return value
    try:
        return kind(value)
    except (ValueError, TypeError):
        return value
