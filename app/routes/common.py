"""What several routes share: query options, upload body docs, JSON and file responses."""

from __future__ import annotations

import json
import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from fastapi import Query
from fastapi.responses import FileResponse, Response
from starlette.background import BackgroundTask

from dicomcore.dataset import Dataset
from dicomcore.json import to_json_dict, to_simple_dict

DICOM_JSON = "application/dicom+json"


class JsonFormat(StrEnum):
    dicom = "dicom"
    simple = "simple"


class TransferSyntax(StrEnum):
    implicit_little = "1.2.840.10008.1.2"
    explicit_little = "1.2.840.10008.1.2.1"
    deflated = "1.2.840.10008.1.2.1.99"
    explicit_big = "1.2.840.10008.1.2.2"


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

UPLOAD_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {
    "application/dicom": {"schema": {"type": "string", "format": "binary"}},
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary"}}}},
}}}

PATCH_FORM_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {
    "multipart/form-data": {"schema": {"type": "object", "required": ["file", "patch"],
                                       "properties": {
                                           "file": {"type": "string", "format": "binary"},
                                           "patch": {"type": "string", "description":
                                                     "the patch JSON"}}}},
}}}

PROBLEM = {"content": {"application/problem+json": {"schema": {"type": "object"}}}}
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": text, **PROBLEM} for code, text in (
        (400, "not DICOM or broken (detail names offset and tag)"),
        (401, "API key missing or wrong"), (404, "no such instance"),
        (405, "method not allowed"), (409, "the stored file changed while it was read"),
        (412, "If-Match is stale"), (413, "upload larger than DICOMCORE_MAX_UPLOAD_BYTES"),
        (415, "unsupported media type"), (416, "range not satisfiable"),
        (422, "invalid patch or query"))}


def dataset_json(ds: Dataset, fmt: JsonFormat, threshold: int, include_meta: bool,
                 handler: Any = None) -> bytes:
    if fmt is JsonFormat.simple:
        model = to_simple_dict(ds, include_meta)
    else:
        model = to_json_dict(ds, threshold, handler, include_meta)
    return json.dumps(model, ensure_ascii=False, separators=(",", ":")).encode()


def json_response(body: bytes, fmt: JsonFormat, headers: dict[str, str] | None = None
                  ) -> Response:
    media = DICOM_JSON if fmt is JsonFormat.dicom else "application/json"
    return Response(body, media_type=media, headers=headers)


class DicomFileResponse(FileResponse):
    # Starlette reads a file in 64 KiB pieces, each in a worker thread: 1,600 thread hops
    # for a 100 MB file. 1 MiB pieces cut the hops and cost 1 MiB per download in flight.
    chunk_size = 1 << 20


def file_response(path: Path, filename: str, delete_after: bool,
                  headers: dict[str, str] | None = None) -> FileResponse:
    task = BackgroundTask(os.unlink, path) if delete_after else None
    return DicomFileResponse(path, media_type="application/dicom", filename=filename,
                        background=task, headers=headers,
                        content_disposition_type="attachment")


def write_checked(out: Any, ds: Dataset, write_like_original: bool,
                  transfer_syntax: TransferSyntax | None) -> None:
    """write_file, with what the writer refuses (encapsulated pixel data for an uncompressed
    syntax, a missing SOP UID for a standard file) as a 422 problem."""
    from dicomcore.errors import EncodeError
    from dicomcore.filewriter import write_file
    from dicomcore.patch import PatchError

    from ..problems import Problem

    try:
        write_file(out, ds, write_like_original,
                   transfer_syntax.value if transfer_syntax else None)
    except (EncodeError, PatchError):
        raise
    except ValueError as exc:
        raise Problem(422, "Cannot write the file", str(exc)) from None


def write_temporary(directory: Path, prefix: str, produce: Any) -> Path:
    """A temporary file in `directory` filled by `produce(file)`; removed if that fails."""
    import tempfile

    fd, name = tempfile.mkstemp(prefix=prefix, suffix=".dcm", dir=directory)
    try:
        with os.fdopen(fd, "wb") as out:
            produce(out)
    except BaseException:
        os.unlink(name)
        raise
    return Path(name)
