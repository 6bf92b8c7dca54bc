"""Read limits (dicomcore.limits): element counts at every depth, bounded inflation of deflated
data sets into the caller's scratch directory, and the memory each costs."""

from __future__ import annotations

import io
import os
import tracemalloc
import zlib
from pathlib import Path

import pytest

import dicomcore
from dicomcore.errors import InvalidDicomError
from dicomcore.limits import MAX_ELEMENTS, LimitExceeded, ReadLimits
from tests.app.attack_inputs import (
    DEFLATED,
    deflate_bomb,
    element_flood,
    file_meta,
    header_elements,
    wide_sequence,
)

META_ELEMENTS = 5  # file_meta(): group length + 4


def read(data: bytes, **limits: object) -> dicomcore.FileDataset:
    return dicomcore.dcmread(io.BytesIO(data), limits=ReadLimits(**limits))  # type: ignore[arg-type]


def test_the_default_limit_is_one_million() -> None:
    assert ReadLimits().max_elements == MAX_ELEMENTS == 1_000_000


@pytest.mark.parametrize("count", [10, 1000])
def test_elements_up_to_the_limit_are_read_one_more_is_refused(count: int) -> None:
    data = element_flood(count)
    total = META_ELEMENTS + 3 + count  # meta, header elements, flood
    assert len(read(data, max_elements=total)) == count + 3
    with pytest.raises(LimitExceeded) as caught:
        read(data, max_elements=total - 1)
    assert isinstance(caught.value, InvalidDicomError)
    assert caught.value.limit == "max_elements"
    assert caught.value.offset == len(data) - 10  # the header of the last element
    assert caught.value.tag is not None


def test_items_and_their_elements_count_at_every_depth() -> None:
    data = wide_sequence(300)  # 300 items of one element each: 600, plus 3 + 1 + meta
    total = META_ELEMENTS + 3 + 1 + 600
    assert len(read(data, max_elements=total).ReferencedImageSequence) == 300
    with pytest.raises(LimitExceeded):
        read(data, max_elements=total - 1)


def test_empty_items_count_too() -> None:
    items = b"\xfe\xff\x00\xe0\x00\x00\x00\x00" * 500
    sequence = b"\x08\x00\x40\x11SQ\x00\x00" + len(items).to_bytes(4, "little") + items
    data = file_meta("1.2.840.10008.1.2.1") + header_elements() + sequence
    with pytest.raises(LimitExceeded):
        read(data, max_elements=400)


def test_no_limit_when_switched_off() -> None:
    assert len(read(element_flood(50), max_elements=None)) == 53


def test_a_deflate_bomb_past_the_cap_is_refused_early(tmp_path: Path) -> None:
    bomb = deflate_bomb(64 << 20)
    assert len(bomb) < 200_000
    with pytest.raises(LimitExceeded) as caught:
        read(bomb, max_inflated_bytes=4 << 20, scratch_dir=str(tmp_path), spool_bytes=1 << 20)
    assert caught.value.limit == "max_inflated_bytes"
    assert "4194304 bytes" in str(caught.value)
    assert list(tmp_path.iterdir()) == []  # the spool is gone


def test_inflation_is_bounded_in_memory_and_spooled_where_the_caller_says(tmp_path: Path
                                                                         ) -> None:
    bomb = deflate_bomb(48 << 20)
    tracemalloc.start()
    try:
        ds = read(bomb, scratch_dir=str(tmp_path), spool_bytes=1 << 20)
        try:
            _, peak = tracemalloc.get_traced_memory()
            assert ds.PatientName == "Muller^Jurgen"
        finally:
            ds.close()  # nothing deferred: the spool was closed at once
            assert _open_files_in(tmp_path) == 0
    finally:
        tracemalloc.stop()
    # 48 MiB inflated; without a bound per step one decompress() call returned all of it
    # (and the OB value is read whole: 48 MiB more); here at most a few pieces of 1 MiB.
    assert peak < 100 << 20
    assert list(tmp_path.iterdir()) == []


def test_inflation_steps_are_bounded_with_deferred_values(tmp_path: Path) -> None:
    bomb = deflate_bomb(48 << 20)
    tracemalloc.start()
    try:
        with dicomcore.dcmread(io.BytesIO(bomb), defer_size=1024, limits=ReadLimits(
                scratch_dir=str(tmp_path), spool_bytes=1 << 20)) as ds:
            _, peak = tracemalloc.get_traced_memory()
            assert _open_files_in(tmp_path) == 1  # spooled to disk (unlinked), in tmp_path
            assert ds[0x00111000].is_deferred
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20
    assert _open_files_in(tmp_path) == 0  # closed with the data set


def _open_files_in(directory: Path) -> int:
    """Files of this process open in `directory` (unlinked ones included)."""
    found = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        found += target.startswith(str(directory) + "/")
    return found


def test_a_corrupt_deflate_stream_is_invalid_dicom() -> None:
    body = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    data = bytearray(body.compress(header_elements()) + body.flush())
    data[3] ^= 0xFF
    with pytest.raises(InvalidDicomError) as caught:
        read(file_meta(DEFLATED) + bytes(data))
    assert not isinstance(caught.value, LimitExceeded)


def test_an_inflated_copy_reads_as_the_deflated_file_without_inflating(tmp_path: Path
                                                                       ) -> None:
    from dicomcore.filereader import write_inflated

    bomb = deflate_bomb(8 << 20)
    copy = io.BytesIO()
    assert write_inflated(io.BytesIO(bomb), copy)
    assert len(copy.getvalue()) > 8 << 20  # inflated, meta as it was
    head = len(file_meta(DEFLATED))
    assert copy.getvalue()[:head] == bomb[:head]
    stored = dicomcore.dcmread(io.BytesIO(copy.getvalue()), defer_size=1024,
                               limits=ReadLimits(stored_inflated=True,
                                                 scratch_dir=str(tmp_path)))
    original = dicomcore.dcmread(io.BytesIO(bomb), defer_size=1024)
    assert _open_files_in(tmp_path) == 0  # nothing inflated this time
    assert [(e.tag, e.VR, len(e.raw_value)) for e in stored] == \
        [(e.tag, e.VR, len(e.raw_value)) for e in original]
    assert stored.file_meta.TransferSyntaxUID == DEFLATED
    rewritten, expected = io.BytesIO(), io.BytesIO()
    dicomcore.write_file(rewritten, stored)
    dicomcore.write_file(expected, original)
    assert rewritten.getvalue() == expected.getvalue()  # deflated again, as the original


def test_an_inflated_copy_is_bounded_and_only_for_deflated_files() -> None:
    from dicomcore.filereader import write_inflated

    with pytest.raises(LimitExceeded):
        write_inflated(io.BytesIO(deflate_bomb(8 << 20)), io.BytesIO(),
                       ReadLimits(max_inflated_bytes=1 << 20))
    out = io.BytesIO()
    assert not write_inflated(io.BytesIO(element_flood(3)), out)
    assert out.getvalue() == b""
