"""Requests that meet the limits and resource states `app.openapi.resource_problems` lists,
for reads of stored instances and for writes alike: a read limit lowered since the file was
stored (413), no open files left, a patch past its time budget, compare-and-swap races lost
to other writers (503), a full disk (507). `test_openapi` and `test_dicomweb_cases` put them
in their case tables, one row per route and status; `test_resource_states` checks what each
leaves behind.

Each wraps a request of the case tables (`send(client, context)`) and changes, for that
request only, what the service meets: its settings, the operating system's answers (a full
disk fails every write, as ENOSPC does; the process out of files fails every open of a
stored file and every new file, as EMFILE does), or other writers.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Callable
from typing import Any, BinaryIO

import httpx
import pydicom
import pytest
from fastapi.testclient import TestClient

from app.deps import get_settings
from app.storage import FileBlobs, KeyAttributes

from .conftest import CT

Request = Callable[[TestClient, dict[str, Any]], httpx.Response]

DEFLATED = CT.with_name("image_dfl.dcm")
_DEFLATED = pydicom.dcmread(DEFLATED, stop_before_pixels=True)
DEFLATED_INSTANCE = (f"/dicomweb/studies/{_DEFLATED.StudyInstanceUID}/series/"
                     f"{_DEFLATED.SeriesInstanceUID}/instances/{_DEFLATED.SOPInstanceUID}")
IMPLICIT = "1.2.840.10008.1.2"  # not the stored CT's syntax: a WADO-RS answer transcodes


class FullDiskFile:
    """A file whose writes fail as on a full disk; the rest as the file does (`with` too)."""

    def __init__(self, file: Any) -> None:
        self.file = file

    def write(self, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    def __enter__(self) -> FullDiskFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.file.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.file, name)


def with_settings(send: Request, **changes: Any) -> Request:
    """`send` on a server whose settings differ by `changes`."""
    def run(c: TestClient, ctx: dict[str, Any]) -> httpx.Response:
        overrides = c.app.dependency_overrides  # type: ignore[attr-defined]
        current = overrides[get_settings]
        overrides[get_settings] = lambda: current().model_copy(update=changes)
        try:
            return send(c, ctx)
        finally:
            overrides[get_settings] = current
    return run


def past_limits(send: Request) -> Request:
    """`send` after the element limit was lowered below what the stored CT holds (262)."""
    return with_settings(send, max_elements=10)


def past_budget(send: Request) -> Request:
    """`send` on a server whose patches have no time to run (DICOMCORE_PATCH_SECONDS)."""
    return with_settings(send, patch_seconds=1e-9)


def _spool_on_disk(patch: pytest.MonkeyPatch) -> None:
    """Spools reach the disk from their first byte, as those of large uploads and answers
    do (else they stay in memory up to their size)."""
    import app.dicomweb.wado
    import app.uploads

    patch.setattr(app.uploads, "SPOOL_BYTES", 1)
    patch.setattr(app.dicomweb.wado, "SPOOL_BYTES", 1)


def _no_file(*args: Any, **kwargs: Any) -> Any:
    raise OSError(errno.EMFILE, "Too many open files")


def out_of_files(send: Request, spools_on_disk: bool = True) -> Request:
    """`send` while no file can be opened or made (EMFILE, as a process at its limit): stored
    files, blob parts, uploads, spools and scratch files; `spools_on_disk` as `full_disk`."""
    def run(c: TestClient, ctx: dict[str, Any]) -> httpx.Response:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(FileBlobs, "open", _no_file)
            patch.setattr(os, "open", _no_file)  # mkstemp, TemporaryFile and parts open here
            if spools_on_disk:
                _spool_on_disk(patch)
            return send(c, ctx)
    return run


def full_disk(send: Request, spools_on_disk: bool = True) -> Request:
    """`send` while every write to a file fails with ENOSPC (blob parts, scratch files,
    spools); with `spools_on_disk` the spools reach the disk from their first byte (else
    they stay in memory up to their size, as they do)."""
    def run(c: TestClient, ctx: dict[str, Any]) -> httpx.Response:
        fdopen, temporary = os.fdopen, tempfile.TemporaryFile
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(os, "fdopen", lambda *a, **k: FullDiskFile(fdopen(*a, **k)))
            patch.setattr(tempfile, "TemporaryFile",
                          lambda *a, **k: FullDiskFile(temporary(*a, **k)))
            if spools_on_disk:
                _spool_on_disk(patch)
            return send(c, ctx)
    return run


def lost_races(send: Request, attempts: int = 3) -> Request:
    """`send` while another writer changes the instance just before each compare-and-swap
    of the request (a switch to a new version, a removal), so that each one loses: the
    storage gives up after `attempts` (its bound, lowered from `indexed.MAX_ATTEMPTS`)."""
    def run(c: TestClient, ctx: dict[str, Any]) -> httpx.Response:
        from app.index.index import Index, Row
        from app.storage import indexed, open_storage

        settings = c.app.dependency_overrides[get_settings]()  # type: ignore[attr-defined]
        storage = open_storage(settings)
        switch, remove = Index.switch, Index.remove
        competing: list[bool] = []

        def another_writer_first(row: Row) -> None:
            """A new version of the instance by another writer (its content as it is)."""
            if competing:
                return  # that writer's own switch

            def same_content(current: BinaryIO, out: BinaryIO) -> KeyAttributes:
                shutil.copyfileobj(current, out)
                return row.record.attributes

            competing.append(True)
            try:
                storage.replace(row.record.id, same_content)
            finally:
                competing.pop()

        def losing_switch(self: Index, old: Row, new: Row, *args: Any) -> bool:
            another_writer_first(old)
            return switch(self, old, new, *args)

        def losing_remove(self: Index, row: Row, *args: Any) -> bool:
            another_writer_first(row)
            return remove(self, row, *args)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(indexed, "MAX_ATTEMPTS", attempts)
            patch.setattr(Index, "switch", losing_switch)
            patch.setattr(Index, "remove", losing_remove)
            return send(c, ctx)
    return run


def deflated_on_a_full_disk(url: str, **headers: str) -> Request:
    """GET `url` (`{id}`: the instance's id) of a deflated instance stored as before inflated
    copies were kept, on a full disk: no copy can be made, and the read inflates into a
    scratch spool that cannot be written."""
    def send(c: TestClient, ctx: dict[str, Any]) -> httpx.Response:
        stored = c.post("/v1/instances", content=DEFLATED.read_bytes(),
                        headers={"content-type": "application/dicom"})
        assert stored.status_code == 201, stored.text
        settings = c.app.dependency_overrides[get_settings]()  # type: ignore[attr-defined]
        for copy in (settings.storage_dir / "instances").glob("*.inflated"):
            copy.unlink()
        get = full_disk(lambda c, ctx: c.get(url.format(id=stored.json()["id"]),
                                             headers=headers))
        return get(c, ctx)
    return send
