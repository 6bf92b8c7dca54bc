"""De-identification by PS3.15's basic profile over HTTP: of an upload, or of a stored study.

- POST /v1/deidentify: upload a file, get it back de-identified (streamed).
- POST /v1/studies/{StudyInstanceUID}/deidentify: every stored instance of the study is
  de-identified into a new study in the store, the original kept.

The key comes from the server's settings (DICOMCORE_DEID_KEY), never from the request, so
every client of one server gets the same UIDs and pseudonyms for the same originals, and
exports made at different times link. Without a key the routes answer 403: the feature is
off on this server (a 5xx would say the service failed, which it did not).
"""

from __future__ import annotations

import io
import json
from enum import StrEnum
from typing import Annotated, Any, BinaryIO

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParameter
from fastapi.responses import FileResponse, Response

from dicomcore import read_file
from dicomcore.deid import OPTIONS, DeidentificationError, Keyed, Report, deidentify
from dicomcore.uid import UID

from ..datasets import write_checked
from ..deidentifying import deidentified_copy
from ..deps import ScratchDep, SettingsDep, StorageDep
from ..openapi import UPLOAD_BODY, WARNINGS_HEADER, problem, problems, resource_problems
from ..problems import Problem
from ..queries import TransferSyntaxQuery, WriteLikeOriginal
from ..recoveries import HEADER, Strict, collect
from ..responses import DICOM, temporary_file_response
from ..settings import Settings
from ..threads import run_in_thread
from ..uploads import read_limits, receive_upload

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
# 403 is these routes' own: the server was started without a key.
NOT_CONFIGURED = {**problems(422)[422], "description": (
    "de-identification is off: the server has no key (DICOMCORE_DEID_KEY)")}

AllowBurnedIn = Annotated[bool, Query(description=(
    "accept a file whose Burned In Annotation is YES: its pixels are not cleaned"))]


def deid_key(settings: Settings) -> bytes:
    """The server's key; 403 when it has none."""
    if settings.deid_key is None or not settings.deid_key.get_secret_value():
        raise Problem(403, "De-identification is off",
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
                 "unless `allow_burned_in=true`; without a key the server answers 403."),
             openapi_extra=UPLOAD_BODY, response_class=FileResponse, responses={
                 200: {"description": "the de-identified file",
                       "headers": {HEADER: WARNINGS_HEADER,
                                   REPORT_HEADER: {"description": (
                                       "JSON: {action: {element kind: count}}"),
                                       "schema": {"type": "string"}}},
                       "content": {"application/dicom": {}}},
                 **problems(400, 413, 415, 422), 403: NOT_CONFIGURED,
                 **resource_problems("files", "scratch")})
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
            ds = read_file(upload.file, defer_size=settings.defer_size,
                           limits=read_limits(settings, scratch.directory))
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
                await run_in_thread(run, buffer)
                return Response(buffer.getvalue(), media_type=DICOM, headers={
                    "Content-Disposition": f'attachment; filename="{FILENAME}"',
                    **recovered.headers(), **report_header(reports[0])})
            result = await run_in_thread(scratch.temporary_file, "deidentified-", run)
    finally:
        upload.discard()
    return temporary_file_response(result, FILENAME, headers={
        **recovered.headers(), **report_header(reports[0])})


StudyUid = Annotated[str, PathParameter(description=(
    "the Study Instance UID of a stored study; anything that names no stored instance is "
    "404"), examples=["1.2.826.0.1.3680043.8.498.1"])]
@router.post("/studies/{study_instance_uid}/deidentify", status_code=201,
             summary="De-identify a stored study into a new study in the store",
             description=(
                 "Every stored instance of the study is de-identified (as by "
                 "`POST /v1/deidentify`, keyed by the server's DICOMCORE_DEID_KEY) and stored "
                 "as a new instance; the original study is kept. All instances are "
                 "de-identified before any is stored: one that cannot be (burned-in "
                 "annotation, say) is 422 and nothing is stored. The keyed UIDs make the "
                 "result one study, and the same one on every run: running it again replaces "
                 "the copies it made (`created: false`). `retain-uids` is refused: the "
                 "copies would replace the originals. Answers the new StudyInstanceUID, the "
                 "new instances' ids and what was done per action."),
             responses={201: {"description": "the new study: its StudyInstanceUID, instances "
                                             "and report", "content": {"application/json": {
                                                 "example": {
                                                     "study_instance_uid": "2.25.1234",
                                                     "instances": [{
                                                         "id": "AAAAAAAAAAAAAAAAAAAAAA",
                                                         "sop_instance_uid": "2.25.5678",
                                                         "created": True}],
                                                     "report": {"removed": 12, "emptied": 3,
                                                                "replaced": 9, "kept": 4}}}}},
                        404: problem("no stored instance has this Study Instance UID"),
                        **problems(422), 403: NOT_CONFIGURED,
                        **resource_problems("read limits", "files", "index", "races", "store")})
async def deidentify_study(settings: SettingsDep, storage: StorageDep, scratch: ScratchDep,
                           study_instance_uid: StudyUid,
                           option: Options = [],  # noqa: B006 - FastAPI copies defaults
                           safe_private: SafePrivate = [],  # noqa: B006
                           allow_burned_in: AllowBurnedIn = False) -> Response:
    key = deid_key(settings)
    chosen = [o.value for o in option]
    if "retain-uids" in chosen:
        raise Problem(422, "Cannot de-identify", "retain-uids would give the copies the "
                      "originals' SOP Instance UIDs, so they would replace the originals")
    safe = safe_private if "retain-safe-private" in chosen or safe_private else None
    if not UID(study_instance_uid).is_valid:
        raise Problem(404, "Not found", "no stored study has this Study Instance UID")
    with collect() as recovered:
        stored, reports = await run_in_thread(
            deidentified_copy, storage, scratch, study_instance_uid, Keyed(key), chosen, safe,
            allow_burned_in, settings.defer_size, read_limits(settings, scratch.directory))
    totals: dict[str, int] = {}
    for report in reports:
        for action, count in report.totals().items():
            totals[action] = totals.get(action, 0) + count
    body: dict[str, Any] = {
        "study_instance_uid": stored[0].record.attributes.study_instance_uid,
        "instances": [{"id": s.record.id, "sop_instance_uid": s.record.sop_instance_uid,
                       "created": s.created} for s in stored],
        "report": totals}
    return Response(json.dumps(body), status_code=201, media_type="application/json",
                    headers=recovered.headers())
