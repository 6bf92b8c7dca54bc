"""De-identification of every file of pydicom's corpus (pydicom-data's files too), with
identifiers planted everywhere.

For each file dicomcore reads: a unique sentinel is planted in every free-text element
(LO, SH, ST, LT, UT, UC, PN) and every UN element at every depth, private ones included,
plus a patient name and ID, a private block and a nested item of identifiers; the planted
file is written, read back and de-identified with the basic profile. Then:

- no sentinel survives anywhere in the output bytes, except in elements the profile does
  not name (PS3.15 keeps those: Manufacturer, Code Meaning, ...), each of which is checked
  to be such an element;
- pydicom reads every output and every value in it; `dcmdump +E` reads it without an
  error wherever it read the planted input;
- UIDs equal across files before are equal after (and different ones stay different);
- (0002,0003) equals (0008,0018).
"""

from __future__ import annotations

import io
import shutil
import subprocess
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pydicom
import pytest

from dicomcore import Dataset, read_file, write_file
from dicomcore.deid import deidentify
from dicomcore.deid.profile import row_for
from tests.corpus import ALL_READABLE, corpus_id
from tests.deid_planting import SENTINEL, Planter

LINKED = ("StudyInstanceUID", "SeriesInstanceUID", "FrameOfReferenceUID", "SOPInstanceUID")
DCMDUMP = shutil.which("dcmdump")


@dataclass
class Outcome:
    """What happened to one corpus file."""

    name: str
    output: bytes = b""
    survivors: set[bytes] = field(default_factory=set)
    allowed: set[bytes] = field(default_factory=set)
    planted: int = 0
    uids: list[tuple[str, str, str]] = field(default_factory=list)  # (keyword, old, new)
    planted_file: bytes = b""
    problem: str = ""


def unlisted_sentinels(ds: Dataset) -> set[bytes]:
    """Sentinels in elements the profile does not name (standard, at any depth)."""
    found: set[bytes] = set()
    for elem in ds:
        tag = int(elem.tag)
        if elem.VR == "SQ":
            for item in elem.value:
                found |= unlisted_sentinels(item)
        elif not tag >> 16 & 1 and row_for(tag) is None:
            value = elem.value
            text = value if isinstance(value, bytes) else str(value).encode("utf-8", "replace")
            found |= set(SENTINEL.findall(text))
    return found


def top_uids(ds: Dataset) -> dict[str, str]:
    return {k: str(ds.get(k)) for k in LINKED if ds.get(k)}


def process(path: Path) -> Outcome | None:
    outcome = Outcome(corpus_id(path))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ds = read_file(path)
        except Exception:  # noqa: BLE001 - files dicomcore refuses are another test's
            return None
        planter = Planter()
        planter.plant(ds)
        planter.extras(ds)
        outcome.planted = planter.count
        buffer = io.BytesIO()
        write_file(buffer, ds, write_like_original=True)
        outcome.planted_file = buffer.getvalue()
        planted = read_file(io.BytesIO(outcome.planted_file))
        before = top_uids(planted)
        deidentify(planted, key="corpus key", allow_burned_in=True)
        after = top_uids(planted)
        outcome.uids = [(k, v, after[k]) for k, v in before.items() if k in after]
        out = io.BytesIO()
        write_file(out, planted, write_like_original=True)
        outcome.output = out.getvalue()
        reread = read_file(io.BytesIO(outcome.output))
    outcome.survivors = set(SENTINEL.findall(outcome.output))
    outcome.allowed = unlisted_sentinels(reread)
    meta = getattr(reread, "file_meta", None)
    if meta is not None and meta.get("MediaStorageSOPInstanceUID") and \
            reread.get("SOPInstanceUID") and \
            meta.MediaStorageSOPInstanceUID != reread.SOPInstanceUID:
        outcome.problem = "(0002,0003) differs from (0008,0018)"
    return outcome


@pytest.fixture(scope="module")
def outcomes() -> list[Outcome]:
    found = [process(path) for path in ALL_READABLE]
    return [o for o in found if o is not None]


def test_most_of_the_corpus_is_processed(outcomes: list[Outcome]) -> None:
    assert len(outcomes) >= 150, f"only {len(outcomes)} corpus files processed"
    assert sum(o.planted for o in outcomes) > 3000


def test_no_planted_identifier_survives_outside_unlisted_elements(outcomes: list[Outcome]
                                                                  ) -> None:
    leaks = {o.name: sorted(o.survivors - o.allowed) for o in outcomes
             if o.survivors - o.allowed}
    assert leaks == {}
    # The planted patient, private and nested identifiers are gone from every file.
    assert all(len(o.survivors) <= o.planted - 6 for o in outcomes)


def test_media_storage_uid_equals_sop_instance_uid(outcomes: list[Outcome]) -> None:
    assert {o.name: o.problem for o in outcomes if o.problem} == {}


def test_uids_equal_before_are_equal_after(outcomes: list[Outcome]) -> None:
    forward: dict[str, set[str]] = {}
    backward: dict[str, set[str]] = {}
    for o in outcomes:
        for _, old, new in o.uids:
            forward.setdefault(old, set()).add(new)
            backward.setdefault(new, set()).add(old)
    assert sum(len(o.uids) for o in outcomes) > 400
    assert any(len([1 for o in outcomes for _, old, _ in o.uids if old == uid]) > 1
               for uid in forward), "no UID shared between files: nothing was tested"
    assert {old: news for old, news in forward.items() if len(news) > 1} == {}
    assert {new: olds for new, olds in backward.items() if len(olds) > 1} == {}
    assert all(old != new for o in outcomes for _, old, new in o.uids
               if not old.startswith("1.2.840.10008."))


def _pydicom_reads(data: bytes) -> str | None:
    """None if pydicom reads `data` and every value in it; else the error."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = pydicom.dcmread(io.BytesIO(data))
            for elem in ds.iterall():
                _ = elem.value
    except Exception as exc:  # noqa: BLE001 - any failure is the finding
        return repr(exc)
    return None


def test_pydicom_reads_every_output(outcomes: list[Outcome]) -> None:
    failures = {o.name: error for o in outcomes
                if _pydicom_reads(o.planted_file) is None and
                (error := _pydicom_reads(o.output)) is not None}
    assert failures == {}


def _dcmdump_ok(data: bytes, tmp: Path) -> str | None:
    tmp.write_bytes(data)
    run = subprocess.run([DCMDUMP, "+E", "-q", str(tmp)], capture_output=True, timeout=60)
    if run.returncode != 0 or b"E:" in run.stderr:
        return run.stderr.decode("utf-8", "replace")[:300] or f"exit {run.returncode}"
    return None


@pytest.mark.skipif(DCMDUMP is None, reason="dcmtk's dcmdump is not installed")
def test_dcmdump_reads_every_output(outcomes: list[Outcome], tmp_path: Path) -> None:
    failures = {}
    checked = 0
    for o in outcomes:
        if _dcmdump_ok(o.planted_file, tmp_path / "in.dcm") is not None:
            continue
        checked += 1
        error = _dcmdump_ok(o.output, tmp_path / "out.dcm")
        if error is not None:
            failures[o.name] = error
    assert checked >= 100
    assert failures == {}
