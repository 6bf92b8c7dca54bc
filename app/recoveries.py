"""What the library recovered from while reading a file, so a partial result is never
answered as a whole one.

The reader keeps going past what it can recover from (a file cut short, a stray delimiter, an
undecodable value) and says so with a `DicomWarning` (`TruncatedFileWarning` for a file cut
short). A request collects the warnings raised while its file is read and rendered; the
route then either flags its answer with an `X-DICOM-Warnings` header (a JSON list, one
sentence per recovery with its offset and tag where the reader gives them) or, with
`strict=true`, refuses the file with a 400 problem that lists them.

The collector is a context variable, so concurrent requests (the thread pool copies the
context into each thread) each see only their own warnings. Values a warning quotes
(patient data) are replaced by `<value>`; warnings are never logged.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Annotated, Any

from fastapi import Query

from dicomcore.errors import DicomWarning

from .problems import Problem

HEADER = "X-DICOM-Warnings"
MAX_LISTED = 20

Strict = Annotated[bool, Query(description=(
    "refuse (400) a file the reader had to recover from (cut short, stray delimiters, values "
    "that do not decode) instead of answering with what was read and an X-DICOM-Warnings "
    "header"))]

_current: ContextVar[list[str] | None] = ContextVar("dicom_recoveries", default=None)
_QUOTED = re.compile(r"""b?'(?:[^'\\]|\\.)*'|b?"(?:[^"\\]|\\.)*\"""")
_previous_show: Any = None


def _show(message: Any, category: type[Warning], filename: str, lineno: int,
          file: Any = None, line: str | None = None) -> None:
    if issubclass(category, DicomWarning):
        found = _current.get()
        if found is not None:
            found.append(redact(str(message)))
        return
    _previous_show(message, category, filename, lineno, file, line)


def install() -> None:
    """Route every DicomWarning to the collecting request, none to the log (idempotent)."""
    global _previous_show
    warnings.filterwarnings("always", category=DicomWarning)
    if warnings.showwarning is not _show:
        _previous_show = warnings.showwarning
        warnings.showwarning = _show


def redact(message: str) -> str:
    """The message with quoted values replaced and only printable ASCII kept (a header)."""
    text = _QUOTED.sub("<value>", message)
    return "".join(c if " " <= c <= "~" else "?" for c in text)


class Recoveries:
    """The recoveries one request's file needed."""

    def __init__(self) -> None:
        self.found: list[str] = []

    def check(self, strict: bool) -> None:
        """With strict, a 400 problem when there was any recovery."""
        if strict and self.found:
            raise Problem(400, "Not valid DICOM",
                          f"strict: the file needed {len(self.found)} recoveries; the first: "
                          f"{self.found[0]}", warnings=self.found[:MAX_LISTED])

    def headers(self) -> dict[str, str]:
        """The X-DICOM-Warnings header (none when the file read cleanly)."""
        if not self.found:
            return {}
        listed = self.found[:MAX_LISTED]
        if len(self.found) > MAX_LISTED:
            listed.append(f"and {len(self.found) - MAX_LISTED} more")
        return {HEADER: json.dumps(listed)}


@contextmanager
def collect() -> Iterator[Recoveries]:
    """Collect the DicomWarnings raised in this context (and threads run from it)."""
    recoveries = Recoveries()
    token = _current.set(recoveries.found)
    try:
        yield recoveries
    finally:
        _current.reset(token)
