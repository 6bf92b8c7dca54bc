"""The OpenAPI document against the routes it describes.

Every operation has a description, every parameter one too, and every request body (and
form field) that is not a file has an example. Each operation's response list is exactly the
statuses of its cases below: each listed status is made to happen here, and a status the
route gives but does not list fails the schema fuzzing (tests/app/test_schema.py, which
checks status conformance) as well as the case table's completeness test. 401 and the
security requirement are listed only when the server has an API key.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from app.deps import get_settings
from app.main import create_app
from app.settings import Settings

from .conftest import CT
from .request_states import (
    deflated_on_a_full_disk,
    full_disk,
    full_index,
    lost_races,
    out_of_files,
    past_budget,
    past_limits,
    short_of_connections,
)
from .test_dicomweb_cases import CASES as DICOMWEB_CASES
from .test_dicomweb_cases import DICOM_JSON_ERRORS, PATH_VALUES

MR = CT.with_name("MR_small.dcm")

KEY = "s3cret"
PATCH = json.dumps([{"op": "set", "path": "PatientName", "value": "Doe^Jane"}])
DICOM = {"content-type": "application/dicom"}
Request = Callable[[TestClient, dict[str, Any]], httpx.Response]


def _upload(url: str, body: bytes | None = None, **headers: str) -> Request:
    return lambda c, ctx: c.post(url, content=ctx["ct"] if body is None else body,
                                 headers={**DICOM, **headers})


def _form(patch: str, file: bytes | None = None, query: str = "") -> Request:
    return lambda c, ctx: c.post(f"/v1/patch{query}", files={
        "file": ("ct.dcm", ctx["ct"] if file is None else file)}, data={"patch": patch})


def _patch(body: bytes, media: str = "application/json", **headers: str) -> Request:
    return lambda c, ctx: c.patch(f"/v1/instances/{ctx['id']}", content=body,
                                  headers={"content-type": media, **headers})


def _get(url: str, **headers: str) -> Request:
    return lambda c, ctx: c.get(url.format(**ctx), headers=headers)


def _uid_clash(c: TestClient, ctx: dict[str, Any]) -> httpx.Response:
    """PATCH the stored CT to the SOP Instance UID of another stored instance."""
    other = c.post("/v1/instances", content=MR.read_bytes(), headers=DICOM).json()
    return c.patch(f"/v1/instances/{ctx['id']}", json=[
        {"op": "set", "path": "SOPInstanceUID", "value": other["sop_instance_uid"]}])


def _keyless(send: Request) -> Request:
    """`send` on a server without DICOMCORE_DEID_KEY (the de-identification routes: 403)."""
    def run(c: TestClient, ctx: dict[str, Any]) -> httpx.Response:
        keyed = c.app.dependency_overrides[get_settings]
        c.app.dependency_overrides[get_settings] = lambda: keyed().model_copy(
            update={"deid_key": None})
        try:
            return send(c, ctx)
        finally:
            c.app.dependency_overrides[get_settings] = keyed
    return run


CT_STUDY = "1.3.6.1.4.1.5962.1.2.1.20040119072730.12322"


def _deidentify_study(c: TestClient, ctx: dict[str, Any]) -> httpx.Response:
    return c.post(f"/v1/studies/{CT_STUDY}/deidentify")


TOO_LARGE = b"\0" * ((1 << 20) + 1)
UNKNOWN = "/v1/instances/AAAAAAAAAAAAAAAAAAAAAA"
CASES: dict[tuple[str, str], dict[int, Request]] = {
    ("get", "/healthz"): {200: _get("/healthz")},
    ("post", "/v1/json"): {
        200: _upload("/v1/json"),
        400: _upload("/v1/json", b"not DICOM at all"),
        413: _upload("/v1/json", TOO_LARGE),
        415: _upload("/v1/json", **{"content-type": "text/plain"}),
        422: _upload("/v1/json?bulk_data_threshold=-1"),
        503: out_of_files(_upload("/v1/json")),  # spooled to disk, as past 4 MiB
        507: full_disk(_upload("/v1/json"))},
    ("post", "/v1/patch"): {
        200: _form(PATCH),
        400: _form("{not json"),
        413: _form(PATCH, TOO_LARGE),
        415: _upload("/v1/patch"),
        422: _form(json.dumps([{"op": "set", "path": "Modality", "value": "not a CS!"}])),
        503: past_budget(_form(PATCH)),
        507: full_disk(_form(PATCH))},
    ("post", "/v1/instances"): {
        201: _upload("/v1/instances", MR.read_bytes()),  # not stored yet: CT is
        200: _upload("/v1/instances"),  # CT again: replaces the stored one
        400: _upload("/v1/instances", b"\0" * 200),
        413: _upload("/v1/instances", TOO_LARGE),
        415: _upload("/v1/instances", **{"content-type": "image/png"}),
        422: _upload("/v1/instances?strict=perhaps"),
        503: out_of_files(_upload("/v1/instances", MR.read_bytes())),
        507: full_disk(_upload("/v1/instances", MR.read_bytes()))},
    ("get", "/v1/instances"): {
        200: _get("/v1/instances"),
        400: _get("/v1/instances?modality=CT"),  # filters are DICOM keywords
        422: _get("/v1/instances?limit=0"),
        503: short_of_connections(_get("/v1/instances"))},
    ("get", "/v1/instances/{instance_id}"): {
        200: _get("/v1/instances/{id}"),
        404: _get(UNKNOWN),
        413: past_limits(_get("/v1/instances/{id}")),
        422: _get("/v1/instances/{id}?format=xml"),
        503: out_of_files(_get("/v1/instances/{id}")),
        507: deflated_on_a_full_disk("/v1/instances/{id}")},
    ("get", "/v1/instances/{instance_id}/bulk/{tag_path}"): {
        200: _get("/v1/instances/{id}/bulk/7FE00010"),
        206: _get("/v1/instances/{id}/bulk/7FE00010", range="bytes=0-9"),
        404: _get("/v1/instances/{id}/bulk/7FE00011"),
        413: past_limits(_get("/v1/instances/{id}/bulk/7FE00010")),
        416: _get("/v1/instances/{id}/bulk/7FE00010", range="bytes=99999999-"),
        503: out_of_files(_get("/v1/instances/{id}/bulk/7FE00010")),
        507: deflated_on_a_full_disk("/v1/instances/{id}/bulk/7FE00010")},
    ("patch", "/v1/instances/{instance_id}"): {
        200: _patch(PATCH.encode()),
        400: _patch(b"{not json"),
        404: lambda c, ctx: c.patch(UNKNOWN, content=PATCH,
                                    headers={"content-type": "application/json"}),
        409: _uid_clash,
        412: _patch(PATCH.encode(), **{"if-match": '"stale"'}),
        413: _patch(b" " * 2048),
        415: _patch(PATCH.encode(), "text/plain"),
        422: _patch(b'[{"op": "set", "path": "Rows", "value": -1}]'),
        503: lost_races(_patch(PATCH.encode())),
        507: full_disk(_patch(PATCH.encode()))},
    ("get", "/v1/instances/{instance_id}/file"): {
        200: _get("/v1/instances/{id}/file"),
        404: _get(UNKNOWN + "/file"),
        413: past_limits(_get("/v1/instances/{id}/file?write_like_original=false")),
        422: _get("/v1/instances/{id}/file?transfer_syntax=1.2.3"),
        503: out_of_files(_get("/v1/instances/{id}/file")),
        507: full_disk(_get("/v1/instances/{id}/file?write_like_original=false"))},
    ("delete", "/v1/instances/{instance_id}"): {
        204: lambda c, ctx: c.delete(f"/v1/instances/{ctx['id']}"),
        404: lambda c, ctx: c.delete(UNKNOWN),
        412: lambda c, ctx: c.delete(f"/v1/instances/{ctx['id']}",
                                     headers={"if-match": '"stale"'}),
        503: lost_races(lambda c, ctx: c.delete(f"/v1/instances/{ctx['id']}")),
        507: full_index(lambda c, ctx: c.delete(f"/v1/instances/{ctx['id']}"))},
    ("post", "/v1/deidentify"): {
        200: _upload("/v1/deidentify"),
        400: _upload("/v1/deidentify", b"not DICOM at all"),
        403: _keyless(_upload("/v1/deidentify")),
        413: _upload("/v1/deidentify", TOO_LARGE),
        415: _upload("/v1/deidentify", **{"content-type": "text/plain"}),
        422: _upload("/v1/deidentify?option=retain-everything"),
        503: out_of_files(_upload("/v1/deidentify")),
        507: full_disk(_upload("/v1/deidentify"))},
    ("post", "/v1/studies/{study_instance_uid}/deidentify"): {
        201: _deidentify_study,
        403: _keyless(_deidentify_study),
        404: lambda c, ctx: c.post("/v1/studies/1.2.3/deidentify"),
        413: past_limits(_deidentify_study),
        422: lambda c, ctx: c.post(f"/v1/studies/{CT_STUDY}/deidentify?option=retain-uids"),
        503: out_of_files(_deidentify_study),
        507: full_disk(_deidentify_study)},
}
CASES.update(DICOMWEB_CASES)
OPEN = {("get", "/healthz")}


def _client(tmp_path: Path, api_key: str | None) -> TestClient:
    application = create_app()
    application.dependency_overrides[get_settings] = lambda: Settings(
        storage_dir=tmp_path / "data", max_upload_bytes=1 << 20, max_patch_bytes=1024,
        api_key=api_key, deid_key="openapi test key")
    return TestClient(application, raise_server_exceptions=False)


@pytest.fixture
def open_client(tmp_path: Path) -> Iterator[TestClient]:
    with _client(tmp_path, None) as client:
        yield client


@pytest.fixture
def keyed_client(tmp_path: Path) -> Iterator[TestClient]:
    with _client(tmp_path, KEY) as client:
        yield client


def _operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(method, path): operation for path, item in document["paths"].items()
            for method, operation in item.items()}


def _statuses(operation: dict[str, Any]) -> set[int]:
    return {int(status) for status in operation["responses"]}


def test_every_operation_lists_exactly_its_cases(open_client: TestClient,
                                                  keyed_client: TestClient) -> None:
    plain = _operations(open_client.get("/openapi.json").json())
    assert set(plain) == set(CASES)
    for key, operation in plain.items():
        assert _statuses(operation) == set(CASES[key]), key
        assert "security" not in operation, key
    keyed = _operations(keyed_client.get("/openapi.json", headers={"x-api-key": KEY}).json())
    for key, operation in keyed.items():
        secured = key not in OPEN
        assert _statuses(operation) == set(CASES[key]) | ({401} if secured else set()), key
        assert ("security" in operation) == secured, key


@pytest.mark.parametrize(("operation", "status"),
                         [(op, status) for op, cases in CASES.items() for status in cases],
                         ids=lambda value: str(value))
def test_each_listed_status_happens(open_client: TestClient, operation: tuple[str, str],
                                    status: int) -> None:
    ct = CT.read_bytes()
    stored = open_client.post("/v1/instances", content=ct, headers=DICOM).json()
    context = {"id": stored["id"], "etag": stored["etag"], "ct": ct}
    response = CASES[operation][status](open_client, context)
    assert response.status_code == status, response.text
    if status >= 400 and (operation, status) not in DICOM_JSON_ERRORS:
        assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("operation", sorted(set(CASES) - OPEN), ids=str)
def test_every_secured_operation_answers_401_without_the_key(keyed_client: TestClient,
                                                             operation: tuple[str, str]) -> None:
    method, path = operation
    url = path.format(instance_id="AAAAAAAAAAAAAAAAAAAAAA", tag_path="7FE00010",
                      study_instance_uid="1.2.3", **PATH_VALUES)
    response = keyed_client.request(method.upper(), url)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def test_descriptions_and_examples(open_client: TestClient) -> None:
    document = open_client.get("/openapi.json").json()
    for key, operation in _operations(document).items():
        if key in OPEN:
            continue
        assert len(operation.get("description", "")) > 60, key
        for parameter in operation.get("parameters", []):
            assert parameter.get("description"), (key, parameter["name"])
        for status, response in operation["responses"].items():
            assert response.get("description"), (key, status)
        body = operation.get("requestBody")
        if body is None:
            continue
        assert body.get("description"), key
        for media, content in body["content"].items():
            schema = content["schema"]
            if schema.get("format") == "binary":
                continue  # a file: Swagger UI offers a file picker, no example to give
            if media == "multipart/form-data":
                for name, field in schema["properties"].items():
                    assert field.get("description"), (key, name)
                    assert field.get("format") == "binary" or "example" in field, (key, name)
            else:
                assert "example" in content or "examples" in content, (key, media)


def test_security_schemes_only_with_a_key(open_client: TestClient,
                                          keyed_client: TestClient) -> None:
    plain = open_client.get("/openapi.json").json()
    assert "securitySchemes" not in plain.get("components", {})
    keyed = keyed_client.get("/openapi.json", headers={"authorization": f"Bearer {KEY}"}).json()
    schemes = keyed["components"]["securitySchemes"]
    assert schemes["bearer"] == {**schemes["bearer"], "type": "http", "scheme": "bearer"}
    assert schemes["apiKey"]["in"] == "header" and schemes["apiKey"]["name"] == "X-API-Key"


def test_the_patch_form_example_is_a_patch_that_applies(open_client: TestClient) -> None:
    document = open_client.get("/openapi.json").json()
    form = document["paths"]["/v1/patch"]["post"]["requestBody"]["content"][
        "multipart/form-data"]
    example = form["schema"]["properties"]["patch"]["example"]
    response = _form(example)(open_client, {"ct": CT.read_bytes()})
    assert response.status_code == 200, response.text
    body = document["paths"]["/v1/instances/{instance_id}"]["patch"]["requestBody"]
    stored = open_client.post("/v1/instances", content=CT.read_bytes(), headers=DICOM).json()
    for media, content in body["content"].items():
        response = _patch(json.dumps(content["example"]).encode(), media)(
            open_client, {"id": stored["id"]})
        assert response.status_code == 200, (media, response.text)
