"""Requests that meet the limits and resource states `app.openapi.resource_problems` lists,
for reads of stored instances and for writes alike: a read limit lowered since the file was
stored (413), no open files left, no index connection to be had, a patch past its time
budget, compare-and-swap races lost to other writers (503), a full disk, of the stored files
or of the index (507).
`test_openapi` and `test_dicomweb_cases` put them in their case tables, one row per route and
status; `test_resource_states` checks what each leaves behind.

Each wraps a request of the case tables (`send(client, context)`) and changes, for that
request only, what the service meets: its settings, the operating system's answers (a full
disk fails every write, as ENOSPC does; the process out of files fails every open of a
stored file and every new file, as EMFILE does), its index database (which refuses every
change of its instances, with the database's own error), or other writers.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO

import httpx
import pydicom
import pytest
from fastapi.testclient import TestClient

from app.deps import get_settings
from app.index import Database
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


_EVENTS = ("INSERT", "UPDATE", "DELETE")


def _index_refusing(sqlstate: str | None) -> tuple[list[str], list[str]]:
    """The statements that make the index refuse every change of its instances, and those
    that undo them: on SQLite (`sqlstate` None), with `max_page_count` set at its size, each
    change needs pages more than it may have (SQLITE_FULL); on PostgreSQL a trigger raises
    the error `sqlstate`."""
    if sqlstate is None:
        return (["CREATE TABLE refusing (filler BLOB)",
                 *[f"CREATE TRIGGER refusing_{event} AFTER {event} ON instances BEGIN "
                   "INSERT INTO refusing VALUES (zeroblob(1048576)); END" for event in _EVENTS]],
                [*[f"DROP TRIGGER refusing_{event}" for event in _EVENTS],
                 "DROP TABLE refusing"])
    return (["CREATE FUNCTION refusing() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
             f"RAISE EXCEPTION 'refused for the test' USING ERRCODE = '{sqlstate}'; END $$",
             "CREATE TRIGGER refusing BEFORE INSERT OR UPDATE OR DELETE ON instances "
             "FOR EACH ROW EXECUTE FUNCTION refusing()"],
            ["DROP FUNCTION refusing CASCADE"])


@contextmanager
def index_refusing(db: Database, sqlstate: str = "53100") -> Iterator[None]:
    """While in the block, `db` refuses every change of its instances as a database with no
    room does: SQLite's pages at their maximum (a real SQLITE_FULL), PostgreSQL's error
    `sqlstate` (53100: disk full; another of class 53 for a shortage that is not room).
    Reads go on."""
    from app.index.database import SQLiteDatabase

    sqlite = isinstance(db, SQLiteDatabase)
    refuse, undo = _index_refusing(None if sqlite else sqlstate)
    with db.transaction(write=True) as tx:
        for statement in refuse:
            tx.run(statement)
    try:
        if not sqlite:
            yield
            return
        # max_page_count is a connection's: set on each, those opened meanwhile too
        (pages,), = db.read("PRAGMA page_count")
        (unlimited,), = db.read("PRAGMA max_page_count")
        connection = SQLiteDatabase._connection

        def limited(self: SQLiteDatabase) -> Any:
            opened = connection(self)
            opened.execute(f"PRAGMA max_page_count = {pages}")
            return opened

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(SQLiteDatabase, "_connection", limited)
            try:
                yield
            finally:
                for opened in db._all:  # type: ignore[attr-defined]
                    opened.execute(f"PRAGMA max_page_count = {unlimited}")
    finally:
        with db.transaction(write=True) as tx:
            for statement in undo:
                tx.run(statement)


def full_index(send: Request, sqlstate: str = "53100") -> Request:
    """`send` while the index refuses every change of its instances (`index_refusing`); the
    stored files' disk has room."""
    def run(c: TestClient, ctx: dict[str, Any]) -> httpx.Response:
        from app.storage import open_storage

        settings = c.app.dependency_overrides[get_settings]()  # type: ignore[attr-defined]
        with index_refusing(open_storage(settings).index.db, sqlstate):
            return send(c, ctx)
    return run


@contextmanager
def index_without_connections(db: Database, wait: float = 0.1) -> Iterator[None]:
    """While in the block, no connection to `db` can be had, as when more requests want one
    than a PostgreSQL pool holds: every connection of its pool is taken (by the block) and a
    request waits `wait` seconds for one, then meets the pool's own PoolTimeout. SQLite has
    no pool and no such state: there, each use of the database fails as that wait does."""
    from app.index.database import SQLiteDatabase
    from app.resource_states import IndexUnavailable

    if isinstance(db, SQLiteDatabase):
        def unavailable(self: SQLiteDatabase) -> Any:
            raise IndexUnavailable(f"no index connection: none came within {wait} s")

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(SQLiteDatabase, "_connection", unavailable)
            yield
        return
    pool = db.pool  # type: ignore[attr-defined]
    taken = [pool.getconn() for _ in range(pool.max_size)]
    timeout, pool.timeout = pool.timeout, wait
    try:
        yield
    finally:
        pool.timeout = timeout
        for connection in taken:
            pool.putconn(connection)


def short_of_connections(send: Request) -> Request:
    """`send` while no connection to the index can be had (`index_without_connections`)."""
    def run(c: TestClient, ctx: dict[str, Any]) -> httpx.Response:
        from app.storage import open_storage

        settings = c.app.dependency_overrides[get_settings]()  # type: ignore[attr-defined]
        with index_without_connections(open_storage(settings).index.db):
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
