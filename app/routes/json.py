"""POST /v1/json: upload a file, get its element JSON back."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from dicomcore import read_file
from dicomcore.json import omit_bulk_data

from ..deps import ScratchDep, SettingsDep
from ..openapi import UPLOAD_BODY, WARNINGS_HEADER, problems, resource_problems
from ..queries import BulkThreshold, Format, IncludeMeta, JsonFormat, StopBeforePixels
from ..recoveries import HEADER, Strict, collect
from ..responses import dataset_json, json_response
from ..threads import run_in_thread
from ..uploads import read_limits, receive_upload

router = APIRouter(prefix="/v1", tags=["json"])

InlineBulk = Annotated[bool, Query(description=(
    "true: binary values over the threshold are given as InlineBinary too (the answer grows "
    "with them); false: they are left out"))]


@router.post("/json", summary="Upload a DICOM file, get its element JSON",
             description=(
                 "Reads the uploaded file and answers its elements as DICOM JSON (PS3.18 F, "
                 "`application/dicom+json`) or, with `format=simple`, as a keyword view "
                 "(`application/json`). Nothing is stored. The upload is streamed (kept in "
                 "memory up to 4 MiB, on disk beyond) and large values are read from disk "
                 "only when rendered; binary values longer than `bulk_data_threshold` base64 "
                 "characters are left out (given inline with `inline_bulk=true`). A file "
                 "the reader had to recover from (cut short, for one) is answered with what "
                 "was read and an `X-DICOM-Warnings` header, or refused with `strict=true`."),
             openapi_extra=UPLOAD_BODY, responses={
                 200: {"description": "PS3.18 F model (application/dicom+json) or the simple "
                                      "keyword view (application/json)",
                       "headers": {HEADER: WARNINGS_HEADER},
                       "content": {"application/dicom+json": {"example": {
                           "00100010": {"vr": "PN", "Value": [{"Alphabetic": "Doe^John"}]}}}}},
                 **problems(400, 413, 415, 422), **resource_problems("files", "scratch")})
async def upload_json(request: Request, settings: SettingsDep, scratch: ScratchDep,
                      stop_before_pixels: StopBeforePixels = False,
                      bulk_data_threshold: BulkThreshold = 1024,
                      format: Format = JsonFormat.dicom,  # noqa: A002 - the query name
                      include_meta: IncludeMeta = False, strict: Strict = False,
                      inline_bulk: InlineBulk = False) -> Response:
    upload = await receive_upload(request, scratch.directory, settings.max_upload_bytes)
    try:
        def convert() -> bytes:
            ds = read_file(upload.file, defer_size=settings.defer_size,
                           stop_before_pixels=stop_before_pixels,
                           limits=read_limits(settings, scratch.directory))
            return dataset_json(ds, format, bulk_data_threshold, include_meta,
                                None if inline_bulk else omit_bulk_data)

        with collect() as recovered:
            body = await run_in_thread(convert)
        recovered.check(strict)
    finally:
        upload.discard()
    return json_response(body, format, recovered.headers())
