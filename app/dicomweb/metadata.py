"""WADO-RS metadata: the DICOM JSON of stored instances' headers, rendered once per version.

An instance's metadata is rendered from its file (read with large values left on disk:
nothing of the pixel data is read) with binary values longer than 1024 base64 characters,
pixel data included, as `BulkDataURI`s of the bulk route. The rendered JSON is kept in a
per-process cache keyed by the instance's id and ETag: a stored version never changes (a
change is a new ETag), so an entry never goes stale; it only ages out. The URIs in it start
with a random per-process token that each answer replaces with the base URL the client used
(a value in a file cannot hold that token by chance: it is 128 random bits).

The JSON is made by `app.jsonpieces` and kept as its pieces: no one call of `json`, of the
token's replacement or of a copy works on a whole large header (one `json.dumps` of a
250,000-element instance held the GIL, and the event loop with `/healthz`, for 0.2-0.4 s).
A `BulkDataURI` is a short string, made whole within one piece, so each piece's token is
replaced on its own.

`CACHE_BYTES` bounds the cache (least recently used entries go first).
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from dicomcore import read_file
from dicomcore.json import element_paths, to_json_dict

from .. import jsonpieces
from ..storage import InstanceNotFound, InstanceStorage
from ..uploads import stored_limits
from .common import Stored

CACHE_BYTES = 32 << 20
PIECE = 256 << 10  # answers are sent in pieces of about this size
_TOKEN = "dicomweb-" + secrets.token_hex(16)


Rendered = tuple[bytes, ...]  # the UTF-8 pieces of one instance's JSON, in order


class RenderedCache:
    """Rendered metadata by (id, ETag), bounded in bytes, safe across threads."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self._entries: OrderedDict[tuple[str, str], Rendered] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> Rendered | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: tuple[str, str], value: Rendered) -> None:
        size = sum(map(len, value))
        if size > self.limit // 8:
            return  # one huge header would push out everything else
        with self._lock:
            if key in self._entries:
                return
            self._entries[key] = value
            self.size += size
            while self.size > self.limit:
                _, dropped = self._entries.popitem(last=False)
                self.size -= sum(map(len, dropped))


CACHE = RenderedCache(CACHE_BYTES)


def _render(storage: InstanceStorage, instance: Stored, defer_size: int, limits: Any
            ) -> Rendered | None:
    """The instance's metadata with URIs under the token (cached); None if it is gone."""
    try:
        record = storage.record(instance.id)
    except InstanceNotFound:
        return None
    cached = CACHE.get((instance.id, record.etag))
    if cached is not None:
        return cached
    try:
        record, fp, inflated = storage.open_for_reading(instance.id)
    except InstanceNotFound:
        return None
    with fp:
        ds = read_file(fp, defer_size=defer_size, limits=stored_limits(limits, inflated))
        try:
            paths = element_paths(ds)
            prefix = instance.url(_TOKEN) + "/bulk/"
            model = to_json_dict(ds, 1024, lambda elem: prefix + paths[id(elem)])
        finally:
            ds.close()
    rendered = tuple(jsonpieces.utf8_pieces(model))
    CACHE.put((instance.id, record.etag), rendered)
    return rendered


def metadata_json(storage: InstanceStorage, instances: list[Stored], base: str,
                  defer_size: int, limits: Any) -> Iterator[bytes]:
    """The JSON array of the instances' metadata, in pieces of about `PIECE` bytes (more by
    at most one of `jsonpieces`' pieces)."""
    token, actual = _TOKEN.encode(), base.encode()
    piece = bytearray(b"[")
    first = True
    for instance in instances:
        rendered = _render(storage, instance, defer_size, limits)
        if rendered is None:
            continue  # deleted since the answer began
        if not first:
            piece += b","
        first = False
        for part in rendered:
            piece += part.replace(token, actual)
            if len(piece) >= PIECE:
                yield bytes(piece)
                piece.clear()
    piece += b"]"
    yield bytes(piece)
