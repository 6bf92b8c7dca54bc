"""The storage protocol's contract (app/storage/base.py), run against every backend.

Each backend is a fixture parameter: blob store (a directory, S3 on moto) x index (SQLite,
PostgreSQL). A new backend adds itself to `BACKENDS` and must pass the same tests. The
PostgreSQL and S3 ones skip with a reason where their servers are not installed (CI installs
them). Backend-specific checks (file layout, leftovers) live at the end.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import pytest

from app.index import Index, connect
from app.storage import (
    FileBlobs,
    IndexedStorage,
    InstanceNotFound,
    InstanceStorage,
    KeyAttributes,
    StaleETag,
    UidClash,
)

ATTRS = KeyAttributes(sop_instance_uid="1.2.3", sop_class_uid="1.2.840.10008.5.1.4.1.1.2",
                      study_instance_uid="1.2", series_instance_uid="1.2.9", modality="CT")
BACKENDS = ["file+sqlite", "file+postgresql", "s3+sqlite", "s3+postgresql"]


def attrs(uid: str) -> KeyAttributes:
    return KeyAttributes(**{**ATTRS.__dict__, "sop_instance_uid": uid})


def make_storage(request: pytest.FixtureRequest, tmp_path: Path, backend: str,
                 **options: float) -> IndexedStorage:
    """A fresh storage of one backend combination (a new database, a new bucket)."""
    blobs_kind, index_kind = backend.split("+")
    if blobs_kind == "s3":
        blobs = request.getfixturevalue("s3_blobs")
    else:
        blobs = FileBlobs(tmp_path / "store")
    url = (request.getfixturevalue("postgres_url") if index_kind == "postgresql"
           else f"sqlite:///{tmp_path / 'index.sqlite3'}")
    db = connect(url, 4)
    request.addfinalizer(db.close)
    return IndexedStorage(blobs, Index(db), **options)


@pytest.fixture(params=BACKENDS)
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> InstanceStorage:
    return make_storage(request, tmp_path, request.param)


@pytest.fixture
def upload(tmp_path: Path) -> Callable[[bytes], Path]:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    count = iter(range(1_000_000))

    def make(content: bytes) -> Path:
        path = scratch / f"upload-{next(count)}.part"
        path.write_bytes(content)
        return path

    return make


def _content(storage: InstanceStorage, instance_id: str) -> bytes:
    record, fp = storage.open(instance_id)
    with fp:
        return fp.read()


def _writing(data: bytes, attributes: KeyAttributes = ATTRS
             ) -> Callable[[BinaryIO, BinaryIO], KeyAttributes]:
    def rewrite(current: BinaryIO, out: BinaryIO) -> KeyAttributes:
        out.write(data)
        return attributes

    return rewrite


def test_put_then_record_open_and_list(storage: InstanceStorage,
                                       upload: Callable[[bytes], Path]) -> None:
    record, created = storage.put(upload(b"first content"), ATTRS)
    assert created
    assert record.attributes == ATTRS and record.size == len(b"first content")
    assert record.etag.startswith('"') and record.etag.endswith('"')
    assert record.created == record.updated
    assert storage.record(record.id) == record
    opened = storage.open(record.id)
    with opened.file:
        assert opened.record == record
        assert opened.file.read() == b"first content"
        opened.file.seek(6)  # seekable: the reader defers values and comes back for them
        assert opened.file.read(3) == b"con"
    page = storage.list(0, 10)
    assert page.total == 1 and page.records == [record]


def test_ids_are_new_each_time_and_listing_pages_in_creation_order(
        storage: InstanceStorage, upload: Callable[[bytes], Path]) -> None:
    records = [storage.put(upload(bytes([n]) * 10), attrs(f"1.{n}")).record
               for n in range(5)]
    assert len({r.id for r in records}) == 5 and len({r.etag for r in records}) == 5
    first, rest = storage.list(0, 2), storage.list(2, 10)
    assert first.total == rest.total == 5
    assert [r.id for r in first.records + rest.records] == [r.id for r in records]
    assert storage.list(5, 10).records == []


@pytest.mark.parametrize("bad_id", ["", "../../etc/passwd", "a" * 21, "a" * 23,
                                    "a" * 20 + "/.", "AAAAAAAAAAAAAAAAAAAAAA"])
def test_unknown_ids_are_not_found_everywhere(storage: InstanceStorage, bad_id: str) -> None:
    for call in (lambda: storage.record(bad_id), lambda: storage.open(bad_id),
                 lambda: storage.replace(bad_id, _writing(b"x")),
                 lambda: storage.delete(bad_id)):
        with pytest.raises(InstanceNotFound):
            call()


def test_replace_passes_the_current_content_and_gives_a_new_version(
        storage: InstanceStorage, upload: Callable[[bytes], Path]) -> None:
    old = storage.put(upload(b"version one"), ATTRS).record
    seen = []
    changed = KeyAttributes(sop_instance_uid="9.9", modality="MR")

    def rewrite(current: BinaryIO, out: BinaryIO) -> KeyAttributes:
        seen.append(current.read())
        out.write(b"version two, longer")
        return changed

    new = storage.replace(old.id, rewrite)
    assert seen == [b"version one"]
    assert new.id == old.id and new.etag != old.etag and new.created == old.created
    assert new.updated >= old.updated and new.size == len(b"version two, longer")
    assert new.attributes == changed
    assert storage.record(old.id) == new and _content(storage, old.id) == b"version two, longer"


def test_replace_may_leave_the_instance_as_it_is(storage: InstanceStorage,
                                                 upload: Callable[[bytes], Path]) -> None:
    old = storage.put(upload(b"unchanged"), ATTRS).record
    assert storage.replace(old.id, lambda current, out: None) == old
    assert storage.record(old.id) == old and _content(storage, old.id) == b"unchanged"


def test_stale_etag_changes_nothing(storage: InstanceStorage,
                                    upload: Callable[[bytes], Path]) -> None:
    old = storage.put(upload(b"original"), ATTRS).record
    calls = []

    def rewrite(current: BinaryIO, out: BinaryIO) -> KeyAttributes:
        calls.append(1)
        out.write(b"changed")
        return ATTRS

    for stale in ('"not-it"', "W/" + old.etag):  # a weak tag never matches (strong compare)
        with pytest.raises(StaleETag) as caught:
            storage.replace(old.id, rewrite, frozenset({stale}))
        assert caught.value.current_etag == old.etag
        with pytest.raises(StaleETag):
            storage.delete(old.id, frozenset({stale}))
    assert calls == [] and storage.record(old.id) == old
    assert _content(storage, old.id) == b"original"
    new = storage.replace(old.id, rewrite, frozenset({'"other"', old.etag}))
    assert calls == [1] and _content(storage, old.id) == b"changed"
    with pytest.raises(StaleETag):
        storage.replace(old.id, rewrite, frozenset({old.etag}))
    storage.delete(old.id, frozenset({new.etag}))
    with pytest.raises(InstanceNotFound):
        storage.record(old.id)


def test_failing_rewrite_changes_nothing(storage: InstanceStorage,
                                         upload: Callable[[bytes], Path]) -> None:
    old = storage.put(upload(b"keep me"), ATTRS).record

    def rewrite(current: BinaryIO, out: BinaryIO) -> KeyAttributes:
        out.write(b"half written")
        raise RuntimeError("the patch failed")

    with pytest.raises(RuntimeError):
        storage.replace(old.id, rewrite)
    assert storage.record(old.id) == old and _content(storage, old.id) == b"keep me"


def test_out_is_readable_back(storage: InstanceStorage, upload: Callable[[bytes], Path]) -> None:
    record = storage.put(upload(b"abc"), ATTRS).record

    def rewrite(current: BinaryIO, out: BinaryIO) -> KeyAttributes:
        out.write(current.read() * 2)
        out.seek(0)
        assert out.read() == b"abcabc"
        return ATTRS

    storage.replace(record.id, rewrite)
    assert _content(storage, record.id) == b"abcabc"


def test_an_open_reader_keeps_its_version(storage: InstanceStorage,
                                          upload: Callable[[bytes], Path]) -> None:
    old = storage.put(upload(b"old bytes " * 1000), ATTRS).record
    record, fp = storage.open(old.id)
    with fp:
        assert fp.read(4) == b"old "
        storage.replace(old.id, _writing(b"new"))
        storage.replace(old.id, _writing(b"newer"))
        fp.seek(0)
        assert record == old and fp.read() == b"old bytes " * 1000
    assert _content(storage, old.id) == b"newer"


def test_an_open_reader_survives_delete(storage: InstanceStorage,
                                        upload: Callable[[bytes], Path]) -> None:
    old = storage.put(upload(b"still readable"), ATTRS).record
    _, fp = storage.open(old.id)
    with fp:
        storage.delete(old.id)
        assert fp.read() == b"still readable"
    for call in (lambda: storage.record(old.id), lambda: storage.open(old.id),
                 lambda: storage.delete(old.id), lambda: storage.replace(old.id, _writing(b""))):
        with pytest.raises(InstanceNotFound):
            call()
    assert storage.list(0, 10).total == 0


def test_concurrent_replaces_lose_no_update(storage: InstanceStorage,
                                            upload: Callable[[bytes], Path]) -> None:
    record = storage.put(upload(b""), ATTRS).record
    writers, each = 8, 10

    def append(mark: bytes) -> Callable[[BinaryIO, BinaryIO], KeyAttributes]:
        def rewrite(current: BinaryIO, out: BinaryIO) -> KeyAttributes:
            out.write(current.read() + mark)
            return ATTRS

        return rewrite

    def work(n: int) -> None:
        for _ in range(each):
            storage.replace(record.id, append(bytes([65 + n])))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    content = _content(storage, record.id)
    assert len(content) == writers * each
    assert sorted(set(content)) == [65 + n for n in range(writers)]
    assert all(content.count(65 + n) == each for n in range(writers))


def test_if_match_race_has_one_winner(storage: InstanceStorage,
                                      upload: Callable[[bytes], Path]) -> None:
    record = storage.put(upload(b"base"), ATTRS).record
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def rewrite(current: BinaryIO, out: BinaryIO) -> KeyAttributes:
        out.write(b"winner")
        return ATTRS

    def work() -> None:
        barrier.wait()
        try:
            storage.replace(record.id, rewrite, frozenset({record.etag}))
            outcomes.append("replaced")
        except StaleETag:
            outcomes.append("stale")

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["replaced", "stale", "stale", "stale"]


def test_one_instance_per_sop_instance_uid(storage: InstanceStorage,
                                           upload: Callable[[bytes], Path]) -> None:
    first, created = storage.put(upload(b"first"), ATTRS)
    again, created_again = storage.put(upload(b"second"), ATTRS)
    assert created and not created_again
    assert again.id == first.id and again.etag != first.etag and again.created == first.created
    assert _content(storage, first.id) == b"second" and storage.list(0, 10).total == 1
    other = storage.put(upload(b"other"), attrs("7.7")).record
    with pytest.raises(UidClash):
        storage.replace(other.id, _writing(b"clash", ATTRS))
    assert storage.record(other.id) == other and _content(storage, other.id) == b"other"
    renamed = storage.replace(other.id, _writing(b"renamed", attrs("7.8")))
    assert renamed.sop_instance_uid == "7.8"
    assert storage.list(0, 10, {"SOPInstanceUID": "7.7"}).total == 0
    assert storage.list(0, 10, {"SOPInstanceUID": "7.8\\1.2.3"}).total == 2


def test_concurrent_first_stores_of_one_uid_give_one_instance(
        storage: InstanceStorage, upload: Callable[[bytes], Path]) -> None:
    sources = [upload(bytes([65 + n]) * 100) for n in range(6)]
    barrier = threading.Barrier(len(sources))
    results: list[bool] = []

    def store(source: Path) -> None:
        barrier.wait()
        results.append(storage.put(source, ATTRS).created)

    threads = [threading.Thread(target=store, args=(s,)) for s in sources]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 5 + [True]
    page = storage.list(0, 10)
    assert page.total == 1 and len(set(_content(storage, page.records[0].id))) == 1


# file-system blobs only ----------------------------------------------------------------------

@pytest.fixture
def file_system(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[IndexedStorage]:
    yield make_storage(request, tmp_path, "file+sqlite")


def _files(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in (tmp_path / "store" / "instances").iterdir())


def test_file_system_layout_survives_a_new_backend_object(
        request: pytest.FixtureRequest, file_system: IndexedStorage,
        upload: Callable[[bytes], Path], tmp_path: Path) -> None:
    source = upload(b"moved in")
    record = file_system.put(source, ATTRS).record
    assert not source.exists(), "on one file system the upload is renamed, not copied"
    assert _files(tmp_path) == [f"{record.id}.{record.etag.strip(chr(34))}.dcm"]
    again = make_storage(request, tmp_path, "file+sqlite")
    assert again.record(record.id) == record and _content(again, record.id) == b"moved in"


def test_file_system_leaves_no_parts(file_system: IndexedStorage,
                                     upload: Callable[[bytes], Path], tmp_path: Path) -> None:
    record = file_system.put(upload(b"x"), ATTRS).record
    file_system.replace(record.id, _writing(b"y"))
    file_system.replace(record.id, lambda current, out: None)
    with pytest.raises(RuntimeError):
        file_system.replace(record.id, lambda current, out: (_ for _ in ()).throw(
            RuntimeError("fail")))
    assert len(_files(tmp_path)) == 1, "the old version goes as soon as it is replaced"
    file_system.delete(record.id)
    assert _files(tmp_path) == []


def test_file_system_copies_across_file_systems(
        file_system: IndexedStorage, upload: Callable[[bytes], Path],
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import errno
    import os

    real_rename = os.rename

    def cross_device(source: str, target: str) -> None:
        if "upload-" in str(source):
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        real_rename(source, target)

    monkeypatch.setattr("app.storage.filesystem.os.rename", cross_device)
    source = upload(b"copied")
    record = file_system.put(source, ATTRS).record
    assert _content(file_system, record.id) == b"copied" and record.size == 6
    assert not source.exists() and not [n for n in _files(tmp_path) if n.endswith(".part")]


# a deflated instance's inflated copy (issue 12) -----------------------------------------------

DEFLATED_ATTRS = KeyAttributes(**{**ATTRS.__dict__,
                                  "transfer_syntax_uid": "1.2.840.10008.1.2.1.99"})


def _blob_keys(storage: IndexedStorage) -> set[str]:
    return {blob.key for blob in storage.blobs.keys()}


def _version_keys(storage: IndexedStorage, instance_id: str) -> set[str]:
    from app.storage.base import inflated_key

    key = storage.index.get(instance_id).key  # type: ignore[union-attr]
    return {key, inflated_key(key)}  # type: ignore[arg-type]


def _inflated(data: bytes) -> bytes:
    import io

    from dicomcore.filereader import write_inflated

    out = io.BytesIO()
    assert write_inflated(io.BytesIO(data), out)
    return out.getvalue()


def _gc_all(storage: IndexedStorage) -> None:
    import time

    storage.collect_garbage(1000, time.time() + 10 ** 6)


def test_a_deflated_instance_keeps_its_inflated_copy_beside_it(
        storage: IndexedStorage, upload: Callable[[bytes], Path]) -> None:
    from dicomcore import read_file
    from dicomcore.limits import ReadLimits

    from .attack_inputs import deflate_bomb

    data = deflate_bomb(64 << 10)
    record = storage.put(upload(data), DEFLATED_ATTRS).record
    assert _content(storage, record.id) == data and record.size == len(data)
    opened = storage.open_for_reading(record.id)
    with opened.file:
        assert opened.stored_inflated and opened.record == record
        assert opened.file.read() == _inflated(data)
        opened.file.seek(0)
        ds = read_file(opened.file, limits=ReadLimits(stored_inflated=True))
        assert str(ds.SOPInstanceUID) == "1.2.3.4"
        ds.close()
    assert _blob_keys(storage) == _version_keys(storage, record.id)

    smaller = deflate_bomb(32 << 10)
    storage.replace(record.id, _writing(smaller, DEFLATED_ATTRS))
    _gc_all(storage)
    assert _blob_keys(storage) == _version_keys(storage, record.id)
    opened = storage.open_for_reading(record.id)
    with opened.file:
        assert opened.stored_inflated and opened.file.read() == _inflated(smaller)

    storage.replace(record.id, _writing(b"plain"))  # no longer deflated: no copy
    _gc_all(storage)
    key = storage.index.get(record.id).key  # type: ignore[union-attr]
    assert _blob_keys(storage) == {key}
    opened = storage.open_for_reading(record.id)
    with opened.file:
        assert not opened.stored_inflated and opened.file.read() == b"plain"

    storage.replace(record.id, _writing(data, DEFLATED_ATTRS))
    storage.delete(record.id)
    _gc_all(storage)
    assert _blob_keys(storage) == set()


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_inflated_copy_past_its_limit_stores_nothing(
        request: pytest.FixtureRequest, tmp_path: Path, backend: str,
        upload: Callable[[bytes], Path]) -> None:
    from functools import partial

    from dicomcore.filereader import write_inflated
    from dicomcore.limits import LimitExceeded, ReadLimits

    from .attack_inputs import deflate_bomb

    storage = make_storage(request, tmp_path, backend,  # type: ignore[arg-type]
                           inflate=partial(write_inflated,
                                           limits=ReadLimits(max_inflated_bytes=256 << 10)))
    with pytest.raises(LimitExceeded):
        storage.put(upload(deflate_bomb(1 << 20)), DEFLATED_ATTRS)
    assert _blob_keys(storage) == set() and storage.index.count() == 0

    record = storage.put(upload(deflate_bomb(64 << 10)), DEFLATED_ATTRS).record
    before = _blob_keys(storage)
    with pytest.raises(LimitExceeded):
        storage.replace(record.id, _writing(deflate_bomb(1 << 20), DEFLATED_ATTRS))
    assert storage.record(record.id) == record and _blob_keys(storage) == before


def test_an_orphaned_inflated_copy_is_swept(storage: IndexedStorage,
                                            upload: Callable[[bytes], Path]) -> None:
    import time

    from app.storage.base import inflated_key, new_instance_id, new_version

    record = storage.put(upload(b"x"), ATTRS).record
    kept = storage.index.get(record.id).key  # type: ignore[union-attr]
    for key in (inflated_key(kept), inflated_key(new_version(new_instance_id())[0])):
        writer = storage.blobs.writer(key)  # type: ignore[arg-type]
        writer.file.write(b"copy")
        writer.commit()
    assert storage.sweep_orphans(time.time() + 10) == 1
    assert _blob_keys(storage) == {kept, inflated_key(kept)}


def _counting(storage: IndexedStorage) -> list[int]:
    """One entry per inflated copy `storage` makes."""
    made: list[int] = []
    real = storage.inflate

    def inflate(content: BinaryIO, out: BinaryIO) -> bool:
        made.append(1)
        return real(content, out)

    storage.inflate = inflate  # type: ignore[method-assign]
    return made


def test_a_deflated_version_without_a_copy_gets_it_from_its_first_read(
        storage: IndexedStorage, upload: Callable[[bytes], Path]) -> None:
    from app.storage.base import inflated_key

    from .attack_inputs import deflate_bomb

    data = deflate_bomb(16 << 10)
    record = storage.put(upload(data), DEFLATED_ATTRS).record
    key = storage.index.get(record.id).key  # type: ignore[union-attr]
    storage.blobs.delete(inflated_key(key))  # type: ignore[arg-type]  # as stored before copies
    made = _counting(storage)
    for _ in range(3):
        opened = storage.open_for_reading(record.id)
        with opened.file:
            assert opened.stored_inflated and opened.record == record
            assert opened.file.read() == _inflated(data)
    assert made == [1], "the copy was not made once, by the first read"
    assert _blob_keys(storage) == {key, inflated_key(key)}
    assert _content(storage, record.id) == data  # the version itself is as stored
    storage.delete(record.id)
    _gc_all(storage)
    assert _blob_keys(storage) == set()


def test_a_version_of_the_layout_before_versions_gets_a_copy_that_goes_with_it(
        storage: IndexedStorage, upload: Callable[[bytes], Path]) -> None:
    import time

    from app.index.index import Record, Row
    from app.storage.base import new_instance_id

    from .attack_inputs import deflate_bomb

    data = deflate_bomb(16 << 10)
    instance_id = new_instance_id()
    legacy = f"{instance_id}.dcm"  # as app.reindex adopts it: the key it had
    storage.blobs.put(legacy, upload(data))
    now = time.time()
    assert storage.index.insert(Row(Record(instance_id, DEFLATED_ATTRS, len(data), '"old"',
                                           now, now), legacy))
    opened = storage.open_for_reading(instance_id)
    with opened.file:
        assert opened.stored_inflated and opened.file.read() == _inflated(data)
    assert _blob_keys(storage) == {legacy, f"{instance_id}.inflated"}
    assert storage.sweep_orphans(time.time() + 10) == 0  # named through its version's row
    storage.delete(instance_id)
    _gc_all(storage)
    assert _blob_keys(storage) == set()


def test_a_copy_made_on_read_past_its_limit_stores_nothing(
        storage: IndexedStorage, upload: Callable[[bytes], Path]) -> None:
    from functools import partial

    from app.storage.base import inflated_key
    from dicomcore.filereader import write_inflated
    from dicomcore.limits import LimitExceeded, ReadLimits

    from .attack_inputs import deflate_bomb

    record = storage.put(upload(deflate_bomb(1 << 20)), DEFLATED_ATTRS).record
    key = storage.index.get(record.id).key  # type: ignore[union-attr]
    storage.blobs.delete(inflated_key(key))  # type: ignore[arg-type]
    storage.inflate = partial(write_inflated,  # type: ignore[method-assign]
                              limits=ReadLimits(max_inflated_bytes=256 << 10))
    with pytest.raises(LimitExceeded):
        storage.open_for_reading(record.id)
    assert _blob_keys(storage) == {key}


def test_a_copy_made_on_read_is_dropped_when_its_version_went_meanwhile(
        storage: IndexedStorage, upload: Callable[[bytes], Path]) -> None:
    from app.storage.base import inflated_key

    from .attack_inputs import deflate_bomb

    record = storage.put(upload(deflate_bomb(16 << 10)), DEFLATED_ATTRS).record
    key = storage.index.get(record.id).key  # type: ignore[union-attr]
    storage.blobs.delete(inflated_key(key))  # type: ignore[arg-type]
    real = storage.inflate

    def inflate_while_deleted(content: BinaryIO, out: BinaryIO) -> bool:
        storage.delete(record.id)  # a DELETE whose old version is collected at once
        _gc_all(storage)
        return real(content, out)

    storage.inflate = inflate_while_deleted  # type: ignore[method-assign]
    with pytest.raises(InstanceNotFound):
        storage.open_for_reading(record.id)
    assert _blob_keys(storage) == set()


def test_a_full_disk_leaves_reads_of_a_version_without_a_copy_as_they_were(
        storage: IndexedStorage, upload: Callable[[bytes], Path]) -> None:
    import errno

    from app.storage.base import inflated_key

    from .attack_inputs import deflate_bomb

    data = deflate_bomb(16 << 10)
    record = storage.put(upload(data), DEFLATED_ATTRS).record
    key = storage.index.get(record.id).key  # type: ignore[union-attr]
    storage.blobs.delete(inflated_key(key))  # type: ignore[arg-type]

    def full(content: BinaryIO, out: BinaryIO) -> bool:
        raise OSError(errno.ENOSPC, "No space left on device")

    storage.inflate = full  # type: ignore[method-assign]
    opened = storage.open_for_reading(record.id)
    with opened.file:
        assert not opened.stored_inflated and opened.file.read() == data
    assert _blob_keys(storage) == {key}


def test_concurrent_first_reads_of_a_version_without_a_copy(
        storage: IndexedStorage, upload: Callable[[bytes], Path]) -> None:
    from app.storage.base import inflated_key

    from .attack_inputs import deflate_bomb

    data = deflate_bomb(256 << 10)
    record = storage.put(upload(data), DEFLATED_ATTRS).record
    key = storage.index.get(record.id).key  # type: ignore[union-attr]
    storage.blobs.delete(inflated_key(key))  # type: ignore[arg-type]
    expected = {True: _inflated(data), False: data}
    barrier = threading.Barrier(6)
    read: list[bool] = []
    failed: list[BaseException] = []

    def first_read() -> None:
        try:
            barrier.wait(10)
            opened = storage.open_for_reading(record.id)
            with opened.file:
                assert opened.file.read() == expected[opened.stored_inflated]
            read.append(opened.stored_inflated)
        except BaseException as exc:  # reported below, from the test's thread
            failed.append(exc)

    threads = [threading.Thread(target=first_read) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failed == [] and len(read) == 6
    assert _blob_keys(storage) == {key, inflated_key(key)}
    opened = storage.open_for_reading(record.id)
    with opened.file:
        assert opened.stored_inflated and opened.file.read() == expected[True]


def _deflated_without_a_copy(storage: IndexedStorage, upload: Callable[[bytes], Path]
                             ) -> tuple[str, bytes, Path]:
    """A deflated version stored as before copies were kept: its id, its content, and the
    path of its copy's part."""
    from app.storage.base import inflated_key

    from .attack_inputs import deflate_bomb

    data = deflate_bomb(16 << 10)
    record = storage.put(upload(data), DEFLATED_ATTRS).record
    copy = inflated_key(storage.index.get(record.id).key)  # type: ignore[union-attr]
    storage.blobs.delete(copy)  # type: ignore[arg-type]
    return record.id, data, storage.blobs.directory / f"{copy}.part"  # type: ignore[attr-defined]


def test_file_system_a_dead_writers_part_of_a_copy_is_taken_over(
        file_system: IndexedStorage, upload: Callable[[bytes], Path]) -> None:
    instance_id, data, part = _deflated_without_a_copy(file_system, upload)
    part.write_bytes(b"half an inflated copy, its writer killed" * 100)  # no flock held
    made = _counting(file_system)
    for _ in range(3):
        opened = file_system.open_for_reading(instance_id)
        with opened.file:
            assert opened.stored_inflated, "the dead writer's part kept the copy from being made"
            assert opened.file.read() == _inflated(data)
    assert made == [1] and not part.exists()
    assert part.with_suffix("").read_bytes() == _inflated(data)


def test_file_system_a_live_writers_part_of_a_copy_is_left_alone(
        file_system: IndexedStorage, upload: Callable[[bytes], Path]) -> None:
    import fcntl
    import os

    instance_id, data, part = _deflated_without_a_copy(file_system, upload)
    part.write_bytes(b"being written")
    fd = os.open(part, os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)  # as a writer in another worker holds it
    try:
        opened = file_system.open_for_reading(instance_id)
        with opened.file:
            assert not opened.stored_inflated and opened.file.read() == data
        assert part.read_bytes() == b"being written" and not part.with_suffix("").exists()
        assert file_system.blobs.clean_parts(0) == 0
    finally:
        os.close(fd)  # the writer dies: its lock goes with it
    opened = file_system.open_for_reading(instance_id)
    with opened.file:
        assert opened.stored_inflated and opened.file.read() == _inflated(data)
    assert not part.exists()


def test_file_system_a_part_removed_while_taken_over_is_made_anew(
        file_system: IndexedStorage, upload: Callable[[bytes], Path],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A start's `clean_parts` may remove a dead writer's part between a writer opening it
    and taking its lock: the writer must not write into the removed file."""
    from app.storage import filesystem

    instance_id, data, part = _deflated_without_a_copy(file_system, upload)
    part.write_bytes(b"left by a killed writer")
    real_claim = filesystem._claim
    swept: list[int] = []
    claimed: list[bool] = []  # the writer's claims

    def claim_after_a_sweep(fd: int, path: Path) -> bool:
        if not swept:
            monkeypatch.setattr(filesystem, "_claim", real_claim)  # the sweep's own
            swept.append(filesystem.remove_abandoned_parts(path.parent, "*.part"))
            monkeypatch.setattr(filesystem, "_claim", claim_after_a_sweep)
        claimed.append(real_claim(fd, path))
        return claimed[-1]

    monkeypatch.setattr(filesystem, "_claim", claim_after_a_sweep)
    opened = file_system.open_for_reading(instance_id)
    with opened.file:
        assert opened.stored_inflated and opened.file.read() == _inflated(data)
    # the removed file is not the writer's to write: it makes a part anew
    assert swept == [1] and claimed == [False, True] and not part.exists()
