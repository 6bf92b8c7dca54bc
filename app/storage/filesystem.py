"""The file-system blob store: contents as files in a directory, durable and crash-safe.

Layout under the root: `instances/<key>` where a key is `<id>.<version>.dcm`
(`base.new_version`), or a deflated version's inflated copy `<id>.<version>.inflated`
(`base.inflated_key`); files of the layout before the index, `instances/<id>.dcm` with a
`<id>.json` record, are adopted by `python -m app.reindex` as they are (their copy, made on
first read, is `<id>.inflated`).

- Keys are validated before they become file names (`base.is_blob_key`): no path traversal.
- A new content is written to `<key>.part`, fsynced and renamed to `<key>`, then the directory
  is fsynced. A key is never overwritten, a reader sees a whole file or none; the one
  exception, an inflated copy made by two first reads one after the other, is renamed over
  with the same bytes (two at once cannot: the part is created exclusively).
- The writer holds an exclusive `flock` on its part for as long as it writes. `clean_parts`
  removes only parts nobody holds: those of a writer that is gone, whatever their age, never
  one a live worker or replica is writing (the lock is released by the kernel when the
  writer dies).
- An open file keeps its content after the key is deleted (POSIX): old versions can go at once.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from . import faults
from .base import Blob, is_blob_key, parse_key
from .errors import BlobMissing


class _PartWriter:
    """A part file under an exclusive flock, renamed to its key on commit."""

    def __init__(self, directory: Path, key: str) -> None:
        self.directory = directory
        self.target = directory / key
        self.part = directory / (key + ".part")
        fd = os.open(self.part, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX)
        self.file: BinaryIO = os.fdopen(fd, "w+b")

    def commit(self) -> None:
        try:
            self.file.flush()
            os.fsync(self.file.fileno())
            faults.checkpoint("blob.part-written")
            os.rename(self.part, self.target)
        except BaseException:
            self.abort()
            raise
        self.file.close()
        _fsync_dir(self.directory)

    def abort(self) -> None:
        self.part.unlink(missing_ok=True)
        self.file.close()


class FileBlobs:
    """`BlobStore` over a local (or shared) directory."""

    readers_keep_deleted = True

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.directory = self.root / "instances"
        self.directory.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        if not is_blob_key(key):
            raise BlobMissing(key)
        return self.directory / key

    def put(self, key: str, source: Path) -> None:
        target = self._path(key)
        with open(source, "rb+") as fp:
            os.fsync(fp.fileno())
        try:
            faults.checkpoint("blob.part-written")
            os.rename(source, target)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            self._copy(source, key)  # the upload is on another file system
        _fsync_dir(self.directory)

    def _copy(self, source: Path, key: str) -> None:
        writer = self.writer(key)
        try:
            with open(source, "rb") as fp:
                shutil.copyfileobj(fp, writer.file, 1 << 20)
        except BaseException:
            writer.abort()
            raise
        writer.commit()
        source.unlink(missing_ok=True)

    def writer(self, key: str) -> _PartWriter:
        self._path(key)
        return _PartWriter(self.directory, key)

    def open(self, key: str, size: int | None) -> BinaryIO:
        try:
            return open(self._path(key), "rb")  # noqa: SIM115 - the caller closes it
        except FileNotFoundError:
            raise BlobMissing(key) from None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)
        parsed = parse_key(key)
        if parsed is not None and parsed[1] is None:
            # the layout before the index kept a record beside the file
            (self.directory / key.replace(".dcm", ".json")).unlink(missing_ok=True)

    def keys(self) -> Iterator[Blob]:
        with os.scandir(self.directory) as entries:
            for entry in entries:
                if not is_blob_key(entry.name):
                    continue
                try:
                    stat = entry.stat()
                    yield Blob(entry.name, stat.st_size, stat.st_mtime)
                except FileNotFoundError:
                    continue

    def clean_parts(self, older_than: float) -> int:
        """Parts whose writer is gone (no flock held); `older_than` is not needed here."""
        return remove_abandoned_parts(self.directory, "*.part")


def remove_abandoned_parts(directory: Path, pattern: str) -> int:
    """Remove the local part files matching `pattern` whose writer is gone: every writer
    holds an exclusive flock on its part while it writes (the S3 store's spools too)."""
    removed = 0
    for part in directory.glob(pattern):
        try:
            fd = os.open(part, os.O_RDONLY)
        except FileNotFoundError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            continue  # a live writer's
        else:
            part.unlink(missing_ok=True)
            removed += 1
        finally:
            os.close(fd)
    return removed


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
