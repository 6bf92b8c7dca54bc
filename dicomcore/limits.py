"""Limits on the structure of data sets that every layer enforces the same way."""

from __future__ import annotations

__all__ = ["MAX_DEPTH"]

MAX_DEPTH = 64
"""Sequences nested deeper than this are refused: by the reader (`InvalidDicomError`, never a
RecursionError) and by patches, whose results must read back."""
