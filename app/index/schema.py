"""The index schema: numbered migrations, applied in order at start, each once.

One schema for SQLite and PostgreSQL. Two placeholders are the only dialect differences:
`{pattern}` in an index definition (PostgreSQL needs `text_pattern_ops` for `LIKE 'prefix%'`
to use a b-tree index, its default collation not being byte order; SQLite with
`case_sensitive_like` uses a plain one) and `{bytewise}` in a column definition (`COLLATE "C"`
on PostgreSQL, SQLite's default BINARY elsewhere): such a column sorts by code point on both,
whatever collation the PostgreSQL database was created with, so that a prefix is a range.

A migration is a list of SQL statements, or of functions of the transaction and the dialect
for what one SQL statement cannot do (a backfill computed in Python, a choice by dialect).

Replicas starting at once are serialised: PostgreSQL by an advisory lock held for the
migration's transaction, SQLite by its write lock (`BEGIN IMMEDIATE`).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable

from .attributes import ATTRIBUTES, fold
from .database import Database, Transaction

_MIGRATION_LOCK = 0x64636D63  # "dcmc": any constant the replicas agree on


def _columns() -> str:
    lines = []
    for attribute in ATTRIBUTES:
        kind = "BIGINT" if attribute.integer else "TEXT"
        lines.append(f"{attribute.column} {kind}")
        if attribute.vr == "PN":
            # The case-folded copy of migration 1, replaced by the matching form in 4.
            lines.append(f"{attribute.column}_folded TEXT")
    return ",\n    ".join(lines)


_NAMES = ("patient_name", "referring_physician_name")  # the PN columns when 4 shipped


def _fill_matching_forms(tx: Transaction, dialect: str) -> None:
    """Migration 4: the matching form (`fold`) of every stored person name, by id, in
    batches (an index of millions of rows is not read into memory at once)."""
    assignments = ", ".join(f"{name}_match = ?" for name in _NAMES)
    last = ""
    while True:
        rows = tx.rows(f"SELECT id, {', '.join(_NAMES)} FROM instances WHERE id > ? "
                       "ORDER BY id LIMIT 5000", (last,))
        if not rows:
            return
        tx.run_many(f"UPDATE instances SET {assignments} WHERE id = ?",
                    [[*(fold(v) for v in values), instance_id]
                     for instance_id, *values in rows])
        last = rows[-1][0]


def _drop_folded_copies(tx: Transaction, dialect: str) -> None:
    """Migration 4: the case-folded copies go. SQLite drops a column since 3.35 (2021); an
    older library keeps them, emptied (nothing reads or writes them any more)."""
    if dialect == "sqlite" and sqlite3.sqlite_version_info < (3, 35):
        tx.run(f"UPDATE instances SET {', '.join(f'{n}_folded = NULL' for n in _NAMES)}")
        return
    for name in _NAMES:
        tx.run(f"ALTER TABLE instances DROP COLUMN {name}_folded")


_INSTANCES = f"""
CREATE TABLE instances (
    id TEXT PRIMARY KEY,
    key TEXT NOT NULL,
    etag TEXT NOT NULL,
    size BIGINT NOT NULL,
    created DOUBLE PRECISION NOT NULL,
    updated DOUBLE PRECISION NOT NULL,
    {_columns()},
    UNIQUE (sop_instance_uid)
)"""

# Each migration: a list of statements. Never edit one that has shipped: add the next.
MIGRATIONS: list[list[str | Callable[[Transaction, str], None]]] = [
    [
        _INSTANCES,
        # Keys of replaced or deleted versions, deleted from storage once `after` has passed
        # (readers still on them finish first) and forgotten then.
        "CREATE TABLE garbage (key TEXT PRIMARY KEY, after DOUBLE PRECISION NOT NULL)",
        "CREATE INDEX instances_created ON instances (created, id)",
        "CREATE INDEX instances_patient_id ON instances (patient_id{pattern})",
        "CREATE INDEX instances_patient_name ON instances (patient_name_folded{pattern})",
        "CREATE INDEX instances_study ON instances (study_instance_uid, series_instance_uid)",
        "CREATE INDEX instances_series ON instances (series_instance_uid)",
        "CREATE INDEX instances_study_date ON instances (study_date)",
        "CREATE INDEX instances_accession ON instances (accession_number{pattern})",
        "CREATE INDEX instances_modality ON instances (modality, created, id)",
        "CREATE INDEX instances_sop_class ON instances (sop_class_uid)",
        "CREATE INDEX garbage_after ON garbage (after)",
    ],
    [
        # The number of rows, kept by every insert and delete in their transaction, so an
        # unfiltered listing's total is not a COUNT(*) over the table (15 ms at 100,000 rows
        # on PostgreSQL). Spread over slots, each writer adding to a random one, so that
        # concurrent writers do not all wait for one row's lock.
        "CREATE TABLE instance_counts (slot INTEGER PRIMARY KEY, n BIGINT NOT NULL)",
        "INSERT INTO instance_counts (slot, n) SELECT 0, COUNT(*) FROM instances",
        *[f"INSERT INTO instance_counts (slot, n) VALUES ({slot}, 0)" for slot in range(1, 16)],
    ],
    [
        # A name prefix matches thousands of rows that are then sorted by (created, id): with
        # both in the index the sort reads the index alone (3.5 instead of 6-7 ms at 100,000).
        "DROP INDEX instances_patient_name",
        "CREATE INDEX instances_patient_name ON instances "
        "(patient_name_folded{pattern}, created, id)",
    ],
    [
        # Person names are matched on their matching form (`attributes.fold`: case-folded and
        # NFC, so canonically equivalent spellings are one name), in byte-order columns, so
        # that a prefix is a range both databases serve from a plain b-tree and count from
        # the index alone (no recheck of a LIKE on the table rows).
        *[f"ALTER TABLE instances ADD COLUMN {name}_match TEXT{{bytewise}}" for name in _NAMES],
        _fill_matching_forms,
        "DROP INDEX instances_patient_name",
        "CREATE INDEX instances_patient_name ON instances (patient_name_match, created, id)",
        _drop_folded_copies,
    ],
    [
        # The totals of the filters that match many rows, counted from narrow indexes:
        # PostgreSQL's b-tree deduplication keeps each value once with its rows' pointers
        # (the names' index: 0.7 instead of 10 MB at 100,000 rows), so an index-only count
        # of 12,000 matches takes 0.6 ms instead of 1-2. SQLite counts as fast from the wide
        # ones, which still give the pages their (created, id) order.
        "CREATE INDEX instances_modality_count ON instances (modality)",
        "CREATE INDEX instances_patient_name_count ON instances (patient_name_match)",
    ],
]
COUNT_SLOTS = 16


def migrate(db: Database) -> int:
    """Apply the migrations this database lacks; its schema version afterwards."""
    postgresql = db.dialect == "postgresql"
    placeholders = {"{pattern}": " text_pattern_ops" if postgresql else "",
                    "{bytewise}": ' COLLATE "C"' if postgresql else ""}
    with db.transaction(write=True) as tx:
        if postgresql:
            tx.rows("SELECT pg_advisory_xact_lock(?)", (_MIGRATION_LOCK,))
        tx.run("CREATE TABLE IF NOT EXISTS schema_migrations "
               "(version INTEGER PRIMARY KEY, applied DOUBLE PRECISION NOT NULL)")
        version = _version(tx)
        for number, statements in enumerate(MIGRATIONS[version:], start=version + 1):
            for statement in statements:
                if callable(statement):
                    statement(tx, db.dialect)
                    continue
                for placeholder, text in placeholders.items():
                    statement = statement.replace(placeholder, text)
                tx.run(statement)
            tx.run("INSERT INTO schema_migrations (version, applied) VALUES (?, ?)",
                   (number, time.time()))
        return len(MIGRATIONS)


def _version(tx: Transaction) -> int:
    (row,) = tx.rows("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
    return int(row[0])
