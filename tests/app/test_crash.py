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
from typing import BinaryIO, NamedTuple

import pytest

from app.index import Index, KeyAttributes, connect
from app.storage import FileBlobs, IndexedStorage, StaleETag, faults
from app.storage.opening import blob_store
from app.storage.s3 import PART_SIZE

from .services import S3_ENV
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


class Spec(NamedTuple):
    """How to open the test's storage, picklable: a child process opens it from this."""

    root: str
    index_url: str
    s3_url: str | None
    s3_endpoint: str | None


def open_storage(spec: Spec, recover: bool) -> IndexedStorage:
    """The storage anew, as a restarted process opens it (old versions deleted at once)."""
    root = Path(spec.root)
    blobs = (blob_store(spec.s3_url, root / "local", spec.s3_endpoint) if spec.s3_url
             else FileBlobs(root / "store"))
    return IndexedStorage(blobs, Index(connect(spec.index_url, 2)), delete_delay=0,
                          orphan_grace=0, recover=recover)


@pytest.fixture
def spec(request: pytest.FixtureRequest, tmp_path: Path) -> Spec:
    backend = request.node.callspec.params["backend"]
    blobs_kind, index_kind = backend.split("+")
    s3: dict[str, str] = request.getfixturevalue("s3_settings") if blobs_kind == "s3" else {}
    url = (request.getfixturevalue("postgres_url") if index_kind == "postgresql"
           else f"sqlite:///{tmp_path / 'index.sqlite3'}")
    return Spec(str(tmp_path), url, s3.get("storage_url"), s3.get("s3_endpoint_url"))


def _upload(root: Path, content: bytes) -> Path:
    path = root / f"upload-{os.urandom(4).hex()}.part"
    path.write_bytes(content)
    return path


def _rewrite_to(new: bytes) -> Callable[[BinaryIO, BinaryIO], KeyAttributes]:
    def rewrite(current: BinaryIO, out: BinaryIO) -> KeyAttributes:
        assert current.read() == OLD
        out.write(new)
        return ATTRS

    return rewrite


def _change(spec: Spec, op: str, step: str, instance_id: str, new: bytes) -> None:
    """In the child: kill this process at `step` of `op`."""
    def hook(reached: str) -> None:
        if reached == step:
            os.kill(os.getpid(), signal.SIGKILL)

    faults.set_hook(hook)
    os.environ.update(S3_ENV)  # the fork server's environment is the one it started with
    storage = open_storage(spec, recover=False)
    if op == "put":
        storage.put(_upload(Path(spec.root), new), KeyAttributes(sop_instance_uid="4.5.6"))
    elif op == "replace":
        storage.replace(instance_id, _rewrite_to(new))
    else:
        storage.delete(instance_id)
    os._exit(0)  # the step was never reached: the test fails on the exit code


def _killed_at(spec: Spec, op: str, step: str, instance_id: str, new: bytes) -> int:
    """Run the change in a child that SIGKILLs itself at `step`; its exit code.

    The child comes from a fork server (a fresh process, not a fork of this one): the S3
    reader's client runs threads of its own, which a plain fork would leave behind."""
    context = multiprocessing.get_context("forkserver")
    process = context.Process(target=_change, args=(spec, op, step, instance_id, new))
    process.start()
    process.join(120)
    if process.exitcode is None:
        process.kill()
        process.join(10)
        return 0
    return process.exitcode


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
def test_a_kill_at_every_step(spec: Spec, backend: str, op: str, step: str) -> None:
    new = BIG if step == "s3.part-uploaded" else NEW
    setup = open_storage(spec, recover=False)
    old = setup.put(_upload(Path(spec.root), OLD), ATTRS).record
    setup.index.db.close()

    assert _killed_at(spec, op, step, old.id, new) == -signal.SIGKILL, f"{step} not reached"

    storage = open_storage(spec, recover=True)  # a restart
    try:
        records = {r.sop_instance_uid: r for r in storage.list(0, 10).records}
        if op == "put":
            assert _content(storage, old.id) == OLD and storage.record(old.id) == old
            if "4.5.6" in records:
                assert _content(storage, records["4.5.6"].id) == new
            assert ("4.5.6" in records) == (step not in (
                "blob.part-written", "s3.part-uploaded", "put.blob-stored"))
        elif op == "replace":
            now = storage.record(old.id)
            switched = now.etag != old.etag
            assert switched == (step == "replace.switched")
            assert _content(storage, old.id) == (new if switched else OLD)
            assert now.size == len(new if switched else OLD)
            if switched:  # the old ETag no longer holds: If-Match with it is refused
                with pytest.raises(StaleETag):
                    storage.replace(old.id, _rewrite_to(new), frozenset({old.etag}))
            else:
                assert now == old
        else:
            assert "1.2.3" not in records
        assert _leftovers(storage, Path(spec.root)) == []
    finally:
        storage.index.db.close()
