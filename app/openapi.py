"""What OpenAPI cannot infer from the signatures: request bodies read from the stream, and
the problem responses every route may give."""

from __future__ import annotations

from typing import Any

UPLOAD_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {
    "application/dicom": {"schema": {"type": "string", "format": "binary"}},
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary"}}}},
}}}

PATCH_FORM_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {
    "multipart/form-data": {"schema": {"type": "object", "required": ["file", "patch"],
                                       "properties": {
                                           "file": {"type": "string", "format": "binary"},
                                           "patch": {"type": "string", "description":
                                                     "the patch JSON"}}}},
}}}

PATCH_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"type": "array", "items": {"type": "object"}},
                         "example": [{"op": "set", "path": "PatientName",
                                      "value": "Doe^Jane"}]},
    "application/dicom+json": {"schema": {"type": "object"}}}}}

PROBLEM = {"content": {"application/problem+json": {"schema": {"type": "object"}}}}
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": text, **PROBLEM} for code, text in (
        (400, "not DICOM or broken (detail names offset and tag)"),
        (401, "API key missing or wrong"), (404, "no such instance"),
        (405, "method not allowed"), (409, "the stored file changed while it was read"),
        (412, "If-Match is stale"), (413, "upload larger than DICOMCORE_MAX_UPLOAD_BYTES"),
        (415, "unsupported media type"), (416, "range not satisfiable"),
        (422, "invalid patch or query"))}
