"""Studies and series as the index sees them: their attributes and the aggregates QIDO-RS
returns (ModalitiesInStudy, NumberOfStudyRelatedSeries/Instances,
NumberOfSeriesRelatedInstances), computed by the database from the rows, never from files.

A study (series) matches when any of its instances matches (`app.index.query` rules on any
indexed attribute; `ModalitiesInStudy` is matched as `Modality`); its aggregates then count
all of its instances, not only the matching ones. Pages are ordered by UID.

    studies(index, {"PatientName": "doe*", "StudyDate": "2024-"}, offset=0, limit=50)
    series(index, {"StudyInstanceUID": uid, "Modality": "CT"}, 0, 100)

Each item is a dict keyed by DICOM keyword, ready for a DICOM JSON rendering.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .attributes import ATTRIBUTES
from .index import Index
from .query import where

_STUDY = [a for a in ATTRIBUTES if a.level in ("patient", "study")]
_SERIES = [a for a in ATTRIBUTES if a.level == "series"]


def _matches(matches: Mapping[str, str]) -> dict[str, str]:
    out = dict(matches)
    if "ModalitiesInStudy" in out:
        out["Modality"] = out.pop("ModalitiesInStudy")
    return out


def studies(index: Index, matches: Mapping[str, str], offset: int, limit: int
            ) -> list[dict[str, Any]]:
    condition, params = where(_matches(matches))
    columns = ", ".join(f"MAX({a.column})" for a in _STUDY if a.column != "study_instance_uid")
    with index.db.transaction() as tx:
        rows = tx.rows(
            f"SELECT study_instance_uid, {columns}, COUNT(DISTINCT series_instance_uid), "
            "COUNT(*) FROM instances WHERE study_instance_uid IN "
            f"(SELECT study_instance_uid FROM instances{condition}) "
            "GROUP BY study_instance_uid ORDER BY study_instance_uid LIMIT ? OFFSET ?",
            [*params, limit, offset])
        uids = [r[0] for r in rows]
        modalities: dict[str, list[str]] = {uid: [] for uid in uids}
        if uids:
            for uid, modality in tx.rows(
                    "SELECT DISTINCT study_instance_uid, modality FROM instances WHERE "
                    f"study_instance_uid IN ({', '.join('?' * len(uids))}) AND modality "
                    "IS NOT NULL ORDER BY modality", uids):
                modalities[uid].append(modality)
    keywords = ["StudyInstanceUID"] + [a.keyword for a in _STUDY
                                       if a.column != "study_instance_uid"]
    out = []
    for row in rows:
        item = dict(zip(keywords, row, strict=False))
        item["NumberOfStudyRelatedSeries"] = int(row[-2])
        item["NumberOfStudyRelatedInstances"] = int(row[-1])
        item["ModalitiesInStudy"] = modalities[row[0]]
        out.append(item)
    return out


def series(index: Index, matches: Mapping[str, str], offset: int, limit: int
           ) -> list[dict[str, Any]]:
    condition, params = where(_matches(matches))
    columns = ", ".join(f"MAX({a.column})" for a in _SERIES if a.column != "series_instance_uid")
    with index.db.transaction() as tx:
        rows = tx.rows(
            f"SELECT series_instance_uid, MAX(study_instance_uid), {columns}, COUNT(*) "
            "FROM instances WHERE series_instance_uid IN "
            f"(SELECT series_instance_uid FROM instances{condition}) "
            "GROUP BY series_instance_uid ORDER BY series_instance_uid LIMIT ? OFFSET ?",
            [*params, limit, offset])
    keywords = ["SeriesInstanceUID", "StudyInstanceUID"] + [
        a.keyword for a in _SERIES if a.column != "series_instance_uid"]
    out = []
    for row in rows:
        item = dict(zip(keywords, row, strict=False))
        item["NumberOfSeriesRelatedInstances"] = int(row[-1])
        out.append(item)
    return out
