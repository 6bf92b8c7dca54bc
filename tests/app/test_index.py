"""The index: matching rules (PS3.4 C.2.2.2), paging, study/series aggregates, migrations, a
database out of room or resources, and the routes that use it (201/200 on store, 409 on a UID
clash, filters), on SQLite and PostgreSQL."""

from __future__ import annotations

import errno
import io
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pydicom
import pytest
from fastapi.testclient import TestClient

from app.index import Database, Index, KeyAttributes, QueryError, Record, Row, connect, schema
from app.index.database import SQLiteDatabase
from app.index.levels import series, studies
from app.index.schema import MIGRATIONS
from app.resource_states import IndexUnavailable

from .request_states import index_refusing
from .test_instances import RAW, with_uids


def _row(n: int, **attributes: object) -> Row:
    values = {"sop_instance_uid": f"1.9.{n}", "study_instance_uid": "1.1",
              "series_instance_uid": "1.1.1", "modality": "CT", **attributes}
    record = Record(f"{n:022d}", KeyAttributes(**values), 10, f'"{n}"', 1000.0 + n,
                    1000.0 + n)
    return Row(record, f"{n:022d}.dcm")


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A new, empty database (no schema yet)."""
    url = (request.getfixturevalue("postgres_url") if request.param == "postgresql"
           else f"sqlite:///{tmp_path / 'index.sqlite3'}")
    db = connect(url, 2)
    try:
        yield db
    finally:
        db.close()


@pytest.fixture
def index(database: Database) -> Index:
    return Index(database)


@pytest.fixture
def filled(index: Index) -> Index:
    rows = [
        _row(1, patient_name="Doe^John", patient_id="P1", study_date="20240105",
             study_time="101500", accession_number="ACC-1", series_number=1),
        _row(2, patient_name="DOE^Jane", patient_id="P2", study_date="20240210",
             study_time="120000.5", study_instance_uid="1.2", series_instance_uid="1.2.1",
             modality="MR", accession_number="ACC_2"),
        _row(3, patient_name="Müller^Jürgen", patient_id="P3", study_date="20231231",
             study_instance_uid="1.2", series_instance_uid="1.2.2", modality="CT"),
        _row(4, patient_name="doe^johnny", patient_id="P10", study_date="20240105",
             series_number=2, accession_number="ACC%3"),
    ]
    for row in rows:
        assert index.insert(row)
    return index


@pytest.mark.parametrize(("matches", "expected"), [
    ({}, [1, 2, 3, 4]),
    ({"PatientName": "doe^john"}, [1]),                     # PN: case-insensitive
    ({"PatientName": "DOE*"}, [1, 2, 4]),                   # wildcard *
    ({"PatientName": "doe^j?hn"}, [1]),                     # wildcard ?
    ({"PatientName": "müller*"}, [3]),                      # non-ASCII folded too
    ({"PatientID": "P1"}, [1]),                             # exact, not a prefix
    ({"PatientID": "P1*"}, [1, 4]),
    ({"PatientID": "p1"}, []),                              # other text: case matters
    ({"AccessionNumber": "ACC_*"}, [2]),                    # _ and % are not wildcards
    ({"AccessionNumber": "ACC%*"}, [4]),
    ({"SOPInstanceUID": "1.9.2\\1.9.3\\9.9"}, [2, 3]),      # UID list
    ({"StudyDate": "20240101-20240131"}, [1, 4]),           # date range
    ({"StudyDate": "20240101-"}, [1, 2, 4]),
    ({"StudyDate": "-20231231"}, [3]),
    ({"StudyTime": "-1200"}, [1, 2]),                       # a time range's end covers it
    ({"StudyInstanceUID": "1.2", "Modality": "CT"}, [3]),   # AND
    ({"SeriesNumber": "2"}, [4]),                           # integers
    ({"Modality": "*"}, [1, 2, 3, 4]),                      # universal
    ({"Modality": ""}, [1, 2, 3, 4]),
])
def test_matching(filled: Index, matches: dict[str, str], expected: list[int]) -> None:
    page = filled.page(matches, 0, 100)
    assert [int(r.id) for r in page.records] == expected
    assert page.total == len(expected)


@pytest.mark.parametrize("matches", [{"Nonsense": "x"}, {"SOPInstanceUID": "1.2*"},
                                     {"SeriesNumber": "two"}, {"StudyDate": "2024-01-01"},
                                     {"SeriesNumber": "9" * 30}, {"PatientID": "a\x00b"},
                                     {"PatientName": "\udcff"}])
def test_unmatchable_queries_are_errors(filled: Index, matches: dict[str, str]) -> None:
    with pytest.raises(QueryError):
        filled.page(matches, 0, 10)


def test_paging_and_aggregates(filled: Index) -> None:
    assert [int(r.id) for r in filled.page({}, 1, 2).records] == [2, 3]
    assert filled.page({}, 1, 2).total == 4
    found = studies(filled, {}, 0, 10)
    assert [s["StudyInstanceUID"] for s in found] == ["1.1", "1.2"]
    first, second = found
    assert first["NumberOfStudyRelatedSeries"] == 1
    assert first["NumberOfStudyRelatedInstances"] == 2 and first["ModalitiesInStudy"] == ["CT"]
    assert second["NumberOfStudyRelatedSeries"] == 2
    assert second["ModalitiesInStudy"] == ["CT", "MR"]
    # a study matches by any instance; its aggregates still count all of them
    (only,) = studies(filled, {"ModalitiesInStudy": "MR"}, 0, 10)
    assert only["StudyInstanceUID"] == "1.2" and only["NumberOfStudyRelatedInstances"] == 2
    in_study = series(filled, {"StudyInstanceUID": "1.2"}, 0, 10)
    assert [(s["SeriesInstanceUID"], s["Modality"], s["NumberOfSeriesRelatedInstances"])
            for s in in_study] == [("1.2.1", "MR", 1), ("1.2.2", "CT", 1)]


def test_values_an_index_cannot_hold_are_dropped(index: Index) -> None:
    from app.index.attributes import BY_KEYWORD, clean

    assert clean(BY_KEYWORD["InstanceNumber"], "9" * 30) is None
    assert clean(BY_KEYWORD["InstanceNumber"], " 12 ") == 12
    assert clean(BY_KEYWORD["PatientID"], "a\x00b  ") == "ab"
    assert clean(BY_KEYWORD["PatientID"], "x\udcff") == "x?"
    assert clean(BY_KEYWORD["Modality"], ["CT", "MR"]) == "CT"
    assert index.insert(_row(9, patient_id=clean(BY_KEYWORD["PatientID"], "x\udcff")))


def test_compare_and_swap_and_garbage(filled: Index) -> None:
    old = filled.get("0" * 21 + "1")
    assert old is not None
    new = Row(Record(old.record.id, old.record.attributes, 20, '"new"', old.record.created,
                     time.time()), "new-key")
    assert filled.switch(old, new, garbage_after=0)
    assert not filled.switch(old, new, garbage_after=0), "the old ETag no longer holds"
    assert filled.get(old.record.id) == new
    assert filled.due_garbage(10) == [old.key] and filled.known_keys([old.key, "x"]) == {
        old.key}
    filled.forget_garbage(old.key)
    assert not filled.remove(old, 0) and filled.remove(new, 0)
    assert filled.get(old.record.id) is None and filled.page({}, 0, 10).total == 3
    assert filled.count() == 3 and filled.page({"Modality": "*"}, 0, 10).total == 3


def test_a_full_index_raises_a_full_disk_changes_nothing_and_goes_on(filled: Index) -> None:
    old = filled.get("0" * 21 + "1")
    assert old is not None
    new = Row(replace(old.record, etag='"new"'), "new-key")
    with index_refusing(filled.db):
        for change in (lambda: filled.insert(_row(5)), lambda: filled.switch(old, new, 0),
                       lambda: filled.remove(old, 0)):
            with pytest.raises(OSError) as raised:
                change()
            assert raised.value.errno == errno.ENOSPC
        assert filled.get(old.record.id) == old and filled.count() == 4  # reads go on
    assert filled.garbage_count() == 0 and filled.page({}, 0, 10).total == 4
    assert filled.insert(_row(5)) and filled.switch(old, new, 0)  # room again


@pytest.mark.parametrize("sqlstate", ["53000", "53200", "53300", "53400"])
def test_a_postgresql_short_of_other_resources_is_unavailable(postgres_url: str,
                                                              sqlstate: str) -> None:
    index = Index(connect(postgres_url, 2))
    try:
        with index_refusing(index.db, sqlstate), pytest.raises(IndexUnavailable):
            index.insert(_row(1))
        assert index.count() == 0
    finally:
        index.db.close()


def test_a_sqlite_locked_past_its_busy_wait_is_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "index.sqlite3"
    index = Index(SQLiteDatabase(path, busy_seconds=0.05))
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another writer holds the lock
        with pytest.raises(IndexUnavailable):
            index.insert(_row(1))
        other.execute("ROLLBACK")
        assert index.insert(_row(1)) and index.count() == 1  # free again
    finally:
        other.close()
        index.db.close()


def test_migrations_are_applied_once(index: Index) -> None:
    Index(index.db)  # a second start (another replica): nothing to do, no error
    with index.db.transaction() as tx:
        assert tx.rows("SELECT COUNT(*) FROM schema_migrations")[0][0] == len(MIGRATIONS)


_NAMES = {
    10: "Müller^Jürgen",          # precomposed ü
    11: "Mu\u0308ller^Anna",       # u + combining diaeresis: the same letter
    12: "Strauß^Johann",          # ß folds to ss
    13: "Mülheim^Otto",
    14: "Mum^Xavier",             # right after "mül" in code point order, not in it
    15: "\U0010ffff^Last",         # the greatest code point: a prefix with no end
    16: "\U0010ffff\U0010ffff^Z",
}


@pytest.mark.parametrize(("value", "expected"), [
    ("MÜLLER*", [10, 11]),                      # non-ASCII prefix, any case
    ("mu\u0308l*", [10, 11, 13]),               # decomposed query, either stored form
    ("müller^jürgen", [10]),
    ("MU\u0308LLER^ANNA", [11]),
    ("STRAUSS^JOHANN", [12]),                   # canonical caseless: ß = ss
    ("strauss*", [12]),
    ("mü?ler*", [10, 11]),                      # ? is one character of the NFC form
    ("mül*", [10, 11, 13]),
    ("m*", [10, 11, 13, 14]),
    ("m*r^*", [10, 11]),                        # a prefix range and a pattern within it
    ("*^anna", [11]),                           # no prefix: the pattern alone
    ("\U0010ffff*", [15, 16]),
    ("\U0010ffff\U0010ffff*", [16]),
])
def test_names_match_on_their_matching_form(index: Index, value: str,
                                            expected: list[int]) -> None:
    for n, name in _NAMES.items():
        assert index.insert(_row(n, patient_name=name, referring_physician_name=name))
    for keyword in ("PatientName", "ReferringPhysicianName"):
        page = index.page({keyword: value}, 0, 100)
        assert [int(r.id) for r in page.records] == expected, keyword
        assert page.total == len(expected)
    assert index.get(f"{11:022d}").record.patient_name == _NAMES[11]  # kept as stored


def test_an_index_from_before_the_matching_forms_is_migrated(
        database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """Migration 4 on an index of migration 3: person names get their matching form
    (backfilled in batches of 5,000), the case-folded copies go."""
    monkeypatch.setattr(schema, "MIGRATIONS", MIGRATIONS[:3])
    assert schema.migrate(database) == 3
    names = ["Müller^Jürgen", "MU\u0308LLER^Anna", "Doe^John", None]
    rows = [(f"{n:022d}", f"{n}.dcm", f'"{n}"', 10, 1000.0 + n, 1000.0 + n, f"1.9.{n}",
             names[n % 4], names[n % 4] and names[n % 4].casefold(), names[(n + 1) % 4],
             names[(n + 1) % 4] and names[(n + 1) % 4].casefold()) for n in range(5003)]
    with database.transaction(write=True) as tx:
        tx.run_many("INSERT INTO instances (id, key, etag, size, created, updated, "
                    "sop_instance_uid, patient_name, patient_name_folded, "
                    "referring_physician_name, referring_physician_name_folded) VALUES "
                    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        tx.run("UPDATE instance_counts SET n = 5003 WHERE slot = 0")
    monkeypatch.undo()

    index = Index(database)
    # Before, "MU\u0308LLER" folded to "mu\u0308ller" and no precomposed query found it.
    mullers = [n for n in range(5003) if n % 4 in (0, 1)]
    page = index.page({"PatientName": "müller*"}, 0, 10_000)
    assert [int(r.id) for r in page.records] == mullers and page.total == len(mullers)
    page = index.page({"ReferringPhysicianName": "MÜLLER^*"}, 0, 10_000)
    assert [int(r.id) for r in page.records] == [n for n in range(5003) if n % 4 in (0, 3)]
    assert index.page({"PatientName": "doe^john"}, 0, 1).total == 5003 // 4 + 1
    with database.transaction() as tx:
        assert tx.rows("SELECT MAX(version) FROM schema_migrations")[0][0] == len(MIGRATIONS)
        if database.dialect == "postgresql":  # byte order, whatever the database's collation
            assert {c for (c,) in tx.rows(
                "SELECT collation_name FROM information_schema.columns WHERE "
                "table_name = 'instances' AND column_name IN ('patient_name_match', "
                "'referring_physician_name_match')")} == {"C"}
    with pytest.raises(Exception, match="patient_name_folded"):
        database.read("SELECT patient_name_folded FROM instances")


def test_migration_4_on_a_sqlite_that_cannot_drop_a_column(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite before 3.35 has no DROP COLUMN: the folded copies stay, emptied."""
    import sqlite3

    db = connect(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    try:
        monkeypatch.setattr(schema, "MIGRATIONS", MIGRATIONS[:3])
        schema.migrate(db)
        with db.transaction(write=True) as tx:
            tx.run("INSERT INTO instances (id, key, etag, size, created, updated, patient_name, "
                   "patient_name_folded) VALUES ('a', 'a.dcm', '\"a\"', 1, 1.0, 1.0, "
                   "'Doe^John', 'doe^john')")
        monkeypatch.undo()
        monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 34, 1))
        index = Index(db)
        assert [r.id for r in index.page({"PatientName": "DOE*"}, 0, 10).records] == ["a"]
        assert db.read("SELECT patient_name_folded, patient_name_match FROM instances") == [
            (None, "doe^john")]
    finally:
        db.close()


# the routes ----------------------------------------------------------------------------------

def test_store_twice_is_one_instance(client: TestClient, ct_bytes: bytes) -> None:
    first = client.post("/v1/instances", content=ct_bytes, headers=RAW)
    again = client.post("/v1/instances", content=ct_bytes, headers=RAW)
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["etag"] != first.headers["etag"]
    stale = client.patch(first.headers["location"], json=[],
                         headers={"if-match": first.headers["etag"]})
    assert stale.status_code == 412
    assert client.get("/v1/instances").json()["total"] == 1


def test_patch_to_another_uid_is_409(client: TestClient, ct_bytes: bytes) -> None:
    one = client.post("/v1/instances", content=with_uids(ct_bytes, "1.2.3.1"), headers=RAW)
    two = client.post("/v1/instances", content=with_uids(ct_bytes, "1.2.3.2"), headers=RAW)
    url = two.headers["location"]
    clash = client.patch(url, json=[{"op": "set", "path": "SOPInstanceUID",
                                     "value": "1.2.3.1"}])
    assert clash.status_code == 409
    assert clash.headers["content-type"] == "application/problem+json"
    assert clash.json()["sop_instance_uid"] == "1.2.3.1"
    assert client.get(url).headers["etag"] == two.headers["etag"], "nothing changed"
    moved = client.patch(url, json=[{"op": "set", "path": "SOPInstanceUID",
                                     "value": "1.2.3.9"}])
    assert moved.status_code == 200
    listed = client.get("/v1/instances", params={"SOPInstanceUID": "1.2.3.9"}).json()
    assert [i["id"] for i in listed["items"]] == [two.json()["id"]]
    assert one.status_code == 201


def test_list_filters(client: TestClient, ct_bytes: bytes) -> None:
    client.post("/v1/instances", content=with_uids(ct_bytes, "1.5.1", Modality="MR",
                                                   PatientName="Smith^Ann"), headers=RAW)
    client.post("/v1/instances", content=with_uids(ct_bytes, "1.5.2"), headers=RAW)
    study = str(pydicom.dcmread(io.BytesIO(ct_bytes)).StudyInstanceUID)

    def ids(**params: str) -> list[str]:
        response = client.get("/v1/instances", params=params)
        assert response.status_code == 200, response.text
        return [i["sop_instance_uid"] for i in response.json()["items"]]

    assert ids(StudyInstanceUID=study) == ["1.5.1", "1.5.2"]
    assert ids(StudyInstanceUID=study, Modality="CT") == ["1.5.2"]
    assert ids(PatientName="smith*") == ["1.5.1"]
    item = client.get("/v1/instances", params={"Modality": "MR"}).json()["items"][0]
    assert item["patient_name"] == "Smith^Ann" and item["rows"] == 128
    assert item["transfer_syntax_uid"] == "1.2.840.10008.1.2.1"
    patched = client.patch(item["url"], json=[{"op": "set", "path": "PatientName",
                                               "value": "Jones^Bo"},
                                              {"op": "set", "path": "SeriesNumber",
                                               "value": "7"}])
    assert patched.status_code == 200
    assert ids(PatientName="JONES^bo", SeriesNumber="7") == ["1.5.1"]  # the row follows
    assert ids(PatientName="smith*") == []
    for bad in ({"modality": "CT"}, {"SeriesNumber": "x"}, {"SOPInstanceUID": "1.*"}):
        response = client.get("/v1/instances", params=bad)
        assert response.status_code == 400, bad
        assert response.headers["content-type"] == "application/problem+json"


def test_listing_parameters_are_documented(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/v1/instances"]["get"]
    documented = {p["name"]: p.get("description", "") for p in operation["parameters"]}
    assert {"StudyInstanceUID", "Modality", "PatientName", "StudyDate"} <= set(documented)
    assert all(documented[k] for k in ("StudyInstanceUID", "Modality", "PatientName"))


# reindex ------------------------------------------------------------------------------------

def test_a_store_from_before_the_index_is_adopted(settings, client: TestClient,  # noqa: ANN001
                                                  ct_bytes: bytes) -> None:
    import json

    legacy = settings.storage_dir / "instances"
    legacy.mkdir(parents=True)
    (legacy / ("L" * 22 + ".dcm")).write_bytes(ct_bytes)
    (legacy / ("L" * 22 + ".json")).write_text(json.dumps({"created": 1234.5}))
    (legacy / ("M" * 22 + ".dcm")).write_bytes(b"not DICOM")
    listed = client.get("/v1/instances").json()
    assert [(i["id"], i["created"]) for i in listed["items"]] == [("L" * 22, 1234.5)]
    url = f"/v1/instances/{'L' * 22}"
    assert client.get(url + "/file").content == ct_bytes
    patched = client.patch(url, json=[{"op": "set", "path": "PatientID", "value": "new"}])
    assert patched.status_code == 200
    assert sorted(p.name for p in legacy.iterdir())[0].startswith("L" * 22 + ".")
    assert not (legacy / ("L" * 22 + ".json")).exists(), "the old version and its record go"
    assert (legacy / ("M" * 22 + ".dcm")).exists(), "what cannot be read is left alone"


def test_python_m_app_reindex_rebuilds_a_lost_index(settings, client: TestClient,  # noqa: ANN001
                                                    ct_bytes: bytes) -> None:
    import json
    import os
    import subprocess
    import sys

    from app.storage import close_all

    first = client.post("/v1/instances", content=with_uids(ct_bytes, "1.7.1"), headers=RAW)
    second = client.post("/v1/instances", content=with_uids(ct_bytes, "1.7.2"), headers=RAW)
    client.patch(second.headers["location"], json=[{"op": "set", "path": "PatientID",
                                                    "value": "v2"}])
    before = client.get("/v1/instances").json()["items"]
    close_all()
    for name in ("index.sqlite3", "index.sqlite3-wal", "index.sqlite3-shm"):
        (settings.storage_dir / name).unlink(missing_ok=True)
    done = subprocess.run([sys.executable, "-m", "app.reindex"], capture_output=True,
                          text=True, timeout=120, env={**os.environ,
                                                       "DICOMCORE_STORAGE_DIR":
                                                       str(settings.storage_dir)})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1])["indexed"] == 2
    assert "2/2" in done.stderr  # the progress bar
    after = client.get("/v1/instances").json()["items"]
    keep = ("id", "etag", "sop_instance_uid", "patient_id", "size")
    assert sorted([{k: i[k] for k in keep} for i in after], key=str) == sorted(
        [{k: i[k] for k in keep} for i in before], key=str)
    assert first.status_code == 201


def test_python_m_app_reindex_reads_within_the_service_limits(settings, client: TestClient,  # noqa: ANN001
                                                              ct_bytes: bytes) -> None:
    """A stored file past the read limits (here: more elements than DICOMCORE_MAX_ELEMENTS)
    is counted unreadable, not indexed at any cost."""
    import json
    import os
    import subprocess
    import sys

    from app.storage import close_all

    client.post("/v1/instances", content=with_uids(ct_bytes, "1.7.3"), headers=RAW)
    close_all()
    for name in ("index.sqlite3", "index.sqlite3-wal", "index.sqlite3-shm"):
        (settings.storage_dir / name).unlink(missing_ok=True)
    env = {**os.environ, "DICOMCORE_STORAGE_DIR": str(settings.storage_dir)}
    limited = subprocess.run([sys.executable, "-m", "app.reindex", "--quiet"],
                             capture_output=True, text=True, timeout=120,
                             env={**env, "DICOMCORE_MAX_ELEMENTS": "10"})
    assert limited.returncode == 0, limited.stderr
    counts = json.loads(limited.stdout.splitlines()[-1])
    assert counts["indexed"] == 0 and counts["unreadable"] == 1
    unlimited = subprocess.run([sys.executable, "-m", "app.reindex", "--quiet"],
                               capture_output=True, text=True, timeout=120, env=env)
    assert json.loads(unlimited.stdout.splitlines()[-1])["indexed"] == 1
