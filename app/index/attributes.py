"""The attributes the index keeps of every instance: one table, read by the extraction, the
schema, the filters of `GET /v1/instances` and the query layer.

One row per instance holds the attributes queries need at each level (patient, study, series,
instance), as PS3.18 QIDO-RS and Orthanc's index keep them. `ATTRIBUTES` says for each its
DICOM keyword, its column, its VR (which decides how a query value matches, see
`app.index.query`) and its level. Values are cleaned before they are kept: first value of a
multi-valued element, trailing spaces and NULs gone, at most `MAX_TEXT` characters, integers
for IS/US (None when unparsable): a malformed header never stops a store.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, fields
from typing import Any, NamedTuple


class Attribute(NamedTuple):
    keyword: str
    column: str
    vr: str
    level: str  # patient, study, series or instance

    @property
    def integer(self) -> bool:
        return self.vr in ("IS", "US")

    @property
    def folded(self) -> str | None:
        """The column of the matching form (`fold`) a PN is matched on; it sorts by code
        point on both databases, so a prefix is a range of it (see `app.index.query`)."""
        return self.column + "_match" if self.vr == "PN" else None


ATTRIBUTES: tuple[Attribute, ...] = (
    Attribute("PatientID", "patient_id", "LO", "patient"),
    Attribute("PatientName", "patient_name", "PN", "patient"),
    Attribute("PatientBirthDate", "patient_birth_date", "DA", "patient"),
    Attribute("PatientSex", "patient_sex", "CS", "patient"),
    Attribute("StudyInstanceUID", "study_instance_uid", "UI", "study"),
    Attribute("StudyDate", "study_date", "DA", "study"),
    Attribute("StudyTime", "study_time", "TM", "study"),
    Attribute("AccessionNumber", "accession_number", "SH", "study"),
    Attribute("StudyID", "study_id", "SH", "study"),
    Attribute("StudyDescription", "study_description", "LO", "study"),
    Attribute("ReferringPhysicianName", "referring_physician_name", "PN", "study"),
    Attribute("SeriesInstanceUID", "series_instance_uid", "UI", "series"),
    Attribute("Modality", "modality", "CS", "series"),
    Attribute("SeriesNumber", "series_number", "IS", "series"),
    Attribute("SeriesDescription", "series_description", "LO", "series"),
    Attribute("PerformedProcedureStepStartDate", "performed_procedure_step_start_date", "DA",
              "series"),
    Attribute("PerformedProcedureStepStartTime", "performed_procedure_step_start_time", "TM",
              "series"),
    Attribute("SOPInstanceUID", "sop_instance_uid", "UI", "instance"),
    Attribute("SOPClassUID", "sop_class_uid", "UI", "instance"),
    Attribute("InstanceNumber", "instance_number", "IS", "instance"),
    Attribute("NumberOfFrames", "number_of_frames", "IS", "instance"),
    Attribute("TransferSyntaxUID", "transfer_syntax_uid", "UI", "instance"),
    Attribute("Rows", "rows", "US", "instance"),
    Attribute("Columns", "columns", "US", "instance"),
)
BY_KEYWORD = {a.keyword: a for a in ATTRIBUTES}
MAX_TEXT = 1024
INT64 = 1 << 63


@dataclass(frozen=True)
class KeyAttributes:
    """The indexed attributes of one instance (None where the data set has none)."""

    patient_id: str | None = None
    patient_name: str | None = None
    patient_birth_date: str | None = None
    patient_sex: str | None = None
    study_instance_uid: str | None = None
    study_date: str | None = None
    study_time: str | None = None
    accession_number: str | None = None
    study_id: str | None = None
    study_description: str | None = None
    referring_physician_name: str | None = None
    series_instance_uid: str | None = None
    modality: str | None = None
    series_number: int | None = None
    series_description: str | None = None
    performed_procedure_step_start_date: str | None = None
    performed_procedure_step_start_time: str | None = None
    sop_instance_uid: str | None = None
    sop_class_uid: str | None = None
    instance_number: int | None = None
    number_of_frames: int | None = None
    transfer_syntax_uid: str | None = None
    rows: int | None = None
    columns: int | None = None

    def values(self) -> list[Any]:
        """The values in `ATTRIBUTES` order."""
        return [getattr(self, a.column) for a in ATTRIBUTES]

    def by_keyword(self) -> dict[str, Any]:
        return {a.keyword: getattr(self, a.column) for a in ATTRIBUTES}


assert [f.name for f in fields(KeyAttributes)] == [a.column for a in ATTRIBUTES]


def clean(attribute: Attribute, value: Any) -> str | int | None:
    """What the index keeps of a data set's value (see the module docstring)."""
    if value is None:
        return None
    if isinstance(value, list | tuple):
        if not value:
            return None
        value = value[0]
    if attribute.integer:
        try:
            number = int(str(value).strip())
        except ValueError:
            return None
        return number if -INT64 <= number < INT64 else None  # what a BIGINT column holds
    text = str(value).replace("\x00", "").rstrip(" ")[:MAX_TEXT]
    # A lone surrogate (undecodable bytes kept by the reader) cannot be stored as text.
    return text.encode("utf-8", "replace").decode("utf-8") or None


def fold(text: str | None) -> str | None:
    """The form PN values and PN query values are matched on: case-folded and in Unicode
    normalisation form C (Unicode's canonical caseless match), so `MÜLLER`, `müller` and a
    `mu` + combining diaeresis `ller` are one name. Wildcards (`*`, `?`) pass unchanged."""
    if text is None:
        return None
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", text).casefold())


def from_dataset(ds: Any) -> KeyAttributes:
    """The indexed attributes of a data set read by `dicomcore` (its file meta included)."""
    found: dict[str, Any] = {}
    meta = getattr(ds, "file_meta", None)
    for attribute in ATTRIBUTES:
        source = meta if attribute.keyword == "TransferSyntaxUID" else ds
        try:
            value = source.get(attribute.keyword) if source is not None else None
            found[attribute.column] = clean(attribute, value)
        except (ValueError, TypeError, LookupError, UnicodeError):
            found[attribute.column] = None  # a malformed value is not indexed
    return KeyAttributes(**found)
