"""Scratch space: a directory for uploads in progress and results on their way out.

Its own dependency, apart from the instance storage: the stateless routes (`/v1/json`,
`/v1/patch`) need somewhere to spool, not a store. Under the storage directory by default, so
that a stored upload is renamed into the file-system store rather than copied.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


class Scratch:
    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    def temporary_file(self, prefix: str, produce: Callable[[BinaryIO], None]) -> Path:
        """A new file filled by `produce(file)`; removed if that fails. The caller removes it
        once done (`responses.temporary_file_response` does)."""
        fd, name = tempfile.mkstemp(prefix=prefix, suffix=".dcm", dir=self.directory)
        try:
            with os.fdopen(fd, "wb") as out:
                produce(out)
        except BaseException:
            os.unlink(name)
            raise
        return Path(name)
