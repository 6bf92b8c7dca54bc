"""What a de-identification did: counts per action and element kind, and the replacements.

`Report` is never silent about what it left: `kept` counts the elements the profile names
that an option (or the profile) kept, beside what was removed, emptied and replaced. The
kinds are the names of PS3.15 Table E.1-1 ("Patient's Name", "Private Attributes", ...).

`mapping` holds each replacement made (original -> new) for sites that must be able to
re-identify: it is PHI, and `write_map` writes it as CSV only when asked to.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TextIO

__all__ = ["Report", "write_map"]

ACTIONS = ("removed", "emptied", "replaced", "kept")


@dataclass
class Report:
    """Counts per element kind of each action, the options used and the replacements."""

    options: tuple[str, ...] = ()
    removed: Counter[str] = field(default_factory=Counter)
    emptied: Counter[str] = field(default_factory=Counter)
    replaced: Counter[str] = field(default_factory=Counter)
    kept: Counter[str] = field(default_factory=Counter)
    date_offset_days: int | None = None
    mapping: dict[tuple[str, str], str] = field(default_factory=dict)
    """(what, original value) -> new value: PHI, for --map only."""

    def count(self, action: str, kind: str) -> None:
        """One more element of `kind` for `action` ("removed", "emptied", ...)."""
        self.__dict__[action][kind] += 1

    def summary(self) -> dict[str, dict[str, int]]:
        """{action: {kind: count}} in a JSON-friendly form, kinds sorted."""
        return {action: dict(sorted(getattr(self, action).items())) for action in ACTIONS}

    def totals(self) -> dict[str, int]:
        """{action: number of elements}."""
        return {action: sum(getattr(self, action).values()) for action in ACTIONS}

    def __str__(self) -> str:
        parts = [f"{action} {total}" for action, total in self.totals().items()]
        if self.date_offset_days is not None:
            parts.append(f"dates shifted back {self.date_offset_days} days")
        return ", ".join(parts)


def write_map(stream: TextIO, reports: Iterable[Report]) -> int:
    """Write every replacement of `reports` as CSV (what, original, replacement), each
    once; the number of rows. The output re-identifies patients: keep it as PHI."""
    writer = csv.writer(stream)
    writer.writerow(("what", "original", "replacement"))
    seen: set[tuple[str, str]] = set()
    for report in reports:
        for (what, original), new in report.mapping.items():
            if (what, original) not in seen:
                seen.add((what, original))
                writer.writerow((what, original, new))
    return len(seen)
