"""Check values against their VR and VM (PS3.5 6.2, PS3.6) before they are written.

`validate_value(vr, value, vm=None, encodings=None)` returns a list of problems, empty when
the value is valid: length limits, allowed characters (AE, AS, CS, DA, DS, DT, IS, TM, UI),
number ranges (US, SS, UL, SL, SV, UV, FL, FD, IS), the VM the dictionary fixes, and text
the Specific Character Set can represent. Used by patches; reading never validates.

A problem names the value by its position ("value 2 ...", or "the value") and the rule it
breaks, never the value itself: problems end up in error answers and logs, and values are
patient data.
"""

from __future__ import annotations

import datetime
import math
import re
from typing import Any

from .charset import CharsetEncodeError, encode_values
from .personname import PersonName
from .vr import BINARY_VRS, CHARSET_VRS, MAX_LENGTH, SINGLE_VALUE_VRS

__all__ = ["validate_value", "vm_allows"]

_PATTERNS = {vr: re.compile(pattern, re.ASCII) for vr, pattern in {
    "AS": r"\d{3}[DWMY]",
    "CS": r"[A-Z0-9 _]*",
    "DA": r"\d{8}",
    "DS": r" *[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)? *",
    "DT": r"\d{4}((0[1-9]|1[0-2])((0[1-9]|[12]\d|3[01])(([01]\d|2[0-3])([0-5]\d(([0-5]\d|60)"
          r"(\.\d{1,6})?)?)?)?)?)?([+-]([01]\d|2[0-3])[0-5]\d)?",
    "IS": r" *[+-]?\d+ *",
    "TM": r"([01]\d|2[0-3])([0-5]\d(([0-5]\d|60)(\.\d{1,6})?)?)?",
    "UI": r"(0|[1-9]\d*)(\.(0|[1-9]\d*))*",
}.items()}
_INT_RANGES = {"US": (0, 0xFFFF), "SS": (-0x8000, 0x7FFF), "UL": (0, 0xFFFFFFFF),
               "SL": (-0x80000000, 0x7FFFFFFF), "SV": (-(1 << 63), (1 << 63) - 1),
               "UV": (0, (1 << 64) - 1), "IS": (-(1 << 31), (1 << 31) - 1)}
_FLOAT_MAX = {"FL": 3.4028234663852886e38, "FD": 1.7976931348623157e308}
_RULES = {
    "AS": "nnnD, nnnW, nnnM or nnnY",
    "CS": "upper-case letters, digits, space and underscore",
    "DA": "YYYYMMDD",
    "DS": "a decimal number",
    "DT": "YYYYMMDDHHMMSS.FFFFFF&ZZXX",
    "IS": "an integer",
    "TM": "HHMMSS.FFFFFF",
    "UI": "numbers without leading zeros, separated by dots",
}


def vm_allows(vm: str, count: int) -> bool:
    """Whether `count` values fit a dictionary VM such as "1", "1-3", "2-n" or "2-2n"."""
    if not vm or count == 0:
        return True
    if vm.isdigit():
        return count == int(vm)
    low, _, high = vm.partition("-")
    if not low.isdigit():
        return True
    minimum = int(low)
    if high == "n":
        return count >= minimum
    if high.endswith("n") and high[:-1].isdigit():
        step = int(high[:-1])
        return count >= minimum and count % step == 0
    if high.isdigit():
        return minimum <= count <= int(high)
    return True


def validate_value(vr: str, value: Any, vm: str | None = None,
                   encodings: tuple[str, ...] | None = None) -> list[str]:
    """Problems with `value` as a `vr` value (empty list when it is valid)."""
    if vr == "SQ":
        return []
    if vr in BINARY_VRS:
        return [] if value is None or isinstance(value, (bytes, bytearray)) else [
            f"a {vr} value is bytes (base64 in JSON)"]
    values = value if isinstance(value, (list, tuple)) else [value]
    values = [v for v in values if v is not None and v != ""]
    problems = []
    if vm and not vm_allows(vm, len(values)):
        problems.append(f"{len(values)} values where the dictionary allows VM {vm}")
    if vr in SINGLE_VALUE_VRS and len(values) > 1:
        problems.append(f"{vr} holds a single value")
    for position, v in enumerate(values, 1):
        problem = _check_one(vr, v)
        if problem:
            problems.append(f"{_subject(position, len(values))} {problem}")
    if vr in CHARSET_VRS and encodings is not None and not problems:
        for position, v in enumerate(values, 1):
            try:
                encode_values([str(v)], vr, encodings)
            except CharsetEncodeError as exc:
                problems.append(
                    f"{_subject(position, len(values))} has a character (at {exc.position}) "
                    f"that the Specific Character Set ({', '.join(exc.encodings)}) cannot "
                    f"represent")
                break
    return problems


def _subject(position: int, count: int) -> str:
    return "the value" if count == 1 else f"value {position}"


def _check_one(vr: str, value: Any) -> str | None:
    """The rule `value` breaks as a `vr` value (worded to follow "the value"), or None."""
    if vr in _INT_RANGES and vr != "IS":
        if isinstance(value, bool) or not isinstance(value, int):
            return "is not an integer"
        low, high = _INT_RANGES[vr]
        return None if low <= value <= high else f"is outside {vr}'s range {low}..{high}"
    if vr in _FLOAT_MAX:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return "is not a number"
        if math.isnan(value) or abs(value) > _FLOAT_MAX[vr]:
            return f"does not fit {vr}"
        return None
    if vr == "AT":
        return None if isinstance(value, int) and 0 <= value <= 0xFFFFFFFF else "is not a tag"
    text = str(value)
    limit = MAX_LENGTH.get(vr)
    if vr == "PN":
        if "\\" in text:
            return "contains a backslash, the value separator"
        groups = str(PersonName(text)).split("=")
        if len(groups) > 3:
            return "has more than 3 component groups"
        if any(len(g) > 64 for g in groups):
            return "has a component group longer than 64 characters"
        if any(len(g.split("^")) > 5 for g in groups):
            return "has a component group of more than 5 components"
        return _control_characters(text)
    if limit is not None and len(text) > limit:
        return f"is longer than {vr}'s {limit} characters"
    if "\\" in text and vr not in SINGLE_VALUE_VRS:
        return "contains a backslash, the value separator"
    pattern = _PATTERNS.get(vr)
    if pattern is not None and not pattern.fullmatch(text):
        return f"is not a valid {vr} value ({_RULES[vr]})"
    if vr == "DA" and not _valid_date(text):
        return "is not a calendar date"
    if vr == "DT":
        return _dt_problem(text)
    if vr == "UR" and text.startswith(" "):
        return "starts with a space, which a UR value may not"
    if vr == "IS":
        low, high = _INT_RANGES["IS"]
        if not low <= int(text) <= high:
            return f"is outside IS's range {low}..{high}"
    if vr == "DS" and not math.isfinite(float(text)):
        return "is not a finite number"
    if vr == "AE" and (text.strip() == "" or any(ord(c) < 0x20 for c in text)):
        return "is not a valid AE title (blank, or control characters)"
    if vr in ("SH", "LO", "UC"):
        return _control_characters(text)
    return None


def _control_characters(text: str) -> str | None:
    if any(ord(c) < 0x20 and c != "\x1b" for c in text):
        return "contains control characters"
    return None


def _dt_problem(text: str) -> str | None:
    """PS3.5 Table 6.2-1: a DT's date is a calendar date and its UTC offset is -1200..+1400."""
    digits, sign, offset = text.partition("+") if "+" in text else text.partition("-")
    if len(digits) >= 8 and not _valid_date(digits):
        return "is not a calendar date"
    if sign and not -1200 <= int(sign + offset) <= 1400:
        return "has a UTC offset outside -1200..+1400"
    return None


def _valid_date(text: str) -> bool:
    try:
        datetime.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return False
    return True
