"""`python -m app.reindex`: rebuild the index from what storage holds (header reads only).

For every instance id found in storage, its newest version (keys sort by version) is read up
to the pixel data (`stop_before_pixels`) and given a row, unless a row already names that id.
Rows whose content is gone are removed. Files of the layout before the index
(`instances/<id>.dcm`, with a `<id>.json` record) are adopted as they are, with their ids and
creation times, so an existing deployment upgrades by running this once; a service that starts
on an empty index does the same by itself (`adopt_if_empty`).

Two contents with one SOP Instance UID (possible in the old layout): the newer is indexed,
the other is reported and left where it is (never deleted by the service).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from dicomcore import read_file
from dicomcore.errors import InvalidDicomError
from dicomcore.limits import DEFAULT_LIMITS, ReadLimits

from .index.attributes import from_dataset
from .index.index import Record, Row
from .storage.base import Blob, new_version, parse_key

if TYPE_CHECKING:
    from .storage.indexed import IndexedStorage

Progress = Callable[[int, int], None]


def _newest_per_id(blobs: list[Blob]) -> dict[str, Blob]:
    newest: dict[str, Blob] = {}
    for blob in blobs:
        parsed = parse_key(blob.key)
        if parsed is None:
            continue
        instance_id, token = parsed
        best = newest.get(instance_id)
        if best is None or (token or "") > (parse_key(best.key)[1] or ""):  # type: ignore[index]
            newest[instance_id] = blob
    return newest


def _legacy_created(storage: IndexedStorage, key: str, fallback: float) -> float:
    root = getattr(storage.blobs, "directory", None)
    if root is None:
        return fallback
    try:
        return float(json.loads((Path(root) / key.replace(".dcm", ".json")).read_text())
                     ["created"])
    except (OSError, ValueError, KeyError, TypeError):
        return fallback


def reindex(storage: IndexedStorage, progress: Progress | None = None,
            defer_size: int = 64 * 1024, limits: ReadLimits = DEFAULT_LIMITS) -> dict[str, int]:
    """Index what storage holds, reading each header within `limits` (the service's read
    limits: a stored file past them is counted unreadable); counts of what was done."""
    started = time.time()
    blobs = list(storage.blobs.keys())
    newest = _newest_per_id(blobs)
    counts = {"indexed": 0, "already": 0, "duplicates": 0, "unreadable": 0, "removed": 0}
    for done, (instance_id, blob) in enumerate(sorted(newest.items()), start=1):
        if storage.index.get(instance_id) is not None:
            counts["already"] += 1
        else:
            counts[_index_one(storage, instance_id, blob, defer_size, limits)] += 1
        if progress is not None:
            progress(done, len(newest))
    present = {b.key for b in blobs}
    stale: list[Row] = []
    offset = 0
    while True:  # rows whose content is gone (not rows a live writer added meanwhile)
        page = storage.index.page({}, offset, 1000)
        for record in page.records:
            row = storage.index.get(record.id)
            if row is not None and row.key not in present and row.record.updated < started:
                stale.append(row)
        if len(page.records) < 1000:
            break
        offset += len(page.records)
    for row in stale:
        counts["removed"] += storage.index.remove(row, time.time())
    return counts


def _index_one(storage: IndexedStorage, instance_id: str, blob: Blob, defer_size: int,
               limits: ReadLimits) -> str:
    try:
        with storage.blobs.open(blob.key, blob.size) as fp:
            ds = read_file(fp, defer_size=defer_size, stop_before_pixels=True, limits=limits)
            try:
                attributes = from_dataset(ds)
            finally:
                ds.close()
    except (InvalidDicomError, ValueError, OSError):
        return "unreadable"
    token = parse_key(blob.key)[1]  # type: ignore[index]
    etag = f'"{token}"' if token else new_version(instance_id)[1]
    created = _legacy_created(storage, blob.key, blob.modified) if not token else blob.modified
    record = Record(instance_id, attributes, blob.size, etag, created, blob.modified)
    return "indexed" if storage.index.insert(Row(record, blob.key)) else "duplicates"


def adopt_if_empty(storage: IndexedStorage) -> int:
    """Reindex when the index has no row but storage has contents; how many were indexed."""
    if storage.index.count():
        return 0
    if next(iter(storage.blobs.keys()), None) is None:
        return 0
    return reindex(storage)["indexed"]


def _bar(done: int, total: int) -> None:
    width = 40
    filled = width * done // max(total, 1)
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def main(argv: list[str] | None = None) -> int:
    from .deps import open_storage
    from .settings import get_settings
    from .uploads import read_limits

    parser = argparse.ArgumentParser(prog="python -m app.reindex", description=__doc__
                                     .splitlines()[0] if __doc__ else None)
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    settings = get_settings()
    storage = open_storage(settings, recover=False)
    limits = read_limits(settings, settings.storage_dir.resolve() / "tmp")
    counts = reindex(storage, None if args.quiet else _bar, settings.defer_size, limits)
    print(json.dumps(counts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
