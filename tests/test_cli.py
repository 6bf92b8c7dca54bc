"""The `dicomcore` command line, run as a user runs it: the installed script, real files."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pydicom
import pytest

from .corpus import PYDICOM_DATA

FILES = PYDICOM_DATA / "test_files"
CT = FILES / "CT_small.dcm"


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dicomcore.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=60)


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "dicomcore"
    assert script.exists()
    result = subprocess.run([script, "dump", CT], capture_output=True, text=True)
    assert result.returncode == 0 and "CompressedSamples^CT1" in result.stdout


def test_dump() -> None:
    result = run("dump", CT, "--stop-before-pixels")
    assert result.returncode == 0
    assert "(0010,0010) Patient's Name" in result.stdout
    assert result.stdout.count("(0002,0010)") == 1 and "(7FE0,0010)" not in result.stdout


def test_json_and_simple_json() -> None:
    model = json.loads(run("json", CT).stdout)
    assert model["00100010"] == {"vr": "PN", "Value": [{"Alphabetic": "CompressedSamples^CT1"}]}
    assert "7FE00010" in model and "InlineBinary" not in model["7FE00010"]
    simple = json.loads(run("json", "--simple", "--stop-before-pixels", CT).stdout)
    assert simple["PatientName"] == "CompressedSamples^CT1" and "PixelData" not in simple
    assert "00020010" in json.loads(run("json", "--include-meta", CT).stdout)


def test_json_over_a_directory_is_json_lines() -> None:
    result = run("json", "--stop-before-pixels", FILES / "dicomdirtests" / "77654033")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 7 and all("00100010" in line["dataset"] for line in lines)
    assert result.returncode == 0


def test_patch_one_file(tmp_path: Path) -> None:
    patch = tmp_path / "patch.json"
    patch.write_text(json.dumps([{"op": "set", "path": "PatientName", "value": "Doe^Jane"}]))
    out = tmp_path / "out.dcm"
    result = run("patch", CT, patch, "-o", out)
    assert result.returncode == 0, result.stderr
    assert pydicom.dcmread(out).PatientName == "Doe^Jane"
    normal = tmp_path / "normal.dcm"
    assert run("patch", CT, patch, "-o", normal, "--normalize").returncode == 0
    assert pydicom.dcmread(normal).file_meta.ImplementationVersionName == "DICOMCORE_010"


def test_patch_a_directory(tmp_path: Path) -> None:
    source = tmp_path / "in"
    shutil.copytree(FILES / "dicomdirtests" / "77654033", source)
    patch = tmp_path / "patch.json"
    patch.write_text(json.dumps([{"op": "set", "path": "PatientID", "value": "ANON"}]))
    result = run("patch", source, patch, "-o", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    written = sorted((tmp_path / "out").rglob("*"))
    files = [p for p in written if p.is_file()]
    assert len(files) == 7
    assert all(pydicom.dcmread(p).PatientID == "ANON" for p in files)


@pytest.mark.parametrize("args", [
    ("json", FILES / "README.txt"),
    ("dump", FILES / "no_such_file.dcm"),
])
def test_bad_input_is_one_line_and_exit_1(args: tuple[str, Path]) -> None:
    result = run(*args)
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_failing_patch_exit_1(tmp_path: Path) -> None:
    patch = tmp_path / "patch.json"
    patch.write_text(json.dumps([{"op": "set", "path": "Rows", "value": 1}]))
    result = run("patch", CT, patch, "-o", tmp_path / "out.dcm")
    assert result.returncode == 1 and "pixel data" in result.stderr
    assert not (tmp_path / "out.dcm").exists()
    patch.write_text("not json")
    result = run("patch", CT, patch, "-o", tmp_path / "out.dcm")
    assert result.returncode == 1 and "Traceback" not in result.stderr


@pytest.mark.parametrize("args", [(), ("dump",), ("frobnicate", "x"), ("patch", "only-one")])
def test_usage_errors_exit_2(args: tuple[str, ...]) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_a_recovery_is_a_warning_line_or_with_strict_a_failure(tmp_path: Path) -> None:
    truncated = tmp_path / "truncated.dcm"
    truncated.write_bytes(CT.read_bytes()[:-1000])  # cut inside the pixel data
    flagged = run("json", truncated)
    assert flagged.returncode == 0 and json.loads(flagged.stdout)["00100010"]
    [line] = flagged.stderr.splitlines()
    assert line.startswith(f"dicomcore: {truncated}: warning: file truncated at offset")
    refused = run("json", "--strict", truncated)
    assert refused.returncode == 1 and refused.stdout == ""
    assert "refused (--strict): file truncated" in refused.stderr
    out = tmp_path / "out.dcm"
    patch = tmp_path / "patch.json"
    patch.write_text("[]")
    assert run("patch", "--strict", truncated, patch, "-o", out).returncode == 1
    assert not out.exists()
    clean = run("dump", "--strict", CT)
    assert clean.returncode == 0 and clean.stderr == ""
