"""Connections to the index database: SQLite (embedded, the default) or PostgreSQL.

Both speak through `Transaction`: one set of queries, written with `?` placeholders (turned
into psycopg's `%s` for PostgreSQL), run in a transaction that commits when the block ends and
rolls back when it raises. A unique constraint violated inside it raises `UniqueViolation`.
`Database.read` runs one query on its own, outside a transaction block: one statement sees
one snapshot on both databases, and on PostgreSQL it is one round trip instead of three
(BEGIN, the query, COMMIT), which is most of what a small query waits on.

- SQLite: the standard library's `sqlite3`, one connection per thread, WAL mode (readers never
  wait for the writer), `synchronous=FULL` (a committed change survives a power cut, as a
  stored file does), writes begun `IMMEDIATE` so that two writers queue instead of deadlocking,
  and `case_sensitive_like` so that LIKE means what it means in PostgreSQL and can use an index.
- PostgreSQL: psycopg 3 with its connection pool, READ COMMITTED, connections in autocommit
  mode (a `transaction()` is an explicit BEGIN ... COMMIT); the compare-and-swap updates
  (`WHERE etag = ?`) are atomic per row at that level.

A database out of room or resources raises what the service answers as a resource state
(`app.resource_states`), never a driver's error: SQLite's SQLITE_FULL and PostgreSQL's disk
full (SQLSTATE 53100) as a full disk, `OSError(ENOSPC)` (507); PostgreSQL's other
insufficient resources (class 53: out of memory, too many connections), no pooled
connection in time, and SQLite still locked by another writer after its busy timeout or out
of memory as `IndexUnavailable` (503). A transaction that fails so is rolled back:
nothing of it stays.
"""

from __future__ import annotations

import errno
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from ..resource_states import IndexUnavailable

DISK_FULL_SQLSTATE = "53100"
INSUFFICIENT_RESOURCES = "53"  # PostgreSQL's SQLSTATE class of resource states


class UniqueViolation(Exception):
    """A write would give two rows the same unique value (an id or a SOP Instance UID)."""


class Transaction(Protocol):
    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        ...

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; how many rows it changed."""
        ...

    def run_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> int:
        """Run a statement once per parameter row (batched); how many rows it changed."""
        ...


class Database(Protocol):
    dialect: str  # "sqlite" or "postgresql"

    def transaction(self, write: bool = False) -> Any:
        """A context manager giving a `Transaction`."""
        ...

    def read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """The rows of one query, run on its own (its own snapshot, no transaction block)."""
        ...

    def close(self) -> None:
        ...


def connect(url: str, pool_size: int = 10) -> Database:
    """The database of an index URL: `sqlite:///path` or `postgresql://user@host/db`."""
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        return SQLiteDatabase(Path(unquote(url[len("sqlite://"):])))
    if scheme in ("postgresql", "postgres"):
        return PostgresDatabase(url, pool_size)
    raise ValueError(f"an index URL starts with sqlite:/// or postgresql:// (got {scheme!r})")


# SQLite's primary result codes (the low byte of an extended one) that mean "not now"
SQLITE_UNAVAILABLE = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_NOMEM})


def _sqlite_state(exc: Exception) -> Exception | None:
    # sqlite_errorcode: set on the errors of the library, not on those of the module itself
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:
        return None
    if code & 0xFF == sqlite3.SQLITE_FULL:
        return OSError(errno.ENOSPC, f"the index is full: {exc}")
    if code & 0xFF in SQLITE_UNAVAILABLE:
        return IndexUnavailable(f"the index is busy or short of memory: {exc}")
    return None


def _postgres_state(exc: Exception) -> Exception | None:
    import psycopg
    from psycopg_pool import PoolTimeout

    if isinstance(exc, PoolTimeout):
        return IndexUnavailable(f"no index connection: {exc}")
    sqlstate = exc.sqlstate if isinstance(exc, psycopg.Error) else None
    if sqlstate == DISK_FULL_SQLSTATE:
        return OSError(errno.ENOSPC, f"the index is full: {exc}")
    if sqlstate is not None and sqlstate.startswith(INSUFFICIENT_RESOURCES):
        return IndexUnavailable(f"the index is short of resources: {exc}")
    return None


@contextmanager
def _resource_states(state_of: Callable[[Exception], Exception | None]) -> Iterator[None]:
    """Raise the resource state (`state_of`) a database error in the block stands for."""
    try:
        yield
    except Exception as exc:
        state = state_of(exc)
        if state is None:
            raise
        raise state from exc


class _SQLiteTransaction:
    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.connection.execute(sql, params).fetchall()

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self.run_many(sql, [params])

    def run_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> int:
        try:
            return self.connection.executemany(sql, rows).rowcount
        except sqlite3.IntegrityError as exc:
            if "UNIQUE" in str(exc):
                raise UniqueViolation(str(exc)) from None
            raise


class SQLiteDatabase:
    dialect = "sqlite"

    def __init__(self, path: Path, busy_seconds: float = 60.0) -> None:
        self.path = path
        self.busy_seconds = busy_seconds  # how long a write waits for another writer
        path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, isolation_level=None,
                                         timeout=self.busy_seconds, check_same_thread=False)
            for pragma in ("journal_mode=WAL", "synchronous=FULL", "case_sensitive_like=ON",
                           f"busy_timeout={int(self.busy_seconds * 1000)}"):
                connection.execute(f"PRAGMA {pragma}")
            self._local.connection = connection
            with self._lock:
                self._all.append(connection)
        return connection

    @contextmanager
    def transaction(self, write: bool = False) -> Iterator[_SQLiteTransaction]:
        with _resource_states(_sqlite_state):
            connection = self._connection()
            connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield _SQLiteTransaction(connection)
                connection.execute("COMMIT")
            except BaseException:
                # SQLite rolls back by itself after some errors (SQLITE_FULL among them)
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise

    def read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with _resource_states(_sqlite_state):
            return self._connection().execute(sql, params).fetchall()

    def close(self) -> None:
        with self._lock:
            for connection in self._all:
                connection.close()
            self._all.clear()
        self._local = threading.local()


class _PostgresTransaction:
    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.connection.execute(sql.replace("?", "%s"), params).fetchall()

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        import psycopg

        try:
            return self.connection.execute(sql.replace("?", "%s"), params).rowcount
        except psycopg.errors.UniqueViolation as exc:
            raise UniqueViolation(str(exc)) from None

    def run_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> int:
        import psycopg

        try:
            with self.connection.cursor() as cursor:
                cursor.executemany(sql.replace("?", "%s"), rows)
                return cursor.rowcount
        except psycopg.errors.UniqueViolation as exc:
            raise UniqueViolation(str(exc)) from None


class PostgresDatabase:
    dialect = "postgresql"

    def __init__(self, url: str, pool_size: int) -> None:
        from psycopg_pool import ConnectionPool

        # prepare_threshold=None: no server-side prepared statements, so each query is planned
        # with its values: a generic plan cannot use an index for `LIKE $1` (the prefix is
        # unknown), and planning these queries costs microseconds.
        self.pool = ConnectionPool(url, min_size=1, max_size=pool_size, open=True,
                                   kwargs={"autocommit": True, "prepare_threshold": None},
                                   timeout=60)

    @contextmanager
    def transaction(self, write: bool = False) -> Iterator[_PostgresTransaction]:
        with (_resource_states(_postgres_state), self.pool.connection() as connection,
              connection.transaction()):
            yield _PostgresTransaction(connection)

    def read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with _resource_states(_postgres_state), self.pool.connection() as connection:
            return connection.execute(sql.replace("?", "%s"), params).fetchall()

    def close(self) -> None:
        self.pool.close()
