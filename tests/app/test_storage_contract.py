"""The storage protocol's contract (app/storage/base.py), run against every backend.

Each backend is a fixture parameter: a new backend (S3, ...) adds itself to `BACKENDS` and
must pass the same tests. Backend-specific checks (file layout, leftovers) live at the end.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import pytest

from app.storage import (
    FileSystemStorage,
    InstanceNotFound,
    InstanceStorage,
    KeyAttributes,
    StaleETag,
)

ATTRS = KeyAttributes(sop_instance_uid="1.2.3", sop_class_uid="1.2.840.10008.5.1.4.1.1.2",
                      study_instance_uid="1.2", series_instance_uid="1.2.9", modality="CT")


def _file_system(tmp_path: Path) -> InstanceStorage:
    return FileSystemStorage(tmp_path / "store")


BACKENDS: dict[str, Callable[[Path], InstanceStorage]] = {"filesystem": _file_system}


@pytest.fixture(params=sorted(BACKENDS))
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> InstanceStorage:
    return BACKENDS[request.param](tmp_path)


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
    record = storage.put(upload(b"first content"), ATTRS)
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
    records = [storage.put(upload(bytes([n]) * 10), ATTRS) for n in range(5)]
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
    old = storage.put(upload(b"version one"), ATTRS)
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
    old = storage.put(upload(b"unchanged"), ATTRS)
    assert storage.replace(old.id, lambda current, out: None) == old
    assert storage.record(old.id) == old and _content(storage, old.id) == b"unchanged"


def test_stale_etag_changes_nothing(storage: InstanceStorage,
                                    upload: Callable[[bytes], Path]) -> None:
    old = storage.put(upload(b"original"), ATTRS)
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
    old = storage.put(upload(b"keep me"), ATTRS)

    def rewrite(current: BinaryIO, out: BinaryIO) -> KeyAttributes:
        out.write(b"half written")
        raise RuntimeError("the patch failed")

    with pytest.raises(RuntimeError):
        storage.replace(old.id, rewrite)
    assert storage.record(old.id) == old and _content(storage, old.id) == b"keep me"


def test_out_is_readable_back(storage: InstanceStorage, upload: Callable[[bytes], Path]) -> None:
    record = storage.put(upload(b"abc"), ATTRS)

    def rewrite(current: BinaryIO, out: BinaryIO) -> KeyAttributes:
        out.write(current.read() * 2)
        out.seek(0)
        assert out.read() == b"abcabc"
        return ATTRS

    storage.replace(record.id, rewrite)
    assert _content(storage, record.id) == b"abcabc"


def test_an_open_reader_keeps_its_version(storage: InstanceStorage,
                                          upload: Callable[[bytes], Path]) -> None:
    old = storage.put(upload(b"old bytes " * 1000), ATTRS)
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
    old = storage.put(upload(b"still readable"), ATTRS)
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
    record = storage.put(upload(b""), ATTRS)
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
    record = storage.put(upload(b"base"), ATTRS)
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


# file-system backend only --------------------------------------------------------------------

@pytest.fixture
def file_system(tmp_path: Path) -> Iterator[FileSystemStorage]:
    yield FileSystemStorage(tmp_path / "store")


def test_file_system_layout_survives_a_new_backend_object(
        file_system: FileSystemStorage, upload: Callable[[bytes], Path], tmp_path: Path) -> None:
    source = upload(b"moved in")
    record = file_system.put(source, ATTRS)
    assert not source.exists(), "on one file system the upload is renamed, not copied"
    root = tmp_path / "store"
    assert (root / "instances" / f"{record.id}.dcm").read_bytes() == b"moved in"
    again = FileSystemStorage(root)
    assert again.record(record.id) == record and _content(again, record.id) == b"moved in"


def test_file_system_leaves_no_parts(file_system: FileSystemStorage,
                                     upload: Callable[[bytes], Path], tmp_path: Path) -> None:
    record = file_system.put(upload(b"x"), ATTRS)
    file_system.replace(record.id, _writing(b"y"))
    file_system.replace(record.id, lambda current, out: None)
    with pytest.raises(RuntimeError):
        file_system.replace(record.id, lambda current, out: (_ for _ in ()).throw(
            RuntimeError("fail")))
    assert not list((tmp_path / "store").rglob("*.part"))
    file_system.delete(record.id)
    assert not list((tmp_path / "store").rglob(f"{record.id}*"))


def test_file_system_copies_across_file_systems(
        file_system: FileSystemStorage, upload: Callable[[bytes], Path],
        monkeypatch: pytest.MonkeyPatch) -> None:
    import errno
    import os

    real_replace = os.replace

    def cross_device(source: str, target: str) -> None:
        if "upload-" in str(source):
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        real_replace(source, target)

    monkeypatch.setattr("app.storage.filesystem.os.replace", cross_device)
    record = file_system.put(upload(b"copied"), ATTRS)
    assert _content(file_system, record.id) == b"copied" and record.size == 6
