"""Errors of the lower layers become HTTP in app/problems.py, and only there."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app import problems
from app.problems import Problem, problem_for
from app.storage import InstanceNotFound, StaleETag
from dicomcore.errors import DeferredValueError, EncodeError, InvalidDicomError
from dicomcore.patch import PatchError

APP = Path(__file__).parents[2] / "app"
FAILURE = {"index": 0, "op": "set", "path": "Rows", "reason": "read-only"}


@pytest.mark.parametrize(("error", "status", "extra"), [
    (InstanceNotFound("AAAAAAAAAAAAAAAAAAAAAA"), 404, {}),
    (StaleETag('"current"'), 412, {"etag": '"current"'}),
    (InvalidDicomError("no DICM", offset=128, tag=0x00020010), 400,
     {"offset": 128, "tag": "00020010"}),
    (PatchError([FAILURE]), 422, {"errors": [FAILURE]}),
    (EncodeError(0x00100010, "PatientName", "not in the character set"), 422, {}),
    (DeferredValueError("the file changed"), 409, {}),
])
def test_each_error_has_one_status(error: Exception, status: int, extra: dict) -> None:
    problem = problem_for(error)
    assert problem is not None and problem.status == status and problem.extra == extra


def test_bugs_are_not_mapped() -> None:
    for error in (ValueError("x"), KeyError("x"), OSError("x"), RuntimeError("x")):
        assert problem_for(error) is None


def test_patch_problems_have_one_shape() -> None:
    from_library = problem_for(PatchError([FAILURE]))
    from_body = problems.unusable_patch("the patch is not JSON", "not JSON")
    assert from_library is not None
    assert (from_library.status, from_library.title) == (from_body.status, from_body.title)
    assert set(from_body.extra["errors"][0]) == set(FAILURE)


def _app_raising(error: Exception) -> TestClient:
    application = FastAPI()
    problems.install(application)

    @application.get("/boom")
    async def boom() -> None:
        raise error

    return TestClient(application, raise_server_exceptions=False)


@pytest.mark.parametrize(("error", "status"), [
    (InstanceNotFound("x"), 404), (StaleETag('"e"'), 412),
    (Problem(401, "Unauthorized", "key"), 401), (ValueError("bug"), 500)])
def test_installed_handlers_answer_problem_json(error: Exception, status: int) -> None:
    response = _app_raising(error).get("/boom")
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["instance"] == "/boom"
    if status == 412:
        assert body["etag"] == '"e"'
    if status == 401:
        assert response.headers["www-authenticate"] == "Bearer"
    if status == 500:
        assert "bug" not in response.text, "a bug's message is not sent to the client"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            names.add("." * node.level + (node.module or ""))
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_storage_knows_no_http() -> None:
    for path in (APP / "storage").glob("*.py"):
        imported = _imports(path)
        assert not any("problems" in name or "fastapi" in name or "starlette" in name
                       or name == "Problem" for name in imported), path


def test_routes_do_not_reach_the_file_system() -> None:
    for path in (APP / "routes").glob("*.py"):
        text = path.read_text()
        for word in ("os.replace", "fstat", "import os", "pathlib", "with open("):
            assert word not in text, (path.name, word)
        assert "FileSystemStorage" not in text
