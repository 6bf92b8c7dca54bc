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
  with the same bytes (two at once cannot: one part per key, see below).
- The writer holds an exclusive `flock` on its part for as long as it writes: a part nobody
  holds is a writer's that is gone, whatever its age (the kernel releases the lock when the
  writer dies); one that is held is a live worker's or replica's. The one rule (`_claim`)
  serves both who meet a part: `clean_parts` removes the parts nobody holds, and a writer
  that finds a part of its key takes it over when nobody holds it (an inflated copy's part
  left by a crashed reader does not stop the next read from making the copy), and gives way
  (`FileExistsError`) when a live writer does.
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
        self.file: BinaryIO = os.fdopen(open_part(self.part), "w+b")

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


def _claim(fd: int, part: Path) -> bool:
    """Take the exclusive flock of the part open as `fd`, without waiting: True when this
    process now holds it and `part` still names that file; False when a live writer holds
    it, or the part was removed (or made anew) since `fd` was opened."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False  # a live writer's
    try:
        named = os.stat(part)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino)


def open_part(part: Path, attempts: int = 3, mode: int = 0o644) -> int:
    """The part file of a writer, created with `mode` (or, left by a writer that is gone,
    taken over and emptied) with its flock held; `FileExistsError` when a live writer holds
    it."""
    for _ in range(attempts):
        try:
            fd = os.open(part, os.O_RDWR | os.O_CREAT | os.O_EXCL, mode)
        except FileExistsError:
            try:
                fd = os.open(part, os.O_RDWR)
            except FileNotFoundError:
                continue  # removed meanwhile: create it
        try:
            if _claim(fd, part):
                os.ftruncate(fd, 0)
                return fd
        except BaseException:
            os.close(fd)
            raise
        # held by a live writer, or just removed by `clean_parts` (which claims first): look
        # again
        os.close(fd)
    raise FileExistsError(errno.EEXIST, "a live writer is writing this part", str(part))


def remove_abandoned_parts(directory: Path, pattern: str) -> int:
    """Remove the local part files matching `pattern` whose writer is gone (`_claim`): every
    writer holds an exclusive flock on its part while it writes (the S3 store's spools
    too)."""
    removed = 0
    for part in directory.glob(pattern):
        try:
            fd = os.open(part, os.O_RDONLY)
        except FileNotFoundError:
            continue
        try:
            if _claim(fd, part):
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
