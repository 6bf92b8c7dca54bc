"""Values left on disk at read time (`defer_size`) and fetched when first needed.

A `DeferredValue` knows where its bytes are. For a file read by name it re-opens the file,
after checking that the file still has the size it had when read; for a file-like object it
seeks the still-open object. Either way a clear `DeferredValueError` says when the bytes can
no longer be had. `iter_chunks` lets the writer copy a large value without holding it whole.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import BinaryIO

from .errors import DeferredValueError

__all__ = ["DeferredSource", "DeferredValue"]

CHUNK_SIZE = 1 << 20


class DeferredSource:
    """Where deferred values live: a path (re-opened on demand) or an open file object."""

    def __init__(self, path: str | None, fileobj: BinaryIO | None, size: int | None,
                 mtime_ns: int | None = None) -> None:
        """`mtime_ns`: the file's modification time when the caller has it from the file
        it opened (a stat call less per read); else it is looked up from `path`."""
        self.path = path
        self.fileobj = fileobj
        self.size = size
        if mtime_ns is None and path is not None:
            mtime_ns = _mtime_ns(path)
        self.mtime_ns = mtime_ns
        self._closed = False

    def close(self) -> None:
        self._closed = True

    def _check_path(self) -> None:
        assert self.path is not None
        try:
            stat = os.stat(self.path)
        except OSError as exc:
            raise DeferredValueError(f"deferred value: {self.path} can no longer be read: "
                                     f"{exc.strerror}") from exc
        if self.size is not None and stat.st_size != self.size:
            raise DeferredValueError(f"deferred value: {self.path} changed size since it was "
                                     f"read ({self.size} -> {stat.st_size} bytes)")
        if self.mtime_ns is not None and stat.st_mtime_ns != self.mtime_ns:
            raise DeferredValueError(f"deferred value: {self.path} was modified since it was "
                                     "read")

    def read(self, offset: int, length: int) -> bytes:
        return b"".join(self.iter_chunks(offset, length, max(length, 1)))

    def iter_chunks(self, offset: int, length: int, chunk_size: int = CHUNK_SIZE
                    ) -> Iterator[bytes]:
        if self.path is not None and (self.fileobj is None or self._closed):
            self._check_path()
            with open(self.path, "rb") as fp:
                yield from _copy_range(fp, offset, length, chunk_size, self.path)
            return
        if self.fileobj is None or self._closed or getattr(self.fileobj, "closed", False):
            raise DeferredValueError("deferred value: the file object it was read from is "
                                     "closed")
        yield from _copy_range(self.fileobj, offset, length, chunk_size, "the file object")


def _copy_range(fp: BinaryIO, offset: int, length: int, chunk_size: int, name: str
                ) -> Iterator[bytes]:
    fp.seek(offset)
    left = length
    while left > 0:
        data = fp.read(min(chunk_size, left))
        if not data:
            raise DeferredValueError(f"deferred value: {name} ended {left} bytes before the "
                                     f"value's end (offset {offset + length - left})")
        left -= len(data)
        yield data


def _mtime_ns(path: str) -> int | None:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


class DeferredValue:
    """The location of one value that was not read into memory."""

    __slots__ = ("source", "offset", "length")

    def __init__(self, source: DeferredSource, offset: int, length: int) -> None:
        self.source = source
        self.offset = offset
        self.length = length

    def read(self) -> bytes:
        return self.source.read(self.offset, self.length)

    def iter_chunks(self, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        return self.source.iter_chunks(self.offset, self.length, chunk_size)

    def __len__(self) -> int:
        return self.length

    def __repr__(self) -> str:
        return f"DeferredValue(offset={self.offset}, length={self.length})"
