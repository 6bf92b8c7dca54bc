"""WADO-RS (PS3.18 10.4): instances, metadata and bulk data of stored studies, series and
instances, found through the index and streamed.

- Instances: `multipart/related; type="application/dicom"`, one part per instance. The
  transfer syntax of each is chosen by `app.dicomweb.media.choose` (stored bytes unchanged
  for `transfer-syntax=*` or the stored syntax; transcoded by the writer, as a clean standard
  file, to another uncompressed one, from the data set (a deflated instance's inflated copy,
  never inflated again); 406 otherwise, before anything is sent). The first part is made
  before the answer starts: what stops it (a read limit, a full disk) is a problem+json.
- Metadata: a DICOM JSON array, one object per instance, rendered from each file's header
  as it is streamed (never a whole study in memory; `app.dicomweb.metadata`, which keeps
  what it rendered per instance version). Binary values longer than 1024 base64
  characters, pixel data included, are `BulkDataURI`s to the bulk route below.
- Bulk data: the bytes of one value by its path (`7FE00010`, `00081140/0/00091001`), with a
  single `Range` honoured (206): as a one-part `multipart/related` when the Accept header asks
  for one (what PS3.18 and dicomweb-client use), raw `application/octet-stream` otherwise;
  little endian, a big endian file's numbers swapped (PS3.18 8.7.3.3.1; `BulkSpan.chunks`).

Each route also lists what a read of a stored instance may meet (`openapi.read_problems`: a
read limit, out of open files, a full disk): before a streamed answer starts, for its first
part; a later part that meets one ends the stream early.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from itertools import chain
from typing import Any, BinaryIO

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from dicomcore import read_file, write_file
from dicomcore.bulk import BulkSpan

from ..bulkvalues import locate_value
from ..deps import ScratchDep, SettingsDep, StorageDep
from ..openapi import problem, read_problems
from ..problems import Problem
from ..queries import TagPath
from ..responses import CHUNK, DICOM, DICOM_JSON, OCTETS, bulk_response
from ..storage import InstanceNotFound, InstanceStorage
from ..threads import run_in_thread
from ..uploads import SPOOL_BYTES, read_limits, stored_limits
from .common import InstanceUid, SeriesUid, Stored, StudyUid, base_url, instances_of
from .media import (
    admits,
    choose,
    multipart_end,
    multipart_part,
    multipart_type,
    new_boundary,
    parse_accept,
)
from .metadata import metadata_json

router = APIRouter(prefix="/dicomweb", tags=["dicomweb"])

_INSTANCES_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "the instances, one part each",
          "content": {'multipart/related; type="application/dicom"': {}}},
    404: problem("nothing stored under these UIDs"),
    406: problem("the Accept header names no form the service can give every instance in "
                 "(a compressed transfer syntax it is not stored in)"),
    **read_problems()}
_METADATA_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "a DICOM JSON array, one object per instance",
          "content": {DICOM_JSON: {}}},
    404: problem("nothing stored under these UIDs"),
    **read_problems()}
_INSTANCES = ("A `multipart/related; type=\"application/dicom\"` answer, streamed, one part "
              "per stored instance. `transfer-syntax=*` in the Accept header sends the stored "
              "bytes unchanged; an uncompressed transfer syntax (or none: Explicit VR Little "
              "Endian, PS3.18's default) transcodes native instances; a syntax that cannot be "
              "given is 406.")
_METADATA = ("The DICOM JSON of every instance's header (PS3.18 F), streamed: binary values "
             "longer than 1024 base64 characters, pixel data included, as `BulkDataURI`s to "
             "the bulk route. Group 0002 is left out.")


def _not_acceptable(detail: str) -> Problem:
    return Problem(406, "Not acceptable", detail)


async def _retrieve(request: Request, storage: InstanceStorage, settings: Any, scratch: Any,
                    study: str, series: str | None = None, sop: str | None = None
                    ) -> Response:
    stored = await run_in_thread(instances_of, storage, study, series, sop)
    chosen = choose(parse_accept(request.headers.get("accept")), DICOM,
                    [s.transfer_syntax for s in stored])
    if chosen is None:
        raise _not_acceptable("the Accept header names no transfer syntax the stored "
                              "instances can be sent in (transfer-syntax=* sends them as "
                              "stored)")
    boundary = new_boundary()
    limits = read_limits(settings, scratch.directory)
    wanted = list(zip(stored, chosen[1], strict=True))

    def source(instance: Stored, syntax: str) -> BinaryIO | None:
        """The instance's bytes in `syntax`: as stored, or transcoded from its data set (a
        deflated one's inflated copy, not inflated again); None if it is gone."""
        try:
            if syntax == instance.transfer_syntax:
                return storage.open(instance.id).file
            _record, fp, inflated = storage.open_for_reading(instance.id)
        except InstanceNotFound:
            return None  # deleted since the answer began
        with fp:
            return _transcoded(fp, syntax, settings.defer_size,
                               stored_limits(limits, inflated), scratch.directory)

    # The first part is made before the answer starts, so that what stops it (a limit, a
    # full disk) is a problem, not a cut stream: all of a one-instance answer's.
    first = await run_in_thread(source, *wanted[0])

    def parts() -> Iterator[bytes]:
        for n, (instance, syntax) in enumerate(wanted):
            current = first if n == 0 else source(instance, syntax)
            if current is None:
                continue
            with current:
                size = current.seek(0, os.SEEK_END)
                current.seek(0)
                yield multipart_part(boundary, f"{DICOM}; transfer-syntax={syntax}", size)
                while data := current.read(CHUNK):
                    yield data
            yield b"\r\n"
        yield multipart_end(boundary)

    return StreamingResponse(parts(), media_type=multipart_type(boundary, DICOM))


def _transcoded(fp: BinaryIO, syntax: str, defer_size: int, limits: Any, directory: Any
                ) -> BinaryIO:
    """The instance written as a standard file in `syntax`, in the scratch space."""
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES, dir=directory)  # noqa: SIM115
    try:
        ds = read_file(fp, defer_size=defer_size, limits=limits)
        try:
            write_file(out, ds, write_like_original=False, transfer_syntax=syntax)
        finally:
            ds.close()
    except BaseException:
        out.close()
        raise
    return out  # type: ignore[return-value]


async def _metadata(request: Request, storage: InstanceStorage, settings: Any, scratch: Any,
                    study: str, series: str | None = None, sop: str | None = None
                    ) -> Response:
    stored = await run_in_thread(instances_of, storage, study, series, sop)
    pieces = metadata_json(storage, stored, base_url(request), settings.defer_size,
                           read_limits(settings, scratch.directory))
    # The first piece (the first instance at least) is made before the answer starts, so
    # that what stops it is a problem: all of a one-instance answer's.
    first = await run_in_thread(next, pieces)
    return StreamingResponse(chain((first,), pieces), media_type=DICOM_JSON)


@router.get("/studies/{study}", summary="WADO-RS: a study's instances",
            description=_INSTANCES, responses=_INSTANCES_RESPONSES)
async def retrieve_study(study: StudyUid, request: Request, settings: SettingsDep,
                         storage: StorageDep, scratch: ScratchDep) -> Response:
    return await _retrieve(request, storage, settings, scratch, study)


@router.get("/studies/{study}/series/{series}", summary="WADO-RS: a series' instances",
            description=_INSTANCES, responses=_INSTANCES_RESPONSES)
async def retrieve_series(study: StudyUid, series: SeriesUid, request: Request,
                          settings: SettingsDep, storage: StorageDep, scratch: ScratchDep
                          ) -> Response:
    return await _retrieve(request, storage, settings, scratch, study, series)


@router.get("/studies/{study}/series/{series}/instances/{instance}",
            summary="WADO-RS: one instance", description=_INSTANCES,
            responses=_INSTANCES_RESPONSES)
async def retrieve_instance(study: StudyUid, series: SeriesUid, instance: InstanceUid,
                            request: Request, settings: SettingsDep, storage: StorageDep,
                            scratch: ScratchDep) -> Response:
    return await _retrieve(request, storage, settings, scratch, study, series, instance)


@router.get("/studies/{study}/metadata", summary="WADO-RS: a study's metadata",
            description=_METADATA, responses=_METADATA_RESPONSES)
async def study_metadata(study: StudyUid, request: Request, settings: SettingsDep,
                         storage: StorageDep, scratch: ScratchDep) -> Response:
    return await _metadata(request, storage, settings, scratch, study)


@router.get("/studies/{study}/series/{series}/metadata",
            summary="WADO-RS: a series' metadata", description=_METADATA,
            responses=_METADATA_RESPONSES)
async def series_metadata(study: StudyUid, series: SeriesUid, request: Request,
                          settings: SettingsDep, storage: StorageDep, scratch: ScratchDep
                          ) -> Response:
    return await _metadata(request, storage, settings, scratch, study, series)


@router.get("/studies/{study}/series/{series}/instances/{instance}/metadata",
            summary="WADO-RS: an instance's metadata", description=_METADATA,
            responses=_METADATA_RESPONSES)
async def instance_metadata(study: StudyUid, series: SeriesUid, instance: InstanceUid,
                            request: Request, settings: SettingsDep, storage: StorageDep,
                            scratch: ScratchDep) -> Response:
    return await _metadata(request, storage, settings, scratch, study, series, instance)


@router.get("/studies/{study}/series/{series}/instances/{instance}/bulk/{tag_path:path}",
            summary="WADO-RS: one bulk data value (HTTP Range supported)", description=(
                "The bytes of the value a `BulkDataURI` of the metadata names, streamed: a "
                "one-part `multipart/related; type=\"application/octet-stream\"` answer when "
                "the Accept header asks for multipart (as PS3.18 does), the raw bytes "
                "otherwise; a single `Range: bytes=start-end` answers 206 with that part."),
            responses={200: {"description": "the value",
                             "content": {OCTETS: {}, "multipart/related": {}}},
                       206: {"description": "the requested range"},
                       404: problem("no such instance or value"),
                       406: problem("the Accept header admits neither form"),
                       416: problem("the range starts past the end of the value"),
                       **read_problems()})
async def retrieve_bulk(study: StudyUid, series: SeriesUid, instance: InstanceUid,
                        tag_path: TagPath, request: Request, settings: SettingsDep,
                        storage: StorageDep, scratch: ScratchDep) -> Response:
    (stored,) = await run_in_thread(instances_of, storage, study, series, instance)
    multipart = _bulk_form(request.headers.get("accept"))
    value = await locate_value(storage, stored.id, tag_path, request.headers.get("range"),
                               settings, scratch)
    if not multipart:
        return bulk_response(value.span, value.part, value.etag, value.close)
    return _multipart_bulk(value.span, value.part, value.etag, value.close)


def _bulk_form(accept: str | None) -> bool:
    """True for a multipart answer, False for raw bytes; 406 when neither is accepted."""
    for media in parse_accept(accept):
        if media.type == "multipart/related":
            if admits(media, OCTETS):
                return True
        elif media.matches(OCTETS):
            return False
    raise _not_acceptable("bulk data is sent as application/octet-stream, alone or in "
                          "multipart/related")


def _multipart_bulk(span: BulkSpan, part: tuple[int, int] | None, etag: str,
                    close: Any) -> Response:
    start, end = part if part is not None else (0, span.length)
    boundary = new_boundary()
    head = multipart_part(boundary, OCTETS, end - start)
    tail = b"\r\n" + multipart_end(boundary)

    def chunks() -> Iterator[bytes]:
        try:
            yield head
            yield from span.chunks(start, end, CHUNK)
            yield tail
        finally:
            close()

    headers = {"ETag": etag, "Content-Length": str(len(head) + end - start + len(tail))}
    if part is not None:
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{span.length}"
    return StreamingResponse(chunks(), status_code=206 if part is not None else 200,
                             media_type=multipart_type(boundary, OCTETS), headers=headers)
