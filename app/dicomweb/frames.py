"""WADO-RS frames (PS3.18 10.4.1.1.3): `.../instances/{i}/frames/{1,2,...}` as
`multipart/related; type="application/octet-stream"`, one part per frame asked for.

- Native pixel data: each frame is sliced from the stored value with ranged reads (frame
  size = Rows x Columns x SamplesPerPixel x BitsAllocated / 8; 8, 16 or 32 bits, any number
  of samples and frames), nothing else of the value is read. Sent little endian, as bulk data
  is (PS3.18 8.7.3.3.1): a big endian file's OW pixel data swapped word by word, as
  `BulkSpan.chunks` gives it (its OB pixel data as stored), and labelled Explicit VR Little
  Endian, as are a deflated file's frames (deflate compresses the data set, not them). Sent
  for `transfer-syntax=*`, the stored syntax (unless big endian or deflated), or (no
  `transfer-syntax`: PS3.18's default) Implicit or Explicit VR Little Endian: their pixel
  bytes are the same.
- Encapsulated pixel data: the stored fragments of each frame, concatenated, for
  `transfer-syntax=*` or the stored syntax; 406 otherwise (nothing is decoded). Frames are
  told apart by the basic offset table, else one fragment per frame when the counts agree,
  else a single frame takes every fragment; the item headers are read one by one, not the
  value.

A frame list that is not numbers from 1 is 400; a frame past the last one is 404.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response, StreamingResponse

from dicomcore import read_file
from dicomcore.bulk import BulkSpan, bulk_span
from dicomcore.dataset import Dataset
from dicomcore.uid import DeflatedExplicitVRLittleEndian

from ..deps import ScratchDep, SettingsDep, StorageDep
from ..openapi import problem, read_problems
from ..problems import Problem
from ..responses import CHUNK, OCTETS
from ..threads import run_in_thread
from ..uploads import read_limits, stored_limits
from .common import InstanceUid, SeriesUid, StudyUid, instances_of
from .media import (
    ANY_SYNTAX,
    EXPLICIT_LITTLE,
    LITTLE_ENDIAN_NATIVE,
    NATIVE,
    MediaRange,
    admits,
    multipart_end,
    multipart_part,
    multipart_type,
    new_boundary,
    parse_accept,
)

router = APIRouter(prefix="/dicomweb", tags=["dicomweb"])

# What native frames are: the pixel bytes little endian, not deflated (deflate compresses a
# data set, not its frames), so the two syntaxes whose pixel data those bytes are.
FRAME_SYNTAXES = LITTLE_ENDIAN_NATIVE - {str(DeflatedExplicitVRLittleEndian)}
FrameList = Annotated[str, Path(description="frame numbers from 1, comma-separated: `1,3`",
                                examples=["1"])]
Piece = tuple[int, int]  # (offset in the value, length)
BUFFERED = 8 << 20  # frames up to this size are read at once and sent as one body


def frame_numbers(text: str) -> list[int]:
    numbers = []
    for item in text.split(","):
        item = item.strip()
        if not item.isdigit() or len(item) > 9 or int(item) < 1:
            raise Problem(400, "Bad request", "frames are numbered from 1, comma-separated "
                          f"(got {text[:60]!r})")
        numbers.append(int(item))
    return numbers


def _send_as(media: MediaRange, stored: str, native: bool) -> str | None:
    """The transfer syntax the frames can be labelled with for this range, or None; native
    frames are little endian and not deflated, a big endian or deflated file's too."""
    if not admits(media, OCTETS):
        return None
    wanted = media.params.get("transfer-syntax",
                              EXPLICIT_LITTLE if media.type == "multipart/related" else "*")
    sent = EXPLICIT_LITTLE if native and stored not in FRAME_SYNTAXES else stored
    if wanted in (ANY_SYNTAX, sent):
        return sent
    if native and wanted in FRAME_SYNTAXES:
        return wanted
    return None


def _items(span: BulkSpan) -> list[Piece]:
    """(offset, length) of the items of an encapsulated value, the offset table first."""
    items: list[Piece] = []
    position = 0
    while position + 8 <= span.length:
        header = b"".join(span.chunks(position, position + 8))
        group, element, length = struct.unpack("<HHL", header)
        if (group, element) != (0xFFFE, 0xE000):
            break  # a sequence delimiter, or damage: what came before stands
        items.append((position + 8, min(length, span.length - position - 8)))
        position += 8 + length
    return items


def encapsulated_frames(span: BulkSpan, count: int) -> list[list[Piece]]:
    """The fragments of each frame (see the module docstring)."""
    items = _items(span)
    if not items:
        return []
    table_at, table_length = items[0]
    fragments = items[1:]
    table = b"".join(span.chunks(table_at, table_at + table_length)) if table_length else b""
    if len(table) >= 4 and fragments:
        first = fragments[0][0] - 8
        starts = [first + offset for offset in struct.unpack(f"<{len(table) // 4}L",
                                                             table[:len(table) // 4 * 4])]
        bounds = starts[1:] + [span.length + 1]
        return [[f for f in fragments if start <= f[0] - 8 < end]
                for start, end in zip(starts, bounds, strict=True)]
    if len(fragments) == count:
        return [[fragment] for fragment in fragments]
    return [fragments]


def native_frames(ds: Dataset, span: BulkSpan, count: int) -> list[list[Piece]]:
    bits = int(ds.get("BitsAllocated") or 0)
    size = int(ds.get("Rows") or 0) * int(ds.get("Columns") or 0) * int(
        ds.get("SamplesPerPixel") or 1) * bits
    if size == 0 or size % 8:
        raise Problem(406, "Not acceptable", "frames of pixel data with "
                      f"{bits} bits allocated are not cut apart: retrieve the bulk data")
    size //= 8
    return [[(i * size, size)] for i in range(min(count, span.length // size))]


@router.get("/studies/{study}/series/{series}/instances/{instance}/frames/{frames}",
            summary="WADO-RS: frames of an instance's pixel data", description=(
                "The frames asked for, one part each, in `multipart/related; "
                "type=\"application/octet-stream\"`: native frames sliced from the stored "
                "pixel data with ranged reads, little endian (a big endian file's OW pixel "
                "data swapped word by word, labelled Explicit VR Little Endian); for "
                "encapsulated pixel data the stored fragments of each frame, when the Accept "
                "header allows the stored transfer syntax (`transfer-syntax=*` or its UID), "
                "else 406. Frame numbers start at 1."),
            responses={200: {"description": "the frames, one part each",
                             "content": {'multipart/related; type="application/octet-stream"':
                                         {}}},
                       400: problem("a frame list that is not numbers from 1"),
                       404: problem("no such instance, no pixel data, or a frame past "
                                    "the last"),
                       406: problem("the Accept header allows no form the frames can be "
                                    "sent in"),
                       **read_problems()})
async def retrieve_frames(study: StudyUid, series: SeriesUid, instance: InstanceUid,
                          frames: FrameList, request: Request, settings: SettingsDep,
                          storage: StorageDep, scratch: ScratchDep) -> Response:
    numbers = frame_numbers(frames)
    ranges = parse_accept(request.headers.get("accept"))
    limits = read_limits(settings, scratch.directory)

    def locate() -> Response:
        # One trip to a worker thread: find, open, read the header, cut the frames.
        (stored,) = instances_of(storage, study, series, instance)
        _record, fp, inflated = storage.open_for_reading(stored.id)
        ds: Dataset | None = None
        streamed = False
        try:
            ds = read_file(fp, defer_size=settings.defer_size,
                           limits=stored_limits(limits, inflated))
            span, label, pieces = _frames_of(ds, stored.transfer_syntax, ranges)
            missing = [n for n in numbers if n > len(pieces)]
            if missing:
                raise Problem(404, "Not found", f"the instance has {len(pieces)} frames: no "
                              f"frame {missing[0]}")
            chosen = [pieces[n - 1] for n in numbers]
            if sum(length for frame in chosen for _, length in frame) <= BUFFERED:
                return _frames_response(span, chosen, label, None)  # read before closing
            streamed = True
            opened = ds
            return _frames_response(span, chosen, label, lambda: (opened.close(), fp.close()))
        finally:
            if not streamed:
                if ds is not None:
                    ds.close()
                fp.close()

    return await run_in_thread(locate)


def _frames_of(ds: Dataset, indexed_syntax: str, ranges: list[MediaRange]
               ) -> tuple[BulkSpan, str, list[list[Piece]]]:
    """The pixel data, the transfer syntax to label the frames with, and the pieces of
    each frame; a 406 or 404 problem when they cannot be sent."""
    syntax = str(ds.file_meta.get("TransferSyntaxUID") or indexed_syntax)
    native = syntax in NATIVE
    label = next((s for m in ranges if (s := _send_as(m, syntax, native))), None)
    if label is None:
        raise Problem(406, "Not acceptable", "the Accept header allows no transfer syntax "
                      f"these frames can be sent in (stored: {syntax}; transfer-syntax=* "
                      "admits them; native frames are little endian)")
    try:
        span = bulk_span(ds, "7FE00010")
    except (KeyError, ValueError):
        raise Problem(404, "Not found", "the instance has no pixel data") from None
    count = int(ds.get("NumberOfFrames") or 1)
    pieces = native_frames(ds, span, count) if native else encapsulated_frames(span, count)
    return span, label, pieces


def _frames_response(span: BulkSpan, chosen: list[list[Piece]], label: str,
                     close: Callable[[], Any] | None) -> Response:
    """The frames as multipart/related: read now when `close` is None (small answers, one
    body), else streamed from the file and `close` called once sent."""
    boundary = new_boundary()
    content_type = f"{OCTETS}; transfer-syntax={label}"

    def parts() -> Iterator[bytes]:
        for frame in chosen:
            yield multipart_part(boundary, content_type, sum(n for _, n in frame))
            for offset, length in frame:
                yield from span.chunks(offset, offset + length, CHUNK)
            yield b"\r\n"
        yield multipart_end(boundary)

    media_type = multipart_type(boundary, OCTETS)
    if close is None:
        return Response(b"".join(parts()), media_type=media_type)

    def streamed() -> Iterator[bytes]:
        try:
            yield from parts()
        finally:
            close()

    return StreamingResponse(streamed(), media_type=media_type)
