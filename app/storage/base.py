"""The storage protocol: what the routes may ask of wherever instances are kept.

Five operations, in the spirit of Orthanc's storage area: `put` a new instance, `open` one for
reading as a seekable binary file, `replace` its content (conditionally on its ETag), `delete`
it, `list` them; plus `record`, the stored facts about one (size, ETag, key attributes).
Routes talk to this protocol only: never to paths, `os.replace` or `fstat`.

Every backend promises:

1. A reader sees one whole version: the record and the file `open` returns belong together,
   and keep belonging together while the file is open, whatever is replaced meanwhile.
2. `replace` is atomic (readers see the old version or the new one, also after a crash) and
   loses no update: concurrent replaces of one instance each see the result of the previous
   one. A backend that serialises (the file system's `flock`) calls `rewrite` once; one that
   compares and swaps may call it again, so `rewrite` must be safe to repeat.
3. A condition (`expected_etags`) that no longer holds raises `StaleETag`, and nothing changes.
4. An unknown or malformed id raises `InstanceNotFound`: ids never reach outside the store.

Errors are the domain errors of `app.storage.errors`; `app.problems` maps them to HTTP.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, NamedTuple, Protocol

_ID = re.compile(r"[A-Za-z0-9_-]{22}")


def new_instance_id() -> str:
    """A random id (128 bits, URL-safe base64): never derived from the data."""
    return secrets.token_urlsafe(16)


def is_instance_id(text: str) -> bool:
    """True for text shaped like an id `new_instance_id` gives (22 characters, no `/` or `.`)."""
    return _ID.fullmatch(text) is not None


def new_etag() -> str:
    return '"' + secrets.token_hex(12) + '"'


@dataclass(frozen=True)
class KeyAttributes:
    """The attributes of an instance a listing shows (None where the data set has none)."""

    sop_instance_uid: str | None = None
    sop_class_uid: str | None = None
    study_instance_uid: str | None = None
    series_instance_uid: str | None = None
    modality: str | None = None


@dataclass(frozen=True)
class Record:
    """What the store knows about one instance without reading it."""

    id: str
    sop_instance_uid: str | None
    sop_class_uid: str | None
    study_instance_uid: str | None
    series_instance_uid: str | None
    modality: str | None
    size: int
    etag: str
    created: float
    updated: float

    @property
    def attributes(self) -> KeyAttributes:
        return KeyAttributes(self.sop_instance_uid, self.sop_class_uid,
                             self.study_instance_uid, self.series_instance_uid, self.modality)


class Opened(NamedTuple):
    """A version opened for reading: its record and its content (the caller closes it)."""

    record: Record
    file: BinaryIO


class Page(NamedTuple):
    records: list[Record]
    total: int


Rewrite = Callable[[BinaryIO, BinaryIO], KeyAttributes | None]
"""`rewrite(current, out)`: read the current content from `current` (seekable), write the new
content to `out` (seekable, readable) and return its key attributes; or return None to leave
the instance as it is (no new version, same ETag)."""


class InstanceStorage(Protocol):
    def put(self, content: Path, attributes: KeyAttributes) -> Record:
        """Keep the file at `content` as a new instance. The file is consumed: a backend may
        move it into place, so the caller must not use it afterwards (removing it is fine)."""
        ...

    def record(self, instance_id: str) -> Record:
        ...

    def open(self, instance_id: str) -> Opened:
        """The current version: its record and a seekable binary file of its content."""
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

    def list(self, offset: int, limit: int) -> Page:
        """Records ordered by creation (then id), and how many there are in all."""
        ...
