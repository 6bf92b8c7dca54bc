"""The OpenAPI document: what FastAPI cannot infer from the signatures (request bodies read
from the stream, with their examples; the problem responses each route can give), and the
API key as a security scheme.

Each route lists its own error statuses with `problems(...)`, and the limits and resource
states it may meet (413, 503, 507) by their causes with `resource_problems(...)` (what reads
a stored instance: `read_problems()`); `tests/app/test_openapi.py` makes every listed status
happen and checks that no other one does. 401 is not listed by the routes: `document` adds
it, with the security requirement, to the routes behind the key when the running service has
one (DICOMCORE_API_KEY), so the document says what this server does.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

PATCH_EXAMPLE = [{"op": "set", "path": "PatientName", "value": "Doe^Jane"},
                 {"op": "set", "path": "StudyDescription", "value": "Fixed with dicomcore"},
                 {"op": "delete", "path": "(0010,1000)"}]
DICOM_JSON_EXAMPLE = {"00100010": {"vr": "PN", "Value": [{"Alphabetic": "Doe^Jane"}]},
                      "00081030": {"vr": "LO", "Value": ["Fixed with dicomcore"]}}
_BINARY = {"type": "string", "format": "binary"}
_DICOM_FILE = {**_BINARY, "description": "a DICOM file (Part 10, with or without preamble)"}

UPLOAD_BODY: dict[str, Any] = {"requestBody": {
    "required": True,
    "description": "The DICOM file: the raw bytes as application/dicom, or a form with a "
                   "`file` part. Streamed: never held whole in memory.",
    "content": {
        "application/dicom": {"schema": _DICOM_FILE},
        "multipart/form-data": {"schema": {"type": "object", "required": ["file"],
                                           "properties": {"file": _DICOM_FILE}}}}}}

PATCH_FORM_BODY: dict[str, Any] = {"requestBody": {
    "required": True,
    "description": "A form with the DICOM file (`file`) and the patch JSON (`patch`).",
    "content": {"multipart/form-data": {
        "schema": {"type": "object", "required": ["file", "patch"], "properties": {
            "file": _DICOM_FILE,
            "patch": {"type": "string", "description": (
                "the patch: a JSON list of operations (set, delete, append, remove) or a "
                "DICOM JSON object to merge"),
                "example": json.dumps(PATCH_EXAMPLE)}}},
        "encoding": {"patch": {"contentType": "application/json"}}}}}}

PATCH_BODY: dict[str, Any] = {"requestBody": {
    "required": True,
    "description": "A patch (a list of operations) as application/json, or a DICOM JSON "
                   "object whose elements are set (an element without Value is emptied) as "
                   "application/dicom+json.",
    "content": {
        "application/json": {"schema": {"type": "array", "items": {"type": "object"}},
                             "example": PATCH_EXAMPLE},
        "application/dicom+json": {"schema": {"type": "object"},
                                   "example": DICOM_JSON_EXAMPLE}}}}

_PROBLEM_SCHEMA = {"type": "object", "required": ["type", "title", "status", "detail"],
                   "properties": {"type": {"type": "string"}, "title": {"type": "string"},
                                  "status": {"type": "integer"},
                                  "detail": {"type": "string"},
                                  "instance": {"type": "string"}}}
_MEANINGS = {
    400: "not DICOM or broken DICOM (the detail names the offset and tag), a malformed or "
         "empty upload, a patch body that is not JSON, or with strict=true a file that needed "
         "a recovery",
    401: "the API key is missing or wrong",
    404: "no such instance (or an id that is not valid), or no such value",
    412: "If-Match names an ETag the instance no longer has",
    413: "the upload or the patch is larger than the service's limit",
    415: "a media type this route does not take",
    416: "the range starts past the end of the value",
    422: "an invalid patch (every failing operation listed), a value that cannot be written, "
         "or a query parameter out of range",
}


WARNINGS_HEADER = {"description": (
    "present when the reader had to recover from the file (a file cut short, for one): a "
    "JSON list of what it recovered from, with offsets and tags; the answer is then partial"),
    "schema": {"type": "string"}}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The problem+json responses of a route, for its `responses=`."""
    return {status: problem(_MEANINGS[status]) for status in statuses}


_CAUSES: dict[str, tuple[int, str]] = {
    "too large": (413, _MEANINGS[413]),
    "read limits": (413, "the stored file is past the service's read limits "
                         "(DICOMCORE_MAX_ELEMENTS, or DICOMCORE_MAX_INFLATED_BYTES for a "
                         "deflated instance), lowered since it was stored"),
    "files": (503, "the service is out of open files"),
    "budget": (503, "the patch took more than its time budget (DICOMCORE_PATCH_SECONDS)"),
    "races": (503, "the instance kept changing under this change (it lost the "
                   "compare-and-swap to other writers each time it tried, within a bound)"),
    "read scratch": (507, "the service's disk is full and this answer needs scratch space "
                          "(a transcoded file, or the data set of a deflated instance stored "
                          "without its inflated copy); the stored file itself can still be "
                          "downloaded as it is"),
    "scratch": (507, "the service's disk is full and the upload or the answer needs scratch "
                     "space (one too large to keep in memory, or a deflated file inflated)"),
    "store": (507, "the service's disk is full (of the stored files or of the index): the new "
                   "instance or version cannot be written (nothing half-written stays; stored "
                   "instances can still be read)"),
    "removal": (507, "the index's disk is full: the removal cannot be recorded (the instance "
                     "stays, and can still be read)"),
    "index": (503, "the index database is short of memory or connections"),
}
"""Why a route may answer a status that is a limit or a resource state, by name."""
_OUTCOMES = {503: "Nothing was stored or changed: try again (Retry-After)."}
READS = ("read limits", "files", "index", "read scratch")
"""The causes every route that reads a stored instance's data set or file may meet."""


def resource_problems(*causes: str) -> dict[int | str, dict[str, Any]]:
    """The problem+json responses of the limits and resource states a route may meet, by
    cause (keys of `_CAUSES`), beside its own `problems(...)`: one response per status,
    describing each of its causes. A streamed answer meets them before it starts (its first
    part), or not as a status."""
    meanings: dict[int, list[str]] = {}
    for cause in causes:
        status, meaning = _CAUSES[cause]
        meanings.setdefault(status, []).append(meaning)
    return {status: problem("; or ".join(texts) + (f". {_OUTCOMES[status]}"
                                                    if status in _OUTCOMES else ""))
            for status, texts in meanings.items()}


def read_problems() -> dict[int | str, dict[str, Any]]:
    """The problem+json responses of a route that reads a stored instance's data set or
    file, beside its own `problems(...)`: the resource states and limits of a read."""
    return resource_problems(*READS)


def problem(description: str) -> dict[str, Any]:
    """One problem+json response of a route, for its `responses=`."""
    return {"description": description,
            "content": {"application/problem+json": {"schema": _PROBLEM_SCHEMA}}}


SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer",
               "description": "Authorization: Bearer KEY (the DICOMCORE_API_KEY)"},
    "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key",
               "description": "X-API-Key: KEY (the DICOMCORE_API_KEY)"},
}


def document(app: FastAPI, routers: Sequence[tuple[APIRouter, bool]],
             api_key_required: bool) -> dict[str, Any]:
    """`app`'s OpenAPI document for a server that does (or does not) require the API key;
    `routers` are the routers included in `app`, each with whether it is behind the key."""
    if not hasattr(app.state, "openapi_documents"):
        app.state.openapi_documents = {}
    cache: dict[bool, dict[str, Any]] = app.state.openapi_documents
    if api_key_required not in cache:
        doc = copy.deepcopy(app.openapi())
        if api_key_required:
            doc.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
        for router, secured in routers:
            for route in router.routes:
                if not isinstance(route, APIRoute) or not route.include_in_schema:
                    continue
                for method in route.methods:
                    operation = doc["paths"][route.path_format][method.lower()]
                    if 422 not in route.responses:
                        # FastAPI lists 422 wherever there are parameters, even ones that
                        # cannot fail.
                        operation["responses"].pop("422", None)
                    if api_key_required and secured:
                        operation["security"] = [{"bearer": []}, {"apiKey": []}]
                        operation["responses"].update(problems(401))
        cache[api_key_required] = doc
    return cache[api_key_required]
