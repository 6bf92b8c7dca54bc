"""Bounded work for every input (issue 12), in process: deflate bombs and element floods get
413, patches are bounded (422 for too many operations, 503 past the time budget) and never
quote values, a Range of 5,000 digits is no 500, a full disk is 507 with nothing half
written, and a PATCH answers the ETag and body of the version it wrote."""

from __future__ import annotations

import errno
import threading
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.scratch import leftovers
from app.settings import Settings
from app.storage import filesystem

from .attack_inputs import deflate_bomb, element_flood, wide_sequence
from .request_states import FullDiskFile

PROBLEM = "application/problem+json"


def _client(settings: Settings) -> TestClient:
    from app.deps import get_settings

    application = create_app()
    application.dependency_overrides[get_settings] = lambda: settings
    return TestClient(application, raise_server_exceptions=False)


@pytest.fixture
def tight(tmp_path: Path) -> Settings:
    return Settings(storage_dir=tmp_path / "data", max_upload_bytes=1 << 20,
                    max_inflated_bytes=4 << 20, max_elements=2000, max_patch_ops=20)


@pytest.fixture
def guarded(tight: Settings) -> Any:
    with _client(tight) as client:
        yield client


def _left_in(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.rglob("*") if p.is_file()
                  and p.suffix in (".part", ".dcm", "") and "index.sqlite3" not in p.name)


def _dicom(body: bytes) -> dict[str, Any]:
    return {"content": body, "headers": {"Content-Type": "application/dicom"}}


# 1. deflate bombs -------------------------------------------------------------------------

@pytest.mark.parametrize("route", ["/v1/json", "/v1/instances"])
def test_a_deflate_bomb_past_the_inflated_cap_is_413(guarded: TestClient, tight: Settings,
                                                     route: str) -> None:
    bomb = deflate_bomb(64 << 20)  # 64 MiB inflated, about 65 KB sent
    response = guarded.post(route, **_dicom(bomb))
    assert response.status_code == 413, response.text
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["limit"] == "max_inflated_bytes" and "4194304" in problem["detail"]
    assert guarded.get("/v1/instances").json()["total"] == 0
    assert leftovers(tight.storage_dir / "tmp") == []  # nothing spooled is left


def test_a_deflated_upload_under_the_cap_is_read_in_scratch_space(guarded: TestClient,
                                                                  tight: Settings) -> None:
    response = guarded.post("/v1/json", **_dicom(deflate_bomb(3 << 20)))
    assert response.status_code == 200, response.text
    assert response.json()["00100010"]["Value"] == [{"Alphabetic": "Muller^Jurgen"}]
    assert leftovers(tight.storage_dir / "tmp") == []


def test_the_inflated_cap_defaults_to_the_upload_limit(tmp_path: Path) -> None:
    settings = Settings(storage_dir=tmp_path / "data", max_upload_bytes=2 << 20)
    with _client(settings) as client:
        response = client.post("/v1/json", **_dicom(deflate_bomb(3 << 20)))
    assert response.status_code == 413 and "2097152" in response.json()["detail"]


# 2. element floods ------------------------------------------------------------------------

@pytest.mark.parametrize("deflated", [False, True])
def test_more_elements_than_the_limit_is_413_on_every_upload_route(guarded: TestClient,
                                                                   deflated: bool) -> None:
    flood = element_flood(3000, deflated=deflated)
    for route in ("/v1/json", "/v1/instances"):
        response = guarded.post(route, **_dicom(flood))
        assert response.status_code == 413, (route, response.text)
        assert response.json()["limit"] == "max_elements"
    response = guarded.post("/v1/patch", files={"file": ("f.dcm", flood), "patch": (
        None, b"[]")})
    assert response.status_code == 413 and response.json()["limit"] == "max_elements"
    assert guarded.post("/v1/json", **_dicom(element_flood(1000))).status_code == 200


# 3. and 8. patches --------------------------------------------------------------------------

def _store(client: TestClient, body: bytes) -> str:
    response = client.post("/v1/instances", **_dicom(body))
    assert response.status_code == 201, response.text
    return response.headers["location"]


def test_too_many_patch_operations_are_422(guarded: TestClient) -> None:
    url = _store(guarded, wide_sequence(3))
    patch = [{"op": "set", "path": "PatientID", "value": str(i)} for i in range(21)]
    response = guarded.patch(url, json=patch)
    assert response.status_code == 422
    assert response.json()["errors"][0]["reason"] == \
        "a patch has at most 20 operations; this one has 21"
    assert guarded.patch(url, json=patch[:20]).status_code == 200


def test_a_patch_past_its_time_budget_is_503_and_changes_nothing(tmp_path: Path) -> None:
    settings = Settings(storage_dir=tmp_path / "data", patch_seconds=0.05,
                        max_elements=100_000)
    with _client(settings) as client:
        url = _store(client, wide_sequence(20_000))
        etag = client.get(url + "/file").headers["etag"]
        patch = [{"op": "set", "path": "ReferencedImageSequence[*].ReferencedSOPInstanceUID",
                  "value": f"1.2.{i}"} for i in range(40)]
        response = client.patch(url, json=patch)
        assert response.status_code == 503, response.text
        assert response.headers["retry-after"] == "5"
        assert response.headers["content-type"] == PROBLEM
        assert "0.05 s budget" in response.json()["detail"]
        assert client.get(url + "/file").headers["etag"] == etag
        assert not list((settings.storage_dir / "instances").glob("*.part"))
        uploaded = client.post("/v1/patch", files={"file": ("f.dcm", wide_sequence(20_000)),
                                                    "patch": (None, str(patch).replace(
                                                        "'", '"').encode())})
        assert uploaded.status_code == 503


def test_a_422_never_quotes_a_value(guarded: TestClient) -> None:
    url = _store(guarded, wide_sequence(1))
    secret = "Müller^Jürgen"
    patch = [{"op": "set", "path": "PatientName", "value": secret}]  # not ASCII
    patch += [{"op": "set", "path": "StudyDate", "value": secret} for _ in range(19)]
    response = guarded.patch(url, json=patch)
    assert response.status_code == 422
    assert "ller" not in response.text and "rgen" not in response.text
    assert response.json()["errors"][0]["reason"].startswith("PatientName (0010,0010) (PN)")


def test_a_422_lists_the_first_100_failures_and_counts_the_rest(tmp_path: Path) -> None:
    with _client(Settings(storage_dir=tmp_path / "data")) as client:
        url = _store(client, wide_sequence(1))
        response = client.patch(url, json=[{"op": "set", "path": "Rows", "value": "x"}] * 150)
    assert response.status_code == 422
    problem = response.json()
    assert [e["index"] for e in problem["errors"]] == list(range(100))
    assert problem["more_errors"] == 50
    assert problem["detail"].endswith("and 140 more")


# 6. client errors and resource states that were 500s ----------------------------------------

def test_a_range_of_5000_digits_is_416_or_the_whole_value(guarded: TestClient) -> None:
    url = _store(guarded, wide_sequence(2))
    bulk = url + "/bulk/00100010"
    huge = "9" * 5000
    assert guarded.get(bulk, headers={"Range": f"bytes={huge}-"}).status_code == 416
    whole = guarded.get(bulk, headers={"Range": f"bytes=0-{huge}"})
    assert whole.status_code == 206 and whole.content == b"Muller^Jurgen "
    assert guarded.get(bulk, headers={"Range": f"bytes=-{huge}"}).status_code == 206


def test_a_full_disk_is_507_nothing_half_written_and_reads_go_on(
        guarded: TestClient, tight: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    url = _store(guarded, wide_sequence(2))
    before = guarded.get(url)
    real_init = filesystem._PartWriter.__init__

    def full(self: Any, directory: Path, key: str) -> None:
        real_init(self, directory, key)
        self.file = FullDiskFile(self.file)

    monkeypatch.setattr(filesystem._PartWriter, "__init__", full)
    response = guarded.patch(url, json=[{"op": "set", "path": "PatientID", "value": "X"}])
    assert response.status_code == 507, response.text
    assert response.headers["content-type"] == PROBLEM
    assert list((tight.storage_dir / "instances").glob("*.part")) == []
    again = guarded.get(url)
    assert again.status_code == 200 and again.json() == before.json()
    assert again.headers["etag"] == before.headers["etag"]
    assert guarded.get(url + "/file").status_code == 200

    import app.uploads

    real_fdopen = app.uploads.os.fdopen
    monkeypatch.setattr(app.uploads.os, "fdopen",
                        lambda fd, mode: FullDiskFile(real_fdopen(fd, mode)))
    stored = guarded.post("/v1/instances", **_dicom(wide_sequence(3, "1.2.3.5")))
    assert stored.status_code == 507
    assert leftovers(tight.storage_dir / "tmp") == []
    assert guarded.get("/v1/instances").json()["total"] == 1


# 9. a PATCH answers the version it wrote ---------------------------------------------------

def test_concurrent_patches_each_answer_the_etag_and_body_of_their_own_version(
        guarded: TestClient) -> None:
    url = _store(guarded, wide_sequence(1))
    answers: list[tuple[str, int, set[str]]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(6)

    def append(n: int) -> None:
        barrier.wait()
        for round_ in range(3):
            uid = f"1.2.9.{n}.{round_}"
            response = guarded.patch(url, json=[{"op": "append", "path":
                                                 "ReferencedImageSequence", "value": {
                                                     "ReferencedSOPInstanceUID": uid}}])
            assert response.status_code == 200, response.text
            items = response.json()["00081140"]["Value"]
            uids = {item["00081155"]["Value"][0] for item in items}
            assert uid in uids  # the body is of a version this request made ...
            with lock:
                answers.append((response.headers["etag"], len(items), uids))

    threads = [threading.Thread(target=append, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(answers) == 18
    # ... and each answer is a different version: 2 items, 3, ... 19, one ETag each.
    assert sorted(count for _, count, _ in answers) == list(range(2, 20))
    assert len({etag for etag, _, _ in answers}) == 18
    latest = max(answers, key=lambda answer: answer[1])
    final = guarded.get(url)
    assert final.headers["etag"] == latest[0]
    assert {i["00081155"]["Value"][0] for i in final.json()["00081140"]["Value"]} == latest[2]


# 4. resource exhaustion is logged once per interval -----------------------------------------

def test_resource_states_are_logged_once_per_interval(caplog: pytest.LogCaptureFixture,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    from app import accesslog

    clock = [1000.0]
    monkeypatch.setattr(accesslog.time, "monotonic", lambda: clock[0])
    loop = asyncio.new_event_loop()
    try:
        accesslog.install_loop_handler(loop)
        failed_accept = {"message": "socket.accept() out of system resource",
                         "exception": OSError(errno.EMFILE, "Too many open files")}
        with caplog.at_level("WARNING", logger="app"):
            for _ in range(500):  # one failed accept after another, as under a flood
                loop.call_exception_handler(failed_accept)
            clock[0] += accesslog.RESOURCE_INTERVAL
            loop.call_exception_handler(failed_accept)
    finally:
        loop.close()
    lines = [r.getMessage() for r in caplog.records if "out of system resource" in r.message]
    assert lines == ["socket.accept() out of system resource: Too many open files",
                     "socket.accept() out of system resource: Too many open files (499 more "
                     "times since the last line)"]
    assert not any(r.exc_info for r in caplog.records)
