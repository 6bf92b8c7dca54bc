"""POST /v1/patch: upload a file and a patch, get the patched file back."""

from __future__ import annotations

import io
from typing import BinaryIO

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from dicomcore import read_file
from dicomcore.patch import WorkBudget, apply

from ..datasets import write_checked
from ..deps import ScratchDep, SettingsDep
from ..headers import media_type
from ..openapi import PATCH_FORM_BODY, WARNINGS_HEADER, problems, resource_problems
from ..patching import parse_patch
from ..problems import Problem
from ..queries import TransferSyntaxQuery, WriteLikeOriginal
from ..recoveries import HEADER, Strict, collect
from ..responses import DICOM, temporary_file_response
from ..threads import run_in_thread
from ..transport import client_watch
from ..uploads import read_limits, receive_upload

router = APIRouter(prefix="/v1", tags=["patch"])

IN_MEMORY_BYTES = 4 << 20
ATTACHMENT = 'attachment; filename="patched.dcm"'


@router.post("/patch", summary="Upload a file and a patch, download the patched file",
             description=(
                 "Applies the patch (see the README: operations `set`, `delete`, `append`, "
                 "`remove`; or a DICOM JSON object to merge) to the uploaded file and streams "
                 "the result back as an attachment. Every value is validated first: a patch "
                 "with any failing operation changes nothing and answers 422 listing each "
                 "one. By default only the patched elements' bytes change "
                 "(`write_like_original=true`); `transfer_syntax` transcodes. Results up to "
                 "4 MiB are answered from memory, larger ones from a temporary file. A file "
                 "the reader had to recover from is flagged with `X-DICOM-Warnings`, or "
                 "refused with `strict=true`."),
             openapi_extra=PATCH_FORM_BODY, response_class=FileResponse, responses={
                 200: {"description": "the patched file", "headers": {HEADER: WARNINGS_HEADER},
                       "content": {"application/dicom": {}}},
                 **problems(400, 413, 415, 422),
                 **resource_problems("files", "budget", "scratch")})
async def patch_upload(request: Request, settings: SettingsDep, scratch: ScratchDep,
                       write_like_original: WriteLikeOriginal = True,
                       transfer_syntax: TransferSyntaxQuery = None,
                       strict: Strict = False) -> Response:
    if media_type(request) != "multipart/form-data":
        raise Problem(415, "Unsupported media type",
                      "send multipart/form-data with a 'file' and a 'patch' field")
    upload = await receive_upload(request, scratch.directory, settings.max_upload_bytes,
                                  settings.max_patch_bytes, frozenset({"patch"}))
    try:
        if "patch" not in upload.fields:
            raise Problem(400, "Bad request", "the form has no 'patch' field")

        def run(out: BinaryIO) -> None:
            patch = parse_patch(upload.fields["patch"])  # in the thread: 50 ms for 14 MB
            ds = read_file(upload.file, defer_size=settings.defer_size,
                           limits=read_limits(settings, scratch.directory))
            apply(ds, patch, budget=WorkBudget(settings.patch_seconds, gone),
                  max_ops=settings.max_patch_ops)
            recovered.check(strict)  # before anything is written
            write_checked(out, ds, write_like_original, transfer_syntax)

        # The patch stops when the client goes (`gone`, checked by the engine).
        async with client_watch(request) as gone:
            with collect() as recovered:
                if upload.size <= IN_MEMORY_BYTES:
                    # A small result is answered from memory: no file to write, read back
                    # and remove.
                    buffer = io.BytesIO()
                    await run_in_thread(run, buffer)
                    return Response(buffer.getvalue(), media_type=DICOM,
                                    headers={"Content-Disposition": ATTACHMENT,
                                             **recovered.headers()})
                result = await run_in_thread(scratch.temporary_file, "patched-", run)
    finally:
        upload.discard()
    return temporary_file_response(result, "patched.dcm", headers=recovered.headers())
