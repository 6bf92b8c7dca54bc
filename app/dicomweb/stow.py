"""STOW-RS (PS3.18 10.5): `multipart/related; type="application/dicom"` bodies stored as
instances, one per part.

Each part is streamed to a file of its own in the scratch space as it arrives (never the
body, never a whole part in memory); once the body is complete the files are read,
`PARALLEL` at a time (each must be DICOM, with SOP Class, SOP Instance, Study and Series
Instance UIDs, of the study the URL names if it names one), and stored, as `POST /v1/instances` stores (one instance per SOP Instance UID: a
UID stored already is replaced). A part that fails never stops the others. Limits: a part
larger than `DICOMCORE_MAX_UPLOAD_BYTES` fails alone; a body larger than
`DICOMCORE_MAX_STOW_BYTES` (default: the upload limit) is 413 and stores nothing.

The answer (application/dicom+json, PS3.18 10.5.3): Retrieve URL (0008,1190) of the study
when all stored instances are of one, Referenced SOP Sequence (0008,1199) with each stored
instance's SOP Class/Instance UID and Retrieve URL, Failed SOP Sequence (0008,1198) with a
Failure Reason (0008,1197) per failed part: 0xC000 not DICOM (or not application/dicom),
0xA900 UIDs missing or another study than the URL's, 0xA700 a part over the size limit or
no room to store it. 200 when every part was stored, 202 when some failed, 409 when none was.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from dicomcore import read_file
from dicomcore.errors import InvalidDicomError
from dicomcore.limits import LimitExceeded

from ..deps import ScratchDep, SettingsDep, StorageDep
from ..headers import content_type
from ..index import from_dataset
from ..openapi import problem, resource_problems
from ..problems import Problem
from ..recoveries import collect
from ..resource_states import is_resource_state
from ..responses import DICOM, DICOM_JSON
from ..storage import InstanceStorage, TooBusy, faults
from ..threads import run_in_thread
from ..uploads import read_limits
from .common import StudyUid, base_url

router = APIRouter(prefix="/dicomweb", tags=["dicomweb"])

NOT_UNDERSTOOD = 0xC000
DOES_NOT_MATCH = 0xA900
OUT_OF_RESOURCES = 0xA700
# Parts stored at once: one part's fsyncs overlap another's reading and index commit.
PARALLEL = 4


@dataclass
class Part:
    """One received part: its file (None once consumed or when it was not kept) or the
    reason it failed."""

    path: Path | None = None
    size: int = 0
    failure: int | None = None


class _Parts:
    """Callbacks of the multipart parser: each `application/dicom` part to its own file."""

    def __init__(self, directory: Path, part_limit: int) -> None:
        self.directory = directory
        self.part_limit = part_limit
        self.parts: list[Part] = []
        self.headers: dict[bytes, bytes] = {}
        self._field = b""
        self._value = b""
        self._file: Any = None
        self.complete = False

    def callbacks(self) -> dict[str, Any]:
        return {"on_part_begin": self.begin, "on_header_field": self.header_field,
                "on_header_value": self.header_value, "on_header_end": self.header_end,
                "on_headers_finished": self.headers_finished, "on_part_data": self.data,
                "on_part_end": self.end_part, "on_end": self.end}

    def begin(self) -> None:
        self.headers = {}

    def header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def header_end(self) -> None:
        self.headers[self._field.strip().lower()] = self._value.strip()
        self._field, self._value = b"", b""

    def headers_finished(self) -> None:
        media, _ = parse_options_header(self.headers.get(b"content-type", DICOM.encode()))
        part = Part()
        self.parts.append(part)
        if media.decode("latin-1").lower() != DICOM:
            part.failure = NOT_UNDERSTOOD
            return
        fd, name = tempfile.mkstemp(prefix="stow-", suffix=".part", dir=self.directory)
        part.path = Path(name)
        self._file = os.fdopen(fd, "wb")

    def data(self, data: bytes, start: int, end: int) -> None:
        part = self.parts[-1]
        part.size += end - start
        if self._file is None:
            return
        if part.size > self.part_limit:
            self._drop(part, OUT_OF_RESOURCES)
            return
        self._file.write(data[start:end])
        faults.checkpoint("stow.chunk-written")

    def end_part(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def end(self) -> None:
        self.complete = True

    def _drop(self, part: Part, failure: int) -> None:
        self._file.close()
        self._file = None
        if part.path is not None:
            part.path.unlink(missing_ok=True)
        part.path, part.failure = None, failure

    def discard(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        for part in self.parts:
            if part.path is not None:
                part.path.unlink(missing_ok=True)
                part.path = None


async def _receive(request: Request, directory: Path, part_limit: int, limit: int
                   ) -> _Parts:
    media, options = content_type(request)
    wanted = options.get(b"type", DICOM.encode()).decode("latin-1").lower()
    if media != "multipart/related" or wanted != DICOM:
        raise Problem(415, "Unsupported media type", 'STOW-RS takes multipart/related; '
                      'type="application/dicom" (one instance per part)')
    boundary = options.get(b"boundary")
    if not boundary:
        raise Problem(400, "Bad request", "multipart/related without a boundary")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise Problem(413, "Content too large", f"the body is larger than {limit} bytes")
    directory.mkdir(parents=True, exist_ok=True)
    parts = _Parts(directory, part_limit)
    parser = MultipartParser(boundary, parts.callbacks())
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > limit:
                raise Problem(413, "Content too large", f"the body is larger than {limit} "
                              "bytes: nothing was stored")
            parser.write(chunk)
        parser.finalize()
        if not parts.complete:
            raise Problem(400, "Bad request", "the multipart body ends before its closing "
                          "boundary: nothing was stored")
        if not parts.parts:
            raise Problem(400, "Bad request", "the multipart body has no part")
    except MultipartParseError as exc:
        parts.discard()
        raise Problem(400, "Bad request", f"malformed multipart body: {exc}") from None
    except BaseException:
        parts.discard()
        raise
    return parts


def _store(storage: InstanceStorage, part: Part, study: str | None, settings: Any,
           limits: Any) -> dict[str, str] | tuple[int, dict[str, str]]:
    """Store one part: its UIDs, or (failure reason, the UIDs known)."""
    assert part.path is not None
    known: dict[str, str] = {}
    try:
        with collect():
            ds = read_file(part.path, defer_size=settings.defer_size, limits=limits)
            try:
                attributes = from_dataset(ds)
            finally:
                ds.close()
    except LimitExceeded:
        return OUT_OF_RESOURCES, known
    except (InvalidDicomError, ValueError, LookupError, TypeError, OSError) as exc:
        # a full disk (a deflated part inflated in scratch space) or no file left to open
        # is the service's state, not the part's fault
        return (OUT_OF_RESOURCES if is_resource_state(exc) else NOT_UNDERSTOOD), known
    for key, value in (("00081150", attributes.sop_class_uid),
                       ("00081155", attributes.sop_instance_uid)):
        if value:
            known[key] = value
    if not (attributes.sop_class_uid and attributes.sop_instance_uid
            and attributes.study_instance_uid and attributes.series_instance_uid):
        return DOES_NOT_MATCH, known
    if study is not None and attributes.study_instance_uid != study:
        return DOES_NOT_MATCH, known
    try:
        storage.put(part.path, attributes)
    except TooBusy:
        return OUT_OF_RESOURCES, known
    except OSError as exc:
        if is_resource_state(exc):
            return OUT_OF_RESOURCES, known
        raise
    finally:
        part.path = None  # consumed by put (or to be removed by the caller)
    known["study"] = attributes.study_instance_uid
    known["series"] = attributes.series_instance_uid
    return known


def _uid(value: str) -> dict[str, Any]:
    return {"vr": "UI", "Value": [value]}


async def _stow(request: Request, settings: Any, storage: InstanceStorage, scratch: Any,
                study: str | None) -> Response:
    limit = settings.max_stow_bytes or settings.max_upload_bytes
    parts = await _receive(request, scratch.directory, settings.max_upload_bytes, limit)
    base = base_url(request)
    limits = read_limits(settings, scratch.directory)
    stored: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    studies: set[str] = set()
    lanes = asyncio.Semaphore(PARALLEL)

    async def store(part: Part) -> dict[str, str] | tuple[int, dict[str, str]]:
        if part.failure is not None:
            return part.failure, {}
        path = part.path
        try:
            async with lanes:
                return await run_in_thread(_store, storage, part, study, settings, limits)
        finally:
            if path is not None:
                path.unlink(missing_ok=True)  # gone already when stored (moved into place)

    try:
        results = await asyncio.gather(*(store(part) for part in parts.parts))
    finally:
        parts.discard()
    for result in results:
        if isinstance(result, tuple):
            reason, known = result
            failed.append({**{k: _uid(v) for k, v in known.items()},
                           "00081197": {"vr": "US", "Value": [reason]}})
            continue
        studies.add(result["study"])
        url = (f"{base}/studies/{result['study']}/series/{result['series']}/instances/"
               f"{result['00081155']}")
        stored.append({"00081150": _uid(result["00081150"]),
                       "00081155": _uid(result["00081155"]),
                       "00081190": {"vr": "UR", "Value": [url]}})
    body: dict[str, Any] = {}
    if len(studies) == 1 or (study is not None and stored):
        body["00081190"] = {"vr": "UR", "Value": [f"{base}/studies/{study or studies.pop()}"]}
    if failed:
        body["00081198"] = {"vr": "SQ", "Value": failed}
    if stored:
        body["00081199"] = {"vr": "SQ", "Value": stored}
    status = 200 if not failed else 202 if stored else 409
    return Response(json.dumps(body, separators=(",", ":")), status_code=status,
                    media_type=DICOM_JSON)


_DESCRIPTION = (
    "Stores every part of a `multipart/related; type=\"application/dicom\"` body (one DICOM "
    "instance per part, each streamed to disk as it arrives) and answers what was stored and "
    "what failed (PS3.18 10.5.3): Referenced SOP Sequence with the Retrieve URL of each "
    "stored instance, Failed SOP Sequence with a Failure Reason for each part that is not "
    "DICOM (0xC000), lacks its UIDs or belongs to another study than the URL names (0xA900), "
    "or is over the size limit or finds no room to be stored (0xA700). A stored SOP Instance "
    "UID is replaced.")
_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "every part was stored", "content": {DICOM_JSON: {}}},
    202: {"description": "some parts were stored, some failed (Failed SOP Sequence)",
          "content": {DICOM_JSON: {}}},
    409: {"description": "no part was stored (Failed SOP Sequence says why)",
          "content": {DICOM_JSON: {}}},
    400: problem("a malformed multipart body, one cut short, or one with no part"),
    413: problem("the body is larger than the service's limit: nothing stored"),
    415: problem("not multipart/related with parts of application/dicom"),
    # while the body is received, before any part is stored; a part that finds no room later
    # fails alone (0xA700)
    **resource_problems("files", "store")}
_BODY: dict[str, Any] = {"requestBody": {
    "required": True,
    "description": "DICOM instances, one per part of a multipart/related body "
                   "(type=\"application/dicom\"); streamed, never held whole in memory.",
    "content": {"multipart/related": {"schema": {
        "type": "string", "format": "binary",
        "description": 'a multipart/related; type="application/dicom" body with its '
                       "boundary: one DICOM file per part"}}}}}


@router.post("/studies", summary="STOW-RS: store instances", description=_DESCRIPTION,
             responses=_RESPONSES, openapi_extra=_BODY)
async def store_instances(request: Request, settings: SettingsDep, storage: StorageDep,
                          scratch: ScratchDep) -> Response:
    return await _stow(request, settings, storage, scratch, None)


@router.post("/studies/{study}", summary="STOW-RS: store instances of one study",
             description=_DESCRIPTION + " Parts of another study fail (0xA900).",
             responses=_RESPONSES, openapi_extra=_BODY)
async def store_study_instances(study: StudyUid, request: Request, settings: SettingsDep,
                                storage: StorageDep, scratch: ScratchDep) -> Response:
    return await _stow(request, settings, storage, scratch, study)
