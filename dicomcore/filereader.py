"""Read DICOM files: preamble, file meta, transfer syntax, then the data set.

`read_file` (also `dcmread`) is the entry point; `read_partial` gives control over where to
stop, `read_dataset` reads a bare data set from the current position, `read_file_meta_info`
only the file meta, and `open_dicom` is a context manager that closes what it opened.
`data_element_generator` (from `rawelement`) streams raw elements without a data set. Paths are read and closed at once: deferred
values re-open the file by name when first accessed. A file-like object stays open and is
the caller's to close; deferred values seek it.

`defer_size` is None (read every value), a number of bytes, or a string with a unit:
"KB", "MB", "GB" are powers of 1000 and "KiB", "MiB", "GiB" powers of 1024 (as pydicom).
"""

from __future__ import annotations

import errno
import io
import os
import re
import tempfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from stat import S_ISDIR, S_ISREG
from typing import Any, BinaryIO

from .charset import DEFAULT_ENCODINGS
from .dataset import Dataset, FileDataset, FileMetaDataset
from .dates import datetime_value
from .deferred import DeferredSource
from .errors import InvalidDicomError
from .limits import DEFAULT_LIMITS, INFLATE_PIECE, LimitExceeded, ReadLimits
from .parser import DatasetParser, StopWhen
from .rawelement import data_element_generator
from .stream import ByteStream
from .tag import SPECIFIC_CHARACTER_SET, TRANSFER_SYNTAX_UID, BaseTag, Tag
from .uid import transfer_syntax
from .vr import VALID_VRS

__all__ = ["read_file", "dcmread", "read_partial", "read_dataset", "open_dicom",
           "read_file_meta_info", "read_preamble", "data_element_generator",
           "parse_defer_size", "PIXEL_TAGS", "write_inflated"]

PIXEL_TAGS = frozenset({0x7FE00010, 0x7FE00008, 0x7FE00009})
_UNITS = {"b": 1, "kb": 1000, "mb": 1000 ** 2, "gb": 1000 ** 3, "kib": 1024,
          "mib": 1024 ** 2, "gib": 1024 ** 3}
_VR_BYTES = frozenset(vr.encode() for vr in VALID_VRS)


def parse_defer_size(value: int | float | str | None) -> int | None:
    """Bytes from None, a number or "512 KB" / "2 MB" / "1 GiB" (KB = 1000, KiB = 1024)."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        if value == float("inf"):
            return None
        return int(value)
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([A-Za-z]*)\s*", value)
    if not match or match.group(2).lower() not in _UNITS | {"": 1}:
        raise ValueError(f"defer_size {value!r} is not a size such as 1024, '512 KB' or '2 MB'")
    unit = match.group(2).lower() or "b"
    return int(float(match.group(1)) * _UNITS[unit])


def read_file(fp: str | os.PathLike[str] | BinaryIO, defer_size: int | str | None = None,
              stop_before_pixels: bool = False, force: bool = False,
              specific_tags: list[Any] | None = None, *, datetime_conversion: bool = False,
              limits: ReadLimits = DEFAULT_LIMITS) -> FileDataset:
    """Read a DICOM file (path or binary file-like object) into a `FileDataset`.

    `specific_tags` (tags or keywords): keep only these top-level elements, and Specific
    Character Set (as pydicom). Reading stops after the last of them, so naming header
    elements never reads the pixel data. `datetime_conversion=True` gives DA, DT and TM
    values (at every depth) as `valuerep.DA`/`DT`/`TM` objects instead of text (pydicom's
    `config.datetime_conversion`, here for this call only); text that is no date stays text.
    `limits` bounds what the read may cost (see `read_partial`).

    >>> from dicomcore import dcmread
    >>> ds = dcmread("image.dcm", stop_before_pixels=True)   # doctest: +SKIP
    """
    stop_when = _stop_before_pixels if stop_before_pixels else None
    if not specific_tags:
        ds = read_partial(fp, stop_when, defer_size=defer_size, force=force, limits=limits)
    else:
        ds = _read_specific(fp, specific_tags, stop_before_pixels, defer_size, force, limits)
    if datetime_conversion:
        _convert_datetimes(ds)
    return ds


def _read_specific(fp: str | os.PathLike[str] | BinaryIO, specific_tags: list[Any],
                   stop_before_pixels: bool, defer_size: int | str | None, force: bool,
                   limits: ReadLimits) -> FileDataset:
    wanted = {int(Tag(t)) for t in specific_tags} | {SPECIFIC_CHARACTER_SET}
    last = max(wanted)

    def stop_after_last(tag: BaseTag, vr: str | None, length: int) -> bool:
        return tag > last or (stop_before_pixels and tag in PIXEL_TAGS)

    ds = read_partial(fp, stop_after_last, defer_size=defer_size, force=force,
                      limits=limits)
    ds.replace_all(elem for elem in ds.elements_in_file_order() if elem.tag in wanted)
    return ds


dcmread = read_file


def _convert_datetimes(ds: Dataset) -> None:
    for elem in ds:
        if elem.VR in ("DA", "DT", "TM"):
            value = elem.value
            converted = datetime_value(elem.VR, list(value) if isinstance(value, list) else value)
            if converted != value or type(converted) is not type(value):
                elem.value = converted
        elif elem.VR == "SQ":
            for item in elem.value:
                _convert_datetimes(item)


def read_file_meta_info(filename: str | os.PathLike[str] | BinaryIO) -> FileMetaDataset:
    """The file meta group (0002) of a DICOM file, nothing of the data set; raises
    `InvalidDicomError` when there is no preamble and 'DICM' (as pydicom)."""
    meta = read_partial(filename, _stop_at_once).file_meta
    return meta if isinstance(meta, FileMetaDataset) else FileMetaDataset(meta)


def _stop_at_once(tag: BaseTag, vr: str | None, length: int) -> bool:
    return True


def _stop_before_pixels(tag: BaseTag, vr: str | None, length: int) -> bool:
    return tag in PIXEL_TAGS


def read_partial(fileobj: str | os.PathLike[str] | BinaryIO, stop_when: StopWhen | None = None,
                 defer_size: int | str | None = None, force: bool = False,
                 limits: ReadLimits = DEFAULT_LIMITS) -> FileDataset:
    """Read a file, stopping before the first top-level element for which
    `stop_when(tag, VR, length)` is true. `limits` bounds what the read may cost (elements,
    inflated size, where an inflated data set is spooled): `limits.LimitExceeded` past one."""
    defer = parse_defer_size(defer_size)
    if isinstance(fileobj, (str, os.PathLike)):
        path = os.fspath(fileobj)
        fd, stat, data = _open_file(path)
        if data is not None:
            # Read in one call and closed before it is parsed: values are slices of it.
            source = None if defer is None else DeferredSource(path, None, stat.st_size,
                                                               stat.st_mtime_ns)
            return _read(ByteStream.of_bytes(data), path, None, source, stop_when, defer,
                         force, limits)
        # Unbuffered (the stream reads in windows of its own), on the descriptor opened
        # above: a path opened twice could be another file the second time, and a FIFO's
        # writer would be gone.
        with open(fd, "rb", buffering=0) as fp:
            source = None if defer is None else DeferredSource(path, None, stat.st_size,
                                                               stat.st_mtime_ns)
            return _read(ByteStream(fp, stat.st_size), path, None, source, stop_when, defer,
                         force, limits)
    fp = fileobj
    if not _seekable(fp):
        fp = io.BytesIO(fp.read())
    source = None if defer is None else DeferredSource(None, fp, None)
    return _read(ByteStream(fp, None, whole_up_to=_WHOLE_FILE),
                 getattr(fileobj, "name", None), fp, source, stop_when, defer, force, limits)


def _open_file(path: str | bytes) -> tuple[int, os.stat_result, bytes | None]:
    """Open `path` once: its descriptor and status, and, for a regular file of at most
    `_WHOLE_FILE` bytes, its bytes, read with a call or two and the descriptor closed (no
    file object: for a small file it costs more than parsing a few elements). Otherwise the
    descriptor is left open for the caller; a directory raises what `open` raises."""
    fd = os.open(path, _OPEN_FLAGS)
    try:
        stat = os.fstat(fd)
        if S_ISDIR(stat.st_mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
        size = stat.st_size
        if size > _WHOLE_FILE or not S_ISREG(stat.st_mode):
            return fd, stat, None
        parts = [os.read(fd, size)]
        got = len(parts[0])
        while got < size:  # a regular file gives all it has at once; not promised, though
            chunk = os.read(fd, size - got)
            if not chunk:
                break
            parts.append(chunk)
            got += len(chunk)
    except BaseException:
        os.close(fd)
        raise
    os.close(fd)
    return fd, stat, (parts[0] if len(parts) == 1 else b"".join(parts))


@contextmanager
def open_dicom(fp: str | os.PathLike[str] | BinaryIO, **options: Any) -> Iterator[FileDataset]:
    """`with open_dicom(path, defer_size="1 MB") as ds:` reads, and releases on exit."""
    ds = read_file(fp, **options)
    try:
        yield ds
    finally:
        ds.close()


def read_dataset(fp: BinaryIO, is_implicit_VR: bool, is_little_endian: bool,  # noqa: N803
                 bytelength: int | None = None, stop_when: StopWhen | None = None,
                 defer_size: int | str | None = None, limits: ReadLimits = DEFAULT_LIMITS,
                 *, parent_encoding: str | list[str] = "iso8859",
                 specific_tags: list[Any] | None = None, at_top_level: bool = True
                 ) -> Dataset:
    """Read a bare data set from the current position of `fp` (to its end, or `bytelength`
    bytes); `fp` is left just after what was read. pydicom's keywords: `parent_encoding`
    (Python codecs of the character set until the data set names its own), `specific_tags`
    (keep only these, and Specific Character Set); `at_top_level` is taken and not used."""
    stream = ByteStream(fp)
    parser = DatasetParser(stream, is_little_endian, parse_defer_size(defer_size),
                           DeferredSource(None, fp, None), limits.max_elements)
    end = stream.pos + bytelength if bytelength is not None else None
    encodings = (parent_encoding,) if isinstance(parent_encoding, str) else \
        tuple(parent_encoding)
    ds = parser.read_dataset(is_implicit_VR, end, 0, encodings, stop_when)
    ds.is_little_endian = is_little_endian
    stream.sync()
    if specific_tags:
        wanted = {int(Tag(t)) for t in specific_tags} | {SPECIFIC_CHARACTER_SET}
        ds.replace_all(e for e in ds.elements_in_file_order() if e.tag in wanted)
    return ds


def read_preamble(fp: BinaryIO, force: bool) -> bytes | None:
    """pydicom's: the 128-byte preamble, with `fp` left after 'DICM'; without 'DICM', None
    and `fp` back at its start when `force`, else `InvalidDicomError`."""
    preamble = fp.read(128)
    if fp.read(4) == b"DICM":
        return preamble
    if force:
        fp.seek(0)
        return None
    raise InvalidDicomError("File is missing DICOM File Meta Information header or the 'DICM' "
                            "prefix is missing from the header. Use force=True to force "
                            "reading.")


def _seekable(fp: Any) -> bool:
    try:
        return bool(fp.seekable())
    except (AttributeError, ValueError, OSError):
        return False


# Files up to this size are read in one piece: a window of their size, values sliced from
# it. Larger ones are read in windows (a 1 GiB file costs 32 KiB up to its pixel data).
_WHOLE_FILE = 1 << 20
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0)


def _read(stream: ByteStream, name: Any, fp: BinaryIO | None, source: DeferredSource | None,
          stop_when: StopWhen | None, defer: int | None, force: bool, limits: ReadLimits
          ) -> FileDataset:
    """Read from `stream`; `name` is the file's name (None for a file object without one),
    `fp` the file object given to read (None for a path), `source` where deferred values
    are (None without `defer`: nothing is deferred then)."""
    preamble, file_meta = _read_head(stream, force, limits)
    closers: list[Callable[[], None]] = []
    implicit, little, deflated = _encoding_of(stream, file_meta)
    try:
        if deflated and not limits.stored_inflated:
            stream, source = _inflate(stream, closers, limits)
        parser = DatasetParser(stream, little, defer, source, limits.max_elements)
        parser.counted = len(file_meta)
        command = None
        group_sizes: dict[int, int] = {}
        group = _next_group(stream, little)
        if group == 0x0000 and stream.available >= 8:
            command = parser.read_dataset(True, None, 0, DEFAULT_ENCODINGS, group=0x0000)
            group_sizes.update(command.original_group_sizes or {})
        body = parser.read_dataset(implicit, None, 0, DEFAULT_ENCODINGS, stop_when)
        read = body
        if command is not None:  # rare: a command set before the data set
            read = Dataset(command)
            read.update(body)
        group_sizes.update(body.original_group_sizes or {})
        if body.is_implicit_VR:
            implicit = True
        if not deflated:
            stream.sync()
        if deflated and defer is None:
            for close in closers:  # nothing was deferred: the inflated copy is not needed
                close()
            closers = []
        if source is not None:
            closers.append(source.close)
        result = FileDataset.adopt_read(name, fp, read, preamble, file_meta, implicit, little,
                                        closers)
        if group_sizes:
            result.original_group_sizes = group_sizes
        return result
    except BaseException:
        for close in closers:  # an inflated copy (a scratch file past its spool size)
            close()
        raise


def _read_head(stream: ByteStream, force: bool, limits: ReadLimits
               ) -> tuple[bytes | None, FileMetaDataset]:
    """The preamble (None without one) and the file meta group (empty without one)."""
    preamble = _read_preamble(stream, force)
    file_meta = FileMetaDataset()
    if _next_group(stream, True) == 0x0002:
        meta_parser = DatasetParser(stream, True, max_elements=limits.max_elements)
        file_meta.take_elements(meta_parser.read_dataset(False, None, 0, DEFAULT_ENCODINGS,
                                                         group=0x0002))
    return preamble, file_meta


def write_inflated(fp: BinaryIO, out: BinaryIO, limits: ReadLimits = DEFAULT_LIMITS) -> bool:
    """Copy a deflated file to `out` with its data set inflated (preamble and file meta as
    they are, the Transfer Syntax UID still the deflated one), so that later reads need not
    inflate it again: read the copy with `limits=ReadLimits(stored_inflated=True)`. Inflated
    as `read_file` does: in pieces, `LimitExceeded` past `limits.max_inflated_bytes`. False,
    and nothing written, for a file that is not deflated.

    >>> with open("bomb.dcm", "rb") as fp, open("bomb.inflated", "wb") as out:  # doctest: +SKIP
    ...     write_inflated(fp, out)
    True
    """
    start = fp.tell()
    stream = ByteStream(fp)
    _, file_meta = _read_head(stream, False, limits)
    if not _encoding_of(stream, file_meta)[2]:
        fp.seek(start)
        return False
    stream.sync()
    head_end = fp.tell()
    fp.seek(start)
    out.write(fp.read(head_end - start))
    _inflate_into(fp, out, limits.max_inflated_bytes, head_end)
    return True


def _read_preamble(stream: ByteStream, force: bool) -> bytes | None:
    start = stream.pos
    got = stream.fill(132)
    head = stream.buf[start - stream.base:start - stream.base + 132]
    if got >= 132 and head[128:132] == b"DICM":
        stream.skip(132)
        return bytes(head[:128])
    if force:
        if head[:4] == b"DICM":
            stream.skip(4)
        return None
    if got < 132:
        found = f"the data is only {got} bytes long"
    else:
        found = f"found {bytes(head[128:132])!r} at offset 128 instead of b'DICM'"
        if head[:2] in (b"\x08\x00", b"\x02\x00") or head[4:6] in _VR_BYTES:
            found += " (it looks like a bare data set: read it with force=True)"
    raise InvalidDicomError(f"not a DICOM file: the 128-byte preamble and 'DICM' prefix are "
                            f"missing: {found}", start + 128)


def _next_group(stream: ByteStream, little: bool) -> int | None:
    if stream.fill(2) < 2:
        return None
    p = stream.pos - stream.base
    return int.from_bytes(stream.buf[p:p + 2], "little" if little else "big")


def _encoding_of(stream: ByteStream, file_meta: Dataset) -> tuple[bool, bool, bool]:
    """(implicit VR, little endian, deflated) from the Transfer Syntax UID, or guessed from
    the first element when the file meta has none (PS3.5 A.1: implicit VR little endian
    is the default)."""
    elem = file_meta.get_item(TRANSFER_SYNTAX_UID)
    uid = elem.value if elem is not None else None
    if isinstance(uid, list):
        uid = uid[0] if uid else None
    if uid:
        ts = transfer_syntax(str(uid))
        return ts.is_implicit_VR, ts.is_little_endian, ts.is_deflated
    if stream.fill(6) < 6:
        return True, True, False
    p = stream.pos - stream.base
    head = stream.buf[p:p + 6]
    if head[4:6] in _VR_BYTES:
        group = int.from_bytes(head[:2], "little")
        # A big-endian group 0x0008 read little endian is 0x0800: groups up to 0x00FF tell.
        return False, not group >= 1024, False
    return True, True, False


def _inflate(stream: ByteStream, closers: list[Callable[[], None]], limits: ReadLimits
             ) -> tuple[ByteStream, DeferredSource]:
    """Inflate a deflated data set (PS3.5 A.5) into a spool: in memory up to
    `limits.spool_bytes`, then a file in `limits.scratch_dir`. Each step inflates at most
    `INFLATE_PIECE` bytes, so a bomb costs no more memory than a plain file; past
    `limits.max_inflated_bytes` it is `LimitExceeded`."""
    stream.sync()
    spool = tempfile.SpooledTemporaryFile(  # noqa: SIM115 - closed by FileDataset
        max_size=limits.spool_bytes, dir=limits.scratch_dir)
    start = stream.pos
    try:
        _inflate_into(stream.fp, spool, limits.max_inflated_bytes, start)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    closers.append(spool.close)
    source = DeferredSource(None, spool, None)  # type: ignore[arg-type]
    return ByteStream(spool), source  # type: ignore[arg-type]


def _inflate_into(fp: BinaryIO, out: BinaryIO, max_bytes: int | None, start: int) -> int:
    """Inflate raw deflate data from `fp` into `out` piece by piece; the inflated size."""
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    total = 0
    try:
        while not inflater.eof:
            data = inflater.unconsumed_tail or fp.read(INFLATE_PIECE)
            if not data:
                break
            piece = inflater.decompress(data, INFLATE_PIECE)
            total += len(piece)
            if max_bytes is not None and total > max_bytes:
                raise LimitExceeded(f"the deflated data set inflates to more than {max_bytes} "
                                    f"bytes", start, None, "max_inflated_bytes")
            out.write(piece)
        rest = inflater.flush()
    except zlib.error as exc:
        raise InvalidDicomError(f"the deflated data set cannot be inflated: {exc}",
                                start) from exc
    total += len(rest)
    if max_bytes is not None and total > max_bytes:
        raise LimitExceeded(f"the deflated data set inflates to more than {max_bytes} bytes",
                            start, None, "max_inflated_bytes")
    out.write(rest)
    return total
