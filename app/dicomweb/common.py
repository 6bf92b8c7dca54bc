"""What the DICOMweb routers share: path parameters, the service's DICOMweb base URL, and
finding stored instances by their UIDs through the index."""

from __future__ import annotations

from typing import Annotated, NamedTuple

from fastapi import Path, Request

from ..problems import Problem
from ..storage import InstanceStorage
from . import search

StudyUid = Annotated[str, Path(description="the Study Instance UID")]
SeriesUid = Annotated[str, Path(description="the Series Instance UID")]
InstanceUid = Annotated[str, Path(description="the SOP Instance UID")]
MORE_RESULTS = '299 dicomcore "There are additional results that can be requested"'


def base_url(request: Request) -> str:
    """The service's DICOMweb root as the client reached it (`.../dicomweb`), for Retrieve
    URLs and BulkDataURIs.

    From the Host header, as every URL the service gives. dicomweb-client sends its Host
    without the port, so a Host without one, on a request that no proxy forwarded (no
    `X-Forwarded-*` header), is given the port the connection came in on."""
    base = request.base_url
    server = request.scope.get("server")
    if (base.port is None and server and server[1] not in (80, 443)
            and not any(name.startswith("x-forwarded-") for name in request.headers)):
        base = base.replace(port=server[1])
    return str(base).rstrip("/") + "/dicomweb"


class Stored(NamedTuple):
    """One stored instance as a DICOMweb route names it."""

    id: str
    study: str
    series: str
    sop_instance_uid: str
    transfer_syntax: str

    def url(self, base: str) -> str:
        return (f"{base}/studies/{self.study}/series/{self.series}/instances/"
                f"{self.sop_instance_uid}")


def not_found(what: str) -> Problem:
    return Problem(404, "Not found", f"no such {what} is stored")


def instances_of(storage: InstanceStorage, study: str, series: str | None = None,
                 sop_instance_uid: str | None = None) -> list[Stored]:
    """The stored instances a WADO-RS path names, in series then storage order; a 404
    problem when there are none."""
    index = storage.index  # type: ignore[attr-defined]
    if sop_instance_uid is not None:
        row = index.by_sop_instance_uid(sop_instance_uid)
        record = row.record if row is not None else None
        if record is None or record.study_instance_uid != study or (
                record.series_instance_uid != series):
            raise not_found("instance")
        return [Stored(record.id, study, series or "", sop_instance_uid,
                       record.transfer_syntax_uid or "")]
    found = [Stored(i, study, x or "", uid or "", syntax or "")
             for i, x, uid, syntax in search.instance_ids(index, study, series)]
    if not found:
        raise not_found("series" if series is not None else "study")
    return found
