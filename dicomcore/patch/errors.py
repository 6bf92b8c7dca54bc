"""The two errors of the patch package: one operation refused, and a change not applied."""

from __future__ import annotations

from typing import Any

__all__ = ["InvalidOperation", "PatchError"]


class InvalidOperation(ValueError):
    """One path, selector, action or value that cannot be used; the message is the reason.

    Raised by the constructors (`parse_path`, `Selector.path`, ...) for what is wrong on its
    face; while a change is applied it is collected into a `PatchError` instead.
    """


class PatchError(ValueError):
    """The change was not applied; `errors` lists {"index", "op", "path", "reason"}.

    `index` is the position of the failing operation (None for a patch that is not a patch
    at all), `op` its name ("set", "delete", ... or an action's kind) and `path` its path
    text (or the selector's description).
    """

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        self.errors = errors
        super().__init__("patch not applied: " + "; ".join(map(_describe, errors)))


def _describe(error: dict[str, Any]) -> str:
    """One failure in words: `operation 2 (set PatientName): reason`; what is missing (no
    index for the patch as a whole, no op or path) is left out, never shown as None."""
    index, op, path = error.get("index"), error.get("op"), error.get("path")
    where = "the patch" if index is None else f"operation {index}"
    named = " ".join(str(part) for part in (op, path) if part is not None)
    return f"{where} ({named}): {error['reason']}" if named else f"{where}: {error['reason']}"
