"""The DICOMweb routes' rows of `test_openapi.CASES`: a request that gives each status the
OpenAPI document lists for each route (the CT of the case table is stored when they run).

Kept beside the other DICOMweb tests; `test_openapi` takes them into its table, which checks
that each listed status happens and that no route lists one it cannot give.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pydicom
from fastapi.testclient import TestClient

from .conftest import CT
from .request_states import (
    DEFLATED_INSTANCE,
    IMPLICIT,
    deflated_on_a_full_disk,
    full_disk,
    out_of_files,
    past_limits,
    short_of_connections,
)

Request = Callable[[TestClient, dict[str, Any]], httpx.Response]
_CT = pydicom.dcmread(CT, stop_before_pixels=True)
STUDY, SERIES, SOP = _CT.StudyInstanceUID, _CT.SeriesInstanceUID, _CT.SOPInstanceUID
INSTANCE = f"/dicomweb/studies/{STUDY}/series/{SERIES}/instances/{SOP}"
ANY = 'multipart/related; type="application/dicom"; transfer-syntax=*'
JPEG = "1.2.840.10008.1.2.4.50"
OCTETS = 'multipart/related; type="application/octet-stream"'
BOUNDARY = "cases"


def _get(url: str, **headers: str) -> Request:
    return lambda c, ctx: c.get(url, headers=headers)


def _stow(url: str, *parts: bytes | None, media: str | None = None) -> Request:
    """POST the parts (None: the stored CT) as multipart/related."""
    def send(c: TestClient, ctx: dict[str, Any]) -> httpx.Response:
        body = b"".join(f"--{BOUNDARY}\r\nContent-Type: application/dicom\r\n\r\n".encode()
                        + (ctx["ct"] if part is None else part) + b"\r\n" for part in parts)
        body += f"--{BOUNDARY}--\r\n".encode()
        content_type = media or f'multipart/related; type="application/dicom"; ' \
                                f"boundary={BOUNDARY}"
        return c.post(url, content=body, headers={"content-type": content_type})
    return send


TOO_LARGE = b"\0" * ((1 << 20) + 1)
INCLUDE = "?includefield=00081140"  # not kept by the index: read from a stored header


def _search(url: str, deflated: str | None = None) -> dict[int, Request]:
    """`url`'s search, and `deflated` the same search in the deflated instance's study or
    series (the same by default); includefield of an attribute the index does not keep
    reads a stored instance's header."""
    return {200: _get(url), 400: _get(url + "?NoSuchKey=1"),
            413: past_limits(_get(url + INCLUDE)),
            503: short_of_connections(_get(url)),
            507: deflated_on_a_full_disk((deflated or url) + INCLUDE)}


def _retrieve(url: str) -> dict[int, Request]:
    transcoded = _get(url, accept=f'multipart/related; type="application/dicom"; '
                      f"transfer-syntax={IMPLICIT}")
    return {200: _get(url, accept=ANY),
            404: _get(url.replace(STUDY, "1.2.3"), accept=ANY),
            406: _get(url, accept=f'multipart/related; type="application/dicom"; '
                      f"transfer-syntax={JPEG}"),
            413: past_limits(transcoded),
            503: out_of_files(_get(url, accept=ANY)),
            507: full_disk(transcoded)}


def _metadata(url: str, deflated: str) -> dict[int, Request]:
    """`url`'s metadata, and `deflated` naming the deflated instance's study, series or
    instance alike."""
    return {200: _get(url + "/metadata"), 404: _get(url.replace(STUDY, "1.2.3") + "/metadata"),
            413: past_limits(_get(url + "/metadata")),
            503: out_of_files(_get(url + "/metadata")),
            507: deflated_on_a_full_disk(deflated + "/metadata")}


PREFIX = "/dicomweb/studies/{study}"
DEFLATED_STUDY = DEFLATED_INSTANCE.split("/series/")[0]
CASES: dict[tuple[str, str], dict[int, Request]] = {
    ("get", "/dicomweb/studies"): _search("/dicomweb/studies"),
    ("get", "/dicomweb/series"): _search("/dicomweb/series"),
    ("get", "/dicomweb/instances"): _search("/dicomweb/instances"),
    ("get", PREFIX + "/series"): _search(f"/dicomweb/studies/{STUDY}/series",
                                         DEFLATED_STUDY + "/series"),
    ("get", PREFIX + "/instances"): _search(f"/dicomweb/studies/{STUDY}/instances",
                                            DEFLATED_STUDY + "/instances"),
    ("get", PREFIX + "/series/{series}/instances"): _search(
        f"/dicomweb/studies/{STUDY}/series/{SERIES}/instances",
        DEFLATED_INSTANCE.split("/instances/")[0] + "/instances"),
    ("get", PREFIX): _retrieve(f"/dicomweb/studies/{STUDY}"),
    ("get", PREFIX + "/series/{series}"): _retrieve(f"/dicomweb/studies/{STUDY}/series/{SERIES}"),
    ("get", PREFIX + "/series/{series}/instances/{instance}"): _retrieve(INSTANCE),
    ("get", PREFIX + "/metadata"): _metadata(f"/dicomweb/studies/{STUDY}",
                                             DEFLATED_INSTANCE.split("/series/")[0]),
    ("get", PREFIX + "/series/{series}/metadata"): _metadata(
        f"/dicomweb/studies/{STUDY}/series/{SERIES}", DEFLATED_INSTANCE.split("/instances/")[0]),
    ("get", PREFIX + "/series/{series}/instances/{instance}/metadata"): _metadata(
        INSTANCE, DEFLATED_INSTANCE),
    ("get", PREFIX + "/series/{series}/instances/{instance}/bulk/{tag_path}"): {
        200: _get(INSTANCE + "/bulk/7FE00010"),
        206: _get(INSTANCE + "/bulk/7FE00010", range="bytes=0-9"),
        404: _get(INSTANCE + "/bulk/7FE00011"),
        406: _get(INSTANCE + "/bulk/7FE00010", accept="text/html"),
        413: past_limits(_get(INSTANCE + "/bulk/7FE00010")),
        416: _get(INSTANCE + "/bulk/7FE00010", range="bytes=99999999-"),
        503: out_of_files(_get(INSTANCE + "/bulk/7FE00010")),
        507: deflated_on_a_full_disk(DEFLATED_INSTANCE + "/bulk/7FE00010")},
    ("get", PREFIX + "/series/{series}/instances/{instance}/frames/{frames}"): {
        200: _get(INSTANCE + "/frames/1", accept=OCTETS),
        400: _get(INSTANCE + "/frames/0", accept=OCTETS),
        404: _get(INSTANCE + "/frames/2", accept=OCTETS),
        406: _get(INSTANCE + "/frames/1", accept=OCTETS + f"; transfer-syntax={JPEG}"),
        413: past_limits(_get(INSTANCE + "/frames/1", accept=OCTETS)),
        503: out_of_files(_get(INSTANCE + "/frames/1", accept=OCTETS)),
        507: deflated_on_a_full_disk(DEFLATED_INSTANCE + "/frames/1", accept=OCTETS)},
    ("post", "/dicomweb/studies"): {
        200: _stow("/dicomweb/studies", None),
        202: _stow("/dicomweb/studies", None, b"not DICOM"),
        409: _stow("/dicomweb/studies", b"not DICOM"),
        400: _stow("/dicomweb/studies"),  # no part
        413: _stow("/dicomweb/studies", TOO_LARGE),
        415: _stow("/dicomweb/studies", None, media="application/dicom"),
        503: out_of_files(_stow("/dicomweb/studies", None)),
        507: full_disk(_stow("/dicomweb/studies", None))},
    ("post", PREFIX): {
        200: _stow(f"/dicomweb/studies/{STUDY}", None),
        202: _stow(f"/dicomweb/studies/{STUDY}", None, CT.with_name("MR_small.dcm").read_bytes()),
        409: _stow(f"/dicomweb/studies/{STUDY}", CT.with_name("MR_small.dcm").read_bytes()),
        400: _stow(f"/dicomweb/studies/{STUDY}", media="multipart/related"),  # no boundary
        413: _stow(f"/dicomweb/studies/{STUDY}", TOO_LARGE),
        415: _stow(f"/dicomweb/studies/{STUDY}", None, media="multipart/form-data; boundary=x"),
        503: out_of_files(_stow(f"/dicomweb/studies/{STUDY}", None)),
        507: full_disk(_stow(f"/dicomweb/studies/{STUDY}", None))},
}
# STOW-RS answers 409 (nothing stored) with the Store Instances Response, as PS3.18 10.5.3
# says, not a problem: the Failed SOP Sequence tells the client why each part failed.
DICOM_JSON_ERRORS = {(("post", "/dicomweb/studies"), 409), (("post", PREFIX), 409)}
PATH_VALUES = {"study": STUDY, "series": SERIES, "instance": SOP, "frames": "1"}


def test_every_dicomweb_route_has_cases(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    mine = {(method, path) for path, item in document["paths"].items()
            if path.startswith("/dicomweb") for method in item}
    assert mine == set(CASES)
