"""The index: one row per stored instance, its storage key and ETag, changed by compare-and-swap.

The index is where an instance's current version is decided. A writer first puts the new
content under a new key, then switches the row to it in one statement that also checks the
ETag it started from (`switch`), and enqueues the old key as garbage in the same transaction.
So the ETag, the key and the indexed attributes change together or not at all, whichever
process or replica writes, and a crash leaves at most a key no row names (an orphan, swept by
`app.storage.indexed`). The ETag is made from the key's version token: one fact, one home.

Listing and the study/series queries read only rows: no file is opened to answer them.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, NamedTuple

from .attributes import ATTRIBUTES, KeyAttributes, fold
from .database import Database, UniqueViolation
from .query import where
from .schema import COUNT_SLOTS, migrate


@dataclass(frozen=True)
class Record:
    """What the store knows about one instance without reading it."""

    id: str
    attributes: KeyAttributes
    size: int
    etag: str
    created: float
    updated: float

    def __getattr__(self, name: str) -> Any:
        # record.sop_instance_uid and the like: the attributes, read through.
        if name in KeyAttributes.__dataclass_fields__:
            return getattr(self.attributes, name)
        raise AttributeError(name)


class Row(NamedTuple):
    record: Record
    key: str


class Page(NamedTuple):
    records: list[Record]
    total: int


class UidClash(Exception):
    """Another stored instance has this SOP Instance UID."""

    def __init__(self, sop_instance_uid: str | None) -> None:
        super().__init__("another stored instance has this SOP Instance UID")
        self.sop_instance_uid = sop_instance_uid


_ATTRIBUTE_COLUMNS = [a.column for a in ATTRIBUTES]
_FOLDED = [(a.folded, a.column) for a in ATTRIBUTES if a.folded]
_WRITTEN = _ATTRIBUTE_COLUMNS + [folded for folded, _ in _FOLDED]
_SELECT = "SELECT id, key, etag, size, created, updated, " + ", ".join(_ATTRIBUTE_COLUMNS)


def _written(attributes: KeyAttributes) -> list[Any]:
    values = asdict(attributes)
    return [values[c] for c in _ATTRIBUTE_COLUMNS] + [fold(values[c]) for _, c in _FOLDED]


def _row(values: tuple[Any, ...]) -> Row:
    instance_id, key, etag, size, created, updated, *attributes = values
    record = Record(instance_id, KeyAttributes(*attributes), int(size), etag, float(created),
                    float(updated))
    return Row(record, key)


class Index:
    """Rows of stored instances in a `Database` (migrated when opened)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        migrate(db)

    # reading ------------------------------------------------------------------------------

    def get(self, instance_id: str) -> Row | None:
        with self.db.transaction() as tx:
            rows = tx.rows(f"{_SELECT} FROM instances WHERE id = ?", (instance_id,))
        return _row(rows[0]) if rows else None

    def by_sop_instance_uid(self, uid: str) -> Row | None:
        with self.db.transaction() as tx:
            rows = tx.rows(f"{_SELECT} FROM instances WHERE sop_instance_uid = ?", (uid,))
        return _row(rows[0]) if rows else None

    def page(self, matches: Mapping[str, str], offset: int, limit: int) -> Page:
        """Records matching (see `app.index.query`), by creation then id, and their count."""
        rows = self.db.read(*self.page_query(matches, offset, limit))
        total = int(rows[0][0] or 0) if rows else 0
        return Page([_row(r[1:]).record for r in rows if r[1] is not None], total)

    @staticmethod
    def page_query(matches: Mapping[str, str], offset: int, limit: int
                   ) -> tuple[str, list[Any]]:
        """The one statement `page` runs (so a benchmark can EXPLAIN it): the total (counted
        from an index, or the row counter) joined to the page, whose ids come first (read
        from an index in (created, id) order where one serves the filter), then only their
        rows. One statement: one snapshot, and one round trip on PostgreSQL."""
        condition, params = where(matches)
        counted = (f"SELECT COUNT(*) AS total FROM instances{condition}" if condition
                   else "SELECT SUM(n) AS total FROM instance_counts")
        return (f"SELECT counted.total, listed.* FROM ({counted}) AS counted LEFT JOIN "
                f"({_SELECT} FROM instances WHERE id IN (SELECT id FROM instances{condition} "
                "ORDER BY created, id LIMIT ? OFFSET ?)) AS listed ON 1 = 1 "
                "ORDER BY listed.created, listed.id", [*params, *params, limit, offset])

    def count(self) -> int:
        with self.db.transaction() as tx:
            return int(tx.rows("SELECT SUM(n) FROM instance_counts")[0][0] or 0)

    def known_keys(self, keys: Iterable[str]) -> set[str]:
        """Which of these keys a row or the garbage queue names."""
        keys = list(keys)
        known: set[str] = set()
        with self.db.transaction() as tx:
            for start in range(0, len(keys), 500):
                chunk = keys[start:start + 500]
                marks = ", ".join("?" * len(chunk))
                for table in ("instances", "garbage"):
                    known.update(k for (k,) in tx.rows(
                        f"SELECT key FROM {table} WHERE key IN ({marks})", chunk))
        return known

    # changing -----------------------------------------------------------------------------

    def insert(self, row: Row) -> bool:
        """Add a row; False (and nothing changed) when its id or SOP Instance UID is taken."""
        return self.insert_many([row]) == 1

    def insert_many(self, rows: Iterable[Row]) -> int:
        """Add rows in one transaction (a reindex, a benchmark); how many were new."""
        columns = ["id", "key", "etag", "size", "created", "updated", *_WRITTEN]
        sql = (f"INSERT INTO instances ({', '.join(columns)}) VALUES "
               f"({', '.join('?' * len(columns))}) ON CONFLICT DO NOTHING")
        values = [[row.record.id, row.key, row.record.etag, row.record.size,
                   row.record.created, row.record.updated, *_written(row.record.attributes)]
                  for row in rows]
        if not values:
            return 0
        with self.db.transaction(write=True) as tx:
            added = tx.run_many(sql, values)
            self._counted(tx, added)
            return added

    def switch(self, old: Row, new: Row, garbage_after: float) -> bool:
        """Point the row at `new` if it still is at `old` (same ETag); `old.key` becomes
        garbage in the same transaction. False when another version came first.
        `UidClash` when the new SOP Instance UID is another row's."""
        r = new.record
        assignments = ", ".join(f"{c} = ?" for c in ["key", "etag", "size", "updated",
                                                     *_WRITTEN])
        try:
            with self.db.transaction(write=True) as tx:
                changed = tx.run(f"UPDATE instances SET {assignments} WHERE id = ? AND etag = ?",
                                 [new.key, r.etag, r.size, r.updated, *_written(r.attributes),
                                  old.record.id, old.record.etag])
                if changed:
                    self._enqueue(tx, old.key, garbage_after)
                return changed == 1
        except UniqueViolation:
            raise UidClash(r.sop_instance_uid) from None

    def remove(self, old: Row, garbage_after: float) -> bool:
        """Delete the row if it is still at `old`; its key becomes garbage."""
        with self.db.transaction(write=True) as tx:
            changed = tx.run("DELETE FROM instances WHERE id = ? AND etag = ?",
                             (old.record.id, old.record.etag))
            if changed:
                self._counted(tx, -1)
                self._enqueue(tx, old.key, garbage_after)
            return changed == 1

    @staticmethod
    def _counted(tx: Any, change: int) -> None:
        if change:
            tx.run("UPDATE instance_counts SET n = n + ? WHERE slot = ?",
                   (change, random.randrange(COUNT_SLOTS)))

    @staticmethod
    def _enqueue(tx: Any, key: str, after: float) -> None:
        tx.run("INSERT INTO garbage (key, after) VALUES (?, ?) ON CONFLICT DO NOTHING",
               (key, after))

    # garbage ------------------------------------------------------------------------------

    def due_garbage(self, limit: int, now: float | None = None) -> list[str]:
        with self.db.transaction() as tx:
            return [k for (k,) in tx.rows(
                "SELECT key FROM garbage WHERE after <= ? ORDER BY after LIMIT ?",
                (time.time() if now is None else now, limit))]

    def forget_garbage(self, key: str) -> None:
        with self.db.transaction(write=True) as tx:
            tx.run("DELETE FROM garbage WHERE key = ?", (key,))

    def garbage_count(self) -> int:
        with self.db.transaction() as tx:
            return int(tx.rows("SELECT COUNT(*) FROM garbage")[0][0])
