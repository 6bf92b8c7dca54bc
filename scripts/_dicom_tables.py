"""What the table generators share: where the tables are, VR and VM checks, the writer.

The generators read only ``tables/dicom-standard/``, the repository's copy of the standard's
tables, so that a clone builds on its own; ``tests/test_tables.py`` notices when that copy
differs from the shared one it was taken from.

The VRs a table may name come from ``dicomcore/vr.py``, the library's one home of VR facts.
That file is loaded on its own (it imports nothing), not through the ``dicomcore`` package,
whose import needs the very modules the generators write.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType

EDITION = "2024e"
REPO_ROOT = Path(__file__).resolve().parent.parent
TABLES = REPO_ROOT / "tables" / "dicom-standard"
PACKAGE = REPO_ROOT / "dicomcore"

# VM is stored as "n", "a-b", "a-n" or "a-bn" so that one small parser reads them all.
_VM_PATTERN = re.compile(r"[1-9][0-9]*(-([1-9][0-9]*n?|n))?")

# Characters that would break the tab-separated tables the generated modules parse at import.
_UNSTORABLE = ("\t", '"""')


def _load_vr_facts() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_dicomcore_vr_facts", PACKAGE / "vr.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_VR_FACTS = _load_vr_facts()
KNOWN_VRS: frozenset[str] = frozenset(_VR_FACTS.VALID_VRS) | _VR_FACTS.AMBIGUOUS_VRS
"""The VRs of PS3.5 table 6.2-1 and the multi-VR spellings of PS3.6 ("US or SS", ...)."""


def read_table(name: str, tables: Path = TABLES) -> list[dict]:
    """Return the rows of the JSON table `name` (e.g. ``"attributes.json"``) in `tables`."""
    return json.loads((tables / name).read_text(encoding="utf-8"))


def check_vr(vr: str, where: str) -> str:
    """Return `vr` if the library knows it; raise ValueError naming `where` otherwise."""
    if vr not in KNOWN_VRS:
        raise ValueError(f"unknown VR {vr!r} for {where}")
    return vr


def check_vm(vm: str, where: str) -> str:
    """Return `vm` if it has one of the stored forms; raise ValueError naming `where`."""
    if _VM_PATTERN.fullmatch(vm) is None:
        raise ValueError(f"unknown VM {vm!r} for {where}")
    return vm


def check_storable(field: str) -> str:
    """Return `field` if a line of a generated tab-separated table can hold it."""
    # splitlines() also breaks at \x1c-\x1e, \x85, \u2028...: none may occur either.
    if any(bad in field for bad in _UNSTORABLE) or len(f"{field}x".splitlines()) != 1:
        raise ValueError(f"field {field!r} cannot be stored in the table")
    return field


def write_module(target: Path, text: str, sources: list[str]) -> None:
    """Write a generated module and say what it was made from."""
    target.write_text(text, encoding="utf-8", newline="\n")
    print(f"wrote {target.relative_to(REPO_ROOT)} from {', '.join(sources)}")
