"""WADO-RS metadata and QIDO-RS answers are made by `app.jsonpieces` in calls of bounded size,
and are byte for byte the text one `json.dumps` of the whole answer gave before.

`jsonpieces.PIECE_NODES` is lowered to 64 nodes, so that small instances make answers of
many pieces (a data set's elements in batches, a sequence's items, a member split from its
neighbours) and every joint between pieces is compared."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pydicom
import pytest
from fastapi.testclient import TestClient

from app import jsonpieces
from app.deps import get_storage
from app.dicomweb import metadata
from app.dicomweb.common import instances_of
from app.settings import Settings
from app.uploads import read_limits
from dicomcore import read_file
from dicomcore.json import element_paths, to_json_dict

from .conftest import CT

BASE = "http://testserver/dicomweb"
RAW = {"content-type": "application/dicom"}


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The length of the text each `json` call of `jsonpieces` made, pieces of 64 nodes."""
    made: list[int] = []
    encode = jsonpieces._encode

    def recording(value: Any) -> str:
        text = encode(value)
        made.append(len(text))
        return text

    monkeypatch.setattr(jsonpieces, "_encode", recording)
    monkeypatch.setattr(jsonpieces, "PIECE_NODES", 64)
    monkeypatch.setattr(metadata, "CACHE", metadata.RenderedCache(metadata.CACHE_BYTES))
    yield made


def _dumps(model: Any) -> bytes:
    return json.dumps(model, ensure_ascii=False, separators=(",", ":")).encode()


def _variants() -> list[bytes]:
    """CT_small, and a copy in UTF-8 with a name beyond ASCII, a long text and a sequence of
    200 items, in the same series."""
    ds = pydicom.dcmread(CT)
    out = io.BytesIO()
    ds.save_as(out)
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.SOPInstanceUID = ds.SOPInstanceUID + ".2"
    ds.PatientName = "Müller^Jürgen"
    ds.add_new(0x00324000, "LT", "quote \" backslash \\ line\n\u2028 é " * 200)
    items = []
    for number in range(200):
        item = pydicom.Dataset()
        item.ReferencedSOPClassUID = ds.SOPClassUID
        item.ReferencedSOPInstanceUID = f"1.2.3.{number}"
        items.append(item)
    ds.ReferencedImageSequence = items
    second = io.BytesIO()
    ds.save_as(second)
    return [out.getvalue(), second.getvalue()]


def _reference_metadata(files: list[bytes]) -> bytes:
    """What the metadata route gave before: one json.dumps of the models, bulk data URIs under
    the URL of each instance."""
    models = []
    for data in files:
        ds = read_file(io.BytesIO(data), defer_size=64 * 1024)
        paths = element_paths(ds)
        prefix = (f"{BASE}/studies/{ds.StudyInstanceUID}/series/{ds.SeriesInstanceUID}/"
                  f"instances/{ds.SOPInstanceUID}/bulk/")
        models.append(to_json_dict(ds, 1024, lambda elem, p=paths, u=prefix: u + p[id(elem)]))
    return _dumps(models)


def test_metadata_is_the_text_of_one_json_dumps_made_in_small_calls(
        client: TestClient, calls: list[int]) -> None:
    files = _variants()
    for data in files:
        assert client.post("/v1/instances", content=data, headers=RAW).status_code == 201
    ds = pydicom.dcmread(CT, stop_before_pixels=True)
    series = f"/dicomweb/studies/{ds.StudyInstanceUID}/series/{ds.SeriesInstanceUID}"
    expected = _reference_metadata(files)
    made = []
    for round_ in ("rendered", "cached"):
        calls.clear()
        answer = client.get(series + "/metadata")
        assert answer.status_code == 200, round_
        assert answer.content == expected, round_
        assert answer.headers["content-type"] == "application/dicom+json"
        made.append(list(calls))
    # Each json call made at most a few KB of a 50 KB answer (64 nodes; a string counts one
    # node per 64 characters); the second answer came from the cache, as its pieces.
    assert len(made[0]) > 50 and max(made[0]) < 8192 < len(expected) and made[1] == []
    one = client.get(f"{series}/instances/{ds.SOPInstanceUID}/metadata")
    assert one.content == _reference_metadata(files[:1])


def test_metadata_is_sent_in_pieces_of_about_piece_bytes(
        client: TestClient, settings: Settings, calls: list[int],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`metadata_json` yields pieces of about PIECE bytes: a large instance's in many."""
    monkeypatch.setattr(metadata, "PIECE", 4096)
    files = _variants()
    for data in files:
        assert client.post("/v1/instances", content=data, headers=RAW).status_code == 201
    storage = get_storage(settings)
    ds = pydicom.dcmread(CT, stop_before_pixels=True)
    stored = instances_of(storage, ds.StudyInstanceUID, ds.SeriesInstanceUID)
    pieces = list(metadata.metadata_json(storage, stored, BASE, settings.defer_size,
                                         read_limits(settings, settings.storage_dir / "tmp")))
    assert b"".join(pieces) == _reference_metadata(files)
    assert len(pieces) > 5 and max(map(len, pieces[:-1])) < 4096 + 8192


@pytest.mark.parametrize("query", [
    "/dicomweb/instances?includefield=all",
    "/dicomweb/instances?includefield=00081140&includefield=00324000",
    "/dicomweb/studies?includefield=00100010",
    "/dicomweb/series",
])
def test_search_answers_are_the_text_of_one_json_dumps_made_in_small_calls(
        client: TestClient, calls: list[int], query: str) -> None:
    for data in _variants():
        assert client.post("/v1/instances", content=data, headers=RAW).status_code == 201
    calls.clear()
    answer = client.get(query)
    assert answer.status_code == 200
    models = json.loads(answer.content)
    assert models
    # What one json.dumps of these models gives (json.loads keeps member order and numbers).
    assert answer.content == _dumps(models)
    assert len(calls) > 1 and max(calls) < len(answer.content)
