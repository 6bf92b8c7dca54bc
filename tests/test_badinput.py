"""Bad input gets `InvalidDicomError` naming offset and tag, or a documented recovery with a
warning: never another exception, a hang, a RecursionError or a huge allocation."""

from __future__ import annotations

import io
import os
import struct
import tracemalloc
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dicomcore
from dicomcore import InvalidDicomError
from dicomcore.errors import TruncatedFileWarning
from dicomcore.limits import MAX_DEPTH

from .corpus import ALL_READABLE, PYDICOM_DATA, corpus_id

PREFIX = b"\0" * 128 + b"DICM"
META = (struct.pack("<HH2sHL", 2, 0, b"UL", 4, 28)
        + struct.pack("<HH2sH", 2, 0x10, b"UI", 20) + b"1.2.840.10008.1.2.1\0")


def explicit(tag: int, vr: bytes, value: bytes, length: int | None = None) -> bytes:
    length = len(value) if length is None else length
    if vr in (b"OB", b"OW", b"SQ", b"UN", b"UT"):
        return struct.pack("<HH2sHL", tag >> 16, tag & 0xFFFF, vr, 0, length) + value
    return struct.pack("<HH2sH", tag >> 16, tag & 0xFFFF, vr, length) + value


def item(content: bytes, length: int | None = None) -> bytes:
    return struct.pack("<HHL", 0xFFFE, 0xE000, len(content) if length is None else length) + \
        content


def read_all(data: bytes, **options: object) -> dicomcore.Dataset:
    """Read and decode every value, as a user touching the whole data set would."""
    ds = dicomcore.dcmread(io.BytesIO(data), **options)  # type: ignore[arg-type]
    for elem in ds.iterall():
        elem.value  # noqa: B018
        str(elem)
    for elem in ds.file_meta:
        elem.value  # noqa: B018
    return ds


def test_absurd_length_inside_an_item_names_offset_and_tag() -> None:
    inner = explicit(0x00100010, b"UN", b"Doe", length=0xFFFFFFF0)
    data = PREFIX + META + explicit(0x00081140, b"SQ", item(inner))
    with pytest.raises(InvalidDicomError) as info:
        read_all(data)
    assert info.value.tag == 0x00100010
    assert info.value.offset == len(PREFIX + META) + 12 + 8
    assert "(0010,0010)" in str(info.value) and str(info.value.offset) in str(info.value)


def test_absurd_length_at_top_level_is_truncation_without_allocation() -> None:
    data = PREFIX + META + explicit(0x00100010, b"OB", b"abcd", length=0xFFFFFFF0)
    tracemalloc.start()
    try:
        with pytest.warns(TruncatedFileWarning, match="offset"):
            ds = read_all(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert ds[0x00100010].value == b"abcd"
    assert peak < 1 << 20


def test_item_tag_where_an_element_belongs() -> None:
    data = PREFIX + META + item(b"")
    with pytest.raises(InvalidDicomError, match="item tag") as info:
        read_all(data)
    assert info.value.tag == 0xFFFEE000 and info.value.offset == len(PREFIX + META)


def test_element_where_an_item_belongs() -> None:
    data = PREFIX + META + explicit(0x00081140, b"SQ", explicit(0x00100010, b"PN", b"Doe^"))
    with pytest.raises(InvalidDicomError, match="expected an item tag") as info:
        read_all(data)
    assert info.value.tag == 0x00100010


def test_garbage_after_the_preamble() -> None:
    first = explicit(0x00080020, b"DA", b"20240101")
    with pytest.raises(InvalidDicomError, match="invalid VR") as info:
        read_all(PREFIX + META + first + b"\x10\x00\x20\x00\x01\x02\x03\x04garbage!")
    assert info.value.offset == len(PREFIX + META + first)
    with pytest.warns(UserWarning, match="implicit VR"):
        read_all(PREFIX + META + b"\x08\x00\x20\x00\x01\x02\x03\x04garbage!")


def test_endless_nesting_is_bounded() -> None:
    depth = 5000
    opening = struct.pack("<HH2sHL", 0x0008, 0x1140, b"SQ", 0, 0xFFFFFFFF) + \
        struct.pack("<HHL", 0xFFFE, 0xE000, 0xFFFFFFFF)
    with pytest.raises(InvalidDicomError, match=f"deeper than {MAX_DEPTH}"):
        read_all(PREFIX + META + opening * depth)


def test_nesting_up_to_the_bound_reads() -> None:
    depth = MAX_DEPTH - 1
    opening = struct.pack("<HH2sHL", 0x0008, 0x1140, b"SQ", 0, 0xFFFFFFFF) + \
        struct.pack("<HHL", 0xFFFE, 0xE000, 0xFFFFFFFF)
    closing = struct.pack("<HHL", 0xFFFE, 0xE00D, 0) + struct.pack("<HHL", 0xFFFE, 0xE0DD, 0)
    ds = read_all(PREFIX + META + opening * depth + closing * depth)
    level = 0
    while "ReferencedImageSequence" in ds:
        ds = ds.ReferencedImageSequence[0]
        level += 1
    assert level == depth


@pytest.mark.parametrize("path", ALL_READABLE[::3], ids=corpus_id)
def test_every_cut_of_a_file_is_read_or_refused(path: Path) -> None:
    data = path.read_bytes()[:4000]
    for cut in range(0, len(data), 97):
        _read_or_refuse(data[:cut])


def _read_or_refuse(data: bytes) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            read_all(data, force=True)
        except InvalidDicomError:
            pass


_SMALL = [p for p in ALL_READABLE if p.stat().st_size < 40_000]


@st.composite
def mutated_files(draw: st.DrawFn) -> bytes:
    path = draw(st.sampled_from(_SMALL))
    data = bytearray(path.read_bytes())
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "cut", "length", "splice", "insert"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "cut":
            del data[at:]
        elif kind == "length" and len(data) > at + 4:
            data[at:at + 4] = struct.pack("<L", draw(st.sampled_from(
                [0, 1, 0xFFFFFFFF, 0xFFFFFFF0, 0x7FFFFFFF, draw(st.integers(0, 1 << 16))])))
        elif kind == "splice" and len(data) > 16:
            start = draw(st.integers(0, len(data) - 12))
            data[at:at] = data[start:start + draw(st.integers(4, 12))]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=12))
    return bytes(data)


@settings(max_examples=int(os.environ.get("DICOMCORE_FUZZ_EXAMPLES", "300")), deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_files())
def test_mutated_corpus_files_are_read_or_refused(data: bytes) -> None:
    _read_or_refuse(data)


def test_charset_files_survive_flipped_bytes() -> None:
    for path in sorted((PYDICOM_DATA / "charset_files").glob("*.dcm")):
        data = bytearray(path.read_bytes())
        for at in range(300, len(data), 53):
            data2 = bytearray(data)
            data2[at] ^= 0x80
            _read_or_refuse(bytes(data2))
