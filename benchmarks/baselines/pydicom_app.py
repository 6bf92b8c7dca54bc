"""The baseline a user would write instead of dicomcore's service: FastAPI + pydicom.

Same two jobs as /v1/json and /v1/patch, written the obvious way (UploadFile, dcmread,
to_json_dict, setattr, save_as). Run with `uvicorn benchmarks.baselines.pydicom_app:app`.
"""

from __future__ import annotations

import io
import json

import pydicom
from fastapi import FastAPI, File, Form, UploadFile
from fastapi.responses import JSONResponse, Response

app = FastAPI(title="FastAPI + pydicom baseline")


@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/v1/json")
def to_json(file: UploadFile = File(...)) -> JSONResponse:  # noqa: B008 - FastAPI idiom
    ds = pydicom.dcmread(file.file, force=True)
    return JSONResponse(ds.to_json_dict(), media_type="application/dicom+json")


@app.post("/v1/patch")
def patch(file: UploadFile = File(...), patch: str = Form(...)) -> Response:  # noqa: B008
    ds = pydicom.dcmread(file.file, force=True)
    for operation in json.loads(patch):
        if operation["op"] == "set":
            setattr(ds, operation["path"], operation["value"])
        elif operation["op"] == "delete" and operation["path"] in ds:
            delattr(ds, operation["path"])
    out = io.BytesIO()
    ds.save_as(out)
    return Response(out.getvalue(), media_type="application/dicom",
                    headers={"Content-Disposition": 'attachment; filename="patched.dcm"'})
