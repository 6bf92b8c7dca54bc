"""`python -m tests.app.fault_server`: `python -m app` of the test build, which kills itself
with SIGKILL the Nth time it reaches a step (`DICOMCORE_TEST_KILL_AT=step`,
`DICOMCORE_TEST_KILL_COUNT=N`, default 1) through the fault-injection hook
(`app.storage.faults`): a crash at a chosen point of a request, not by timing.

Besides the service's own steps, "inflate.piece-written": after each piece the library
inflates (at most 1 MiB) into its spool. The library knows no hook, so this build wraps its
inflating loop's output to reach one.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any, BinaryIO

from app.__main__ import main
from app.storage import faults
from dicomcore import filereader


class _Checkpointed:
    """The spool the library inflates into, with a checkpoint after each piece."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out

    def write(self, data: bytes) -> int:
        written = self.out.write(data)
        faults.checkpoint("inflate.piece-written")
        return written


def install(step: str, count: int) -> None:
    """Kill this process the `count`th time it reaches `step`."""
    reached = 0

    def hook(name: str) -> None:
        nonlocal reached
        if name == step:
            reached += 1
            if reached >= count:
                os.kill(os.getpid(), signal.SIGKILL)

    faults.set_hook(hook)
    inflate_into = filereader._inflate_into

    def checkpointed(fp: BinaryIO, out: BinaryIO, *args: Any) -> int:
        return inflate_into(fp, _Checkpointed(out), *args)  # type: ignore[arg-type]

    filereader._inflate_into = checkpointed  # type: ignore[assignment]


if __name__ == "__main__":
    install(os.environ["DICOMCORE_TEST_KILL_AT"],
            int(os.environ.get("DICOMCORE_TEST_KILL_COUNT", "1")))
    sys.exit(main())
