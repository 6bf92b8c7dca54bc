"""What the routes send back: element JSON, files and byte ranges, streamed where large."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from fastapi.responses import FileResponse, Response, StreamingResponse
from starlette.background import BackgroundTask

from dicomcore.bulk import BulkSpan
from dicomcore.dataset import Dataset
from dicomcore.json import to_json_dict, to_simple_dict

from . import jsonpieces
from .queries import JsonFormat

DICOM_JSON = "application/dicom+json"
DICOM = "application/dicom"
OCTETS = "application/octet-stream"
CHUNK = 1 << 20


def dataset_json(ds: Dataset, fmt: JsonFormat, threshold: int, include_meta: bool,
                 handler: Any = None) -> bytes:
    """The data set as compact UTF-8 JSON: the PS3.18 F model or the simple keyword view
    (made in pieces: the event loop is not held up by a large one)."""
    if fmt is JsonFormat.simple:
        model = to_simple_dict(ds, include_meta)
    else:
        model = to_json_dict(ds, threshold, handler, include_meta)
    return jsonpieces.dumps(model)


def json_response(body: bytes, fmt: JsonFormat, headers: dict[str, str] | None = None
                  ) -> Response:
    media = DICOM_JSON if fmt is JsonFormat.dicom else "application/json"
    return Response(body, media_type=media, headers=headers)


class DicomFileResponse(FileResponse):
    # Starlette reads a file in 64 KiB pieces, each in a worker thread: 1,600 thread hops
    # for a 100 MB file. 1 MiB pieces cut the hops and cost 1 MiB per download in flight.
    chunk_size = CHUNK


def temporary_file_response(path: Path, filename: str, headers: dict[str, str] | None = None
                            ) -> FileResponse:
    """A file of the scratch space as an attachment, removed once sent."""
    return DicomFileResponse(path, media_type=DICOM, filename=filename,
                             background=BackgroundTask(os.unlink, path), headers=headers,
                             content_disposition_type="attachment")


def open_file_response(fp: BinaryIO, filename: str, etag: str) -> StreamingResponse:
    """An open file streamed as an attachment from where it is now, then closed: what was
    opened is what is sent, whatever replaces it meanwhile."""
    size = fp.seek(0, os.SEEK_END)
    fp.seek(0)
    return StreamingResponse(_read_all(fp), media_type=DICOM, headers={
        "ETag": etag, "Content-Length": str(size),
        "Content-Disposition": f'attachment; filename="{filename}"'})


def _read_all(fp: BinaryIO) -> Iterator[bytes]:
    try:
        while data := fp.read(CHUNK):
            yield data
    finally:
        fp.close()


def bulk_response(span: BulkSpan, part: tuple[int, int] | None, etag: str,
                  close: Callable[[], None]) -> Response:
    """The bytes of one value (`part`: a range of them, as 206), little endian as bulk data
    is (PS3.18 8.7.3.3.1: `BulkSpan.chunks` swaps a big endian file's numbers; the length is
    the same), streamed from the file when they are still there; `close` runs once the answer
    is sent (or could not be)."""
    start, end = part if part is not None else (0, span.length)
    headers = {"Accept-Ranges": "bytes", "ETag": etag, "Content-Length": str(end - start)}
    status = 200
    if part is not None:
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{span.length}"
    if span.data is not None:
        close()
        return Response(b"".join(span.chunks(start, end, CHUNK)), status_code=status,
                        media_type=OCTETS, headers=headers)

    def chunks() -> Iterator[bytes]:
        try:
            yield from span.chunks(start, end, CHUNK)
        finally:
            close()

    return StreamingResponse(chunks(), status_code=status,
                             media_type=OCTETS, headers=headers)
