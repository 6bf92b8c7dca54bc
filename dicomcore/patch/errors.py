"""The errors of the patch package: one operation refused, a change not applied, and a change
stopped because its work ran out of time or its caller left."""

from __future__ import annotations

from typing import Any

__all__ = ["InvalidOperation", "PatchError", "PatchStopped", "PatchTimeout", "PatchCancelled"]

_IN_MESSAGE = 10  # failing operations spelled out in the message; `errors` has all of them


class InvalidOperation(ValueError):
    """One path, selector, action or value that cannot be used; the message is the reason.

    Raised by the constructors (`parse_path`, `Selector.path`, ...) for what is wrong on its
    face; while a change is applied it is collected into a `PatchError` instead. A reason
    names the element, the VR and the rule, never the value (values are patient data).
    """


class PatchError(ValueError):
    """The change was not applied; `errors` lists {"index", "op", "path", "reason"}.

    `index` is the position of the failing operation (None for a patch that is not a patch
    at all), `op` its name ("set", "delete", ... or an action's kind) and `path` its path
    text (or the selector's description). The message spells out the first few.
    """

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        self.errors = errors
        lines = [_describe(error) for error in errors[:_IN_MESSAGE]]
        if len(errors) > _IN_MESSAGE:
            lines.append(f"and {len(errors) - _IN_MESSAGE} more")
        super().__init__("patch not applied: " + "; ".join(lines))


def _describe(error: dict[str, Any]) -> str:
    """One failure in words: `operation 2 (set PatientName): reason`; what is missing (no
    index for the patch as a whole, no op or path) is left out, never shown as None."""
    index, op, path = error.get("index"), error.get("op"), error.get("path")
    where = "the patch" if index is None else f"operation {index}"
    named = " ".join(str(part) for part in (op, path) if part is not None)
    return f"{where} ({named}): {error['reason']}" if named else f"{where}: {error['reason']}"


class PatchStopped(Exception):
    """The change was stopped before it was applied: the data set is untouched. Not the
    patch's fault, so not a `PatchError`: the same patch may succeed another time."""


class PatchTimeout(PatchStopped):
    """The patch's work took longer than its `WorkBudget` allows."""


class PatchCancelled(PatchStopped):
    """The `WorkBudget`'s caller cancelled the work (its client has gone)."""
