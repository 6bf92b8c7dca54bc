"""Scratch space: a directory for uploads in progress and results on their way out.

Its own dependency, apart from the instance storage: the stateless routes (`/v1/json`,
`/v1/patch`) need somewhere to spool, not a store. Under the storage directory by default, so
that a stored upload is renamed into the file-system store rather than copied.

Every process works in a directory of its own, `<root>/worker-<pid>-<token>/`, and holds an
exclusive `flock` on a lock file beside it, `<root>/worker-<pid>-<token>.lock`, for its whole
life; every scratch file of the service (uploads, STOW-RS parts, results, inflated spools) is
made in `Scratch.directory`. So whose a scratch file is can be told: a directory whose lock
nobody holds is a process's that is gone (the kernel releases the lock however the process
ends, SIGKILL too), and `sweep` removes it with what it holds. The rule is the store's rule
for parts (`storage.filesystem.remove_abandoned_parts`), applied to the lock files; a live
process's directory, on this host or on a replica sharing the directory, is never touched
(as far as the file system honours `flock` across hosts, as the file-system store assumes).
Each worker sweeps when it starts (`app.main`).
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from .storage import faults
from .storage.filesystem import open_part, remove_abandoned_parts

PREFIX = "worker-"
LOCK_SUFFIX = ".lock"


class Scratch:
    """The scratch space under `root`; `directory` is this process's own part of it."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._guard = threading.Lock()
        self._owner: int | None = None  # the pid `_directory` and `_lock` belong to
        self._directory = self.root
        self._lock = -1

    @property
    def directory(self) -> Path:
        """This process's directory, made with its lock held at first use (a forked child
        makes its own: a lock it inherited is its parent's)."""
        if self._owner != os.getpid():
            with self._guard:
                if self._owner != os.getpid():
                    self._claim()
        return self._directory

    def _claim(self) -> None:
        if self._lock >= 0:
            os.close(self._lock)  # the parent's, inherited through fork: the parent keeps it
        name = f"{PREFIX}{os.getpid()}-{secrets.token_hex(6)}"
        self.root.mkdir(parents=True, exist_ok=True)
        # The lock first, then the directory: a live process's directory always has its lock
        # file, held (the lock is held for as long as the process lives, never closed).
        lock = open_part(self.root / (name + LOCK_SUFFIX))
        directory = self.root / name
        directory.mkdir()
        self._lock, self._directory, self._owner = lock, directory, os.getpid()

    def sweep(self) -> int:
        """Remove the directories of processes that are gone, with their files; how many
        files. This process's directory is claimed first, so it is never among them."""
        own = self.directory
        remove_abandoned_parts(self.root, PREFIX + "*" + LOCK_SUFFIX)
        removed = 0
        for entry in self.root.glob(PREFIX + "*"):
            # a directory without its lock file: its process was gone when the lock went
            if (entry == own or not entry.is_dir()
                    or entry.with_name(entry.name + LOCK_SUFFIX).exists()):
                continue
            removed += sum(len(files) for _, _, files in os.walk(entry))
            shutil.rmtree(entry, ignore_errors=True)  # another worker may sweep it too
        return removed

    def temporary_file(self, prefix: str, produce: Callable[[BinaryIO], None]) -> Path:
        """A new file filled by `produce(file)`; removed if that fails. The caller removes it
        once done (`responses.temporary_file_response` does)."""
        fd, name = tempfile.mkstemp(prefix=prefix, suffix=".dcm", dir=self.directory)
        try:
            with os.fdopen(fd, "wb") as out:
                produce(out)
            faults.checkpoint("scratch.result-written")
        except BaseException:
            os.unlink(name)
            raise
        return Path(name)


def leftovers(root: Path) -> list[Path]:
    """The files under a scratch root but the workers' lock files: none while no request
    runs (what the tests and `make attack` check)."""
    return sorted(path for path in root.rglob("*") if path.is_file()
                  and not (path.parent == root and path.name.startswith(PREFIX)
                           and path.name.endswith(LOCK_SUFFIX)))
