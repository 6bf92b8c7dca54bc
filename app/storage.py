"""Stored instances in a directory, durable and safe under concurrent writers.

Layout under the storage directory: `instances/<id>.dcm` (the file), `instances/<id>.json`
(its record: SOP UIDs, size, ETag, times), `locks/<id>.lock`, `tmp/` (uploads in progress).

- Ids are random (128 bits, URL-safe base64) and validated: no path traversal through them.
- A change is written aside, fsynced and renamed over the old file, then the directory is
  fsynced: after a crash at any point the instance is the previous version or the new one.
- Changes to one instance are serialised by an exclusive `flock` on its lock file, which
  holds across worker processes (and replicas on a shared volume whose file system honours
  flock); `If-Match` with a stale ETag gets 412 instead of a lost update.
- Readers open the file once and keep it open, so a concurrent rename never pulls a
  deferred value from under them.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import secrets
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, BinaryIO

from dicomcore import FileDataset, read_file, write_file

from .problems import Problem

_ID = re.compile(r"[A-Za-z0-9_-]{22}")
_KEY_ATTRIBUTES = ("SOPClassUID", "SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID",
                   "Modality")


@dataclass
class Record:
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


def new_etag() -> str:
    return '"' + secrets.token_hex(12) + '"'


class InstanceStore:
    def __init__(self, root: Path, defer_size: int = 64 * 1024) -> None:
        self.root = Path(root)
        self.instances = self.root / "instances"
        self.locks = self.root / "locks"
        self.tmp = self.root / "tmp"
        self.defer_size = defer_size
        for directory in (self.instances, self.locks, self.tmp):
            directory.mkdir(parents=True, exist_ok=True)

    # paths and ids ----------------------------------------------------------------------

    def _check(self, instance_id: str) -> str:
        if not _ID.fullmatch(instance_id):
            raise Problem(404, "Not found", "no such instance")
        return instance_id

    def file_path(self, instance_id: str) -> Path:
        return self.instances / f"{self._check(instance_id)}.dcm"

    def _record_path(self, instance_id: str) -> Path:
        return self.instances / f"{self._check(instance_id)}.json"

    @contextmanager
    def _locked(self, instance_id: str, shared: bool = False) -> Iterator[None]:
        """Writers hold the instance's lock exclusively; readers share it just long enough
        to read the record and open the file, so the two always belong together."""
        path = self.locks / f"{self._check(instance_id)}.lock"
        if not self._record_path(instance_id).exists():
            raise Problem(404, "Not found", "no such instance")  # no lock files for strangers
        with open(path, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def open_file(self, instance_id: str) -> tuple[Record, BinaryIO]:
        """The record and the file, opened together: the caller closes the file."""
        if not self._record_path(instance_id).exists():
            raise Problem(404, "Not found", "no such instance")
        with self._locked(instance_id, shared=True):
            record = self.record(instance_id)
            try:
                return record, open(self.file_path(instance_id), "rb")  # noqa: SIM115
            except FileNotFoundError:
                raise Problem(404, "Not found", "no such instance") from None

    # records ----------------------------------------------------------------------------

    def record(self, instance_id: str) -> Record:
        try:
            data = json.loads(self._record_path(instance_id).read_text())
        except FileNotFoundError:
            raise Problem(404, "Not found", "no such instance") from None
        return Record(**data)

    def _write_record(self, record: Record) -> None:
        _atomic_write(self._record_path(record.id), json.dumps(asdict(record)).encode())

    def list(self, offset: int, limit: int) -> tuple[list[Record], int]:
        records = []
        for path in self.instances.glob("*.json"):
            try:
                records.append(Record(**json.loads(path.read_text())))
            except (OSError, ValueError, TypeError):
                continue  # removed meanwhile, or being replaced
        records.sort(key=lambda r: (r.created, r.id))
        return records[offset:offset + limit], len(records)

    # operations -------------------------------------------------------------------------

    def store(self, upload_path: Path) -> Record:
        """Validate an uploaded file (parsing it once) and keep it as a new instance."""
        with open(upload_path, "rb") as fp:
            ds = read_file(fp, defer_size=self.defer_size)
            attributes = _key_attributes(ds)
        instance_id = secrets.token_urlsafe(16)
        target = self.file_path(instance_id)
        size = upload_path.stat().st_size
        _fsync_file(upload_path)
        os.replace(upload_path, target)
        _fsync_dir(self.instances)
        now = time.time()
        record = Record(instance_id, *attributes, size=size, etag=new_etag(), created=now,
                        updated=now)
        self._write_record(record)
        return record

    @contextmanager
    def open(self, instance_id: str, stop_before_pixels: bool = False
             ) -> Iterator[tuple[Record, BinaryIO, FileDataset]]:
        """The record, the open file and its data set (deferred values read from it)."""
        record, fp = self.open_file(instance_id)
        try:
            ds = read_file(fp, defer_size=self.defer_size, stop_before_pixels=stop_before_pixels)
            yield record, fp, ds
        finally:
            fp.close()

    def patch(self, instance_id: str, change: Any, if_match: str | None,
              apply_patch: Any) -> Record:
        """Apply `apply_patch(ds, change)` under the instance lock; atomic replace."""
        with self._locked(instance_id):
            record = self.record(instance_id)
            if if_match is not None and not _etag_matches(if_match, record.etag):
                raise Problem(412, "Precondition failed",
                              "the instance changed since that ETag: fetch it again",
                              etag=record.etag)
            if change in ([], {}):
                return record  # nothing to change: the file and its ETag stay
            path = self.file_path(instance_id)
            with open(path, "rb") as fp:
                ds = read_file(fp, defer_size=self.defer_size)
                apply_patch(ds, change)
                fd, name = tempfile.mkstemp(prefix=f"{instance_id}-", suffix=".part",
                                            dir=self.instances)
                try:
                    with os.fdopen(fd, "wb") as out:
                        write_file(out, ds)
                        out.flush()
                        os.fsync(out.fileno())
                    attributes = _key_attributes(ds)
                except BaseException:
                    os.unlink(name)
                    raise
            os.replace(name, path)
            _fsync_dir(self.instances)
            record = Record(instance_id, *attributes, size=path.stat().st_size,
                            etag=new_etag(), created=record.created, updated=time.time())
            self._write_record(record)
            return record

    def delete(self, instance_id: str, if_match: str | None = None) -> None:
        with self._locked(instance_id):
            record = self.record(instance_id)
            if if_match is not None and not _etag_matches(if_match, record.etag):
                raise Problem(412, "Precondition failed", "the instance changed since that "
                              "ETag", etag=record.etag)
            self._record_path(instance_id).unlink(missing_ok=True)
            self.file_path(instance_id).unlink(missing_ok=True)
            _fsync_dir(self.instances)
        (self.locks / f"{instance_id}.lock").unlink(missing_ok=True)


def _etag_matches(header: str, etag: str) -> bool:
    # If-Match compares strongly (RFC 9110 13.1.1): a weak ETag never matches.
    candidates = [c.strip() for c in header.split(",")]
    return "*" in candidates or etag in candidates


def _key_attributes(ds: FileDataset) -> tuple[str | None, ...]:
    values = []
    for keyword in _KEY_ATTRIBUTES:
        value = ds.get(keyword)
        values.append(str(value) if value not in (None, "") else None)
    sop_class, sop_instance, study, series, modality = values
    return sop_instance, sop_class, study, series, modality


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


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as fp:
        os.fsync(fp.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
