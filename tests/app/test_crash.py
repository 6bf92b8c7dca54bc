"""Crash safety (issue 12, item 5), on every backend: a writer killed with SIGKILL at every
step of a change (`app.storage.faults.STEPS`, reached through the fault-injection hook, not by
timing) leaves an instance that reads as the old version or the new one, its ETag always the
one of the content served, and a restart (`IndexedStorage.recover`) leaves no part, no
incomplete upload and no key that no row names.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import pytest

from app.index import Index, KeyAttributes, connect
from app.storage import FileBlobs, IndexedStorage, StaleETag, faults
from app.storage.opening import blob_store
from app.storage.s3 import PART_SIZE

from .test_storage_contract import BACKENDS

OLD = b"old version " * 100
NEW = b"new version " * 120
BIG = bytes(range(256)) * ((PART_SIZE + 1024) // 256)  # two parts: a multipart upload
ATTRS = KeyAttributes(sop_instance_uid="1.2.3", modality="CT")


def _cases() -> list[tuple[str, str, str]]:
    cases = []
    for backend in BACKENDS:
        for op, steps in faults.STEPS.items():
            for step in steps:
                cases.append((backend, op, step))
        if backend.startswith("s3"):
            cases += [(backend, "put", "s3.part-uploaded"),
                      (backend, "replace", "s3.part-uploaded")]
    return cases


@pytest.fixture
def build(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[..., IndexedStorage]:
    """A function that opens the test's storage anew (as a restarted process would)."""
    backend = request.node.callspec.params["backend"]
    blobs_kind, index_kind = backend.split("+")
    s3: dict[str, str] = request.getfixturevalue("s3_settings") if blobs_kind == "s3" else {}
    url = (request.getfixturevalue("postgres_url") if index_kind == "postgresql"
           else f"sqlite:///{tmp_path / 'index.sqlite3'}")
    opened: list[IndexedStorage] = []

    def open_storage(recover: bool) -> IndexedStorage:
        blobs = (blob_store(s3["storage_url"], tmp_path / "local", s3["s3_endpoint_url"])
                 if s3 else FileBlobs(tmp_path / "store"))
        storage = IndexedStorage(blobs, Index(connect(url, 2)), delete_delay=0,
                                 orphan_grace=0, recover=recover)
        opened.append(storage)
        return storage

    yield open_storage  # type: ignore[misc]
    for storage in opened:
        storage.index.db.close()


def _upload(tmp_path: Path, content: bytes) -> Path:
    path = tmp_path / f"upload-{os.urandom(4).hex()}.part"
    path.write_bytes(content)
    return path


def _killed_at(step: str, change: Callable[[], Any]) -> int:
    """Run `change` in a forked child that SIGKILLs itself at `step`; its exit code."""
    def child() -> None:
        def hook(reached: str) -> None:
            if reached == step:
                os.kill(os.getpid(), signal.SIGKILL)

        faults.set_hook(hook)
        change()
        os._exit(0)  # the step was never reached: the test fails on the exit code

    process = multiprocessing.get_context("fork").Process(target=child)
    process.start()
    process.join(60)
    return process.exitcode if process.exitcode is not None else 0


def _content(storage: IndexedStorage, instance_id: str) -> bytes:
    _, fp = storage.open(instance_id)
    with fp:
        return fp.read()


def _leftovers(storage: IndexedStorage, tmp_path: Path) -> list[str]:
    """Whatever a restart should have removed: parts, incomplete uploads, unnamed keys."""
    named = {storage.index.get(r.id).key for r in storage.list(0, 100).records}  # type: ignore[union-attr]
    left = [b.key for b in storage.blobs.keys() if b.key not in named]
    left += [str(p) for p in tmp_path.rglob("*.part") if "upload-" not in p.name]
    client = getattr(storage.blobs, "client", None)
    if client is not None:
        uploads = client.list_multipart_uploads(Bucket=storage.blobs.bucket)  # type: ignore[attr-defined]
        left += [u["Key"] for u in uploads.get("Uploads", ())]
    if storage.index.garbage_count():
        left.append("garbage rows")
    return left


@pytest.mark.parametrize(("backend", "op", "step"), _cases())
def test_a_kill_at_every_step(build: Callable[..., IndexedStorage], tmp_path: Path,
                              backend: str, op: str, step: str) -> None:
    multipart = step == "s3.part-uploaded"
    new = BIG if multipart else NEW
    setup = build(recover=False)
    old = setup.put(_upload(tmp_path, OLD), ATTRS).record
    setup.index.db.close()
    other = KeyAttributes(sop_instance_uid="4.5.6")

    def rewrite(current: BinaryIO, out: BinaryIO) -> KeyAttributes:
        assert current.read() == OLD
        out.write(new)
        return ATTRS

    def change() -> None:
        storage = build(recover=False)
        if op == "put":
            storage.put(_upload(tmp_path, new), other)
        elif op == "replace":
            storage.replace(old.id, rewrite)
        else:
            storage.delete(old.id)

    assert _killed_at(step, change) == -signal.SIGKILL, f"{step} was not reached"

    storage = build(recover=True)  # a restart
    records = {r.sop_instance_uid: r for r in storage.list(0, 10).records}
    if op == "put":
        assert _content(storage, old.id) == OLD and storage.record(old.id) == old
        if "4.5.6" in records:
            assert _content(storage, records["4.5.6"].id) == new
        assert ("4.5.6" in records) == (step not in ("blob.part-written", "s3.part-uploaded",
                                                     "put.blob-stored"))
    elif op == "replace":
        now = storage.record(old.id)
        switched = now.etag != old.etag
        assert switched == (step == "replace.switched")
        assert _content(storage, old.id) == (new if switched else OLD)
        assert now.size == len(new if switched else OLD)
        if switched:  # the old ETag no longer holds: If-Match with it is refused
            with pytest.raises(StaleETag):
                storage.replace(old.id, rewrite, frozenset({old.etag}))
        else:
            assert now == old
    else:
        assert "1.2.3" not in records
    assert _leftovers(storage, tmp_path) == []
