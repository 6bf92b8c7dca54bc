"""Constant memory on a 1 GiB multi-frame file: bytes read and peak RSS are measured."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

import dicomcore

from .bigfile import write_multiframe

GIB = 1 << 30


class CountingFile(io.RawIOBase):
    """A read-only file that counts the bytes it hands out."""

    def __init__(self, path: Path) -> None:
        self._fp = open(path, "rb")  # noqa: SIM115 - closed in close()
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        n = self._fp.readinto(buffer)
        self.bytes_read += n or 0
        return n

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._fp.seek(offset, whence)

    def tell(self) -> int:
        return self._fp.tell()

    def fileno(self) -> int:
        return self._fp.fileno()

    def close(self) -> None:
        self._fp.close()
        super().close()


@pytest.fixture(scope="module")
def gib_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "multiframe.dcm"
    write_multiframe(path, GIB)
    return path


def test_stop_before_pixels_reads_less_than_64_kib(gib_file: Path) -> None:
    counting = CountingFile(gib_file)
    try:
        ds = dicomcore.dcmread(counting, stop_before_pixels=True)
    finally:
        counting.close()
    assert "PixelData" not in ds
    assert str(ds.PatientName) == "Big^File"
    assert counting.bytes_read < 64 * 1024, counting.bytes_read


def test_deferred_pixel_data_is_not_read(gib_file: Path) -> None:
    counting = CountingFile(gib_file)
    try:
        ds = dicomcore.dcmread(counting, defer_size="1 MB")
        assert ds["PixelData"].is_deferred
        assert counting.bytes_read < 64 * 1024, counting.bytes_read
        assert ds.NumberOfFrames == 1024
    finally:
        counting.close()


# Peak RSS of the child itself: /proc's VmHWM starts afresh at exec, while getrusage's
# ru_maxrss keeps the high-water mark of the forking parent (the pytest process).
_PEAK = """
def peak_kib():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
"""

_RSS_SCRIPT = _PEAK + """
import json, sys
import dicomcore
ds = dicomcore.dcmread(sys.argv[1], defer_size="1 MB")
touched = 0
for elem in ds.iterall():
    if elem.tag != 0x7FE00010:
        elem.value
        touched += 1
print(json.dumps({"rss_kib": peak_kib(), "touched": touched,
                  "deferred": ds["PixelData"].is_deferred}))
"""


def test_deferred_read_peak_rss_under_60_mb(gib_file: Path) -> None:
    out = subprocess.run([sys.executable, "-c", _RSS_SCRIPT, str(gib_file)], check=True,
                         capture_output=True, text=True).stdout
    result = json.loads(out)
    assert result["deferred"] is True
    assert result["touched"] > 15
    assert result["rss_kib"] < 60 * 1024, result


_WRITE_SCRIPT = _PEAK + """
import json, sys
import dicomcore
ds = dicomcore.dcmread(sys.argv[1], defer_size="1 MB")
ds.PatientName = "Changed^Name"
dicomcore.write_file(sys.argv[2], ds)
print(json.dumps({"rss_kib": peak_kib()}))
"""


def _same_tail(a: Path, b: Path, length: int, chunk: int = 1 << 24) -> bool:
    """Whether the last `length` bytes of both files are equal, compared in chunks."""
    with open(a, "rb") as fa, open(b, "rb") as fb:
        fa.seek(-length, 2)
        fb.seek(-length, 2)
        while True:
            x, y = fa.read(chunk), fb.read(chunk)
            if x != y:
                return False
            if not x:
                return True


def test_edit_and_write_of_a_deferred_gib_file_in_constant_memory(gib_file: Path,
                                                                  tmp_path: Path) -> None:
    out = tmp_path / "edited.dcm"
    result = json.loads(subprocess.run(
        [sys.executable, "-c", _WRITE_SCRIPT, str(gib_file), str(out)], check=True,
        capture_output=True, text=True).stdout)
    assert result["rss_kib"] < 60 * 1024, result
    edited = dicomcore.dcmread(out, stop_before_pixels=True)
    assert edited.PatientName == "Changed^Name"
    pixels = dicomcore.dcmread(out, defer_size=1024)["PixelData"]
    assert pixels.raw_value.length == 1024 ** 3
    assert _same_tail(gib_file, out, 1024 ** 3), "pixel bytes differ"
