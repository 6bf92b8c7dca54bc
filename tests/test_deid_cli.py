"""`dicomcore deid`, run as a user runs it: the installed module, real files, a key file."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import pydicom
import pytest

from dicomcore import read_file
from dicomcore.deid import deidentify

from .corpus import PYDICOM_DATA

FILES = PYDICOM_DATA / "test_files"
CT = FILES / "CT_small.dcm"
STUDY = FILES / "dicomdirtests" / "77654033"


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dicomcore.cli", "deid", *map(str, args)],
                          capture_output=True, text=True, timeout=120)


def test_a_directory_keeps_its_relative_paths_and_links_by_the_key(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text("site secret\n")
    out = tmp_path / "out"
    result = run(STUDY, "-o", out, "--key-file", key_file, "--map", tmp_path / "map.csv")
    assert result.returncode == 0, result.stderr
    inputs = sorted(p.relative_to(STUDY) for p in STUDY.rglob("*") if p.is_file())
    outputs = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    assert inputs == outputs and len(inputs) > 5
    studies = {pydicom.dcmread(out / p).StudyInstanceUID for p in outputs}
    originals = {pydicom.dcmread(STUDY / p).StudyInstanceUID for p in inputs}
    assert len(studies) == len(originals) and not studies & originals
    # The library with the same key (the trailing newline of the file is not part of it)
    # gives the same UIDs: no state is shared between the two runs.
    ds = read_file(STUDY / inputs[0])
    deidentify(ds, key="site secret")
    assert pydicom.dcmread(out / inputs[0]).SOPInstanceUID == ds.SOPInstanceUID
    assert "file(s) de-identified" in result.stderr and "removed" in result.stderr
    rows = list(csv.reader((tmp_path / "map.csv").open()))
    assert rows[0] == ["what", "original", "replacement"]
    assert [r for r in rows if r[0] == "uid" and r[2] == ds.SOPInstanceUID]


def test_options_and_a_single_file(tmp_path: Path) -> None:
    out = tmp_path / "ct.dcm"
    result = run(CT, "-o", out, "--key", "k", "--option", "retain-uids",
                 "--option", "retain-long-modified-dates")
    assert result.returncode == 0, result.stderr
    before, after = pydicom.dcmread(CT), pydicom.dcmread(out)
    assert after.SOPInstanceUID == before.SOPInstanceUID
    assert after.StudyDate != before.StudyDate and after.StudyTime == before.StudyTime
    assert list(after.DeidentificationMethod)[1:] == ["retain-uids",
                                                      "retain-long-modified-dates"]


@pytest.mark.parametrize(("args", "message"), [
    (("--option", "retain-everything"), "invalid choice"),
    (("--option", "retain-safe-private"), "go together"),
    ((), "one of the arguments --key --key-file is required"),
])
def test_usage_errors_exit_2(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    key = ("--key", "k") if args else ()
    result = run(CT, "-o", tmp_path / "x.dcm", *key, *args)
    assert result.returncode == 2 and message in result.stderr
    assert not (tmp_path / "x.dcm").exists()


def test_a_refused_file_fails_alone(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    shutil.copy(CT, inputs / "ct.dcm")
    ds = pydicom.dcmread(CT)
    ds.BurnedInAnnotation = "YES"
    ds.save_as(inputs / "burned.dcm")
    (inputs / "notes.txt").write_text("not DICOM")
    result = run(inputs, "-o", tmp_path / "out", "--key", "k")
    assert result.returncode == 1
    assert "burned.dcm: Burned In Annotation (0028,0301) is YES" in result.stderr
    assert "notes.txt: not a DICOM file" in result.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["ct.dcm"]
    again = run(inputs / "burned.dcm", "-o", tmp_path / "b.dcm", "--key", "k",
                "--allow-burned-in")
    assert again.returncode == 0 and (tmp_path / "b.dcm").exists()


def test_a_missing_key_file_is_a_clear_error(tmp_path: Path) -> None:
    result = run(CT, "-o", tmp_path / "x.dcm", "--key-file", tmp_path / "none")
    assert result.returncode == 1 and "No such file" in result.stderr
