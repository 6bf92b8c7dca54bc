"""QIDO-RS searches translated onto the index: query parameters to SQL over its rows.

A search names a level (studies, series, instances) and matching keys. Each key is a DICOM
keyword or tag (`PatientName`, `00100010`) of an attribute the index keeps
(`app.index.attributes`), or `ModalitiesInStudy` in a study search; any other key is a
`SearchError` (400) naming it, never ignored. Values match by PS3.4 C.2.2.2 as
`app.index.query` implements it, plus what QIDO-RS adds:

- UID lists separated by `,` as well as `\\`, or the key repeated;
  `ModalitiesInStudy=CT\\MR` (or `CT,MR`) holds a study with any of them (a study "contains" a modality when one of its instances has it);
- `fuzzymatching=true`: a person name without wildcards matches when one of its components
  (family, given, middle, prefix, suffix, in any group) starts with the value, ignoring case
  (`joh` matches `Doe^John`); with wildcards, or for other VRs, matching is as without it.

A study (series) matches when one of its instances matches every key; its attributes (and
those of a lower level that `includefield` names, such as Modality in a study search) are
those of its first stored instance, and its aggregates count all of its instances
(ModalitiesInStudy: the Modality of each of its series). Pages are in a stable order: studies and series by UID, instances by storage
time then id. `limit` is capped at `MAX_LIMIT`; one more row than asked is fetched to tell
whether more follow.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from dicomcore.dictionary import keyword_for_tag, tag_for_keyword

from ..index.attributes import ATTRIBUTES, BY_KEYWORD, Attribute, fold
from ..index.index import Index
from ..index.query import QueryError, condition

MAX_LIMIT = 1000
CONTROL = frozenset({"limit", "offset", "fuzzymatching", "includefield"})
STUDY_LEVELS = ("patient", "study")
_HEX = re.compile(r"[0-9A-Fa-f]{8}")
SERIES_LEVELS = ("patient", "study", "series")


class SearchError(QueryError):
    """A search the index cannot answer as asked: unknown or unmatchable keys, bad values
    (a `QueryError`, so `app.problems` answers it with 400)."""

    def __init__(self, detail: str, keys: list[str] | None = None) -> None:
        super().__init__(detail)
        self.keys = keys or []


def keyword_of(key: str) -> str | None:
    """The keyword a query key names (a keyword, or a tag of eight hex digits)."""
    if _HEX.fullmatch(key):
        return keyword_for_tag(int(key, 16)) or None
    return key if key.isidentifier() else None


@dataclass
class Search:
    """A parsed QIDO-RS query: matching keys, paging, fuzzy matching and the extra fields."""

    level: str
    matches: dict[str, str] = field(default_factory=dict)
    offset: int = 0
    limit: int = MAX_LIMIT
    fuzzy: bool = False
    include: list[str] = field(default_factory=list)  # tags (8 hex digits) or "all"


def _number(name: str, value: str, low: int) -> int:
    if not value.isdigit() or int(value) < low or len(value) > 12:
        raise SearchError(f"{name} is a whole number of at least {low} (got {value[:40]!r})")
    return int(value)


def _include_tags(values: Iterable[str]) -> list[str]:
    """The tags (8 hex digits) `includefield` values name, or "all"."""
    tags: list[str] = []
    bad: list[str] = []
    for value in values:
        for item in (part.strip() for part in value.split(",")):
            if not item:
                continue
            if item.lower() == "all":
                tags.append("all")
            elif _HEX.fullmatch(item):
                tags.append(item.upper())
            elif (tag := tag_for_keyword(item) if item.isidentifier() else None) is not None:
                tags.append(f"{tag:08X}")
            else:
                bad.append(item)
    if bad:
        raise SearchError("includefield names no attribute: " + ", ".join(bad[:20]), bad)
    return tags


def parse(level: str, items: Iterable[tuple[str, str]], path: dict[str, str]) -> Search:
    """A `Search` from the query string's (name, value) pairs and the UIDs of the path."""
    search = Search(level)
    unknown: list[str] = []
    includes: list[str] = []
    for name, value in items:
        lowered = name.lower()
        if lowered == "limit":
            search.limit = min(_number("limit", value, 1), MAX_LIMIT)
        elif lowered == "offset":
            search.offset = _number("offset", value, 0)
        elif lowered == "fuzzymatching":
            if value.lower() not in ("true", "false"):
                raise SearchError("fuzzymatching is true or false")
            search.fuzzy = value.lower() == "true"
        elif lowered == "includefield":
            includes.append(value)
        else:
            keyword = keyword_of(name)
            if keyword is None or not _matchable(level, keyword):
                unknown.append(name)
            elif keyword in search.matches:
                if not _listable(keyword):
                    raise SearchError(f"{name} is given twice: only UIDs and "
                                      "ModalitiesInStudy take a list", [name])
                search.matches[keyword] += "\\" + value  # a repeated key: a list
            else:
                search.matches[keyword] = value
    if unknown:
        raise SearchError(
            "matching keys the index cannot match at this level: " + ", ".join(unknown[:20])
            + f" (the index keeps: {', '.join(a.keyword for a in ATTRIBUTES)}"
            + (", ModalitiesInStudy" if level == "studies" else "") + ")", unknown)
    search.matches.update(path)
    search.include = _include_tags(includes)
    return search


def _listable(keyword: str) -> bool:
    return keyword == "ModalitiesInStudy" or BY_KEYWORD[keyword].vr == "UI"


def _matchable(level: str, keyword: str) -> bool:
    if keyword == "ModalitiesInStudy":
        return level == "studies"
    return keyword in BY_KEYWORD


def _fuzzy_name(attribute: Attribute, value: str) -> tuple[str, list[Any]]:
    """Any component of the folded name starts with the value."""
    column = attribute.folded or attribute.column
    text = "".join("\\" + c if c in "%_\\" else c for c in fold(value) or "")
    clauses = [f"{column} LIKE ? ESCAPE '\\'"] + [
        f"{column} LIKE ? ESCAPE '\\'" for _ in "^= "]
    params = [text + "%"] + [f"%{sep}{text}%" for sep in "^= "]
    return "(" + " OR ".join(clauses) + ")", params


def where(search: Search) -> tuple[str, list[Any]]:
    """The SQL condition (joined with AND, or "") and parameters of a search's keys."""
    clauses: list[str] = []
    params: list[Any] = []
    for keyword, value in search.matches.items():
        if value in ("", "*"):
            continue
        if keyword == "ModalitiesInStudy":
            keyword, value = "Modality", value.replace(",", "\\")
            modalities = [m for m in value.split("\\") if m]
            if len(modalities) > 1 and not any(c in m for m in modalities for c in "*?"):
                clauses.append(f"modality IN ({', '.join('?' * len(modalities))})")
                params.extend(modalities)
                continue
        attribute = BY_KEYWORD[keyword]
        if attribute.vr == "UI":
            value = value.replace(",", "\\")
        try:
            if search.fuzzy and attribute.vr == "PN" and not any(c in value for c in "*?"):
                clause, values = _fuzzy_name(attribute, value)
            else:
                clause, values = condition(attribute, value)
        except QueryError as exc:
            raise SearchError(str(exc), [keyword]) from None
        clauses.append(clause)
        params.extend(values)
    return " AND ".join(clauses), params


_STUDY = [a for a in ATTRIBUTES if a.level in STUDY_LEVELS]
_SERIES = [a for a in ATTRIBUTES if a.level in SERIES_LEVELS]
_INSTANCE = [a for a in ATTRIBUTES if a.keyword != "TransferSyntaxUID"]
_TAGS = {a.keyword: f"{tag_for_keyword(a.keyword):08X}" for a in ATTRIBUTES}


def _grouped(index: Index, search: Search, key: str, attributes: list[Attribute],
             counts: str) -> tuple[list[dict[str, Any]], bool]:
    condition_sql, params = where(search)
    # Attributes of a lower level that includefield names come from the index too, not
    # from a header per result.
    attributes = attributes + [a for a in ATTRIBUTES if a not in attributes
                               and _TAGS[a.keyword] in search.include
                               and a.keyword != "TransferSyntaxUID"]
    scope = f"{key} IS NOT NULL"
    if condition_sql:
        scope += f" AND {key} IN (SELECT {key} FROM instances WHERE {condition_sql})"
    with index.db.transaction() as tx:
        # The page and its counts first (from the UID indexes alone), then one row of each
        # group for its attributes: no aggregate over every row's columns.
        page = tx.rows(f"SELECT {key}, {counts} FROM instances WHERE {scope} GROUP BY {key} "
                       f"ORDER BY {key} LIMIT ? OFFSET ?",
                       [*params, search.limit + 1, search.offset])
        uids = [row[0] for row in page[:search.limit]]
        columns = ["id", *(a.column for a in attributes)]
        first = {row[columns.index(key)]: row
                 for row in _first_rows(tx, index.db.dialect, key, key, uids, columns)}
        modalities = _modalities(tx, index.db.dialect, uids) \
            if key == "study_instance_uid" else {}
    keywords = ["_id", *(a.keyword for a in attributes)]
    out = []
    for row in page[:search.limit]:
        item = dict(zip(keywords, first[row[0]], strict=True))
        if key == "study_instance_uid":
            item["NumberOfStudyRelatedSeries"] = int(row[1])
            item["NumberOfStudyRelatedInstances"] = int(row[2])
            item["ModalitiesInStudy"] = modalities.get(row[0], [])
        else:
            item["NumberOfSeriesRelatedInstances"] = int(row[1])
        out.append(item)
    return out, len(page) > search.limit


def _first_rows(tx: Any, dialect: str, key: str, group: str, uids: list[str],
                columns: list[str]) -> list[tuple[Any, ...]]:
    """`columns` of the first stored row of each `group` among the rows whose `key` is one
    of `uids` (SQLite: by rowid, found in the UID indexes; PostgreSQL: DISTINCT ON)."""
    if not uids:
        return []
    marks = ", ".join("?" * len(uids))
    selected = ", ".join(columns)
    if dialect == "sqlite":
        return tx.rows(f"SELECT {selected} FROM instances WHERE rowid IN (SELECT MIN(rowid) "
                       f"FROM instances WHERE {key} IN ({marks}) GROUP BY {group})", uids)
    return tx.rows(f"SELECT DISTINCT ON ({group}) {selected} FROM instances WHERE {key} IN "
                   f"({marks}) ORDER BY {group}, created, id", uids)


def _modalities(tx: Any, dialect: str, uids: list[str]) -> dict[str, list[str]]:
    """The modalities of each study: Modality is a series attribute, so one row per series
    tells them."""
    found: dict[str, set[str]] = {}
    for study, modality in _first_rows(tx, dialect, "study_instance_uid",
                                       "study_instance_uid, series_instance_uid", uids,
                                       ["study_instance_uid", "modality"]):
        if modality is not None:
            found.setdefault(study, set()).add(modality)
    return {study: sorted(values) for study, values in found.items()}


def studies(index: Index, search: Search) -> tuple[list[dict[str, Any]], bool]:
    """The matching studies (dicts keyed by keyword, `_id`: one of their instances) and
    whether more follow."""
    return _grouped(index, search, "study_instance_uid", _STUDY,
                    "COUNT(DISTINCT series_instance_uid), COUNT(*)")


def series(index: Index, search: Search) -> tuple[list[dict[str, Any]], bool]:
    return _grouped(index, search, "series_instance_uid", _SERIES, "COUNT(*)")


def instances(index: Index, search: Search) -> tuple[list[dict[str, Any]], bool]:
    condition_sql, params = where(search)
    columns = ", ".join(["id", *(a.column for a in _INSTANCE), "transfer_syntax_uid"])
    rows = index.db.read(f"SELECT {columns} FROM instances"  # one statement, one round trip
                         + (f" WHERE {condition_sql}" if condition_sql else "")
                         + " ORDER BY created, id LIMIT ? OFFSET ?",
                         [*params, search.limit + 1, search.offset])
    keywords = ["_id", *(a.keyword for a in _INSTANCE), "AvailableTransferSyntaxUID"]
    return ([dict(zip(keywords, row, strict=True)) for row in rows[:search.limit]],
            len(rows) > search.limit)


def instance_ids(index: Index, study: str, series_uid: str | None = None
                 ) -> list[tuple[str, str, str, str]]:
    """(id, series UID, SOP Instance UID, transfer syntax) of every instance of a study (or
    one of its series), in series then storage order."""
    sql = ("SELECT id, series_instance_uid, sop_instance_uid, transfer_syntax_uid FROM "
           "instances WHERE study_instance_uid = ?")
    params = [study]
    if series_uid is not None:
        sql += " AND series_instance_uid = ?"
        params.append(series_uid)
    return [tuple(r) for r in index.db.read(  # type: ignore[misc]
        sql + " ORDER BY series_instance_uid, created, id", params)]
