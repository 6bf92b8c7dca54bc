"""`InstanceStorage` made of a blob store (contents) and the index (rows): every backend.

A change never touches a key that a row names. It writes the new content under a new key,
switches the row to that key in one compare-and-swap on the ETag (`Index.switch`, which also
enqueues the old key as garbage in the same transaction), and only then deletes the old key:
at once where open readers keep deleted content (files), after `delete_delay` seconds where
they would not (S3: a reader's later ranged reads still find the old version).

So after a crash at any step (`faults.STEPS`) the row names a whole content whose ETag it
holds beside it, and what is left over is one of:

- a half-written part: `BlobStore.clean_parts` at start;
- a key no row names (written, never switched to): swept at start once older than
  `orphan_grace` (a live writer on another replica may be about to switch to it);
- a key in the garbage queue: deleted by the next change or start once due.

A version of a deflated instance (Deflated Explicit VR Little Endian) has its inflated copy
beside it (`base.inflated_key`, made by `inflate` before the switch, bounded by its limits:
past them nothing is stored), which reads of its data set open instead
(`open_for_reading`), so they do not inflate it again; the version's key stays the bytes as
they were stored. The copy is deleted with the version (garbage), and swept with it. A
version stored without one (before copies were kept, or adopted by `app.reindex` from the
layout before versions) gets it from its first read, made as `put` makes it (bounded, whole
or not at all); a version that went meanwhile loses it again at once, or by the sweep. When
it cannot be made now (another reader is making it, or the disk is full) the read inflates
the stored content as before: reads go on while the disk is full.

Concurrency is the compare-and-swap only, no lock: a writer that loses the race deletes its
new key and runs `rewrite` again on the version that won (bounded by `MAX_ATTEMPTS` and
`MAX_SECONDS`, then `TooBusy`), or raises `StaleETag` when it was conditional.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import BinaryIO

from dicomcore.filereader import write_inflated

from ..index.attributes import KeyAttributes
from ..index.index import Index, Page, Record, Row, UidClash
from ..resource_states import DISK_FULL
from . import faults
from .base import (
    DEFLATED,
    BlobStore,
    Opened,
    OpenedForReading,
    Rewrite,
    Stored,
    inflated_key,
    is_instance_id,
    key_of_inflated,
    new_instance_id,
    new_version,
    parse_key,
)
from .errors import BlobMissing, InstanceNotFound, StaleETag, TooBusy

log = logging.getLogger("app.storage")

MAX_ATTEMPTS = 1000
MAX_SECONDS = 60.0

Inflate = Callable[[BinaryIO, BinaryIO], bool]
"""`inflate(content, out)`: write the inflated copy of a deflated content to `out`
(`filereader.write_inflated` with the limits of a read; `LimitExceeded` past them)."""


class IndexedStorage:
    """Instances as blobs under versioned keys, found and switched through the index."""

    def __init__(self, blobs: BlobStore, index: Index, delete_delay: float = 600.0,
                 orphan_grace: float = 3600.0, recover: bool = True,
                 inflate: Inflate = write_inflated) -> None:
        self.blobs = blobs
        self.inflate = inflate
        self.index = index
        self.delete_delay = 0.0 if blobs.readers_keep_deleted else delete_delay
        self.orphan_grace = orphan_grace
        if recover:
            self.recover()

    # reading ------------------------------------------------------------------------------

    def _row(self, instance_id: str) -> Row:
        row = self.index.get(instance_id) if is_instance_id(instance_id) else None
        if row is None:
            raise InstanceNotFound(instance_id)
        return row

    def record(self, instance_id: str) -> Record:
        return self._row(instance_id).record

    def open(self, instance_id: str) -> Opened:
        for _ in range(10):
            row = self._row(instance_id)
            try:
                return Opened(row.record, self.blobs.open(row.key, row.record.size))
            except BlobMissing:
                continue  # replaced (or deleted) between the row and the open: read it again
        raise InstanceNotFound(instance_id)

    def open_for_reading(self, instance_id: str) -> OpenedForReading:
        for _ in range(10):
            row = self._row(instance_id)
            try:
                return OpenedForReading(row.record,
                                        *self._open_version(row, True, make_copy=True))
            except BlobMissing:
                continue  # replaced (or deleted) between the row and the open: read it again
        raise InstanceNotFound(instance_id)

    def _open_version(self, row: Row, inflated: bool, make_copy: bool = False
                      ) -> tuple[BinaryIO, bool]:
        """The version's inflated copy (and True) when `inflated` and it has one (or, with
        `make_copy`, once `_make_copy` made it), else its content (and False); `BlobMissing`
        when the version is gone."""
        copy = (inflated_key(row.key)
                if inflated and row.record.attributes.transfer_syntax_uid == DEFLATED else None)
        if copy is not None:
            try:
                return self.blobs.open(copy, None), True
            except BlobMissing:
                pass  # stored before copies were kept, or just deleted
            if make_copy and self._make_copy(row):
                try:
                    return self.blobs.open(copy, None), True
                except BlobMissing:
                    pass  # the version went meanwhile, and its copy with it
        return self.blobs.open(row.key, row.record.size), False

    def _make_copy(self, row: Row) -> bool:
        """Make the inflated copy of a deflated version stored without one; True if it now
        has one. `LimitExceeded` past the limits (nothing stored: a read would fail there
        too). False, and nothing stored, when another reader is writing it (a live writer
        holds the part of that key: one left by a writer that is gone is taken over, see
        `app.storage.filesystem`) or the disk is full: the caller reads the content as
        stored."""
        with self.blobs.open(row.key, row.record.size) as content:
            try:
                made = self._write_inflated(row.key, content, row.record.attributes)
            except FileExistsError:
                return False
            except OSError as exc:
                if exc.errno not in DISK_FULL:
                    raise
                log.warning("no inflated copy of %s: the disk is full", row.key)
                return False
        if made and not self.index.known_keys({row.key}):
            # replaced and collected while the copy was made: the copy goes too
            self.blobs.delete(inflated_key(row.key))  # type: ignore[arg-type]
            return False
        return made

    def _write_inflated(self, key: str, content: BinaryIO,
                        attributes: KeyAttributes) -> bool:
        """Keep the inflated copy of a deflated content beside `key`; True if one was."""
        copy = inflated_key(key)
        if copy is None or attributes.transfer_syntax_uid != DEFLATED:
            return False
        writer = self.blobs.writer(copy)
        try:
            content.seek(0)
            if not self.inflate(content, writer.file):
                writer.abort()
                return False
        except BaseException:
            writer.abort()
            raise
        writer.commit()
        return True

    def _delete(self, key: str) -> None:
        """Delete a version's key and its inflated copy, if any."""
        self.blobs.delete(key)
        copy = inflated_key(key)
        if copy is not None:
            self.blobs.delete(copy)

    def list(self, offset: int, limit: int, matches: Mapping[str, str] | None = None) -> Page:
        return self.index.page(matches or {}, offset, limit)

    # changing -----------------------------------------------------------------------------

    def put(self, content: Path, attributes: KeyAttributes) -> Stored:
        uid = attributes.sop_instance_uid
        existing = self.index.by_sop_instance_uid(uid) if uid else None
        instance_id = existing.record.id if existing else new_instance_id()
        key, etag = new_version(instance_id)
        size = content.stat().st_size
        try:
            with open(content, "rb") as fp:
                self._write_inflated(key, fp, attributes)
            self.blobs.put(key, content)
        except BaseException:
            self._delete(key)
            raise
        faults.checkpoint("put.blob-stored")
        try:
            for _ in _attempts():
                now = time.time()
                if existing is None:
                    # The id in the key is the one a reindex gives back; if another store of
                    # this UID wins the race below, the key keeps the id it was made with.
                    row = Row(Record(instance_id, attributes, size, etag, now, now), key)
                    if self.index.insert(row):
                        return Stored(row.record, True)
                else:
                    row = Row(Record(existing.record.id, attributes, size, etag,
                                     existing.record.created, now), key)
                    if self.index.switch(existing, row, now + self.delete_delay):
                        self.collect_garbage()
                        return Stored(row.record, False)
                existing = self.index.by_sop_instance_uid(uid) if uid else None
        except BaseException:
            self._delete(key)
            raise
        raise AssertionError("unreachable")  # _attempts raises when it runs out

    def replace(self, instance_id: str, rewrite: Rewrite,
                expected_etags: frozenset[str] | None = None) -> Record:
        for _ in _attempts():
            row = self._row(instance_id)
            _check(row.record, expected_etags)
            try:
                current, inflated = self._open_version(
                    row, getattr(rewrite, "reads_inflated", False))
            except BlobMissing:
                continue
            key, etag = new_version(instance_id)
            with current:
                writer = self.blobs.writer(key)
                try:
                    attributes = (rewrite(current, writer.file, stored_inflated=True)
                                  if inflated else rewrite(current, writer.file))
                    if attributes is None:
                        writer.abort()
                        return row.record
                    size = writer.file.seek(0, 2)
                    self._write_inflated(key, writer.file, attributes)
                except BaseException:
                    writer.abort()
                    self._delete(key)
                    raise
            try:
                writer.commit()
            except BaseException:
                self._delete(key)
                raise
            faults.checkpoint("replace.blob-stored")
            now = time.time()
            new = Row(Record(instance_id, attributes, size, etag, row.record.created, now), key)
            try:
                switched = self.index.switch(row, new, now + self.delete_delay)
            except BaseException:
                self._delete(key)
                raise
            if switched:
                faults.checkpoint("replace.switched")
                self.collect_garbage()
                return new.record
            self._delete(key)  # another version came first: start again from it
        raise AssertionError("unreachable")

    def delete(self, instance_id: str, expected_etags: frozenset[str] | None = None) -> None:
        for _ in _attempts():
            row = self._row(instance_id)
            _check(row.record, expected_etags)
            if self.index.remove(row, time.time() + self.delete_delay):
                faults.checkpoint("delete.unindexed")
                self.collect_garbage()
                return

    # housekeeping -------------------------------------------------------------------------

    def collect_garbage(self, limit: int = 16, now: float | None = None) -> int:
        """Delete old versions whose delay has passed; how many."""
        keys = self.index.due_garbage(limit, now)
        for key in keys:
            self._delete(key)
            self.index.forget_garbage(key)
        return len(keys)

    def sweep_orphans(self, older_than: float) -> int:
        """Delete versioned keys no row or garbage entry names, and inflated copies of such
        keys, last changed before `older_than` (seconds since the epoch). Keys of the layout
        before versions are never swept: they are data `app.reindex` has not adopted."""
        candidates = [b.key for b in self.blobs.keys()
                      if b.modified < older_than and _versioned(b.key)]
        removed = 0
        for start in range(0, len(candidates), 1000):
            chunk = candidates[start:start + 1000]
            known = self.index.known_keys({key_of_inflated(key) or key for key in chunk})
            for key in chunk:
                if (key_of_inflated(key) or key) not in known:
                    self.blobs.delete(key)
                    removed += 1
        return removed

    def recover(self, now: float | None = None) -> dict[str, int]:
        """What a start does: adopt existing contents into an empty index, remove parts of
        dead writers and orphans, delete due garbage."""
        from ..reindex import adopt_if_empty

        now = time.time() if now is None else now
        done = {"adopted": adopt_if_empty(self),
                "parts": self.blobs.clean_parts(now - self.orphan_grace),
                "orphans": self.sweep_orphans(now - self.orphan_grace)}
        done["garbage"] = sum(iter(lambda: self.collect_garbage(1000, now), 0))
        if any(done.values()):
            log.info("storage recovery: %s", done)
        return done


def _attempts() -> Iterator[int]:
    """Attempt numbers, with a short random back-off after each lost race; `TooBusy` past
    `MAX_ATTEMPTS` or `MAX_SECONDS`."""
    start = time.monotonic()
    for attempt in range(MAX_ATTEMPTS):
        if attempt:
            if time.monotonic() - start > MAX_SECONDS:
                raise TooBusy(attempt)
            time.sleep(random.uniform(0, min(0.05, 0.001 * attempt)))
        yield attempt
    raise TooBusy(MAX_ATTEMPTS)


def _versioned(key: str) -> bool:
    """A key of a version or an inflated copy (of a version, or of a key of the layout
    before versions: derived, so swept like a version's), not a key of the layout before."""
    parsed = parse_key(key)
    return key_of_inflated(key) is not None if parsed is None else parsed[1] is not None


def _check(record: Record, expected: frozenset[str] | None) -> None:
    if expected is not None and record.etag not in expected:
        raise StaleETag(record.etag)


__all__ = ["IndexedStorage", "UidClash"]
