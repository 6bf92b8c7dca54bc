"""POST /v1/patch: upload a file and a patch, get the patched file back."""

from __future__ import annotations

import io
from typing import BinaryIO

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response
from starlette.concurrency import run_in_threadpool

from dicomcore import read_file
from dicomcore.patch import apply

from ..datasets import write_checked
from ..deps import ScratchDep, SettingsDep
from ..headers import media_type
from ..openapi import ERRORS, PATCH_FORM_BODY
from ..patching import parse_patch
from ..problems import Problem
from ..queries import TransferSyntaxQuery, WriteLikeOriginal
from ..responses import DICOM, temporary_file_response
from ..uploads import receive_upload

router = APIRouter(prefix="/v1", tags=["patch"])

IN_MEMORY_BYTES = 4 << 20
ATTACHMENT = 'attachment; filename="patched.dcm"'


@router.post("/patch", summary="Upload a file and a patch, download the patched file",
             openapi_extra=PATCH_FORM_BODY, response_class=FileResponse, responses={
                 200: {"description": "the patched file",
                       "content": {"application/dicom": {}}}, **ERRORS})
async def patch_upload(request: Request, settings: SettingsDep, scratch: ScratchDep,
                       write_like_original: WriteLikeOriginal = True,
                       transfer_syntax: TransferSyntaxQuery = None) -> Response:
    if media_type(request) != "multipart/form-data":
        raise Problem(415, "Unsupported media type",
                      "send multipart/form-data with a 'file' and a 'patch' field")
    upload = await receive_upload(request, scratch.directory, settings.max_upload_bytes,
                                  settings.max_patch_bytes, frozenset({"patch"}))
    try:
        if "patch" not in upload.fields:
            raise Problem(400, "Bad request", "the form has no 'patch' field")
        patch = parse_patch(upload.fields["patch"])

        def run(out: BinaryIO) -> None:
            ds = read_file(upload.file, defer_size=settings.defer_size)
            apply(ds, patch)
            write_checked(out, ds, write_like_original, transfer_syntax)

        if upload.size <= IN_MEMORY_BYTES:
            # A small result is answered from memory: no file to write, read back and remove.
            buffer = io.BytesIO()
            await run_in_threadpool(run, buffer)
            return Response(buffer.getvalue(), media_type=DICOM,
                            headers={"Content-Disposition": ATTACHMENT})
        result = await run_in_threadpool(scratch.temporary_file, "patched-", run)
    finally:
        upload.discard()
    return temporary_file_response(result, "patched.dcm")
