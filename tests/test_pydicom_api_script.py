"""The README's pydicom 3 script, run unchanged but for its imports on pydicom and dicomcore,
over every corpus file: the same files and values (issue 11's "Done when")."""

from __future__ import annotations

import io
import re
import struct
import warnings
from pathlib import Path
from typing import Any

import pytest

import dicomcore
from dicomcore.uid import IMPLEMENTATION_VERSION_NAME

from .corpus import ALL_READABLE, corpus_id

README = Path(__file__).resolve().parent.parent / "README.md"
SCRIPT = re.search(r"## Switching from pydicom 3\n.*?```python\n(.*?)```",
                   README.read_text(encoding="utf-8"), re.S).group(1)  # type: ignore[union-attr]
SAMPLE_LINE = 'path = get_testdata_file("CT_small.dcm")'



def _un_in_the_file(path: Path) -> set[int]:
    """Top-level elements of known VR that the file holds as explicit UN. Where the two
    libraries' files differ, these are why (checked below to differ for that reason only):
    pydicom writes those it has decoded (the SOP UIDs it reads for the file meta, the edited
    name, empty ones) with their dictionary VR; dicomcore keeps the file's UN while the
    encoding is unchanged, as it does when writing like the original."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = dicomcore.dcmread(path, stop_before_pixels=True, force=True)
    return {int(e.tag) for e in ds if getattr(e, "raw_VR", None) == "UN" and e.VR != "UN"}


def _run(library: str, path: Path | None = None) -> dict[str, Any]:
    source = SCRIPT.replace("dicomcore", library)
    if path is not None:
        source = source.replace(SAMPLE_LINE, f"path = {str(path)!r}")
    namespace: dict[str, Any] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(source, str(README), "exec"), namespace)  # noqa: S102
    return namespace


def _outcome(library: str, path: Path) -> tuple[str, Any]:
    try:
        return "ok", _run(library, path)
    except Exception as exc:  # noqa: BLE001 - what was raised is the result
        return "raised", exc


def test_the_script_differs_only_in_its_imports() -> None:
    ours = SCRIPT.splitlines()
    theirs = SCRIPT.replace("dicomcore", "pydicom").splitlines()
    changed = [line for line, other in zip(ours, theirs, strict=True) if line != other]
    assert len(changed) == 2 and all(line.startswith("from dicomcore") for line in changed)
    assert SAMPLE_LINE in SCRIPT and "enforce_file_format=True" in SCRIPT


def test_the_script_gives_the_same_file_on_both() -> None:
    ours, theirs = _run("dicomcore"), _run("pydicom")
    assert ours["written"] == theirs["written"]
    assert ours["back"].SOPInstanceUID == theirs["back"].SOPInstanceUID
    assert ours["back"].SOPInstanceUID.startswith("1.2.3.4.")


@pytest.mark.parametrize("path", ALL_READABLE, ids=corpus_id)
def test_the_script_on_every_corpus_file(path: Path) -> None:
    (kind_p, got_p), (kind_d, got_d) = _outcome("pydicom", path), _outcome("dicomcore", path)
    if kind_p == "raised":
        if kind_d == "raised":  # e.g. no SOP Instance UID: the same error on both
            assert type(got_d).__name__ == type(got_p).__name__ or \
                isinstance(got_d, type(got_p)), (got_p, got_d)
            return
        # pydicom fails on some input dicomcore reads (a JPEG file with an empty value of
        # VM > 1 pydicom cannot write): dicomcore's file must read back in pydicom.
        assert got_d["back"].PatientName == "Doe^Jane"
        return
    assert kind_d == "ok", got_d
    for name in ("PatientName", "SOPInstanceUID"):
        assert getattr(got_d["back"], name) == getattr(got_p["back"], name)
    ours_written, theirs_written = _own_names_aside(got_d["written"], got_p["written"])
    un_in_the_file = _un_in_the_file(path)
    if un_in_the_file and ours_written != theirs_written:
        ours, theirs = _headers(got_d["written"]), _headers(got_p["written"])
        changed = {tag for tag in ours if ours[tag] != theirs[tag]}
        assert ours.keys() == theirs.keys() and changed and changed <= un_in_the_file
        assert all(ours[t][0] == "UN" and ours[t][1] == theirs[t][1] for t in changed)
        return
    assert ours_written == theirs_written


def _own_names_aside(ours: bytes, theirs: bytes) -> tuple[bytes, bytes]:
    """The two files with the Implementation Version Name taken out of both where each
    library wrote its own (the file had none: save_as with enforce_file_format adds the
    writer's, PS3.10 7.1). The rest of the file meta, group length aside, must agree."""
    ours_meta, theirs_meta = (dicomcore.dcmread(io.BytesIO(d), stop_before_pixels=True).file_meta
                              for d in (ours, theirs))
    name = ours_meta.get("ImplementationVersionName")
    if name != IMPLEMENTATION_VERSION_NAME or \
            not str(theirs_meta.get("ImplementationVersionName", "")).startswith("PYDICOM"):
        return ours, theirs
    for meta in (ours_meta, theirs_meta):
        del meta[0x00020000], meta[0x00020013]
    assert ours_meta == theirs_meta
    return (ours[144 + struct.unpack_from("<L", ours, 140)[0]:],
            theirs[144 + struct.unpack_from("<L", theirs, 140)[0]:])


def _headers(written: bytes) -> dict[int, tuple[str, int]]:
    """(VR, length) of each top-level element after the file meta, as written."""
    from dicomcore.filereader import data_element_generator

    fp = io.BytesIO(written)
    fp.seek(144 + struct.unpack_from("<L", written, 140)[0])
    return {int(e.tag): (str(e.VR), getattr(e, "length", -1))
            for e in data_element_generator(fp, False, True)}
