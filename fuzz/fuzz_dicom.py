"""Coverage-guided fuzzing of the library with atheris (`make fuzz`).

    python fuzz/fuzz_dicom.py [libFuzzer options] [corpus directories]

Seeds come from pydicom's corpus (copied into a work directory) unless directories are
given. Inputs that crash are written by libFuzzer as crash-*; copy them into
fuzz/regressions/ so that tests/test_fuzz.py replays them on every `make test`.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

with atheris.instrument_imports():
    import dicomcore  # noqa: F401
    from fuzz.harness import exercise


def seeds() -> str:
    import pydicom.data

    target = Path(tempfile.mkdtemp(prefix="dicomcore-fuzz-"))
    root = Path(pydicom.data.__file__).parent
    for folder in ("test_files", "charset_files"):
        for dirpath, _, names in os.walk(root / folder):
            for name in names:
                path = Path(dirpath) / name
                if path.stat().st_size <= 64 * 1024 and not name.endswith(".py"):
                    shutil.copy(path, target / f"{folder}-{len(os.listdir(target))}")
    return str(target)


def main() -> None:
    args = sys.argv[:]
    if not any(not a.startswith("-") for a in args[1:]):
        args.append(seeds())
    atheris.Setup(args, exercise)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
