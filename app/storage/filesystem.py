"""The file-system backend: instances in a directory, durable and safe under concurrent writers.

Layout under the root: `instances/<id>.dcm` (the content), `instances/<id>.json` (its record:
key attributes, size, ETag, times) and `locks/<id>.lock`.

- Ids are validated before they become file names (`base.is_instance_id`): no path traversal.
- A new content is written aside, fsynced and renamed over the old file, then the directory is
  fsynced: after a crash at any point the instance is the previous version or the new one.
- Changes to one instance are serialised by an exclusive `flock` on its lock file, which holds
  across worker processes (and replicas on a shared volume whose file system honours flock),
  so `rewrite` runs once per `replace` and sees the previous change; a stale `expected_etags`
  raises `StaleETag` instead of losing an update.
- Readers take the lock shared just long enough to read the record and open the file, and keep
  the file open: a concurrent rename never pulls content from under them.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

from .base import (
    KeyAttributes,
    Opened,
    Page,
    Record,
    Rewrite,
    is_instance_id,
    new_etag,
    new_instance_id,
)
from .errors import InstanceNotFound, StaleETag


class FileSystemStorage:
    """`InstanceStorage` over a local (or shared, flock-honouring) directory."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._instances = self.root / "instances"
        self._locks = self.root / "locks"
        for directory in (self._instances, self._locks):
            directory.mkdir(parents=True, exist_ok=True)

    # ids, paths and the lock ------------------------------------------------------------

    def _checked(self, instance_id: str) -> str:
        if not is_instance_id(instance_id):
            raise InstanceNotFound(instance_id)
        return instance_id

    def _file(self, instance_id: str) -> Path:
        return self._instances / f"{self._checked(instance_id)}.dcm"

    def _record_file(self, instance_id: str) -> Path:
        return self._instances / f"{self._checked(instance_id)}.json"

    @contextmanager
    def _locked(self, instance_id: str, shared: bool = False) -> Iterator[None]:
        if not self._record_file(instance_id).exists():
            raise InstanceNotFound(instance_id)  # no lock files for ids nobody stored
        with open(self._locks / f"{instance_id}.lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # reading ----------------------------------------------------------------------------

    def record(self, instance_id: str) -> Record:
        try:
            data = json.loads(self._record_file(instance_id).read_text())
        except FileNotFoundError:
            raise InstanceNotFound(instance_id) from None
        return Record(**data)

    def open(self, instance_id: str) -> Opened:
        with self._locked(instance_id, shared=True):
            record = self.record(instance_id)
            try:
                return Opened(record, open(self._file(instance_id), "rb"))  # noqa: SIM115
            except FileNotFoundError:
                raise InstanceNotFound(instance_id) from None

    def list(self, offset: int, limit: int) -> Page:
        records = []
        for path in self._instances.glob("*.json"):
            try:
                records.append(Record(**json.loads(path.read_text())))
            except (OSError, ValueError, TypeError):
                continue  # removed meanwhile, or being replaced
        records.sort(key=lambda r: (r.created, r.id))
        return Page(records[offset:offset + limit], len(records))

    # changing ---------------------------------------------------------------------------

    def put(self, content: Path, attributes: KeyAttributes) -> Record:
        instance_id = new_instance_id()
        target = self._file(instance_id)
        size = content.stat().st_size
        _move_durably(content, target)
        _fsync_dir(self._instances)
        now = time.time()
        record = Record(instance_id, **asdict(attributes), size=size, etag=new_etag(),
                        created=now, updated=now)
        self._write_record(record)
        return record

    def replace(self, instance_id: str, rewrite: Rewrite,
                expected_etags: frozenset[str] | None = None) -> Record:
        with self._locked(instance_id):
            record = self.record(instance_id)
            _check_etag(record, expected_etags)
            path = self._file(instance_id)
            fd, name = tempfile.mkstemp(prefix=f"{instance_id}-", suffix=".part",
                                        dir=self._instances)
            try:
                with open(path, "rb") as current, os.fdopen(fd, "w+b") as out:
                    attributes = rewrite(current, out)
                    if attributes is not None:
                        out.flush()
                        os.fsync(out.fileno())
                        size = out.seek(0, os.SEEK_END)
                if attributes is None:
                    os.unlink(name)
                    return record
                os.replace(name, path)
            except BaseException:
                Path(name).unlink(missing_ok=True)
                raise
            _fsync_dir(self._instances)
            record = Record(instance_id, **asdict(attributes), size=size, etag=new_etag(),
                            created=record.created, updated=time.time())
            self._write_record(record)
            return record

    def delete(self, instance_id: str, expected_etags: frozenset[str] | None = None) -> None:
        with self._locked(instance_id):
            _check_etag(self.record(instance_id), expected_etags)
            self._record_file(instance_id).unlink(missing_ok=True)
            self._file(instance_id).unlink(missing_ok=True)
            _fsync_dir(self._instances)
        (self._locks / f"{instance_id}.lock").unlink(missing_ok=True)

    def _write_record(self, record: Record) -> None:
        _atomic_write(self._record_file(record.id), json.dumps(asdict(record)).encode())


def _check_etag(record: Record, expected: frozenset[str] | None) -> None:
    if expected is not None and record.etag not in expected:
        raise StaleETag(record.etag)


def _move_durably(source: Path, target: Path) -> None:
    """Rename `source` to `target` after fsyncing it; copy aside first across file systems."""
    with open(source, "rb+") as fp:
        os.fsync(fp.fileno())
    try:
        os.replace(source, target)
        return
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
    fd, name = tempfile.mkstemp(prefix=target.stem + "-", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out, open(source, "rb") as fp:
            shutil.copyfileobj(fp, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
        os.replace(name, target)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def _atomic_write(path: Path, data: bytes) -> None:
    fd, name = tempfile.mkstemp(prefix=path.name, suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fp:
            fp.write(data)
            fp.flush()
            os.fsync(fp.fileno())
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
