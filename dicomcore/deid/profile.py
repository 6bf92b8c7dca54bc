"""The profile: which one action each element gets, from PS3.15 Table E.1-1 and the options.

The table (`dicomcore._deidtable`, generated) gives each attribute a basic profile code and
the codes of the options that name it. This module turns that into one action per element,
knowing only the element's tag and VR (never the IOD):

1. An option the caller chose that names the row wins: K (keep) over C (clean); otherwise
   the basic code applies.
2. Combined basic codes resolve to the choice that keeps an object valid whatever the IOD
   (an empty value satisfies a Type 2 attribute, a dummy a Type 1):

   ======== ==========================================================================
   code     resolved
   ======== ==========================================================================
   X/Z      Z (empty)
   X/D      D (dummy)
   Z/D      D (dummy)
   X/Z/D    D (dummy)
   X/Z/U*   a sequence: kept, its items de-identified (their UIDs get U); a UI: U;
            anything else: Z
   ======== ==========================================================================

3. D and C on a sequence keep it and de-identify its items, element by element (the items'
   elements have rows of their own), and below it free text the table does not name (LT,
   ST, UT, UC, PN: a Text Value in a Content Sequence, say) gets a dummy: which words in it
   identify someone cannot be told. D on a UI is a new UID (U).
4. C (clean) depends on the option: `retain-long-modified-dates` shifts DA and DT values and
   keeps times and time zones; the others empty text (or give a dummy where the basic
   code needs a value) and keep sequences, their items de-identified. A binary or numeric
   value cannot be cleaned: it gets the basic code's action.
5. Elements the table does not name are kept (sequences: their items de-identified).
   Private elements (odd groups) are removed, unless `retain-safe-private` is chosen and the
   caller's safe list names them (see `deid.private`).

Resolved actions: "X" remove, "Z" empty, "D" dummy, "K" keep, "U" new UID, "S" shift dates,
"W" keep a sequence and replace the free text below it (rule 3).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from .. import _deidtable

__all__ = ["OPTIONS", "MAX_REMEMBERED", "Profile", "check_options", "option_codes",
           "profile_for", "row_for", "remember"]

OPTIONS: tuple[str, ...] = _deidtable.OPTIONS
"""The option names, as the CLI and the service take them."""

MAX_REMEMBERED = 10_000
"""The most entries each of a profile's caches holds: a profile serves every file under its
options (a service's uploads too), and a file may name any number of tags no table knows."""

Row = tuple[str, str, tuple[tuple[str, str], ...]]

_COMBINED = {"X/Z": "Z", "X/D": "D", "Z/D": "D", "X/Z/D": "D"}
_TEXT_VRS = frozenset({"AE", "AS", "CS", "LO", "LT", "PN", "SH", "ST", "UC", "UR", "UT"})
_DATES_OPTION = "retain-long-modified-dates"

# The codes of CID 7050 (De-identification Method): the profile and each option.
_CODES = {
    "basic": ("113100", "Basic Application Confidentiality Profile"),
    "clean-graphics": ("113103", "Clean Graphics Option"),
    "clean-structured-content": ("113104", "Clean Structured Content Option"),
    "clean-descriptors": ("113105", "Clean Descriptors Option"),
    "retain-long-full-dates": ("113106", "Retain Longitudinal Temporal Information Full "
                               "Dates Option"),
    "retain-long-modified-dates": ("113107", "Retain Longitudinal Temporal Information "
                                   "Modified Dates Option"),
    "retain-patient-characteristics": ("113108", "Retain Patient Characteristics Option"),
    "retain-device-identity": ("113109", "Retain Device Identity Option"),
    "retain-uids": ("113110", "Retain UIDs Option"),
    "retain-safe-private": ("113111", "Retain Safe Private Option"),
    "retain-institution-identity": ("113112", "Retain Institution Identity Option"),
}


def check_options(options: Iterable[str]) -> tuple[str, ...]:
    """The options in the table's order, without repeats; ValueError names a wrong one."""
    chosen = set()
    for option in options:
        if option not in OPTIONS:
            raise ValueError(f"unknown de-identification option {option!r}; the options are "
                             f"{', '.join(OPTIONS)}")
        chosen.add(option)
    if {"retain-long-full-dates", _DATES_OPTION} <= chosen:
        raise ValueError("retain-long-full-dates and retain-long-modified-dates exclude "
                         "each other: keep the dates or shift them")
    return tuple(option for option in OPTIONS if option in chosen)


def option_codes(options: tuple[str, ...]) -> list[tuple[str, str]]:
    """(code value, code meaning) of CID 7050 for the profile and each option."""
    return [_CODES["basic"], *(_CODES[option] for option in options)]


def row_for(tag: int) -> Row | None:
    """The table row of a standard tag (one-tag rows, then repeating groups), or None."""
    row = _deidtable.PROFILE.get(tag)
    if row is not None:
        return row
    for mask, value, repeating in _deidtable.REPEATING:
        if tag & mask == value:
            return repeating
    return None


class Profile:
    """The resolved action of every (tag, VR) under one set of options, cached."""

    def __init__(self, options: tuple[str, ...]) -> None:
        self.options = options
        self._chosen = frozenset(options)
        self.actions: dict[tuple[int, str], tuple[str, str | None]] = {}
        """(tag, VR) -> what `action` gives, for pairs asked for so far (`remember`)."""
        self.checked: dict[tuple[Any, ...], Any] = {}
        """Dummy values as checked for an element (`plan.Plan._checked_dummy`): every file
        under these options gives the same tags the same dummies (`remember`)."""

    def action(self, tag: int, vr: str) -> tuple[str, str | None]:
        """(resolved action, the row's name or None for an element the table does not
        name) of a standard (even group) element."""
        key = (tag, vr)
        found = self.actions.get(key)
        if found is None:
            row = row_for(tag)
            found = ("K", None) if row is None else (self._resolve(row, vr), row[0])
            remember(self.actions, key, found)
        return found

    def private_action(self) -> str:
        """The code of private elements: "C" (safe list) with retain-safe-private, else X."""
        _, basic, options = _deidtable.PRIVATE
        return next((code for option, code in options if option in self._chosen), basic)

    def _resolve(self, row: Row, vr: str) -> str:
        _, basic, options = row
        codes = {code: option for option, code in options if option in self._chosen}
        if "K" in codes:
            return "K"
        if "C" in codes:
            return _clean(codes["C"], _basic(basic, vr), vr)
        return _basic(basic, vr)


def remember(cache: dict[Any, Any], key: Any, value: Any) -> None:
    """Put `value` in one of a profile's caches, emptied first when it holds
    `MAX_REMEMBERED` entries (as `Keyed` bounds its UIDs)."""
    if len(cache) >= MAX_REMEMBERED:
        cache.clear()
    cache[key] = value


def _basic(code: str, vr: str) -> str:
    """A basic profile code resolved for an element of `vr` (rules 2 and 3)."""
    code = _COMBINED.get(code, code)
    if code == "X/Z/U*":
        return "K" if vr == "SQ" else "U" if vr == "UI" else "Z"
    if code == "D" and vr == "SQ":
        return "W"
    if code == "D" and vr == "UI":
        return "U"
    return code


def _clean(option: str, basic: str, vr: str) -> str:
    """C of `option` for an element of `vr` whose basic action is `basic` (rule 4)."""
    if option == _DATES_OPTION:
        if vr in ("DA", "DT"):
            return "S"
        return basic if vr not in _TEXT_VRS and vr != "TM" else "K"
    if vr == "SQ":
        return "W"
    if vr in _TEXT_VRS:
        return "D" if basic == "D" else "Z"
    return basic


@lru_cache(maxsize=64)
def profile_for(options: tuple[str, ...]) -> Profile:
    """One shared `Profile` per set of (checked) options."""
    return Profile(options)
