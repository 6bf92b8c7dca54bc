"""From settings to an `InstanceStorage`: which blob store, which index, opened once.

`DICOMCORE_STORAGE_URL` names the blob store (`file:///path`, or `s3://bucket/prefix` with
`DICOMCORE_S3_ENDPOINT_URL`; unset: `DICOMCORE_STORAGE_DIR`), `DICOMCORE_INDEX_URL` the index
(`sqlite:///path` or `postgresql://...`; unset: `index.sqlite3` in `DICOMCORE_STORAGE_DIR`,
also when the contents are on S3). Each combination is opened once per process and recovered
then (`IndexedStorage.recover`); `close_all` closes them (tests, shutdown).
"""

from __future__ import annotations

import threading
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from dicomcore.filereader import write_inflated
from dicomcore.limits import ReadLimits

from ..index.database import connect
from ..index.index import Index
from .base import BlobStore
from .filesystem import FileBlobs
from .indexed import IndexedStorage

_opened: dict[tuple[Any, ...], IndexedStorage] = {}
_lock = threading.Lock()
_KEEP = 8


def blob_store(storage_url: str | None, storage_dir: Path,
               s3_endpoint_url: str | None = None) -> BlobStore:
    if not storage_url:
        return FileBlobs(storage_dir.resolve())
    parts = urlsplit(storage_url)
    if parts.scheme == "file":
        return FileBlobs(Path(unquote(parts.path)).resolve())
    if parts.scheme == "s3":
        from .s3 import S3Blobs

        return S3Blobs(parts.netloc, parts.path.strip("/"), s3_endpoint_url,
                       storage_dir.resolve() / "tmp")
    raise ValueError(f"a storage URL starts with file:// or s3:// (got {storage_url!r})")


def index_url(url: str | None, storage_dir: Path) -> str:
    return url or "sqlite:///" + str(storage_dir.resolve() / "index.sqlite3")


def open_storage(settings: Any, recover: bool = True) -> IndexedStorage:
    """The storage of these settings (an `app.settings.Settings`), opened once."""
    key = (settings.storage_url, str(settings.storage_dir.resolve()), settings.index_url,
           settings.s3_endpoint_url, settings.s3_delete_delay_seconds,
           settings.orphan_grace_seconds, recover, settings.max_elements,
           settings.max_inflated_bytes, settings.max_upload_bytes)
    with _lock:
        storage = _opened.get(key)
        if storage is None:
            blobs = blob_store(settings.storage_url, settings.storage_dir,
                               settings.s3_endpoint_url)
            db = connect(index_url(settings.index_url, settings.storage_dir),
                         settings.index_pool_size)
            try:
                # the inflated copy of a deflated instance: bounded as a read of it is
                limits = ReadLimits(max_elements=settings.max_elements,
                                    max_inflated_bytes=settings.max_inflated_bytes
                                    or settings.max_upload_bytes)
                storage = IndexedStorage(blobs, Index(db), settings.s3_delete_delay_seconds,
                                         settings.orphan_grace_seconds, recover,
                                         partial(write_inflated, limits=limits))
            except BaseException:
                db.close()
                raise
            if len(_opened) >= _KEEP:
                _opened.pop(next(iter(_opened))).index.db.close()
            _opened[key] = storage
        return storage


def close_all() -> None:
    with _lock:
        for storage in _opened.values():
            storage.index.db.close()
        _opened.clear()
