"""Limits on the work one input may cost, enforced the same way by every layer: one home.

Structure: sequences nested deeper than `MAX_DEPTH` are refused by the reader and by patches
(whose results must read back). Size: a read counts its elements and sequence items at every
depth against `ReadLimits.max_elements`, and a deflated data set is inflated in pieces of at
most `INFLATE_PIECE` bytes, never past `ReadLimits.max_inflated_bytes`, into a spool in
`ReadLimits.scratch_dir`. Patches: at most `MAX_PATCH_OPS` operations.

A limit passed is `LimitExceeded`, an `InvalidDicomError` (offset and tag as usual) that also
names the limit, so that a caller can tell "too much" from "not DICOM" (the service answers
413 for the one and 400 for the other).
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import InvalidDicomError

__all__ = ["MAX_DEPTH", "MAX_ELEMENTS", "MAX_PATCH_OPS", "INFLATE_PIECE", "LimitExceeded",
           "ReadLimits"]

MAX_DEPTH = 64
"""Sequences nested deeper than this are refused: by the reader (`InvalidDicomError`, never a
RecursionError) and by patches, whose results must read back."""

MAX_ELEMENTS = 1_000_000
"""Elements and sequence items one read may hold, counted at every depth. Each costs a few
hundred bytes in memory however short it is in the file."""

MAX_PATCH_OPS = 10_000
"""Operations one patch may have."""

INFLATE_PIECE = 1 << 20
"""The most a deflated data set is inflated by in one step."""


class LimitExceeded(InvalidDicomError):
    """An input that would cost more than a limit allows; `limit` names it."""

    def __init__(self, message: str, offset: int | None = None, tag: int | None = None,
                 limit: str = "") -> None:
        super().__init__(message, offset, tag)
        self.limit = limit


@dataclass(frozen=True)
class ReadLimits:
    """What one read may cost, and where it may put its work; None switches a limit off.

    `max_elements`: elements and sequence items at every depth. `max_inflated_bytes`: the
    size of a deflated data set once inflated. `scratch_dir`: where an inflated data set
    larger than `spool_bytes` is kept while the data set is in use (None: the system's
    temporary directory). `stored_inflated`: the file is a copy made by
    `filereader.write_inflated`, its deflated data set stored inflated: read as it is.
    """

    max_elements: int | None = MAX_ELEMENTS
    max_inflated_bytes: int | None = None
    scratch_dir: str | None = None
    spool_bytes: int = 16 * 1024 * 1024
    stored_inflated: bool = False


DEFAULT_LIMITS = ReadLimits()
