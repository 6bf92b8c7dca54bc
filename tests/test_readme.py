"""The README's Python examples run, each on its own as a user would paste it into a fresh
interpreter."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_example_runs_on_its_own(block: str, capsys: object) -> None:
    exec(compile(block, str(README), "exec"), {})  # noqa: S102 - a fresh namespace each


def test_readme_has_examples() -> None:
    assert len(BLOCKS) >= 5


def test_readme_patch_example_applies() -> None:
    import json

    import dicomcore
    from dicomcore.patch import apply

    from .corpus import PYDICOM_DATA

    blocks = re.findall(r"```json\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    patches = [json.loads(b) for b in blocks]
    assert patches
    for patch in patches:
        ds = dicomcore.dcmread(PYDICOM_DATA / "test_files" / "CT_small.dcm")
        apply(ds, patch)
        assert ds.PatientName == "Doe^Jane"
