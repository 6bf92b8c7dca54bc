"""POST /v1/deidentify: upload a file, get it back de-identified by PS3.15's basic profile.

The key comes from the server's settings (DICOMCORE_DEID_KEY), never from the request, so
every client of one server gets the same UIDs and pseudonyms for the same originals, and
exports made at different times link. Without a key the route answers 503.
"""

from __future__ import annotations

import io
import json
from enum import StrEnum
from typing import Annotated, BinaryIO

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, Response
from starlette.concurrency import run_in_threadpool

from dicomcore import read_file
from dicomcore.deid import OPTIONS, DeidentificationError, Report, deidentify

from ..datasets import write_checked
from ..deps import ScratchDep, SettingsDep
from ..openapi import UPLOAD_BODY, WARNINGS_HEADER, problems
from ..problems import Problem
from ..queries import TransferSyntaxQuery, WriteLikeOriginal
from ..recoveries import HEADER, Strict, collect
from ..responses import DICOM, temporary_file_response
from ..settings import Settings
from ..uploads import receive_upload

router = APIRouter(prefix="/v1", tags=["deidentify"])

IN_MEMORY_BYTES = 4 << 20
FILENAME = "deidentified.dcm"
REPORT_HEADER = "X-Deidentification-Report"

DeidOption = StrEnum("DeidOption", {name.replace("-", "_"): name for name in OPTIONS})

Options = Annotated[list[DeidOption], Query(description=(
    "a PS3.15 profile option, repeated for several: " + ", ".join(OPTIONS)))]
SafePrivate = Annotated[list[str], Query(description=(
    'a private element `retain-safe-private` keeps, as (gggg,"CREATOR",ee); repeated for '
    "several"), examples=['(0019,"GEMS_ACQU_01",0C)'])]
# 503 is this route's own: the server was started without a key.
NOT_CONFIGURED = {**problems(422)[422], "description": (
    "the server has no de-identification key (DICOMCORE_DEID_KEY)")}

AllowBurnedIn = Annotated[bool, Query(description=(
    "accept a file whose Burned In Annotation is YES: its pixels are not cleaned"))]


def deid_key(settings: Settings) -> bytes:
    """The server's key; 503 when it has none."""
    if settings.deid_key is None or not settings.deid_key.get_secret_value():
        raise Problem(503, "De-identification is not configured",
                      "the server has no de-identification key (DICOMCORE_DEID_KEY)")
    return settings.deid_key.get_secret_value().encode("utf-8")


def report_header(report: Report) -> dict[str, str]:
    """What was done, per action and element kind, as one JSON header."""
    return {REPORT_HEADER: json.dumps(report.summary(), ensure_ascii=True,
                                      separators=(",", ":"))}


@router.post("/deidentify", summary="Upload a file, download it de-identified (PS3.15 E.1)",
             description=(
                 "Applies the Basic Application Level Confidentiality Profile of PS3.15 "
                 "(Table E.1-1) with the chosen options to the uploaded file, at every depth "
                 "and to the file meta, and streams the result back. Replacements are keyed "
                 "by the server's DICOMCORE_DEID_KEY: the same UID, patient or date offset "
                 "gives the same new value in every request. Elements the profile does not "
                 "act on keep their bytes (`write_like_original=true`). The "
                 f"`{REPORT_HEADER}` header counts what was removed, emptied, replaced and "
                 "kept per element kind. A file with burned-in annotation is refused (422) "
                 "unless `allow_burned_in=true`; without a key the server answers 503."),
             openapi_extra=UPLOAD_BODY, response_class=FileResponse, responses={
                 200: {"description": "the de-identified file",
                       "headers": {HEADER: WARNINGS_HEADER,
                                   REPORT_HEADER: {"description": (
                                       "JSON: {action: {element kind: count}}"),
                                       "schema": {"type": "string"}}},
                       "content": {"application/dicom": {}}},
                 **problems(400, 413, 415, 422), 503: NOT_CONFIGURED})
async def deidentify_upload(request: Request, settings: SettingsDep, scratch: ScratchDep,
                            option: Options = [],  # noqa: B006 - FastAPI copies defaults
                            safe_private: SafePrivate = [],  # noqa: B006
                            allow_burned_in: AllowBurnedIn = False,
                            write_like_original: WriteLikeOriginal = True,
                            transfer_syntax: TransferSyntaxQuery = None,
                            strict: Strict = False) -> Response:
    key = deid_key(settings)
    chosen = [o.value for o in option]
    safe = safe_private if "retain-safe-private" in chosen or safe_private else None
    upload = await receive_upload(request, scratch.directory, settings.max_upload_bytes)
    reports: list[Report] = []
    try:
        def run(out: BinaryIO) -> None:
            ds = read_file(upload.file, defer_size=settings.defer_size)
            try:
                reports.append(deidentify(ds, key=key, options=chosen, safe_private=safe,
                                          allow_burned_in=allow_burned_in))
            except DeidentificationError as exc:
                raise Problem(422, "Cannot de-identify", str(exc)) from None
            recovered.check(strict)  # before anything is written
            write_checked(out, ds, write_like_original, transfer_syntax)

        with collect() as recovered:
            if upload.size <= IN_MEMORY_BYTES:
                buffer = io.BytesIO()
                await run_in_threadpool(run, buffer)
                return Response(buffer.getvalue(), media_type=DICOM, headers={
                    "Content-Disposition": f'attachment; filename="{FILENAME}"',
                    **recovered.headers(), **report_header(reports[0])})
            result = await run_in_threadpool(scratch.temporary_file, "deidentified-", run)
    finally:
        upload.discard()
    return temporary_file_response(result, FILENAME, headers={
        **recovered.headers(), **report_header(reports[0])})
