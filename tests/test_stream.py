"""`dicomcore.stream.ByteStream`: the read window the parser works on.

Every operation is checked against the plain bytes it reads (`DATA[a:b]`), at the edges of
the window, with a file object that returns one byte per read call (as a pipe or a socket
may), and with a file object whose size cannot be found by seeking.
"""

from __future__ import annotations

import io

import pytest

from dicomcore.stream import ByteStream

DATA = bytes(range(256)) * 4  # 1024 bytes; every byte says where it is (mod 256)


class OneByteReads(io.RawIOBase):
    """A seekable file object whose read() returns at most one byte per call."""

    def __init__(self, data: bytes) -> None:
        self._inner = io.BytesIO(data)
        self.read_calls = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._inner.tell()

    def seek(self, pos: int, whence: int = io.SEEK_SET) -> int:
        return self._inner.seek(pos, whence)

    def read(self, n: int = -1) -> bytes:
        self.read_calls += 1
        return self._inner.read(1 if n is None or n < 0 else min(n, 1))


class NoSeekEnd(io.BytesIO):
    """A file object that can seek to absolute offsets but cannot tell where it ends."""

    def seek(self, pos: int, whence: int = io.SEEK_SET) -> int:
        if whence != io.SEEK_SET:
            raise io.UnsupportedOperation("seek from the end")
        return super().seek(pos)


def _plain(window: int = 16, start: int = 0) -> ByteStream:
    fp = io.BytesIO(DATA)
    fp.seek(start)
    return ByteStream(fp, window=window)


FILE_OBJECTS = {
    "bytesio": lambda: io.BytesIO(DATA),
    "one-byte-reads": lambda: OneByteReads(DATA),
    "size-unknown": lambda: NoSeekEnd(DATA),
}


@pytest.fixture(params=sorted(FILE_OBJECTS))
def stream(request: pytest.FixtureRequest) -> ByteStream:
    return ByteStream(FILE_OBJECTS[request.param](), window=16)


def test_size_is_found_by_seeking_and_the_position_is_kept() -> None:
    fp = io.BytesIO(DATA)
    fp.seek(100)
    s = ByteStream(fp)
    assert (s.size, s.pos, s.base, fp.tell()) == (len(DATA), 100, 100, 100)
    assert s.remaining() == len(DATA) - 100
    assert s.take(4) == DATA[100:104]


def test_size_given_overrides_the_file_size() -> None:
    s = ByteStream(io.BytesIO(DATA), size=10)
    assert s.remaining() == 10
    assert s.skip(50) == 10, "skip stops at the given size"
    assert s.take(5) == b""


def test_size_unknown_when_the_file_cannot_seek_to_its_end() -> None:
    s = ByteStream(NoSeekEnd(DATA))
    assert s.size is None and s.remaining() is None
    assert s.take(len(DATA) + 10) == DATA, "take stops where the data ends"
    assert s.pos == len(DATA)


# -- fill ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("start", "n"), [
    (0, 1), (0, 16), (0, 17), (0, 100), (15, 2), (16, 16), (1000, 24), (1010, 20), (1024, 1),
])
def test_fill_makes_n_bytes_available_at_pos_when_the_data_has_them(
        stream: ByteStream, start: int, n: int) -> None:
    stream.seek(start)
    got = stream.fill(n)
    expected = min(n, len(DATA) - start)
    assert got >= expected
    assert stream.available == got
    p = stream.pos - stream.base
    assert stream.buf[p:p + expected] == DATA[start:start + expected]
    assert stream.pos == start, "fill never moves the position"


def test_fill_keeps_the_unread_part_of_the_window() -> None:
    s = _plain(window=16)
    s.fill(16)
    s.skip(10)
    assert s.fill(12) >= 12
    p = s.pos - s.base
    assert s.buf[p:p + 12] == DATA[10:22]


def test_fill_that_is_already_satisfied_reads_nothing() -> None:
    fp = OneByteReads(DATA)
    s = ByteStream(fp, window=16)
    s.fill(4)
    calls = fp.read_calls
    s.skip(1)
    assert s.fill(3) >= 3
    assert fp.read_calls == calls


def test_fill_at_the_end_returns_zero() -> None:
    s = _plain(start=len(DATA))
    assert s.fill(8) == 0
    assert s.available == 0


# -- take ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("start", "n"), [
    (0, 0), (0, 1), (0, 15), (0, 16), (0, 17), (5, 11), (5, 12), (0, 1024), (1000, 24),
    (1000, 25), (1023, 4), (1024, 4),
])
def test_take_reads_exactly_the_bytes_at_pos(stream: ByteStream, start: int, n: int) -> None:
    stream.seek(start)
    stream.fill(1)  # a window that may or may not cover the value
    data = stream.take(n)
    assert data == DATA[start:start + n]
    assert stream.pos == start + len(data)


def test_take_across_the_window_edge_then_continue(stream: ByteStream) -> None:
    stream.fill(16)
    assert stream.take(10) == DATA[:10]
    assert stream.take(10) == DATA[10:20], "6 bytes from the window, 4 from the file"
    stream.fill(8)
    assert stream.take(8) == DATA[20:28]


class RecordedReads(io.BytesIO):
    """A BytesIO that records (offset, size) of every read call."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.reads: list[tuple[int, int]] = []

    def read(self, n: int | None = -1) -> bytes:
        self.reads.append((self.tell(), -1 if n is None else n))
        return super().read(n)


def test_take_past_the_window_reads_the_value_whole_from_its_start() -> None:
    fp = RecordedReads(DATA)
    s = ByteStream(fp, window=16)
    s.fill(16)
    s.skip(6)
    assert s.take(500) == DATA[6:506]
    assert fp.reads == [(0, 16), (6, 500)], "one read: the window's tail is not joined to it"
    assert s.take(4) == DATA[506:510]


def test_take_in_small_steps_reads_everything(stream: ByteStream) -> None:
    parts = []
    while True:
        stream.fill(3)
        part = stream.take(3)
        if not part:
            break
        parts.append(part)
    assert b"".join(parts) == DATA


# -- skip and seek -------------------------------------------------------------------------

@pytest.mark.parametrize(("start", "n"), [(0, 0), (0, 5), (0, 16), (0, 17), (10, 500),
                                          (1000, 24)])
def test_skip_moves_without_reading(stream: ByteStream, start: int, n: int) -> None:
    stream.seek(start)
    stream.fill(16)
    assert stream.skip(n) == n
    assert stream.pos == start + n
    assert stream.take(4) == DATA[start + n:start + n + 4]


def test_skip_past_the_end_is_cut_at_the_size() -> None:
    s = _plain(start=1000)
    assert s.skip(100) == 24
    assert s.pos == len(DATA)
    assert s.take(1) == b""


def test_skip_past_the_end_with_size_unknown_is_not_cut() -> None:
    s = ByteStream(NoSeekEnd(DATA))
    s.seek(1000)
    assert s.skip(100) == 100, "without a size the stream cannot know"
    assert s.take(1) == b""


@pytest.mark.parametrize("target", [0, 3, 15, 16, 17, 512, 1023, 1024])
def test_seek_backwards_and_forwards(stream: ByteStream, target: int) -> None:
    stream.fill(16)
    stream.skip(8)
    stream.seek(target)
    assert stream.pos == target
    assert stream.take(4) == DATA[target:target + 4]
    stream.seek(2)
    assert stream.take(3) == DATA[2:5]


def test_seek_inside_the_window_keeps_it() -> None:
    s = _plain(window=16)
    s.fill(16)
    buf = s.buf
    s.seek(12)
    assert s.buf is buf and s.available == 4


def test_sync_leaves_the_file_object_at_pos() -> None:
    fp = io.BytesIO(DATA)
    s = ByteStream(fp, window=16)
    s.fill(16)
    s.skip(5)
    assert fp.tell() == 16, "the window read ahead"
    s.sync()
    assert fp.tell() == 5
    assert fp.read(3) == DATA[5:8]


def test_an_outside_read_of_the_file_object_does_not_confuse_the_stream() -> None:
    fp = io.BytesIO(DATA)
    s = ByteStream(fp, window=16)
    s.fill(16)
    s.skip(16)
    fp.seek(900)  # e.g. a deferred value read through the same file object
    assert s.take(20) == DATA[16:36]
    fp.seek(0)
    assert s.fill(20) >= 20
    assert s.buf[s.pos - s.base:s.pos - s.base + 4] == DATA[36:40]
