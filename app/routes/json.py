"""POST /v1/json: upload a file, get its element JSON back."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from dicomcore import read_file

from ..deps import ScratchDep, SettingsDep
from ..openapi import ERRORS, UPLOAD_BODY
from ..queries import BulkThreshold, Format, IncludeMeta, JsonFormat, StopBeforePixels
from ..responses import dataset_json, json_response
from ..uploads import receive_upload

router = APIRouter(prefix="/v1", tags=["json"])


@router.post("/json", summary="Upload a DICOM file, get its element JSON",
             openapi_extra=UPLOAD_BODY, responses={
                 200: {"description": "PS3.18 F model (application/dicom+json) or the simple "
                                      "keyword view (application/json)",
                       "content": {"application/dicom+json": {"example": {
                           "00100010": {"vr": "PN", "Value": [{"Alphabetic": "Doe^John"}]}}}}},
                 **ERRORS})
async def upload_json(request: Request, settings: SettingsDep, scratch: ScratchDep,
                      stop_before_pixels: StopBeforePixels = False,
                      bulk_data_threshold: BulkThreshold = 1024,
                      format: Format = JsonFormat.dicom,  # noqa: A002 - the query name
                      include_meta: IncludeMeta = False) -> Response:
    upload = await receive_upload(request, scratch.directory, settings.max_upload_bytes)
    try:
        def convert() -> bytes:
            ds = read_file(upload.file, defer_size=settings.defer_size,
                           stop_before_pixels=stop_before_pixels)
            return dataset_json(ds, format, bulk_data_threshold, include_meta)

        body = await run_in_threadpool(convert)
    finally:
        upload.discard()
    return json_response(body, format)
