"""Partial results are flagged: a file the reader recovered from is answered with an
X-DICOM-Warnings header, or refused with strict=true; a clean file has no header."""

from __future__ import annotations

import json
import threading

from fastapi.testclient import TestClient

from app.recoveries import HEADER, collect, redact

DICOM = {"content-type": "application/dicom"}


def _truncated(ct: bytes) -> bytes:
    return ct[:-1000]  # inside the pixel data


def _warnings(response: object) -> list[str]:
    return json.loads(response.headers[HEADER])  # type: ignore[attr-defined]


def test_a_truncated_upload_is_flagged(client: TestClient, ct_bytes: bytes) -> None:
    clean = client.post("/v1/json", content=ct_bytes, headers=DICOM)
    assert clean.status_code == 200 and HEADER not in clean.headers
    partial = client.post("/v1/json", content=_truncated(ct_bytes), headers=DICOM)
    assert partial.status_code == 200
    [warning] = _warnings(partial)
    assert "truncated" in warning and "offset" in warning and "(7FE0,0010)" in warning


def test_strict_refuses_a_truncated_upload(client: TestClient, ct_bytes: bytes) -> None:
    assert client.post("/v1/json?strict=true", content=ct_bytes,
                       headers=DICOM).status_code == 200
    refused = client.post("/v1/json?strict=true", content=_truncated(ct_bytes), headers=DICOM)
    assert refused.status_code == 400
    assert refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert "strict" in problem["detail"] and "truncated" in problem["warnings"][0]


def test_store_flags_or_refuses(client: TestClient, ct_bytes: bytes) -> None:
    refused = client.post("/v1/instances?strict=true", content=_truncated(ct_bytes),
                          headers=DICOM)
    assert refused.status_code == 400
    assert client.get("/v1/instances").json()["total"] == 0  # nothing stored
    stored = client.post("/v1/instances", content=_truncated(ct_bytes), headers=DICOM)
    assert stored.status_code == 201 and "truncated" in _warnings(stored)[0]
    clean = client.post("/v1/instances", content=ct_bytes, headers=DICOM)
    # 200: the same SOP Instance UID, so it replaces the truncated copy stored above
    assert clean.status_code == 200 and HEADER not in clean.headers


def test_patch_upload_flags_or_refuses(client: TestClient, ct_bytes: bytes) -> None:
    patch = json.dumps([{"op": "set", "path": "PatientName", "value": "Doe^Jane"}])
    form = {"file": ("ct.dcm", _truncated(ct_bytes))}
    flagged = client.post("/v1/patch", files=form, data={"patch": patch})
    assert flagged.status_code == 200 and "truncated" in _warnings(flagged)[0]
    refused = client.post("/v1/patch?strict=true", files=form, data={"patch": patch})
    assert refused.status_code == 400 and "warnings" in refused.json()


def test_quoted_values_never_reach_the_header() -> None:
    assert redact("invalid IS value 'Müller' kept as text") == "invalid IS value <value> kept as text"
    assert redact("Failed to decode b'\\xe9t\\xe9' with 'latin_1'") == (
        "Failed to decode <value> with <value>")
    assert redact("caf\u00e9 \x00") == "caf? ?"


def test_each_context_collects_only_its_own_warnings() -> None:
    import warnings

    from app.recoveries import install
    from dicomcore.errors import DicomWarning

    install()
    seen: dict[str, list[str]] = {}
    ready = threading.Barrier(2)

    def request(name: str) -> None:
        with collect() as found:
            ready.wait()
            for _ in range(50):
                warnings.warn(f"from {name}", DicomWarning, stacklevel=1)
        seen[name] = found.found

    threads = [threading.Thread(target=request, args=(n,)) for n in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == {"a": ["from a"] * 50, "b": ["from b"] * 50}
