"""Query and path parameters several routes share, with the descriptions OpenAPI shows."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import Path, Query

from dicomcore.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
)


class JsonFormat(StrEnum):
    dicom = "dicom"
    simple = "simple"


class TransferSyntax(StrEnum):
    implicit_little = str(ImplicitVRLittleEndian)
    explicit_little = str(ExplicitVRLittleEndian)
    deflated = str(DeflatedExplicitVRLittleEndian)
    explicit_big = str(ExplicitVRBigEndian)


StopBeforePixels = Annotated[bool, Query(description="stop reading before the pixel data")]
BulkThreshold = Annotated[int, Query(ge=0, le=1 << 40, description=(
    "binary values whose base64 text is longer than this are not inlined: a BulkDataURI on "
    "stored instances, left out on /v1/json"))]
Format = Annotated[JsonFormat, Query(description="dicom: PS3.18 F model; simple: keywords")]
IncludeMeta = Annotated[bool, Query(description="include the file meta group 0002")]
WriteLikeOriginal = Annotated[bool, Query(description=(
    "true: keep the original layout byte for byte; false: a clean standard file"))]
TransferSyntaxQuery = Annotated[TransferSyntax | None, Query(description=(
    "transcode to one of the uncompressed transfer syntaxes"))]
Offset = Annotated[int, Query(ge=0, description="how many instances to skip (paging)")]
Limit = Annotated[int, Query(ge=1, le=1000, description="how many instances a page holds")]
TagPath = Annotated[str, Path(description=(
    "the value's tag, or a path of tags and item indexes into sequences, as in a BulkDataURI: "
    "`7FE00010`, `00081140/0/00091001`"), examples=["7FE00010"])]
InstanceId = Annotated[str, Path(description=(
    "the id given when it was stored (22 characters of A-Z a-z 0-9 _ -); anything else is 404"))]
