"""The README's Python examples run, in order, as a user would paste them."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_examples_run(capsys: object) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 3
    namespace: dict[str, object] = {}
    for block in blocks:
        exec(compile(block, str(README), "exec"), namespace)  # noqa: S102


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
