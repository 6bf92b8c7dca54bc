"""Receive request bodies: uploads streamed to a temporary file, never held whole in memory,
and small bodies (a patch) read with a limit.

Accepts a raw `application/dicom` body or `multipart/form-data` with a `file` field (and, for
/v1/patch, a `patch` field kept in memory up to a limit). The size limit is checked while
the bytes arrive: the 413 comes as soon as the upload passes it, not after.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, BinaryIO

from fastapi import Request
from python_multipart.exceptions import FormParserError, MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from dicomcore.limits import ReadLimits

from .headers import content_type
from .problems import Problem
from .settings import Settings
from .storage import faults

DICOM_TYPES = ("application/dicom", "application/octet-stream")


@dataclass
class Upload:
    """A received upload: an open file positioned at its start, and any wanted form fields.

    `path` is set for uploads kept under a name (to be stored). Others are an anonymous
    temporary file, in memory up to `SPOOL_BYTES` and on disk beyond it, or from the first
    byte when the Content-Length is larger.
    """

    file: BinaryIO
    size: int
    fields: dict[str, bytes] = field(default_factory=dict)
    path: Path | None = None

    def discard(self) -> None:
        self.file.close()
        if self.path is not None:
            self.path.unlink(missing_ok=True)


SPOOL_BYTES = 4 << 20


def stored_limits(limits: ReadLimits, stored_inflated: bool) -> ReadLimits:
    """`limits` for a file `InstanceStorage.open_for_reading` opened: its inflated copy of a
    deflated instance is read as it is, not inflated again."""
    return replace(limits, stored_inflated=True) if stored_inflated else limits


def read_limits(settings: Settings, scratch: Path) -> ReadLimits:
    """What reading one file (uploaded or stored) may cost: elements, inflated size, and the
    scratch directory a deflated data set is inflated into (never the system's /tmp)."""
    return ReadLimits(max_elements=settings.max_elements,
                      max_inflated_bytes=settings.max_inflated_bytes or settings.max_upload_bytes,
                      scratch_dir=str(scratch), spool_bytes=SPOOL_BYTES)


class _Receiver:
    """Collects multipart parts: the `file` field to disk, the fields a route wants to memory
    (capped in total), anything else dropped as it arrives."""

    def __init__(self, fp: Any, field_limit: int, wanted: frozenset[str]) -> None:
        self.fp = fp
        self.field_limit = field_limit
        self.wanted = wanted
        self.fields: dict[str, bytearray] = {}
        self.headers: dict[bytes, bytes] = {}
        self._field = b""
        self._value = b""
        self.name: str | None = None
        self.saw_file = False
        self.complete = False
        self.kept = 0

    def callbacks(self) -> dict[str, Any]:
        return {"on_part_begin": self.part_begin, "on_header_field": self.header_field,
                "on_header_value": self.header_value, "on_header_end": self.header_end,
                "on_headers_finished": self.headers_finished, "on_part_data": self.part_data,
                "on_end": self.end}

    def end(self) -> None:
        self.complete = True

    def part_begin(self) -> None:
        self.headers, self.name = {}, None

    def header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def header_end(self) -> None:
        self.headers[self._field.lower()] = self._value
        self._field, self._value = b"", b""

    def headers_finished(self) -> None:
        _, options = parse_options_header(self.headers.get(b"content-disposition", b""))
        self.name = options.get(b"name", b"").decode("latin-1")
        if self.name == "file":
            if self.saw_file:
                raise Problem(400, "Bad request", "more than one file part")
            self.saw_file = True
        elif self.name in self.wanted:
            self.fields.setdefault(self.name, bytearray())

    def part_data(self, data: bytes, start: int, end: int) -> None:
        if self.name == "file":
            self.fp.write(data[start:end])
            return
        value = self.fields.get(self.name or "")
        if value is None:
            return  # a field this route does not use
        self.kept += end - start
        if self.kept > self.field_limit:
            raise Problem(413, "Content too large",
                          f"the form fields are larger than {self.field_limit} bytes")
        value += data[start:end]


async def receive_upload(request: Request, directory: Path, limit: int,
                         field_limit: int = 16 * 1024 * 1024,
                         wanted_fields: frozenset[str] = frozenset(),
                         named: bool = False) -> Upload:
    """Stream the request body to a temporary file in `directory` (`named`: one with a path,
    to be moved into the store; otherwise spooled in memory while small)."""
    media_type, options = content_type(request)
    if media_type not in DICOM_TYPES and media_type != "multipart/form-data":
        raise Problem(415, "Unsupported media type",
                      "send the file as application/dicom or as multipart/form-data with a "
                      "'file' field")
    header = request.headers.get("content-length", "")
    declared = int(header) if header.isdigit() else None
    if declared is not None and declared > limit:
        raise Problem(413, "Content too large", f"the upload is larger than {limit} bytes")
    directory.mkdir(parents=True, exist_ok=True)
    path: Path | None = None
    fp: Any
    if named:
        fd, name = tempfile.mkstemp(prefix="upload-", suffix=".part", dir=directory)
        path = Path(name)
        fp = os.fdopen(fd, "w+b")
    elif declared is not None and declared > SPOOL_BYTES:
        # Known to be large: straight to disk, without holding SPOOL_BYTES in memory first.
        fp = tempfile.TemporaryFile(dir=directory)  # noqa: SIM115
    else:
        fp = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES, dir=directory)  # noqa: SIM115
    try:
        fields = await _receive(request, fp, media_type, options, limit, field_limit,
                                wanted_fields)
        size = fp.tell()
        if size == 0:
            raise Problem(400, "Bad request", "the upload is empty")
        fp.flush()
        fp.seek(0)
    except (MultipartParseError, FormParserError) as exc:
        _drop(fp, path)
        raise Problem(400, "Bad request", f"malformed multipart body: {exc}") from None
    except BaseException:
        _drop(fp, path)
        raise
    return Upload(fp, size, fields, path)


def _drop(fp: Any, path: Path | None) -> None:
    fp.close()
    if path is not None:
        path.unlink(missing_ok=True)


async def _receive(request: Request, fp: Any, media_type: str, options: dict[bytes, bytes],
                   limit: int, field_limit: int, wanted_fields: frozenset[str]
                   ) -> dict[str, bytes]:
    parser = None
    receiver = None
    if media_type == "multipart/form-data":
        boundary = options.get(b"boundary")
        if not boundary:
            raise Problem(400, "Bad request", "multipart/form-data without a boundary")
        receiver = _Receiver(fp, field_limit, wanted_fields)
        parser = MultipartParser(boundary, receiver.callbacks())
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise Problem(413, "Content too large", f"the upload is larger than {limit} bytes")
        # Writing a chunk lands in memory or the page cache in microseconds: cheaper than a
        # thread hop per chunk.
        if parser is not None:
            parser.write(chunk)
        else:
            fp.write(chunk)
        faults.checkpoint("upload.chunk-written")
    if parser is None or receiver is None:
        return {}
    parser.finalize()
    if not receiver.complete:
        raise Problem(400, "Bad request", "the multipart body ends before its closing "
                      "boundary: the upload was cut short")
    if not receiver.saw_file:
        raise Problem(400, "Bad request", "the form has no 'file' part")
    return {k: bytes(v) for k, v in receiver.fields.items()}


async def receive_body(request: Request, limit: int) -> bytes:
    """The whole body of a small request (a patch), 413 as soon as it passes `limit`."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise Problem(413, "Content too large", f"the body is larger than {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise Problem(413, "Content too large", f"the body is larger than {limit} bytes")
    return bytes(body)
