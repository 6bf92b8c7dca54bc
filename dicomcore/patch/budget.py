"""How much work one patch may do: a deadline and a cancel flag, checked by the engine.

The engine calls `WorkBudget.check()` between steps (each target of each operation, each item
a wildcard path walks, each item a value creates), so a patch over a wide sequence stops
within one step of its deadline or of its cancellation, and the data set stays untouched
(nothing is committed before every operation has run). `PatchTimeout` and `PatchCancelled`
say which.

>>> budget = WorkBudget(seconds=5.0)
>>> budget.check()   # within budget: nothing happens
"""

from __future__ import annotations

import threading
import time

from .errors import PatchCancelled, PatchTimeout

__all__ = ["WorkBudget", "UNLIMITED"]


class WorkBudget:
    """A deadline (`seconds` from now; None: none) and an optional `threading.Event` that,
    once set from another thread, stops the work."""

    __slots__ = ("seconds", "deadline", "cancelled")

    def __init__(self, seconds: float | None = None,
                 cancelled: threading.Event | None = None) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds if seconds is not None else None
        self.cancelled = cancelled

    def check(self) -> None:
        """PatchCancelled or PatchTimeout when the work must stop; else nothing."""
        if self.cancelled is not None and self.cancelled.is_set():
            raise PatchCancelled("the patch was cancelled: its caller has gone")
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise PatchTimeout(f"the patch took more than its {self.seconds:g} s budget")


UNLIMITED = WorkBudget()
