"""What a write meets at a limit or in a resource state, and what it leaves (issue 12, items 3
and 6): a 413, 503 or 507 changes no stored instance, stores none, and leaves no part or
scratch file behind; a 503 says when to try again. An index with no room (SQLite's or
PostgreSQL's, real databases) is a full disk too, and one short of other resources a 503;
reads go on meanwhile. An index with no connection to give (a PostgreSQL pool all in use)
answers every search 503, and they go on once one is free.

The requests are the case table's (`test_openapi.CASES`, made with `request_states`), and a
few more causes of the same statuses than the one row per status the table has room for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from app.deps import get_settings
from app.main import create_app
from app.scratch import leftovers
from app.settings import Settings
from app.storage import open_storage

from .conftest import CT
from .request_states import (
    FullDiskFile,
    full_index,
    index_without_connections,
    lost_races,
    out_of_files,
    past_budget,
)
from .test_dicomweb_cases import SERIES, STUDY
from .test_openapi import CASES, DICOM, MR, PATCH, _client, _form, _patch, _upload

Request = Callable[[TestClient, dict[str, Any]], httpx.Response]
WRITES = ("post", "patch", "delete")
ROWS = [(operation, status, send) for operation, cases in CASES.items()
        for status, send in cases.items()
        if operation[0] in WRITES and status in (413, 503, 507)]
MORE: list[tuple[tuple[str, str], int, Request]] = [
    (("patch", "/v1/instances/{instance_id}"), 503, past_budget(_patch(PATCH.encode()))),
    (("patch", "/v1/instances/{instance_id}"), 503, out_of_files(_patch(PATCH.encode()))),
    (("post", "/v1/instances"), 503, lost_races(_upload("/v1/instances"))),  # CT again
    (("post", "/v1/patch"), 503, out_of_files(_form(PATCH))),
    (("post", "/v1/instances"), 507, full_index(_upload("/v1/instances", MR.read_bytes()))),
    (("post", "/v1/instances"), 507, full_index(_upload("/v1/instances"))),  # CT again
    (("patch", "/v1/instances/{instance_id}"), 507, full_index(_patch(PATCH.encode()))),
]


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with _client(tmp_path, None) as client:
        yield client


def _state(client: TestClient) -> dict[str, Any]:
    """The stored instances (id: content) and the files the store and the scratch space
    hold."""
    settings = client.app.dependency_overrides[get_settings]()  # type: ignore[attr-defined]
    items = client.get("/v1/instances").json()["items"]
    return {"instances": {item["id"]: client.get(f"/v1/instances/{item['id']}/file").content
                          for item in items},
            "parts": sorted(p.name for p in (settings.storage_dir / "instances").iterdir()
                            if p.suffix == ".part"),
            "stored files": len(list((settings.storage_dir / "instances").iterdir())),
            "scratch": leftovers(settings.storage_dir / "tmp")}


@pytest.mark.parametrize(("operation", "status", "send"), ROWS + MORE,
                         ids=[f"{op[0]} {op[1]} {status}-{n}"
                              for n, (op, status, _) in enumerate(ROWS + MORE)])
def test_a_write_at_a_limit_or_in_a_resource_state_changes_nothing(
        client: TestClient, operation: tuple[str, str], status: int, send: Request) -> None:
    ct = CT.read_bytes()
    stored = client.post("/v1/instances", content=ct, headers=DICOM).json()
    before = _state(client)
    assert before["instances"] == {stored["id"]: ct} and before["parts"] == []

    response = send(client, {"id": stored["id"], "etag": stored["etag"], "ct": ct})
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    if status == 503:
        assert int(response.headers["retry-after"]) > 0
    # lost races: the other writers' versions are new ETags of the same content
    assert _state(client) == before


def test_a_stow_part_read_on_a_full_disk_fails_for_want_of_room_not_as_not_dicom(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    import app.uploads

    from .test_dicomweb_cases import _stow

    deflated = CT.with_name("image_dfl.dcm").read_bytes()
    temporary = tempfile.TemporaryFile
    # received whole; then the deflated part is inflated into a spool that finds no room
    monkeypatch.setattr(app.uploads, "SPOOL_BYTES", 1)
    monkeypatch.setattr(tempfile, "TemporaryFile",
                        lambda *a, **k: FullDiskFile(temporary(*a, **k)))
    response = _stow("/dicomweb/studies", MR.read_bytes(), deflated)(client, {})
    assert response.status_code == 202, response.text
    (failed,) = response.json()["00081198"]["Value"]
    assert failed["00081197"]["Value"] == [0xA700]  # out of resources, not 0xC000
    assert len(response.json()["00081199"]["Value"]) == 1  # the MR part was stored


WRITES_TO_THE_INDEX: dict[str, Request] = {
    "store": _upload("/v1/instances", MR.read_bytes()),
    "store again": _upload("/v1/instances"),
    "patch": _patch(PATCH.encode()),
    "delete": lambda c, ctx: c.delete(f"/v1/instances/{ctx['id']}"),
}


@pytest.mark.parametrize("write", WRITES_TO_THE_INDEX)
@pytest.mark.parametrize(("index", "sqlstate", "status"), [
    ("sqlite", "", 507), ("postgresql", "53100", 507),  # disk full
    ("postgresql", "53200", 503), ("postgresql", "53300", 503)])  # out of memory, connections
def test_an_index_out_of_room_or_resources_changes_nothing_and_reads_go_on(
        request: pytest.FixtureRequest, tmp_path: Path, index: str, sqlstate: str,
        status: int, write: str) -> None:
    url = request.getfixturevalue("postgres_url") if index == "postgresql" else None
    application = create_app()
    application.dependency_overrides[get_settings] = lambda: Settings(
        storage_dir=tmp_path / "data", index_url=url, max_upload_bytes=1 << 20)
    with TestClient(application, raise_server_exceptions=False) as client:
        ct = CT.read_bytes()
        stored = client.post("/v1/instances", content=ct, headers=DICOM).json()
        before = _state(client)
        reads: dict[str, int] = {}

        def write_then_read(c: TestClient, ctx: dict[str, Any]) -> httpx.Response:
            response = WRITES_TO_THE_INDEX[write](c, ctx)
            for path in ("", "/file", "/bulk/7FE00010"):
                reads[path] = c.get(f"/v1/instances/{ctx['id']}{path}").status_code
            reads["list"] = c.get("/v1/instances").status_code
            return response

        send = full_index(write_then_read, sqlstate)
        response = send(client, {"id": stored["id"], "etag": stored["etag"], "ct": ct})
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
        if status == 503:
            assert int(response.headers["retry-after"]) > 0
        assert reads == {"": 200, "/file": 200, "/bulk/7FE00010": 200, "list": 200}
        assert _state(client) == before
        after = client.get(f"/v1/instances/{stored['id']}")
        assert after.headers["etag"] == stored["etag"]
        # room again: the same write goes through
        again = WRITES_TO_THE_INDEX[write](client, {"id": stored["id"], "ct": ct})
        assert again.status_code < 300, again.text


def test_a_stow_part_the_full_index_cannot_record_fails_for_want_of_room(
        client: TestClient) -> None:
    from .test_dicomweb_cases import _stow

    ct = CT.read_bytes()
    client.post("/v1/instances", content=ct, headers=DICOM)
    before = _state(client)
    response = full_index(_stow("/dicomweb/studies", MR.read_bytes(), None))(client, {"ct": ct})
    assert response.status_code == 409, response.text  # no part stored
    failed = response.json()["00081198"]["Value"]
    assert [part["00081197"]["Value"] for part in failed] == [[0xA700], [0xA700]]
    assert _state(client) == before


SEARCHES = ["/v1/instances", "/v1/instances?Modality=CT", "/dicomweb/studies",
            "/dicomweb/series", "/dicomweb/instances?includefield=00100010",
            f"/dicomweb/studies/{STUDY}/series", f"/dicomweb/studies/{STUDY}/instances",
            f"/dicomweb/studies/{STUDY}/series/{SERIES}/instances"]


@pytest.mark.parametrize("index", ["sqlite", "postgresql"])
def test_searches_without_an_index_connection_answer_503_then_go_on(
        request: pytest.FixtureRequest, tmp_path: Path, index: str) -> None:
    """On PostgreSQL a real pool with every connection taken: each search waits its short
    while, meets the pool's timeout and answers 503 (try again); once connections are free,
    the same searches answer 200."""
    url = request.getfixturevalue("postgres_url") if index == "postgresql" else None
    application = create_app()
    application.dependency_overrides[get_settings] = lambda: Settings(
        storage_dir=tmp_path / "data", index_url=url, max_upload_bytes=1 << 20)
    with TestClient(application, raise_server_exceptions=False) as client:
        assert client.post("/v1/instances", content=CT.read_bytes(),
                           headers=DICOM).status_code == 201
        settings = application.dependency_overrides[get_settings]()
        with index_without_connections(open_storage(settings).index.db):
            answers = {search: client.get(search) for search in SEARCHES}
        for search, answer in answers.items():
            assert answer.status_code == 503, (search, answer.text)
            assert answer.headers["content-type"] == "application/problem+json", search
            assert int(answer.headers["retry-after"]) > 0, search
            assert "index" in answer.json()["detail"], search
        for search in SEARCHES:
            answer = client.get(search)
            assert answer.status_code == 200, (search, answer.text)
            assert answer.content not in (b"[]", b""), search
