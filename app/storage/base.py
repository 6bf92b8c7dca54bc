"""The storage protocol: what the routes may ask of wherever instances are kept.

Six operations, in the spirit of Orthanc's storage area: `put` a new instance, `open` one for
reading as a seekable binary file, `replace` its content (conditionally on its ETag), `delete`
it, `list` them (filtered by the index); plus `record`, the stored facts about one (size,
ETag, indexed attributes). Routes talk to this protocol only: never to paths, keys or SQL.

Every backend promises:

1. A reader sees one whole version: the record and the file `open` returns belong together,
   and keep belonging together while the file is open, whatever is replaced meanwhile.
2. `replace` is atomic (readers see the old version or the new one, also after a crash: the
   ETag and the content switch in one step) and loses no update: concurrent replaces of one
   instance each see the result of the previous one. A backend that compares and swaps may
   call `rewrite` again on a newer version, so `rewrite` must be safe to repeat.
3. A condition (`expected_etags`) that no longer holds raises `StaleETag`, and nothing changes.
4. An unknown or malformed id raises `InstanceNotFound`: ids never reach outside the store.
5. One instance per SOP Instance UID: `put` of a UID that is stored replaces that instance
   (same id, new ETag); a `replace` that would give an instance another's UID is `UidClash`.

The second half of this module is the smaller protocol beneath: `BlobStore`, where contents
live under immutable keys (a directory, an S3 bucket). `app.storage.indexed` combines a blob
store with the index into an `InstanceStorage`.

Errors are the domain errors of `app.storage.errors`; `app.problems` maps them to HTTP.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import BinaryIO, NamedTuple, Protocol

from dicomcore.uid import DeflatedExplicitVRLittleEndian

from ..index.attributes import KeyAttributes
from ..index.index import Page, Record

_ID = re.compile(r"[A-Za-z0-9_-]{22}")
_KEY = re.compile(r"([A-Za-z0-9_-]{22})(?:\.([0-9a-f]{28}))?\.dcm")
_INFLATED = re.compile(r"([A-Za-z0-9_-]{22}(?:\.[0-9a-f]{28})?)\.inflated")
DEFLATED = str(DeflatedExplicitVRLittleEndian)


def new_instance_id() -> str:
    """A random id (128 bits, URL-safe base64): never derived from the data."""
    return secrets.token_urlsafe(16)


def is_instance_id(text: str) -> bool:
    """True for text shaped like an id `new_instance_id` gives (22 characters, no `/` or `.`)."""
    return _ID.fullmatch(text) is not None


def new_version(instance_id: str) -> tuple[str, str]:
    """A new version of an instance: its storage key and its ETag, made of one token (the
    time in ns, then random bits, so keys of one id sort by age)."""
    token = f"{time.time_ns():016x}{secrets.token_hex(6)}"
    return f"{instance_id}.{token}.dcm", f'"{token}"'


def parse_key(key: str) -> tuple[str, str | None] | None:
    """(id, version token) of a key `new_version` made; (id, None) for a key of the layout
    before versions (`<id>.dcm`); None for anything else."""
    match = _KEY.fullmatch(key)
    return (match.group(1), match.group(2)) if match else None


def inflated_key(key: str) -> str | None:
    """The key of the inflated copy beside the key of a deflated instance's version
    (`<id>.<token>.inflated`, see `filereader.write_inflated`; `<id>.inflated` beside a key
    of the layout before versions, made on its first read); None for a key that is neither."""
    parsed = parse_key(key)
    if parsed is None:
        return None
    return f"{parsed[0]}.{parsed[1]}.inflated" if parsed[1] else f"{parsed[0]}.inflated"


def key_of_inflated(key: str) -> str | None:
    """The versioned key an inflated copy belongs to; None if `key` is not one."""
    match = _INFLATED.fullmatch(key)
    return match.group(1) + ".dcm" if match else None


def is_blob_key(key: str) -> bool:
    """True for the keys a blob store keeps: versions (`parse_key`) and their inflated
    copies (`inflated_key`). Anything else never becomes a file name or an object key."""
    return parse_key(key) is not None or _INFLATED.fullmatch(key) is not None


class Opened(NamedTuple):
    """A version opened for reading: its record and its content (the caller closes it)."""

    record: Record
    file: BinaryIO


class OpenedForReading(NamedTuple):
    """A version opened for reading its data set: `file` is its inflated copy when it has
    one (`stored_inflated` True: read it with `ReadLimits(stored_inflated=True)`), else its
    content as stored. Never for a download of the file: that is `open`'s."""

    record: Record
    file: BinaryIO
    stored_inflated: bool


class Stored(NamedTuple):
    """What `put` did: the record, and whether the instance is new (False: it replaced the
    instance of the same SOP Instance UID)."""

    record: Record
    created: bool


Rewrite = Callable[[BinaryIO, BinaryIO], KeyAttributes | None]
"""`rewrite(current, out)`: read the current content from `current` (seekable), write the new
content to `out` (seekable, readable) and return its key attributes; or return None to leave
the instance as it is (no new version, same ETag). A rewrite whose attribute `reads_inflated`
is true is given a deflated instance's inflated copy where it has one (see
`open_for_reading`), as `rewrite(current, out, stored_inflated=True)`."""


class InstanceStorage(Protocol):
    def put(self, content: Path, attributes: KeyAttributes) -> Stored:
        """Keep the file at `content` as an instance (a new one, or the new version of the
        one with its SOP Instance UID). The file is consumed: a backend may move it into
        place, so the caller must not use it afterwards (removing it is fine)."""
        ...

    def record(self, instance_id: str) -> Record:
        ...

    def open(self, instance_id: str) -> Opened:
        """The current version: its record and a seekable binary file of its content."""
        ...

    def open_for_reading(self, instance_id: str) -> OpenedForReading:
        """The current version, for reading its data set: a deflated one's inflated copy
        (kept beside it by `put` and `replace`; made by the first read of a version stored
        without one) where it has or can have one."""
        ...

    def replace(self, instance_id: str, rewrite: Rewrite,
                expected_etags: frozenset[str] | None = None) -> Record:
        """Replace the content with what `rewrite` writes (see `Rewrite`), atomically.

        `expected_etags`: when given, the current ETag must be one of them (compared
        strongly: a weak `W/` tag never matches), else `StaleETag` before `rewrite` runs.
        Returns the record of the version this call wrote (or of the unchanged one).
        """
        ...

    def delete(self, instance_id: str, expected_etags: frozenset[str] | None = None) -> None:
        ...

    def list(self, offset: int, limit: int, matches: Mapping[str, str] | None = None) -> Page:
        """Records ordered by creation (then id), and how many match in all. `matches`:
        {DICOM keyword: value} by the rules of `app.index.query`."""
        ...


# the blob store beneath ---------------------------------------------------------------------

class Blob(NamedTuple):
    key: str
    size: int
    modified: float  # seconds since the epoch


class BlobWriter(Protocol):
    """A new blob being written: `file` is seekable and readable; `commit` makes the key
    exist with what `file` holds, `abort` leaves no trace."""

    file: BinaryIO

    def commit(self) -> None:
        ...

    def abort(self) -> None:
        ...


class BlobStore(Protocol):
    """Contents under immutable keys. A key is written once (`put`, `writer`) and deleted
    once; it is never overwritten, so a reader never sees a half-written content."""

    readers_keep_deleted: bool
    """True where an open reader keeps reading a deleted key (POSIX files): old versions
    may then be deleted at once; otherwise (S3) they are kept for a delay first."""

    def put(self, key: str, source: Path) -> None:
        """Store the file at `source` (consumed) under `key`."""
        ...

    def writer(self, key: str) -> BlobWriter:
        ...

    def open(self, key: str, size: int | None) -> BinaryIO:
        """A seekable reader of the key's content (`size` bytes; None: the store finds out);
        `BlobMissing` if gone."""
        ...

    def delete(self, key: str) -> None:
        """Remove the key (nothing happens if it is gone)."""
        ...

    def keys(self) -> Iterator[Blob]:
        ...

    def clean_parts(self, older_than: float) -> int:
        """Remove what writers that are gone left half-written; how many."""
        ...
