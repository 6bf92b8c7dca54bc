"""`dicomcore.deferred`: values left on disk and fetched on first use.

The source is either a path (re-opened on each read, after checking that the file is still
the one that was read) or an open file object (seeked). Each way is checked for the bytes it
returns, in whole and in chunks, and for the `DeferredValueError` it raises once the bytes
cannot be had. The last tests go through `dcmread(defer_size=...)`.
"""

from __future__ import annotations

import io
import os
import struct
from pathlib import Path

import pytest

import dicomcore
from dicomcore.deferred import DeferredSource, DeferredValue
from dicomcore.errors import DeferredValueError

DATA = bytes(range(256)) * 40  # 10,240 bytes


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    path = tmp_path / "values.bin"
    path.write_bytes(DATA)
    return path


def _by_path(path: Path) -> DeferredSource:
    return DeferredSource(str(path), None, path.stat().st_size)


@pytest.mark.parametrize(("offset", "length"), [(0, 0), (0, 1), (7, 100), (0, len(DATA)),
                                                (len(DATA) - 3, 3), (len(DATA), 0)])
def test_read_by_path_and_by_file_object_give_the_same_bytes(
        data_file: Path, offset: int, length: int) -> None:
    expected = DATA[offset:offset + length]
    assert DeferredValue(_by_path(data_file), offset, length).read() == expected
    with open(data_file, "rb") as fp:
        assert DeferredValue(DeferredSource(None, fp, None), offset, length).read() == expected
    fp = io.BytesIO(DATA)
    assert DeferredValue(DeferredSource(None, fp, None), offset, length).read() == expected


@pytest.mark.parametrize("chunk_size", [1, 7, 256, 1000, len(DATA), len(DATA) + 1])
def test_iter_chunks_splits_the_value_into_chunks_of_at_most_chunk_size(
        data_file: Path, chunk_size: int) -> None:
    value = DeferredValue(_by_path(data_file), 100, 5000)
    chunks = list(value.iter_chunks(chunk_size))
    assert b"".join(chunks) == DATA[100:5100]
    assert all(len(c) == chunk_size for c in chunks[:-1])
    assert 0 < len(chunks[-1]) <= chunk_size
    assert len(chunks) == -(-5000 // chunk_size)


def test_len_and_repr() -> None:
    value = DeferredValue(DeferredSource(None, io.BytesIO(DATA), None), 12, 34)
    assert len(value) == 34
    assert repr(value) == "DeferredValue(offset=12, length=34)"


def test_a_value_read_twice_is_read_from_disk_twice(data_file: Path) -> None:
    value = DeferredValue(_by_path(data_file), 0, 4)
    assert value.read() == DATA[:4]
    with open(data_file, "r+b") as fp:  # same size; the mtime check is defeated below
        fp.write(b"ABCD")
    os.utime(data_file, ns=(value.source.mtime_ns, value.source.mtime_ns))  # type: ignore[arg-type]
    assert value.read() == b"ABCD", "nothing is cached: the value stays on disk"


# -- a path: the file must still be the one that was read ----------------------------------

def test_file_removed(data_file: Path) -> None:
    value = DeferredValue(_by_path(data_file), 0, 10)
    data_file.unlink()
    with pytest.raises(DeferredValueError, match="can no longer be read"):
        value.read()
    with pytest.raises(DeferredValueError):
        list(value.iter_chunks(4))


@pytest.mark.parametrize("new_size", [len(DATA) - 1, len(DATA) + 1, 0])
def test_file_changed_size(data_file: Path, new_size: int) -> None:
    value = DeferredValue(_by_path(data_file), 0, 10)
    data_file.write_bytes((DATA * 2)[:new_size])
    with pytest.raises(DeferredValueError, match="changed size") as info:
        value.read()
    assert str(len(DATA)) in str(info.value) and str(new_size) in str(info.value)


def test_file_modified_with_the_same_size(data_file: Path) -> None:
    value = DeferredValue(_by_path(data_file), 0, 10)
    mtime = data_file.stat().st_mtime_ns
    data_file.write_bytes(DATA[::-1])
    os.utime(data_file, ns=(mtime + 10**9, mtime + 10**9))
    with pytest.raises(DeferredValueError, match="modified"):
        value.read()


def test_file_replaced_by_another(data_file: Path, tmp_path: Path) -> None:
    value = DeferredValue(_by_path(data_file), 0, 10)
    other = tmp_path / "other.bin"
    other.write_bytes(b"x" * 3)
    os.replace(other, data_file)
    with pytest.raises(DeferredValueError):
        value.read()


def test_a_value_past_the_end_of_an_unsized_source_says_where_it_ended(data_file: Path) -> None:
    source = DeferredSource(str(data_file), None, None)  # size unknown: no size check
    with pytest.raises(DeferredValueError, match="ended 10 bytes before") as info:
        DeferredValue(source, len(DATA) - 5, 15).read()
    assert str(len(DATA)) in str(info.value), "names the offset where the data ran out"


def test_the_error_is_an_oserror(data_file: Path) -> None:
    value = DeferredValue(_by_path(data_file), 0, 10)
    data_file.unlink()
    with pytest.raises(OSError):
        value.read()


def test_a_path_source_reopens_the_file_after_close(data_file: Path) -> None:
    source = _by_path(data_file)
    source.close()
    assert DeferredValue(source, 5, 5).read() == DATA[5:10]


# -- an open file object: seeked, never reopened -------------------------------------------

def test_file_object_closed_by_its_owner(data_file: Path) -> None:
    fp = open(data_file, "rb")  # noqa: SIM115 - closed in the test
    value = DeferredValue(DeferredSource(None, fp, None), 0, 10)
    fp.close()
    with pytest.raises(DeferredValueError, match="closed"):
        value.read()


def test_file_object_source_closed() -> None:
    source = DeferredSource(None, io.BytesIO(DATA), None)
    value = DeferredValue(source, 0, 10)
    source.close()
    with pytest.raises(DeferredValueError, match="closed"):
        value.read()


def test_file_object_that_got_shorter() -> None:
    fp = io.BytesIO(DATA)
    value = DeferredValue(DeferredSource(None, fp, None), len(DATA) - 10, 10)
    fp.truncate(len(DATA) - 4)
    with pytest.raises(DeferredValueError, match="ended 4 bytes before"):
        value.read()


def test_file_object_with_one_byte_reads() -> None:
    class Trickle(io.BytesIO):
        def read(self, n: int | None = -1) -> bytes:
            return super().read(1)

    value = DeferredValue(DeferredSource(None, Trickle(DATA), None), 3, 40)
    assert value.read() == DATA[3:43]
    assert b"".join(value.iter_chunks(8)) == DATA[3:43]


def test_a_source_with_both_reads_the_open_file_object(data_file: Path) -> None:
    fp = io.BytesIO(b"from the file object" + DATA)
    source = DeferredSource(str(data_file), fp, None)
    assert DeferredValue(source, 0, 4).read() == b"from"
    source.close()
    assert DeferredValue(source, 0, 4).read() == DATA[:4], "closed: the path is re-opened"


# -- through the reader --------------------------------------------------------------------

def _ramp(length: int) -> bytes:
    return bytes(i % 251 for i in range(length))


def _file_with_a_long_value(length: int) -> bytes:
    """A DICOM file (explicit VR little endian) whose last element is an OB of `length`."""
    ts = b"1.2.840.10008.1.2.1\0"
    meta_elem = struct.pack("<HH2sH", 0x0002, 0x0010, b"UI", len(ts)) + ts
    meta = struct.pack("<HH2sHL", 0x0002, 0x0000, b"UL", 4, len(meta_elem)) + meta_elem
    name = b"Doe^John"
    body = (struct.pack("<HH2sH", 0x0010, 0x0010, b"PN", len(name)) + name +
            struct.pack("<HH2s2xL", 0x0009, 0x1010, b"OB", length) + _ramp(length))
    return b"\0" * 128 + b"DICM" + meta + body


def test_dcmread_defers_a_long_value_and_reads_it_on_access(tmp_path: Path) -> None:
    path = tmp_path / "long.dcm"
    path.write_bytes(_file_with_a_long_value(200))
    ds = dicomcore.dcmread(path, defer_size=100)
    elem = ds.get_item(0x00091010)
    assert elem is not None and elem.is_deferred
    assert isinstance(elem.raw_value, DeferredValue) and len(elem.raw_value) == 200
    assert elem.value == _ramp(200)
    assert not elem.is_deferred
    assert ds.PatientName == "Doe^John"


def test_dcmread_deferred_value_of_a_changed_file(tmp_path: Path) -> None:
    path = tmp_path / "long.dcm"
    path.write_bytes(_file_with_a_long_value(200))
    ds = dicomcore.dcmread(path, defer_size=100)
    path.write_bytes(_file_with_a_long_value(300))
    with pytest.raises(DeferredValueError):
        ds[0x00091010].value  # noqa: B018


def test_dcmread_deferred_value_of_a_file_object_closed_too_early(tmp_path: Path) -> None:
    path = tmp_path / "long.dcm"
    path.write_bytes(_file_with_a_long_value(200))
    with open(path, "rb") as fp:
        ds = dicomcore.dcmread(fp, defer_size=100)
        assert ds[0x00091010].value == _ramp(200)
        ds2 = dicomcore.dcmread(fp.name, defer_size=100)
        fp2 = open(path, "rb")  # noqa: SIM115 - closed below, on purpose too early
        ds3 = dicomcore.dcmread(fp2, defer_size=100)
    fp2.close()
    with pytest.raises(DeferredValueError):
        ds3[0x00091010].value  # noqa: B018
    assert ds2[0x00091010].value == _ramp(200), "a path is re-opened"
