"""A fault-injection hook: named steps of a change at which a test can stop the process.

Production code calls `checkpoint("replace.blob-stored")` between the steps of a change; it
does nothing unless a test has installed a hook (`set_hook`), which may raise or kill the
process there. The crash tests (tests/app/test_crash.py) kill a writer at every step this way,
deterministically, and check what a restarted service finds: no timing luck involved.
"""

from __future__ import annotations

from collections.abc import Callable

_hook: Callable[[str], None] | None = None

STEPS = {
    "put": ("blob.part-written", "put.blob-stored"),
    "replace": ("blob.part-written", "replace.blob-stored", "replace.switched"),
    "delete": ("delete.unindexed",),
}
"""The steps each change passes, in order (a backend may add its own, e.g. an S3 multipart
upload's "s3.part-uploaded")."""

SCRATCH_STEPS = ("upload.chunk-written", "stow.chunk-written", "scratch.result-written")
"""Steps at which a request has files in the scratch space (`app.scratch`): after each chunk
of an upload or a STOW-RS part is written, after a result file is written. Once per chunk:
a hook counts them to stop a large upload in its middle (tests/app/test_scratch_sweep.py)."""


def checkpoint(step: str) -> None:
    if _hook is not None:
        _hook(step)


def set_hook(hook: Callable[[str], None] | None) -> None:
    """Install (or with None remove) the hook called at every checkpoint."""
    global _hook
    _hook = hook
