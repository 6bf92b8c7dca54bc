"""Stored instances: store, list, read as JSON, fetch bulk values, PATCH, download, delete."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from dicomcore.deferred import DeferredValue
from dicomcore.json import element_at_path, element_paths
from dicomcore.patch import apply

from ..deps import SettingsDep, StoreDep
from ..problems import Problem
from ..storage import InstanceStore, Record
from ..uploads import receive_upload
from .common import (
    ERRORS,
    UPLOAD_BODY,
    BulkThreshold,
    Format,
    IncludeMeta,
    JsonFormat,
    StopBeforePixels,
    TransferSyntaxQuery,
    WriteLikeOriginal,
    dataset_json,
    file_response,
    json_response,
    write_checked,
    write_temporary,
)
from .patch import parse_patch_json

router = APIRouter(prefix="/v1/instances", tags=["instances"])

InstanceId = Annotated[str, PathParam(description=(
    "the id given when it was stored (22 characters of A-Z a-z 0-9 _ -); anything else is 404"))]
_RANGE = re.compile(r"bytes=(\d*)-(\d*)", re.ASCII)
IfMatch = Annotated[str | None, Header(description="the ETag the change is based on")]


def _summary(record: Record, request: Request) -> dict[str, Any]:
    return {"id": record.id, "url": str(request.url_for("get_instance",
                                                         instance_id=record.id)),
            "sop_instance_uid": record.sop_instance_uid,
            "sop_class_uid": record.sop_class_uid,
            "study_instance_uid": record.study_instance_uid,
            "series_instance_uid": record.series_instance_uid,
            "modality": record.modality, "size": record.size, "etag": record.etag,
            "created": record.created, "updated": record.updated}


@router.post("", status_code=201, summary="Store an uploaded file", openapi_extra=UPLOAD_BODY,
             responses={201: {"description": "stored; Location names the new instance"},
                        **ERRORS})
async def store_instance(request: Request, settings: SettingsDep,
                         store: StoreDep) -> Response:
    upload = await receive_upload(request, store.tmp, settings.max_upload_bytes, named=True)
    try:
        assert upload.path is not None
        record = await run_in_threadpool(store.store, upload.path)
    finally:
        upload.discard()
    location = str(request.url_for("get_instance", instance_id=record.id))
    return Response(json.dumps(_summary(record, request)), status_code=201,
                    media_type="application/json",
                    headers={"Location": location, "ETag": record.etag})


@router.get("", summary="List stored instances (paged)", responses=ERRORS)
async def list_instances(request: Request, store: StoreDep,
                         offset: Annotated[int, Query(ge=0)] = 0,
                         limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
    records, total = await run_in_threadpool(store.list, offset, limit)
    return {"items": [_summary(r, request) for r in records], "total": total,
            "offset": offset, "limit": limit}


def _instance_json(store: InstanceStore, instance_id: str, request: Request, fmt: JsonFormat,
                   threshold: int, include_meta: bool, stop_before_pixels: bool
                   ) -> tuple[bytes, Record]:
    base = str(request.url_for("get_bulk", instance_id=instance_id, tag_path="x"))[:-1]
    with store.open(instance_id, stop_before_pixels) as (record, _, ds):
        paths = element_paths(ds)
        body = dataset_json(ds, fmt, threshold, include_meta,
                            lambda elem: base + paths[id(elem)])
    return body, record


@router.get("/{instance_id}", summary="An instance's element JSON", name="get_instance",
            responses={200: {"content": {"application/dicom+json": {}}}, **ERRORS})
async def get_instance(instance_id: InstanceId, request: Request, store: StoreDep,
                       stop_before_pixels: StopBeforePixels = False,
                       bulk_data_threshold: BulkThreshold = 1024,
                       format: Format = JsonFormat.dicom,  # noqa: A002 - the query name
                       include_meta: IncludeMeta = False) -> Response:
    body, record = await run_in_threadpool(_instance_json, store, instance_id, request,
                                           format, bulk_data_threshold, include_meta,
                                           stop_before_pixels)
    return json_response(body, format, {"ETag": record.etag})


def _parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(start, end exclusive) for a single `bytes=` range; None for the whole value."""
    match = _RANGE.fullmatch(header.strip()) if header else None
    if match is None or match.group(1) == match.group(2) == "":
        return None  # absent, several ranges or not understood: the whole value (RFC 9110)
    first, last = match.groups()
    if first == "":
        start, end = max(size - int(last), 0), size
    else:
        start = int(first)
        end = int(last) + 1 if last else size
    if start >= size or start >= end:
        raise Problem(416, "Range not satisfiable", f"the value has {size} bytes",
                      headers={"Content-Range": f"bytes */{size}"}, size=size)
    return start, min(end, size)


@router.get("/{instance_id}/bulk/{tag_path:path}", name="get_bulk",
            summary="The raw bytes of one value (HTTP Range supported)",
            responses={200: {"content": {"application/octet-stream": {}}},
                       206: {"description": "the requested range"}, **ERRORS})
async def get_bulk(instance_id: InstanceId, tag_path: str, request: Request,
                   store: StoreDep) -> Response:
    record, fp = store.open_file(instance_id)
    try:
        def locate() -> tuple[Any, int]:
            from dicomcore import read_file

            ds = read_file(fp, defer_size=store.defer_size)
            try:
                elem = element_at_path(ds, tag_path)
            except KeyError:
                raise Problem(404, "Not found", "no such value in this instance") from None
            if elem.VR == "SQ":
                raise Problem(404, "Not found", "a sequence has no bulk value")
            raw = elem.raw_value
            if raw is None:
                raw = elem.value if isinstance(elem.value, bytes) else b""
            size = raw.length if isinstance(raw, DeferredValue) else len(raw)
            return raw, size

        raw, size = await run_in_threadpool(locate)
        span = _parse_range(request.headers.get("range"), size)
    except BaseException:
        fp.close()
        raise
    start, end = span if span is not None else (0, size)
    headers = {"Accept-Ranges": "bytes", "ETag": record.etag, "Content-Length": str(end - start)}
    status = 200
    if span is not None:
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
    if not isinstance(raw, DeferredValue):
        fp.close()
        return Response(bytes(raw[start:end]), status_code=status,
                        media_type="application/octet-stream", headers=headers)

    def chunks() -> Any:
        try:
            fp.seek(raw.offset + start)
            left = end - start
            while left > 0:
                data = fp.read(min(left, 1 << 20))
                if not data:
                    break
                left -= len(data)
                yield data
        finally:
            fp.close()

    return StreamingResponse(chunks(), status_code=status,
                             media_type="application/octet-stream", headers=headers)


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise Problem(413, "Content too large", f"the patch is larger than {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise Problem(413, "Content too large", f"the patch is larger than {limit} bytes")
    return bytes(body)


@router.patch("/{instance_id}", summary="Apply a patch (or merge a DICOM JSON object)",
              openapi_extra={"requestBody": {"required": True, "content": {
                  "application/json": {"schema": {"type": "array", "items": {
                      "type": "object"}}, "example": [
                          {"op": "set", "path": "PatientName", "value": "Doe^Jane"}]},
                  "application/dicom+json": {"schema": {"type": "object"}}}}},
              responses={200: {"content": {"application/dicom+json": {}}},
                         412: {"description": "If-Match is stale"}, **ERRORS})
async def patch_instance(instance_id: InstanceId, request: Request, settings: SettingsDep,
                         store: StoreDep, if_match: IfMatch = None) -> Response:
    store.record(instance_id)  # 404 before reading any body
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in ("application/json", "application/dicom+json"):
        raise Problem(415, "Unsupported media type",
                      "send a patch as application/json or a DICOM JSON object as "
                      "application/dicom+json")
    body = await _read_body(request, settings.max_patch_bytes)
    change = parse_patch_json(body)
    if media == "application/dicom+json" and not isinstance(change, dict):
        raise Problem(422, "Patch not applied", "a DICOM JSON object was expected",
                      errors=[{"index": None, "op": None, "path": None,
                               "reason": "not a JSON object"}])
    record = await run_in_threadpool(store.patch, instance_id, change, if_match, apply)
    body_out, record = await run_in_threadpool(_instance_json, store, instance_id, request,
                                               JsonFormat.dicom, 1024, False, False)
    return json_response(body_out, JsonFormat.dicom, {"ETag": record.etag})


@router.get("/{instance_id}/file", summary="Download the file (streamed)",
            responses={200: {"content": {"application/dicom": {}}}, **ERRORS})
async def get_file(instance_id: InstanceId, store: StoreDep,
                   write_like_original: WriteLikeOriginal = True,
                   transfer_syntax: TransferSyntaxQuery = None) -> Response:
    if write_like_original and transfer_syntax is None:
        # Stream the file opened with its record: a PATCH renaming a new version in
        # meanwhile changes neither the bytes nor the ETag of this response.
        record, fp = store.open_file(instance_id)
        size = os.fstat(fp.fileno()).st_size
        return StreamingResponse(_stream_file(fp), media_type="application/dicom", headers={
            "ETag": record.etag, "Content-Length": str(size),
            "Content-Disposition": f'attachment; filename="{_file_name(record)}"'})
    record = store.record(instance_id)
    name = _file_name(record)

    def rewrite(out: Any) -> None:
        with store.open(instance_id) as (_, _, ds):
            write_checked(out, ds, write_like_original, transfer_syntax)

    temp = await run_in_threadpool(write_temporary, store.tmp, "download-", rewrite)
    return file_response(temp, name, delete_after=True, headers={"ETag": record.etag})


def _file_name(record: Record) -> str:
    name = f"{record.sop_instance_uid or record.id}.dcm"
    return "".join(c for c in name if c.isalnum() or c in ".-_") or "instance.dcm"


def _stream_file(fp: Any) -> Iterator[bytes]:
    try:
        while data := fp.read(1 << 20):
            yield data
    finally:
        fp.close()


@router.delete("/{instance_id}", status_code=204, summary="Delete an instance",
               responses=ERRORS)
async def delete_instance(instance_id: InstanceId, store: StoreDep,
                          if_match: IfMatch = None) -> Response:
    await run_in_threadpool(store.delete, instance_id, if_match)
    return Response(status_code=204)
