"""Matching query values against the index, by the rules of PS3.4 C.2.2.2 (as QIDO-RS uses).

`where(matches)` turns `{keyword: value}` into an SQL condition and its parameters, for
`Index.page`, `Index.studies` and `Index.series` (and DICOMweb's QIDO-RS on top of them):

- UIDs (UI): a single value, or a list separated by backslashes (any of them matches).
- Dates and times (DA, TM): a single value, or a range `a-b`, `a-` or `-b` (inclusive).
- Person names (PN): case-insensitive and by Unicode canonical equivalence (on their matching
  form, `app.index.attributes.fold`), with wildcards.
- Other text: exact, or with wildcards `*` (any run of characters) and `?` (one character).
- Integers (IS, US): exact.

An empty value matches everything (universal matching). A value that cannot match by these
rules (a wildcard in a UID, text for an integer) is a `QueryError`, which the service answers
with 400.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .attributes import BY_KEYWORD, INT64, Attribute, fold


class QueryError(ValueError):
    """A query that names an unknown attribute or has a value its VR cannot match."""


def _like(value: str) -> str:
    """A DICOM wildcard pattern as a LIKE pattern (escape character `\\`)."""
    out = []
    for char in value:
        if char == "*":
            out.append("%")
        elif char == "?":
            out.append("_")
        elif char in "%_\\":
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


def _range(attribute: Attribute, value: str) -> tuple[str, list[Any]]:
    first, _, last = value.partition("-")
    column = attribute.column
    for end in (first, last):
        if end and not (end.replace(".", "").isdigit()):
            raise QueryError(f"{attribute.keyword}: {attribute.vr} values and ranges are "
                             "digits (YYYYMMDD, HHMMSS), as a-b, a- or -b")
    if first and last:
        return f"{column} BETWEEN ? AND ?", [first, last + ("~" if attribute.vr == "TM"
                                                               else "")]
    if first:
        return f"{column} >= ?", [first]
    # A time range's upper end covers its fractions: "-1200" includes "120000.5".
    return f"{column} <= ?", [last + ("~" if attribute.vr == "TM" else "")]


def condition(attribute: Attribute, value: str) -> tuple[str, list[Any]]:
    """The condition one query value sets on one attribute."""
    column = attribute.column
    if "\x00" in value or value != value.encode("utf-8", "replace").decode("utf-8"):
        raise QueryError(f"{attribute.keyword}: the value holds a character no text can")
    if attribute.integer:
        try:
            number = int(value)
        except ValueError:
            raise QueryError(f"{attribute.keyword}: an integer was expected") from None
        if not -INT64 <= number < INT64:
            raise QueryError(f"{attribute.keyword}: the integer is out of range")
        return f"{column} = ?", [number]
    if attribute.vr == "UI":
        uids = [uid for uid in value.split("\\") if uid]
        if any(c in uid for uid in uids for c in "*?"):
            raise QueryError(f"{attribute.keyword}: UIDs match exactly (no wildcards)")
        if len(uids) == 1:
            return f"{column} = ?", uids
        return f"{column} IN ({', '.join('?' * len(uids))})", uids
    if attribute.vr in ("DA", "TM") and "-" in value:
        return _range(attribute, value)
    if attribute.folded:
        return _name(attribute.folded, fold(value) or "")
    if "*" in value or "?" in value:
        return f"{column} LIKE ? ESCAPE '\\'", [_like(value)]
    return f"{column} = ?", [value]


def _name(column: str, value: str) -> tuple[str, list[Any]]:
    """A person name's condition on its matching form (a byte-order column, see
    `app.index.schema`): the text before the first wildcard is a range of it, which both
    databases read from a b-tree; a pattern that is more than a prefix is checked by LIKE
    within that range."""
    literal = value[:min((i for i in (value.find("*"), value.find("?")) if i >= 0),
                         default=len(value))]
    if literal == value:
        return f"{column} = ?", [value]
    clauses, params = [], []
    end = _after_prefix(literal)
    if literal:
        clauses.append(f"{column} >= ?")
        params.append(literal)
    if end is not None:
        clauses.append(f"{column} < ?")
        params.append(end)
    if value != literal + "*":
        clauses.append(f"{column} LIKE ? ESCAPE '\\'")
        params.append(_like(value))
    return "(" + " AND ".join(clauses) + ")", params


def _after_prefix(prefix: str) -> str | None:
    """The least text above every text that starts with `prefix`, in code point order
    (None when there is none: no prefix, or only U+10FFFF)."""
    while prefix:
        last = ord(prefix[-1]) + 1
        if 0xD800 <= last <= 0xDFFF:
            last = 0xE000  # surrogates are not characters a text can hold
        if last <= 0x10FFFF:
            return prefix[:-1] + chr(last)
        prefix = prefix[:-1]
    return None


def where(matches: Mapping[str, str]) -> tuple[str, list[Any]]:
    """`WHERE ...` (or "") for the matches, keyed by DICOM keyword, ANDed."""
    clauses: list[str] = []
    params: list[Any] = []
    for keyword, value in matches.items():
        attribute = BY_KEYWORD.get(keyword)
        if attribute is None:
            raise QueryError(f"{keyword} is not an attribute the index keeps")
        if value in ("", "*"):
            continue  # universal matching
        clause, values = condition(attribute, value)
        clauses.append(clause)
        params.extend(values)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params
