"""`ByteStream`: a read window over a binary file object, addressed by absolute offset.

The parser asks for "at least n bytes at the current position" and gets them from one
buffer, so headers are unpacked with `struct.unpack_from` without a read call each. Values
too large for the window are read exactly, skipped with a seek, or left on disk; memory
stays bounded by the window plus the values actually kept. Knows nothing about DICOM.
"""

from __future__ import annotations

import io
from typing import BinaryIO

__all__ = ["ByteStream"]

WINDOW = 32 * 1024
_READ_CHUNK = 16 * 1024 * 1024


class ByteStream:
    """Buffered, seekable reading from `fp` starting at its current position.

    `size` is the absolute offset where the data ends, when known (files and BytesIO);
    callers use it to tell a truncated value from a complete one before reading it.
    """

    __slots__ = ("fp", "buf", "base", "pos", "size", "window")

    def __init__(self, fp: BinaryIO, size: int | None = None, window: int = WINDOW,
                 whole_up_to: int = 0) -> None:
        """`whole_up_to`: data of at most this many bytes (from the current position) is
        read whole by the first fill, in one read, and values are slices of it."""
        self.fp = fp
        self.pos = self.base = fp.tell()
        self.buf = b""
        self.size = size if size is not None else _size_of(fp)
        if self.size is not None and self.size - self.pos <= whole_up_to:
            window = max(window, self.size - self.pos)
        self.window = window

    @classmethod
    def of_bytes(cls, data: bytes) -> ByteStream:
        """A stream over `data` read whole beforehand: its window is all of it, and its file
        object a BytesIO sharing `data` (for `sync` and for readers of `fp`), so no call
        reads again."""
        stream = cls.__new__(cls)
        stream.fp = io.BytesIO(data)
        stream.buf = data
        stream.pos = stream.base = 0
        stream.size = len(data)
        stream.window = max(WINDOW, len(data))
        return stream

    @property
    def available(self) -> int:
        return self.base + len(self.buf) - self.pos

    def fill(self, n: int, window: int | None = None) -> int:
        """Make at least `n` bytes available at `pos` if the data has them; return how many.
        A read reads up to `window` bytes ahead (by default the stream's window)."""
        start = self.pos - self.base
        have = len(self.buf) - start
        if have >= n:
            return have  # no slice: the window may be a whole file
        keep = self.buf[start:]
        if self.fp.tell() != self.pos + len(keep):
            self.fp.seek(self.pos + len(keep))
        ahead = self.window if window is None else window
        data = _read_upto(self.fp, max(ahead, n - len(keep)), n - len(keep))
        self.buf = keep + data if keep else data
        self.base = self.pos
        return len(self.buf)

    def take(self, n: int) -> bytes:
        """Read up to `n` bytes at `pos` and advance; fewer only where the data ends."""
        start = self.pos - self.base
        if start + n <= len(self.buf):
            self.pos += n
            return self.buf[start:start + n]
        fp = self.fp
        if self.size is not None:
            # Seekable: the whole value in one read from its start, the window's tail read
            # again rather than joined to the rest (a join copies the whole value once more).
            wanted = min(n, max(self.size - self.pos, 0))
            fp.seek(self.pos)
            data = _read_upto(fp, wanted, wanted)
            self.pos += len(data)
            self.buf = b""
            self.base = self.pos
            return data
        head = self.buf[start:]
        wanted = n - len(head)
        if fp.tell() != self.pos + len(head):
            fp.seek(self.pos + len(head))
        parts = [head]
        while wanted > 0:
            chunk = fp.read(min(wanted, _READ_CHUNK))
            if not chunk:
                break
            parts.append(chunk)
            wanted -= len(chunk)
        data = b"".join(parts) if len(parts) > 1 else parts[0]
        self.pos += len(data)
        self.buf = b""
        self.base = self.pos
        return data

    def skip(self, n: int) -> int:
        """Move `pos` forward by up to `n` bytes without reading them; return how many."""
        if self.size is not None:
            n = min(n, max(self.size - self.pos, 0))
        self.pos += n
        if self.pos > self.base + len(self.buf):
            self.buf = b""
            self.base = self.pos
        return n

    def seek(self, pos: int) -> None:
        """Move to an absolute offset (backwards too)."""
        if self.base <= pos <= self.base + len(self.buf):
            self.pos = pos
            return
        self.buf = b""
        self.pos = self.base = pos

    def remaining(self) -> int | None:
        return None if self.size is None else max(self.size - self.pos, 0)

    def sync(self) -> None:
        """Leave the file object positioned at `pos` (for callers that go on reading it)."""
        if self.fp.tell() != self.pos:
            self.fp.seek(self.pos)


def _read_upto(fp: BinaryIO, n: int, at_least: int) -> bytes:
    """Read up to `n` bytes, and at least `at_least` unless the data ends: a raw file
    object (a pipe, a socket, some wrappers) may return fewer bytes than asked per call."""
    data = fp.read(n)
    if len(data) >= at_least or not data:
        return data
    parts = [data]
    got = len(data)
    while got < at_least:
        chunk = fp.read(n - got)
        if not chunk:
            break
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def _size_of(fp: BinaryIO) -> int | None:
    """The end offset, by seeking: no fileno() (a SpooledTemporaryFile would roll over to
    disk) and no BytesIO.getbuffer() (a BytesIO built on bytes would copy them)."""
    try:
        here = fp.tell()
        end = fp.seek(0, io.SEEK_END)
        fp.seek(here)
        return end
    except (AttributeError, OSError, io.UnsupportedOperation, ValueError):
        return None
