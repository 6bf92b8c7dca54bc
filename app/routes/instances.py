"""Stored instances: store, list, read as JSON, fetch bulk values, PATCH, download, delete.

Handlers talk to the storage protocol (`StorageDep`) and the scratch space (`ScratchDep`);
what a value's bytes are and where, the library says (`dicomcore.bulk`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from typing import Any, BinaryIO

from fastapi import APIRouter, Request
from fastapi.responses import Response

from dicomcore import read_file
from dicomcore.dataset import Dataset
from dicomcore.json import element_paths
from dicomcore.limits import ReadLimits

from ..bulkvalues import locate_value
from ..datasets import write_checked
from ..deps import ScratchDep, SettingsDep, StorageDep
from ..filters import InstanceFilters
from ..headers import IfMatch, expected_etags, media_type
from ..index import from_dataset
from ..openapi import (
    PATCH_BODY,
    UPLOAD_BODY,
    WARNINGS_HEADER,
    problem,
    problems,
    read_problems,
    resource_problems,
)
from ..patching import StoredPatch, parse_patch
from ..problems import Problem, unusable_patch
from ..queries import (
    BulkThreshold,
    Format,
    IncludeMeta,
    InstanceId,
    JsonFormat,
    Limit,
    Offset,
    StopBeforePixels,
    TagPath,
    TransferSyntaxQuery,
    WriteLikeOriginal,
)
from ..recoveries import HEADER, Strict, collect
from ..responses import (
    bulk_response,
    dataset_json,
    json_response,
    open_file_response,
    temporary_file_response,
)
from ..storage import InstanceStorage, Record, Stored
from ..threads import run_in_thread
from ..transport import client_watch
from ..uploads import read_limits, receive_body, receive_upload, stored_limits
from .json import InlineBulk

router = APIRouter(prefix="/v1/instances", tags=["instances"])


def _summary(record: Record, request: Request) -> dict[str, Any]:
    return {"id": record.id, "url": str(request.url_for("get_instance",
                                                         instance_id=record.id)),
            **asdict(record.attributes), "size": record.size, "etag": record.etag,
            "created": record.created, "updated": record.updated}


def _file_name(record: Record) -> str:
    name = f"{record.sop_instance_uid or record.id}.dcm"
    return "".join(c for c in name if c.isalnum() or c in ".-_") or "instance.dcm"


def _renderer(request: Request, instance_id: str, fmt: JsonFormat, threshold: int,
              include_meta: bool, inline_bulk: bool = False) -> Callable[[Dataset], bytes]:
    """The element JSON of a stored instance, large values as URIs of the bulk route (or,
    when asked, inline: the library's default without a handler)."""
    base = str(request.url_for("get_bulk", instance_id=instance_id, tag_path="x"))[:-1]

    def render(ds: Dataset) -> bytes:
        if inline_bulk:
            return dataset_json(ds, fmt, threshold, include_meta, None)
        paths = element_paths(ds)
        return dataset_json(ds, fmt, threshold, include_meta,
                            lambda elem: base + paths[id(elem)])

    return render


@router.post("", status_code=201, summary="Store an uploaded file", openapi_extra=UPLOAD_BODY,
             description=(
                 "Validates the upload (it must read as DICOM) and stores it byte for byte "
                 "under a new random id. The answer names the instance (`Location`, `id`), "
                 "its UIDs, size and `ETag`. The upload is streamed to disk, never held in "
                 "memory. A file the reader had to recover from is stored and flagged with "
                 "`X-DICOM-Warnings`, or refused with `strict=true`."),
             responses={201: {"description": "stored; Location names the new instance",
                              "headers": {HEADER: WARNINGS_HEADER}},
                        200: {"description": "an instance with this SOP Instance UID was "
                              "stored already: replaced (same id and Location, new ETag)"},
                        **problems(400, 413, 415, 422),
                        **resource_problems("files", "index", "races", "store")})
async def store_instance(request: Request, settings: SettingsDep, storage: StorageDep,
                         scratch: ScratchDep, strict: Strict = False) -> Response:
    upload = await receive_upload(request, scratch.directory, settings.max_upload_bytes,
                                  named=True)
    try:
        def keep() -> Stored:
            ds = read_file(upload.file, defer_size=settings.defer_size,  # validates it
                           limits=read_limits(settings, scratch.directory))
            attributes = from_dataset(ds)
            ds.close()
            recovered.check(strict)
            assert upload.path is not None
            return storage.put(upload.path, attributes)

        with collect() as recovered:
            record, created = await run_in_thread(keep)
    finally:
        upload.discard()
    location = str(request.url_for("get_instance", instance_id=record.id))
    return Response(json.dumps(_summary(record, request)), status_code=201 if created else 200,
                    media_type="application/json",
                    headers={"Location": location, "ETag": record.etag,
                             **recovered.headers()})


@router.get("", summary="List stored instances (paged, filtered)", description=(
    "A page of the stored instances from the index, oldest first, with the indexed "
    "attributes of each (patient, study, series and instance attributes, size, ETag, times) "
    "and `total`, the number that match. At most 1000 a page. Filter by DICOM keyword: "
    "`?StudyInstanceUID=1.2.3&Modality=CT`, `?PatientName=doe*`, "
    "`?StudyDate=20240101-20240131`."),
    responses={**problems(422), 400: problem(
        "a query parameter that is not an indexed DICOM keyword, or a value "
        "its VR cannot match (text for an integer, a wildcard in a UID)"),
        **resource_problems("index")})
async def list_instances(request: Request, storage: StorageDep, filters: InstanceFilters,
                         offset: Offset = 0, limit: Limit = 100) -> dict[str, Any]:
    page = await run_in_thread(storage.list, offset, limit, filters)
    return {"items": [_summary(r, request) for r in page.records], "total": page.total,
            "offset": offset, "limit": limit}


def _read_stored(storage: InstanceStorage, instance_id: str, defer_size: int,
                 stop_before_pixels: bool, render: Callable[[Dataset], bytes],
                 limits: ReadLimits) -> tuple[Record, bytes]:
    record, fp, inflated = storage.open_for_reading(instance_id)
    with fp:
        ds = read_file(fp, defer_size=defer_size, stop_before_pixels=stop_before_pixels,
                       limits=stored_limits(limits, inflated))
        try:
            return record, render(ds)
        finally:
            ds.close()


@router.get("/{instance_id}", summary="An instance's element JSON", name="get_instance",
            description=(
                "The stored instance as DICOM JSON (PS3.18 F), with the same options as "
                "`POST /v1/json`. Binary values longer than `bulk_data_threshold` base64 "
                "characters are given as a `BulkDataURI` that points at the bulk route (as "
                "`InlineBinary` with `inline_bulk=true`). The "
                "`ETag` is the one to send with `If-Match`."),
            responses={200: {"description": "the element JSON",
                             "content": {"application/dicom+json": {}}},
                       **problems(404, 422), **read_problems()})
async def get_instance(instance_id: InstanceId, request: Request, settings: SettingsDep,
                       storage: StorageDep, scratch: ScratchDep,
                       stop_before_pixels: StopBeforePixels = False,
                       bulk_data_threshold: BulkThreshold = 1024,
                       format: Format = JsonFormat.dicom,  # noqa: A002 - the query name
                       include_meta: IncludeMeta = False, inline_bulk: InlineBulk = False
                       ) -> Response:
    render = _renderer(request, instance_id, format, bulk_data_threshold, include_meta,
                       inline_bulk)
    record, body = await run_in_thread(_read_stored, storage, instance_id,
                                       settings.defer_size, stop_before_pixels, render,
                                       read_limits(settings, scratch.directory))
    return json_response(body, format, {"ETag": record.etag})


@router.get("/{instance_id}/bulk/{tag_path:path}", name="get_bulk",
            summary="The raw bytes of one value (HTTP Range supported)",
            description=(
                "The value's bytes as stored (pixel data included), streamed, little "
                "endian as bulk data is (PS3.18 8.7.3.3.1: a big endian file's numbers "
                "swapped); a single `Range: bytes=start-end` answers 206 with that part. The "
                "paths are those of the instance's `BulkDataURI`s."),
            responses={200: {"description": "the whole value",
                             "content": {"application/octet-stream": {}}},
                       206: {"description": "the requested range"}, **problems(404, 416),
                       **read_problems()})
async def get_bulk(instance_id: InstanceId, tag_path: TagPath, request: Request,
                   settings: SettingsDep, storage: StorageDep, scratch: ScratchDep
                   ) -> Response:
    value = await locate_value(storage, instance_id, tag_path, request.headers.get("range"),
                               settings, scratch)
    return bulk_response(value.span, value.part, value.etag, value.close)


@router.patch("/{instance_id}", summary="Apply a patch (or merge a DICOM JSON object)",
              openapi_extra=PATCH_BODY, description=(
                  "Applies a patch (application/json: a list of operations) or merges a DICOM "
                  "JSON object (application/dicom+json) into the stored instance and answers "
                  "its new element JSON and `ETag`. Atomic: a patch with any failing "
                  "operation changes nothing and answers 422 listing each one. With "
                  "`If-Match`, a change based on an older version answers 412. A body that "
                  "is not JSON is 400; a JSON body that is not a valid patch is 422. A patch "
                  "that would give the instance the SOP Instance UID of another stored "
                  "instance is 409 (one instance per SOP Instance UID)."),
              responses={200: {"description": "the new element JSON",
                               "content": {"application/dicom+json": {}}},
                         409: problem("another stored instance has the SOP Instance "
                                              "UID the patch gives this one"),
                         **problems(400, 404, 412, 415, 422),
                         **resource_problems("too large", "read limits", "files", "index",
                                             "budget", "races", "store")})
async def patch_instance(instance_id: InstanceId, request: Request, settings: SettingsDep,
                         storage: StorageDep, scratch: ScratchDep, if_match: IfMatch = None
                         ) -> Response:
    await run_in_thread(storage.record, instance_id)  # 404 before reading any body
    media = media_type(request)
    if media not in ("application/json", "application/dicom+json"):
        raise Problem(415, "Unsupported media type",
                      "send a patch as application/json or a DICOM JSON object as "
                      "application/dicom+json")
    body = await receive_body(request, settings.max_patch_bytes)
    change = await run_in_thread(parse_patch, body)  # 50 ms for 14 MB: not on the loop
    if media == "application/dicom+json" and not isinstance(change, dict):
        raise unusable_patch("a DICOM JSON object was expected", "not a JSON object")
    async with client_watch(request) as gone:  # the patch stops when the client goes
        run = StoredPatch(change, settings.defer_size,
                          _renderer(request, instance_id, JsonFormat.dicom, 1024, False),
                          read_limits(settings, scratch.directory), settings.max_patch_ops,
                          settings.patch_seconds, gone)
        record = await run_in_thread(storage.replace, instance_id, run,
                                     expected_etags(if_match))
    return json_response(run.answer, JsonFormat.dicom, {"ETag": record.etag})


@router.get("/{instance_id}/file", summary="Download the file (streamed)", description=(
    "The stored file, streamed as an attachment: byte for byte as stored by default; "
    "`write_like_original=false` writes a clean standard file and `transfer_syntax` "
    "transcodes (both through a temporary file)."),
            responses={200: {"description": "the file",
                             "content": {"application/dicom": {}}},
                       **problems(404, 422), **read_problems()})
async def get_file(instance_id: InstanceId, settings: SettingsDep, storage: StorageDep,
                   scratch: ScratchDep, write_like_original: WriteLikeOriginal = True,
                   transfer_syntax: TransferSyntaxQuery = None) -> Response:
    # The record and the file are opened together: a PATCH replacing the instance meanwhile
    # changes neither the bytes nor the ETag of this response.
    if write_like_original and transfer_syntax is None:
        record, fp = await run_in_thread(storage.open, instance_id)
        return open_file_response(fp, _file_name(record), record.etag)
    # rewritten from the data set: a deflated one's inflated copy, not inflated again
    record, fp, inflated = await run_in_thread(storage.open_for_reading, instance_id)
    limits = stored_limits(read_limits(settings, scratch.directory), inflated)

    def rewrite(out: BinaryIO) -> None:
        ds = read_file(fp, defer_size=settings.defer_size, limits=limits)
        try:
            write_checked(out, ds, write_like_original, transfer_syntax)
        finally:
            ds.close()

    try:
        temp = await run_in_thread(scratch.temporary_file, "download-", rewrite)
    finally:
        fp.close()
    return temporary_file_response(temp, _file_name(record), headers={"ETag": record.etag})


@router.delete("/{instance_id}", status_code=204, summary="Delete an instance",
               description=("Removes the instance: its file and its record. With `If-Match`, "
                            "only if it is still the version that ETag names (else 412)."),
               responses={204: {"description": "deleted"}, **problems(404, 412),
                          **resource_problems("index", "races", "removal")})
async def delete_instance(instance_id: InstanceId, storage: StorageDep,
                          if_match: IfMatch = None) -> Response:
    await run_in_thread(storage.delete, instance_id, expected_etags(if_match))
    return Response(status_code=204)
