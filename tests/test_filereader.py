"""The reading API: options, sources, deferred values, stop conditions and force."""

from __future__ import annotations

import io
import os
import shutil
import struct
import tempfile
import threading
import warnings
from pathlib import Path

import pytest

import dicomcore
from dicomcore import InvalidDicomError
from dicomcore.errors import DeferredValueError, TruncatedFileWarning
from dicomcore.filereader import open_dicom, parse_defer_size, read_dataset, read_partial
from dicomcore.limits import LimitExceeded, ReadLimits

from .corpus import PYDICOM_DATA

TEST_FILES = PYDICOM_DATA / "test_files"
CT = TEST_FILES / "CT_small.dcm"
MR_IMPLICIT = TEST_FILES / "MR_small_implicit.dcm"


@pytest.mark.parametrize(("text", "expected"), [
    (None, None), (1024, 1024), (2.5, 2), ("512", 512), ("512 KB", 512_000),
    ("2 MB", 2_000_000), ("1 GB", 1_000_000_000), ("1 KiB", 1024), ("2MiB", 2 * 1024 ** 2),
    ("0.5 kb", 500), (float("inf"), None),
])
def test_parse_defer_size(text: object, expected: int | None) -> None:
    assert parse_defer_size(text) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["big", "12 parsecs", "", "MB"])
def test_parse_defer_size_refuses_nonsense(text: str) -> None:
    with pytest.raises(ValueError):
        parse_defer_size(text)


def test_path_str_pathlike_and_fileobj_give_the_same_dataset() -> None:
    by_str = dicomcore.dcmread(str(CT))
    by_path = dicomcore.read_file(CT)
    with open(CT, "rb") as fp:
        by_obj = dicomcore.dcmread(fp)
        assert not fp.closed, "a file-like object stays open: it is the caller's"
    assert by_str == by_path == by_obj
    assert by_str.filename == str(CT)
    assert by_str.preamble is not None and len(by_str.preamble) == 128


def test_bytesio_and_unseekable_stream() -> None:
    data = CT.read_bytes()
    from_bytes = dicomcore.dcmread(io.BytesIO(data))

    class Pipe(io.RawIOBase):
        def __init__(self) -> None:
            self._inner = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
            chunk = self._inner.read(min(len(buffer), 1000))
            buffer[:len(chunk)] = chunk
            return len(chunk)

    from_pipe = dicomcore.dcmread(io.BufferedReader(Pipe()))
    assert from_bytes == from_pipe == dicomcore.dcmread(CT)


def test_deferred_values_reopen_the_file_by_name(tmp_path: Path) -> None:
    copy = tmp_path / "ct.dcm"
    shutil.copy(CT, copy)
    ds = dicomcore.dcmread(copy, defer_size="1 KB")
    pixels = ds["PixelData"]
    assert pixels.is_deferred
    assert pixels.value == dicomcore.dcmread(CT).PixelData
    assert not pixels.is_deferred


def test_deferred_value_of_a_changed_file_is_a_clear_error(tmp_path: Path) -> None:
    copy = tmp_path / "ct.dcm"
    shutil.copy(CT, copy)
    ds = dicomcore.dcmread(copy, defer_size=1000)
    with open(copy, "ab") as fp:
        fp.write(b"\0\0")
    with pytest.raises(DeferredValueError, match="changed size"):
        ds.PixelData  # noqa: B018
    os.remove(copy)
    with pytest.raises(DeferredValueError, match="can no longer be read"):
        ds.PixelData  # noqa: B018


def test_deferred_values_seek_an_open_file_object() -> None:
    with open(CT, "rb") as fp:
        ds = dicomcore.dcmread(fp, defer_size=1000)
        assert ds["PixelData"].is_deferred
        fp.seek(5)
        assert ds.PixelData == dicomcore.dcmread(CT).PixelData
    ds = dicomcore.dcmread(open(CT, "rb"), defer_size=1000)  # noqa: SIM115
    ds["PixelData"].raw_value.source.fileobj.close()
    with pytest.raises(DeferredValueError, match="closed"):
        ds.PixelData  # noqa: B018


def test_stop_before_pixels() -> None:
    ds = dicomcore.dcmread(CT, stop_before_pixels=True)
    full = dicomcore.dcmread(CT)
    assert "PixelData" not in ds
    assert max(full.keys()) > 0x7FE00010, "CT_small has elements after its pixel data"
    assert ds.keys() == [tag for tag in full.keys() if tag < 0x7FE00010]
    assert ds.PatientName == full.PatientName


def test_read_partial_stops_before_the_first_matching_element() -> None:
    seen = []

    def stop_at_patient_group(tag: int, vr: str | None, length: int) -> bool:
        seen.append((tag, vr, length))
        return tag >> 16 >= 0x0010

    ds = read_partial(CT, stop_at_patient_group)
    assert max(ds.keys()) < 0x00100000
    assert "PatientName" not in ds
    assert seen[-1][0] == 0x00100010 and seen[-1][1] == "PN"
    assert all(tag >> 16 != 0x0002 for tag, _, _ in seen), "the file meta is not offered"


def test_read_partial_leaves_a_file_object_before_the_stop() -> None:
    with open(CT, "rb") as fp:
        read_partial(fp, lambda tag, vr, length: tag == 0x00100010)
        assert fp.read(4) == struct.pack("<HH", 0x0010, 0x0010)


def test_read_dataset_from_the_current_position() -> None:
    data = CT.read_bytes()
    full = dicomcore.dcmread(CT)
    with open(CT, "rb") as fp:
        meta = read_partial(fp, lambda tag, vr, length: tag >> 16 != 2)
        start = fp.tell()
        ds = read_dataset(fp, is_implicit_VR=False, is_little_endian=True)
    assert meta.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.1"
    assert ds == dicomcore.Dataset(full)
    patient_start = full["PatientName"].file_tell - 8 - start
    limited = read_dataset(io.BytesIO(data[start:]), False, True, bytelength=patient_start)
    assert limited.keys() == [tag for tag in full.keys() if tag < 0x00100010]
    with pytest.raises(InvalidDicomError, match="past the end"):
        read_dataset(io.BytesIO(data[start:]), False, True, bytelength=patient_start + 9)


def test_open_dicom_and_filedataset_close_what_they_hold(tmp_path: Path) -> None:
    with open_dicom(CT, defer_size=1000) as ds:
        assert ds.PatientName == "CompressedSamples^CT1"
    with dicomcore.dcmread(CT) as ds:
        assert ds.Modality == "CT"
    deflated = dicomcore.dcmread(TEST_FILES / "image_dfl.dcm", defer_size=100)
    with deflated:
        value = deflated.PixelData
    assert len(value) > 100
    with pytest.raises(DeferredValueError):
        dicomcore.dcmread(TEST_FILES / "image_dfl.dcm", defer_size=100).close() or \
            _deferred_after_close()


def _deferred_after_close() -> None:
    ds = dicomcore.dcmread(TEST_FILES / "image_dfl.dcm", defer_size=100)
    ds.close()
    ds.PixelData  # noqa: B018


def test_missing_preamble_says_what_was_found() -> None:
    with pytest.raises(InvalidDicomError, match=r"force=True") as info:
        dicomcore.dcmread(TEST_FILES / "ExplVR_LitEndNoMeta.dcm")
    assert info.value.offset == 128
    with pytest.raises(InvalidDicomError, match="only 10 bytes"):
        dicomcore.dcmread(io.BytesIO(b"0123456789"))


@pytest.mark.parametrize(("name", "implicit", "little"), [
    ("ExplVR_BigEndNoMeta.dcm", False, False),
    ("ExplVR_LitEndNoMeta.dcm", False, True),
    ("rtstruct.dcm", True, True),
])
def test_force_detects_the_encoding_of_a_bare_data_set(name: str, implicit: bool,
                                                       little: bool) -> None:
    ds = dicomcore.dcmread(TEST_FILES / name, force=True)
    assert ds.preamble is None
    assert len(ds.file_meta) == 0
    assert (ds.is_implicit_VR, ds.is_little_endian) == (implicit, little)
    assert len(ds) > 10


def test_truncated_file_keeps_what_was_read() -> None:
    with pytest.warns(TruncatedFileWarning):
        ds = dicomcore.dcmread(TEST_FILES / "MR_truncated.dcm")
        pixels = ds.PixelData
    assert 0 < len(pixels) < 2 * ds.Rows * ds.Columns
    with pytest.warns(TruncatedFileWarning):
        plan = dicomcore.dcmread(TEST_FILES / "rtplan_truncated.dcm")
    assert len(plan.BeamSequence) == 1


def test_explicit_file_with_implicit_data_set_is_read_with_a_warning() -> None:
    data = bytearray(MR_IMPLICIT.read_bytes())
    uid = b"1.2.840.10008.1.2\0"
    at = data.index(uid)
    data[at:at + len(uid)] = b"1.2.840.10008.1.2.1"[:len(uid)]
    with pytest.warns(UserWarning, match="implicit VR"):
        ds = dicomcore.dcmread(io.BytesIO(bytes(data)))
    assert ds.is_implicit_VR
    assert ds.PatientName == dicomcore.dcmread(MR_IMPLICIT).PatientName


def test_charset_element_is_never_deferred() -> None:
    ds = dicomcore.dcmread(PYDICOM_DATA / "charset_files" / "chrH31.dcm", defer_size=0)
    assert not ds["SpecificCharacterSet"].is_deferred
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert str(ds.PatientName) == "Yamada^Tarou=山田^太郎=やまだ^たろう"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_named_pipe_is_opened_once_and_refused_not_waited_on(tmp_path: Path) -> None:
    # A path is opened once: opened twice, a FIFO's writer is gone after the first close and
    # the second open waits for one for ever.
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    outcome: dict[str, BaseException | None] = {}

    def write() -> None:
        try:
            with open(fifo, "wb") as pipe:
                pipe.write((PYDICOM_DATA / "test_files" / "CT_small.dcm").read_bytes())
        except BrokenPipeError:
            pass  # the reader gave up: what we expect

    def read() -> None:
        try:
            dicomcore.dcmread(fifo)
            outcome["read"] = None
        except OSError as exc:
            outcome["read"] = exc

    threads = [threading.Thread(target=read, daemon=True),
               threading.Thread(target=write, daemon=True)]
    for thread in threads:
        thread.start()
    threads[0].join(10)
    assert not threads[0].is_alive() and isinstance(outcome["read"], OSError)


def test_a_path_is_opened_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Past the size read whole too (a file of 2 MiB): the descriptor of the first open is
    # the one read, so a path cannot name another file, or a FIFO lose its writer, between two.
    path = tmp_path / "large.dcm"
    ds = dicomcore.dcmread(PYDICOM_DATA / "test_files" / "CT_small.dcm")
    ds.add_new(0x00091010, "OB", b"\0" * (2 << 20))  # a private value makes it large
    ds.save_as(path)
    opened: list[object] = []
    os_open, builtin_open = os.open, open

    def counting_os_open(file: object, *args: object, **kwargs: object) -> int:
        opened.append(file)
        return os_open(file, *args, **kwargs)  # type: ignore[arg-type]

    def counting_open(file: object, *args: object, **kwargs: object) -> object:
        opened.append(file)
        return builtin_open(file, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(os, "open", counting_os_open)
    monkeypatch.setattr("builtins.open", counting_open)
    for options in ({}, {"defer_size": 1024}):
        opened.clear()
        read = dicomcore.dcmread(path, **options)
        assert [name for name in opened if name == str(path)] == [str(path)], options
        assert read.PatientName == ds.PatientName


def test_a_directory_is_refused_as_open_refuses_it(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError) as raised:
        dicomcore.dcmread(tmp_path)
    assert raised.value.filename == str(tmp_path)


def test_a_failed_read_of_a_deflated_file_closes_its_inflated_copy(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spools: list[tempfile.SpooledTemporaryFile[bytes]] = []
    spooled = tempfile.SpooledTemporaryFile

    def recorded(*args: object, **kwargs: object) -> tempfile.SpooledTemporaryFile[bytes]:
        spools.append(spooled(*args, **kwargs))  # type: ignore[arg-type]
        return spools[-1]

    monkeypatch.setattr(tempfile, "SpooledTemporaryFile", recorded)
    limits = ReadLimits(max_elements=20, scratch_dir=str(tmp_path), spool_bytes=1)
    with pytest.raises(LimitExceeded):
        read_partial(PYDICOM_DATA / "test_files" / "image_dfl.dcm", limits=limits)
    assert len(spools) == 1 and spools[0].closed
