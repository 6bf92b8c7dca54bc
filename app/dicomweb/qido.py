"""QIDO-RS (PS3.18 10.6): search for studies, series and instances, answered from the index.

Matching, paging and `includefield` are described in `app.dicomweb.search` and
`app.dicomweb.render`. An empty result is 200 with `[]` (PS3.18 allows 204; clients take
both, and `[]` is what a JSON client can always parse). When more results match than the
page holds, the answer carries `Warning: 299 dicomcore "There are additional results that
can be requested"` (PS3.18 8.3.4.4); `offset` then gives the next page. A search whose
`includefield` reads stored headers meets what any read of a stored instance may
(`openapi.read_problems`: a read limit, out of open files, a full disk), and every search
the index's own resource states (503).

The answer's JSON is made in a worker thread by `app.jsonpieces`, in calls of bounded size:
one `json.dumps` of a large page (includefield naming a long sequence) on the event loop held
it, and `/healthz`, for as long as it ran (0.5 s for 21 MB).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from .. import jsonpieces
from ..deps import ScratchDep, SettingsDep, StorageDep
from ..index.index import Index
from ..openapi import problem, read_problems
from ..responses import DICOM_JSON
from ..storage import InstanceStorage
from ..threads import run_in_thread
from ..uploads import read_limits
from . import render, search
from .common import MORE_RESULTS, SeriesUid, StudyUid, base_url

router = APIRouter(prefix="/dicomweb", tags=["dicomweb"])

_DESCRIPTION = (
    " Matching keys are DICOM keywords or tags of the attributes the index keeps "
    "(`PatientName=doe*`, `00100020=123`, `StudyDate=20240101-20240131`, "
    "`StudyInstanceUID=1.2.3,1.2.4`); any other key is 400, never ignored. `fuzzymatching=true` "
    "matches a person name component by its beginning, ignoring case. `includefield` "
    "(keywords or tags, repeated or comma-separated, or `all`) adds attributes, read from the "
    "instance headers when the index does not keep them. `limit` (at most 1000) and `offset` "
    "page through a stable order. The answer is a JSON array (200, `[]` when nothing matches).")
_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "the matching results (a DICOM JSON array, `[]` for none)",
          "content": {DICOM_JSON: {}}},
    400: problem("a matching key the index cannot match (named in the detail), an "
                 "includefield naming no attribute, or a bad limit, offset or value"),
    **read_problems()}  # includefield reads stored headers


async def _answer(request: Request, storage: InstanceStorage, settings: Any, scratch: Any,
                  level: str, path: dict[str, str],
                  find: Callable[[Index, search.Search], tuple[list[dict[str, Any]], bool]],
                  url: Callable[[str, dict[str, Any]], str]) -> Response:
    query = search.parse(level, request.query_params.multi_items(), path)
    base = base_url(request)
    limits = read_limits(settings, scratch.directory)

    def run() -> tuple[bytes, bool]:
        items, more = find(storage.index, query)  # type: ignore[attr-defined]
        models = []
        for item in items:
            model = render.dataset(item, url(base, item))
            if query.include:
                model = render.add_header_fields(storage, model, item["_id"], query.include,
                                                 settings.defer_size, limits)
            models.append(model)
        return jsonpieces.dumps(models), more

    body, more = await run_in_thread(run)
    headers = {"Warning": MORE_RESULTS} if more else None
    return Response(body, media_type=DICOM_JSON, headers=headers)


def _study_url(base: str, item: dict[str, Any]) -> str:
    return f"{base}/studies/{quote(item['StudyInstanceUID'] or '')}"


def _series_url(base: str, item: dict[str, Any]) -> str:
    return f"{_study_url(base, item)}/series/{quote(item['SeriesInstanceUID'] or '')}"


def _instance_url(base: str, item: dict[str, Any]) -> str:
    return f"{_series_url(base, item)}/instances/{quote(item['SOPInstanceUID'] or '')}"


@router.get("/studies", summary="QIDO-RS: search for studies", responses=_RESPONSES,
            description="Studies with at least one instance matching every key, with "
            "ModalitiesInStudy and the numbers of their series and instances." + _DESCRIPTION)
async def search_studies(request: Request, settings: SettingsDep, storage: StorageDep,
                         scratch: ScratchDep) -> Response:
    return await _answer(request, storage, settings, scratch, "studies", {}, search.studies,
                         _study_url)


@router.get("/series", summary="QIDO-RS: search for series", responses=_RESPONSES,
            description="Series of any study with at least one instance matching every "
            "key, with NumberOfSeriesRelatedInstances." + _DESCRIPTION)
async def search_all_series(request: Request, settings: SettingsDep, storage: StorageDep,
                            scratch: ScratchDep) -> Response:
    return await _answer(request, storage, settings, scratch, "series", {}, search.series,
                         _series_url)


@router.get("/studies/{study}/series", summary="QIDO-RS: search for a study's series",
            responses=_RESPONSES, description="The series of one study that have at least one "
            "instance matching every key." + _DESCRIPTION)
async def search_study_series(study: StudyUid, request: Request, settings: SettingsDep,
                              storage: StorageDep, scratch: ScratchDep) -> Response:
    return await _answer(request, storage, settings, scratch, "series",
                         {"StudyInstanceUID": study}, search.series, _series_url)


@router.get("/instances", summary="QIDO-RS: search for instances", responses=_RESPONSES,
            description="Instances of any study matching every key, oldest stored first."
            + _DESCRIPTION)
async def search_all_instances(request: Request, settings: SettingsDep, storage: StorageDep,
                               scratch: ScratchDep) -> Response:
    return await _answer(request, storage, settings, scratch, "instances", {},
                         search.instances, _instance_url)


@router.get("/studies/{study}/instances", summary="QIDO-RS: search for a study's instances",
            responses=_RESPONSES, description="The instances of one study matching every key."
            + _DESCRIPTION)
async def search_study_instances(study: StudyUid, request: Request, settings: SettingsDep,
                                 storage: StorageDep, scratch: ScratchDep) -> Response:
    return await _answer(request, storage, settings, scratch, "instances",
                         {"StudyInstanceUID": study}, search.instances, _instance_url)


@router.get("/studies/{study}/series/{series}/instances",
            summary="QIDO-RS: search for a series' instances", responses=_RESPONSES,
            description="The instances of one series matching every key." + _DESCRIPTION)
async def search_series_instances(study: StudyUid, series: SeriesUid, request: Request,
                                  settings: SettingsDep, storage: StorageDep,
                                  scratch: ScratchDep) -> Response:
    return await _answer(request, storage, settings, scratch, "instances",
                         {"StudyInstanceUID": study, "SeriesInstanceUID": series},
                         search.instances, _instance_url)
