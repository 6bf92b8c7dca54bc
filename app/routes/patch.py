"""POST /v1/patch: upload a file and a patch, get the patched file back."""

from __future__ import annotations

import io
import json

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response
from starlette.concurrency import run_in_threadpool

from dicomcore import read_file
from dicomcore.patch import apply

from ..deps import SettingsDep, StoreDep
from ..problems import Problem
from ..uploads import receive_upload
from .common import (
    ERRORS,
    PATCH_FORM_BODY,
    TransferSyntaxQuery,
    WriteLikeOriginal,
    file_response,
    write_checked,
    write_temporary,
)

router = APIRouter(prefix="/v1", tags=["patch"])

IN_MEMORY_BYTES = 4 << 20
ATTACHMENT = 'attachment; filename="patched.dcm"'


def parse_patch_json(data: bytes) -> object:
    try:
        return json.loads(data)
    except RecursionError:
        raise Problem(422, "Patch not applied", "the patch is nested too deeply",
                      errors=[{"index": None, "op": None, "path": None,
                               "reason": "nested too deeply"}]) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise Problem(422, "Patch not applied", f"the patch is not JSON: {exc}",
                      errors=[{"index": None, "op": None, "path": None,
                               "reason": "not JSON"}]) from None


@router.post("/patch", summary="Upload a file and a patch, download the patched file",
             openapi_extra=PATCH_FORM_BODY, response_class=FileResponse, responses={
                 200: {"description": "the patched file",
                       "content": {"application/dicom": {}}}, **ERRORS})
async def patch_upload(request: Request, settings: SettingsDep, store: StoreDep,
                       write_like_original: WriteLikeOriginal = True,
                       transfer_syntax: TransferSyntaxQuery = None) -> Response:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "multipart/form-data":
        raise Problem(415, "Unsupported media type",
                      "send multipart/form-data with a 'file' and a 'patch' field")
    upload = await receive_upload(request, store.tmp, settings.max_upload_bytes,
                                  settings.max_patch_bytes, frozenset({"patch"}))
    try:
        if "patch" not in upload.fields:
            raise Problem(400, "Bad request", "the form has no 'patch' field")
        patch = parse_patch_json(upload.fields["patch"])

        def run(out: object) -> None:
            ds = read_file(upload.file, defer_size=settings.defer_size)
            apply(ds, patch)
            write_checked(out, ds, write_like_original, transfer_syntax)

        if upload.size <= IN_MEMORY_BYTES:
            # A small result is answered from memory: no file to write, read back and remove.
            buffer = io.BytesIO()
            await run_in_threadpool(run, buffer)
            return Response(buffer.getvalue(), media_type="application/dicom",
                            headers={"Content-Disposition": ATTACHMENT})
        result = await run_in_threadpool(write_temporary, store.tmp, "patched-", run)
    finally:
        upload.discard()
    return file_response(result, "patched.dcm", delete_after=True)
