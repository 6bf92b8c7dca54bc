"""Write data sets as DICOM files: byte for byte like the original, or clean and standard.

`dcmwrite(filename, dataset, write_like_original=True, *, implicit_vr=None,
little_endian=None, enforce_file_format=False, force_encoding=False, overwrite=True,
transfer_syntax=None)` (pydicom 3's signature, also `Dataset.save_as`; `write_file` is the
same with `transfer_syntax` third); how the encoding and file meta are chosen is
`writeplan`'s job:

- `write_like_original=True` keeps what the file had: preamble (or none), the file meta
  group only if there was one, element order, undefined lengths, group lengths (as read
  while their group is unchanged, recomputed otherwise), value padding and the bytes of
  every value not changed since reading.
- `write_like_original=False` writes what other toolkits like best: a preamble, "DICM", a
  complete file meta group, explicit lengths, no group lengths outside group 0002, every
  value padded to even length.
- `enforce_file_format=True` writes a conformant file the way pydicom 3 does: the file meta
  completed, the data set in tag order, undefined lengths and the file's VRs kept.
- `transfer_syntax` transcodes between the uncompressed syntaxes (implicit and explicit VR
  little endian, explicit big endian, deflated), swapping byte order per VR.

pydicom's element-level writers are here too: `write_dataset`, `write_data_element`,
`write_file_meta_info` and `correct_ambiguous_vr`.

Values that were deferred at read time are copied from their file in chunks, so writing a
multi-gigabyte file needs no more memory than reading its header did.
"""

from __future__ import annotations

import os
import tempfile
import zlib
from typing import Any, BinaryIO

from .charset import CharsetEncodeError, python_encodings
from .dataelem import DataElement
from .dataset import Dataset, resolve_ambiguous_vr
from .deferred import DeferredValue
from .errors import EncodeError
from .filedataset import validate_file_meta
from .header import UNDEFINED_LENGTH, header_codec
from .tag import (
    ITEM,
    ITEM_DELIMITER,
    PIXEL_DATA,
    SEQUENCE_DELIMITER,
    SPECIFIC_CHARACTER_SET,
)
from .uid import transfer_syntax as lookup_transfer_syntax
from .values import encode_value, pad, swap_bytes, unchanged_raw
from .vr import AMBIGUOUS_VRS, SWAP_WIDTH
from .writeplan import WritePlan, file_meta_to_write, plan_write

__all__ = ["write_file", "dcmwrite", "write_dataset", "write_data_element",
           "write_file_meta_info", "correct_ambiguous_vr", "correct_ambiguous_vr_element"]

_CHUNK = 1 << 20


class _Encoding:
    """How one data set level is written: the header codec (VR mode and byte order) and
    which mode of writing."""

    __slots__ = ("implicit", "little", "like_original", "keep_file_vrs", "undefined_lengths",
                 "header", "item")

    def __init__(self, implicit: bool, little: bool, like_original: bool,
                 keep_file_vrs: bool | None = None, undefined_lengths: bool | None = None
                 ) -> None:
        self.implicit = implicit
        self.little = little
        self.like_original = like_original
        # The VRs a file had (UN for a known element, a UN sequence) are kept only when
        # writing like the original in the encoding it was read in.
        self.keep_file_vrs = like_original if keep_file_vrs is None else keep_file_vrs
        # Sequences and items of undefined length stay so like the original, and with
        # enforce_file_format (pydicom's rule); write_like_original=False makes them defined.
        self.undefined_lengths = like_original if undefined_lengths is None else \
            undefined_lengths
        codec = header_codec(implicit, little)
        self.header = codec.encode
        self.item = codec.encode_item

    def nested(self, implicit: bool) -> _Encoding:
        if implicit == self.implicit:
            return self
        return _Encoding(implicit, self.little, self.like_original, self.keep_file_vrs,
                         self.undefined_lengths)


def dcmwrite(filename: str | os.PathLike[str] | BinaryIO, dataset: Dataset,
             write_like_original: bool | None = True, *, implicit_vr: bool | None = None,
             little_endian: bool | None = None, enforce_file_format: bool = False,
             force_encoding: bool = False, overwrite: bool = True, **kwargs: Any) -> None:
    """Write `dataset` to a path or a writable binary file object.

    pydicom 3's signature; `dicomcore.writeplan` says how the encoding and the file meta
    are chosen. `enforce_file_format=True` writes a conformant file (and refuses group
    0000/0002 elements in the body); `write_like_original=False` a clean standard file as
    this library always did; `transfer_syntax=` (a keyword) transcodes. `overwrite=False`
    refuses an existing path (FileExistsError). Any other keyword is a TypeError.

    Raises ValueError naming what is missing when the encoding cannot be decided or the file
    meta cannot be completed, and `EncodeError` naming the element whose value cannot be
    encoded. A path is written aside and moved into place only when complete: a failure
    leaves whatever was there before, and a data set can be saved over the file its deferred
    values are still read from.
    """
    transfer_syntax = kwargs.pop("transfer_syntax", None)
    if kwargs:
        raise TypeError(f"Invalid keyword argument(s) for dcmwrite(): {', '.join(kwargs)}")
    # None is pydicom's "not given": like the original.
    like_original = write_like_original is None or bool(write_like_original)
    plan = plan_write(dataset, like_original and not enforce_file_format,
                      transfer_syntax, implicit_vr, little_endian, force_encoding,
                      enforce_file_format)
    if isinstance(filename, (str, os.PathLike)):
        _write_path(os.fspath(filename), dataset, plan, overwrite)
    else:
        _write(filename, dataset, plan)


def write_file(filename: str | os.PathLike[str] | BinaryIO, dataset: Dataset,
               write_like_original: bool = True, transfer_syntax: str | None = None,
               **kwargs: Any) -> None:
    """`dcmwrite` with this library's first signature (`transfer_syntax` may be positional)."""
    dcmwrite(filename, dataset, write_like_original, transfer_syntax=transfer_syntax, **kwargs)


def _write_path(path: str, dataset: Dataset, plan: WritePlan, overwrite: bool) -> None:
    if not overwrite and os.path.lexists(path):
        raise FileExistsError(f"{path!r} exists and overwrite is False")
    directory = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(prefix=".dicomcore-", suffix=".part", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fp:
            _write(fp, dataset, plan)
        if os.path.exists(path):
            os.chmod(temporary, os.stat(path).st_mode & 0o7777)
        else:
            os.chmod(temporary, 0o666 & ~_umask())
        if overwrite:
            os.replace(temporary, path)
        else:
            os.link(temporary, path)  # fails if the name was taken meanwhile: no race
            os.remove(temporary)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _write(fp: BinaryIO, ds: Dataset, plan: WritePlan) -> None:
    """Encode the file meta and every element first, then write: a value that cannot be
    encoded leaves `fp` as it was (not even the preamble written)."""
    if plan.requested is not None:
        _check_transcodable(ds, plan.uid)
    meta = file_meta_to_write(ds, plan)
    encoded_meta = _encode_meta(meta, plan.like_original) if meta is not None else b""
    same_encoding = (plan.implicit, plan.little) == (ds.is_implicit_VR, ds.is_little_endian)
    # Like the original, and with enforce_file_format (pydicom writes what it has not
    # decoded as read), the VRs the file had are kept while the encoding does not change.
    keep_vrs = plan.like_original or plan.enforce_file_format
    enc = _Encoding(plan.implicit, plan.little, plan.like_original, keep_vrs and
                    (plan.requested is None or same_encoding), keep_vrs)
    parts = _elements_parts(ds, enc)
    preamble = getattr(ds, "preamble", None)
    if plan.like_original:
        if preamble is not None:
            fp.write(bytes(preamble) + b"DICM")
    else:
        fp.write((bytes(preamble) if preamble is not None else b"\0" * 128) + b"DICM")
    fp.write(encoded_meta)
    if plan.deflated:
        sink = _Deflater(fp)
        _write_parts(sink.write, parts)
        sink.close()
    else:
        _write_parts(fp.write, parts)


def _check_transcodable(ds: Dataset, uid: str | None) -> None:
    if uid is None:
        return
    pixels = ds.get_item(PIXEL_DATA)
    if pixels is not None and pixels.is_undefined_length \
            and not lookup_transfer_syntax(uid).is_encapsulated:
        raise ValueError(f"the pixel data is encapsulated (compressed); it cannot be written "
                         f"with the uncompressed transfer syntax {uid}")


def _encode_meta(meta: Dataset, like_original: bool) -> bytes:
    enc = _Encoding(False, True, like_original)
    elements = [e for e in _ordered(meta, like_original) if e.tag != 0x00020000]
    body = b"".join(_element_bytes(e, enc, ("iso8859",)) for e in elements)
    if like_original and meta.get_item(0x00020000) is None:
        return body
    length = DataElement(0x00020000, "UL", len(body))
    return _element_bytes(length, enc, ("iso8859",)) + body


def _write_elements(write: Any, ds: Dataset, enc: _Encoding,
                    encodings: tuple[str, ...] = ("iso8859",)) -> None:
    """Write the elements of `ds` through `write(bytes)`, copying deferred values in chunks;
    nothing is written if one cannot be encoded."""
    _write_parts(write, _elements_parts(ds, enc, encodings))


def _elements_parts(ds: Dataset, enc: _Encoding, encodings: tuple[str, ...] = ("iso8859",)
                    ) -> list[Any]:
    """The encoded elements of `ds`: bytes, and (deferred value, swap width) for a value
    copied from its file when written (`_dataset_parts`). Gathered before anything is
    written, so that an element that cannot be encoded stops the write before it starts."""
    parts: list[Any] = []
    _dataset_parts(ds, enc, encodings, parts, top=True)
    return parts


def _write_parts(write: Any, parts: list[Any]) -> None:
    """Write the parts in few calls: small parts joined up to `_CHUNK` bytes, a larger part
    written as it is (never copied), a deferred value in chunks."""
    if sum(map(len, parts)) < _CHUNK:  # a deferred value's (value, swap) counts 2 here
        try:
            data = b"".join(parts)
        except TypeError:
            pass  # a deferred value: in chunks, below
        else:
            write(data)
            return
    batch: list[bytes] = []
    size = 0
    for part in parts:
        if isinstance(part, bytes) and len(part) < _CHUNK:
            batch.append(part)
            size += len(part)
            if size >= _CHUNK:
                write(b"".join(batch))
                batch, size = [], 0
            continue
        if batch:
            write(b"".join(batch))
            batch, size = [], 0
        if isinstance(part, bytes):
            write(part)
        else:
            deferred, swap = part
            for data in deferred.iter_chunks(_CHUNK):
                write(swap_bytes(data, swap) if swap else data)
    if batch:
        write(b"".join(batch))


def _ordered(ds: Dataset, like_original: bool) -> list[DataElement]:
    """File order where it came from a file, else ascending tags (new elements sorted in)."""
    in_file_order = ds.elements_in_file_order()
    if like_original and all(e.file_tell is not None for e in in_file_order):
        return in_file_order
    return ds.values()


def _dataset_parts(ds: Dataset, enc: _Encoding, encodings: tuple[str, ...], out: list[Any],
                   top: bool = False, ancestors: tuple[Dataset, ...] = ()) -> None:
    """Append the encoded elements of `ds` to `out`: bytes, and (deferred value, swap
    width) for a value copied from its file when written."""
    if enc.keep_file_vrs and ds.is_implicit_VR is True and not enc.implicit \
            and not top:
        enc = enc.nested(True)
    encodings = _encodings_of(ds, encodings)
    ancestors = (ds, *ancestors)
    # One pass: ambiguous VRs resolved, and whether the file order holds (see `_ordered`)
    # and which groups have a group length.
    elements = ds.elements_in_file_order()
    in_file_order = enc.like_original
    group_lengths = set()
    for elem in elements:
        if elem.VR in AMBIGUOUS_VRS:
            resolve_ambiguous_vr(elem, ancestors)
        if elem.file_tell is None:
            in_file_order = False
        if not elem.tag & 0xFFFF and elem.tag >> 16 != 2:
            group_lengths.add(elem.tag >> 16)
    if not in_file_order:
        elements = ds.values()
    if not enc.like_original:
        elements = [e for e in elements if e.tag & 0xFFFF or e.tag >> 16 == 2]
        group_lengths.clear()  # not written: there is nothing to recompute
    if not group_lengths:
        for elem in elements:
            if not _raw_parts(elem, enc, out):
                _element_parts(elem, enc, encodings, out, ancestors)
        return
    # Group lengths are recomputed: encode the group's other elements first to measure them.
    pending: list[tuple[DataElement, list[Any]]] = []
    for elem in elements:
        parts: list[Any] = []
        if elem.tag & 0xFFFF or elem.tag >> 16 not in group_lengths:
            if not _raw_parts(elem, enc, parts):
                _element_parts(elem, enc, encodings, parts, ancestors)
        pending.append((elem, parts))
    sizes: dict[int, int] = {}
    for elem, parts in pending:
        sizes[elem.tag >> 16] = sizes.get(elem.tag >> 16, 0) + sum(_size(c) for c in parts)
    read_sizes = ds.original_group_sizes or {}
    for elem, parts in pending:
        if not parts:
            group = elem.tag >> 16
            length: DataElement = DataElement(elem.tag, "UL", sizes.get(group, 0))
            if unchanged_raw(elem) is not None and read_sizes.get(group) == sizes.get(group) \
                    and _group_unchanged(pending, group):
                length = elem  # as read, even where the file had it wrong
            _element_parts(length, enc, encodings, out)
        else:
            out.extend(parts)


def _group_unchanged(pending: list[tuple[DataElement, list[Any]]], group: int) -> bool:
    return all(unchanged_raw(e) is not None or e.VR == "SQ"
               for e, _ in pending if e.tag >> 16 == group)


def _size(chunk: Any) -> int:
    return len(chunk) if isinstance(chunk, bytes) else chunk[0].length


def _encodings_of(ds: Dataset, inherited: tuple[str, ...]) -> tuple[str, ...]:
    elem = ds.get_item(SPECIFIC_CHARACTER_SET)
    return inherited if elem is None else python_encodings(elem.value)


def _join(parts: list[Any]) -> bytes:
    """The parts as one bytes (deferred values read whole)."""
    try:
        return b"".join(parts)
    except TypeError:
        pass  # a deferred value
    joined = []
    for part in parts:
        if isinstance(part, bytes):
            joined.append(part)
        else:
            deferred, swap = part
            data = deferred.read()
            joined.append(swap_bytes(data, swap) if swap else data)
    return b"".join(joined)


def _element_bytes(elem: DataElement, enc: _Encoding, encodings: tuple[str, ...]) -> bytes:
    """One element, header and value, as bytes."""
    parts: list[Any] = []
    _element_parts(elem, enc, encodings, parts)
    return _join(parts)


def _element_parts(elem: DataElement, enc: _Encoding, encodings: tuple[str, ...],
                   out: list[Any], ancestors: tuple[Dataset, ...] = ()) -> None:
    """Append the header and value of one element to `out`, as bytes and (deferred value,
    swap width)."""
    tag = elem.tag
    vr = elem.VR
    if vr == "SQ":
        _sequence_parts(elem, enc, encodings, out, ancestors)
        return
    header_vr = vr
    if enc.keep_file_vrs and elem.raw_VR is not None:
        header_vr = elem.raw_VR
    raw = unchanged_raw(elem)
    if elem.is_undefined_length:
        # Encapsulated pixel data: the fragments, then the sequence delimiter.
        if raw is None:
            raw = elem.value
        out.append(enc.header(tag, header_vr, UNDEFINED_LENGTH))
        out.append((raw, 0) if isinstance(raw, DeferredValue) else bytes(raw))
        out.append(enc.item(SEQUENCE_DELIMITER, 0))
        return
    swap = SWAP_WIDTH.get(vr, 0) if elem.is_little_endian != enc.little else 0
    if raw is None:
        try:
            data = encode_value(vr, elem.value, enc.little, encodings)
        except ValueError as exc:
            raise EncodeError(tag, elem.keyword, _unquoted_reason(vr, exc)) from None
        swap = 0
    elif isinstance(raw, DeferredValue):
        length = raw.length
        if length % 2 and not enc.like_original:
            data = raw.read()  # odd length: rare, and only then read whole to pad it
        else:
            out.append(enc.header(tag, header_vr, length))
            out.append((raw, swap))
            return
    else:
        data = raw
    if swap:
        data = swap_bytes(data, swap)
    if not enc.like_original or raw is None:
        data = pad(vr, data)
    out.append(enc.header(tag, header_vr, len(data)))
    out.append(data)


def _unquoted_reason(vr: str, exc: ValueError) -> str:
    """Why a value cannot be encoded, without quoting it (an error never carries patient
    data; the encoders' own messages may quote the value)."""
    if isinstance(exc, CharsetEncodeError):
        return (f"the character at position {exc.position} is not in the Specific Character "
                f"Set ({', '.join(exc.encodings)})")
    return f"the value is not one a {vr} element can hold"


def _raw_parts(elem: DataElement, enc: _Encoding, out: list[Any]) -> bool:
    """Append what `_element_parts` gives for the most common element, with less work: one
    never decoded since it was read into memory, in the byte order it is written in, and
    not a sequence or encapsulated value. False (nothing appended) for every other."""
    vr = elem.VR
    if vr == "SQ" or elem.is_undefined_length or not elem.is_raw:
        return False
    raw = elem.raw_value
    if raw.__class__ is not bytes or (vr in SWAP_WIDTH and elem.is_little_endian != enc.little):
        return False
    if not enc.like_original:
        raw = pad(vr, raw)
    if enc.keep_file_vrs and elem.raw_VR is not None:
        vr = elem.raw_VR
    out.append(enc.header(elem.tag, vr, len(raw)))
    out.append(raw)
    return True


def _sequence_parts(elem: DataElement, enc: _Encoding, encodings: tuple[str, ...],
                    out: list[Any], ancestors: tuple[Dataset, ...]) -> None:
    items = elem.value
    item_enc = enc
    header_vr = "SQ"
    if enc.keep_file_vrs and elem.raw_VR == "UN":
        # PS3.5 6.2.2: a UN sequence holds implicit VR little endian items.
        header_vr = "UN"
        item_enc = _Encoding(True, True, True)
    undefined = enc.undefined_lengths and (elem.is_undefined_length or
                                       getattr(items, "is_undefined_length", False))
    encoded_items = []
    for item in items:
        parts: list[Any] = []
        _dataset_parts(item, item_enc, encodings, parts, ancestors=ancestors)
        body = _join(parts)
        if enc.undefined_lengths and item.is_undefined_length_sequence_item:
            encoded_items.append(item_enc.item(ITEM, UNDEFINED_LENGTH) + body +
                                 item_enc.item(ITEM_DELIMITER, 0))
        else:
            encoded_items.append(item_enc.item(ITEM, len(body)) + body)
    content = b"".join(encoded_items)
    if undefined:
        out.append(enc.header(elem.tag, header_vr, UNDEFINED_LENGTH))
        out.append(content)
        out.append(item_enc.item(SEQUENCE_DELIMITER, 0))
    else:
        out.append(enc.header(elem.tag, header_vr, len(content)))
        out.append(content)


class _Deflater:
    """A write() sink that deflates (PS3.5 A.5: raw deflate, no zlib header), padding the
    whole deflated stream to even length with one NUL when it is odd."""

    def __init__(self, fp: BinaryIO) -> None:
        self.fp = fp
        self.written = 0
        self._compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED,
                                            -zlib.MAX_WBITS)

    def write(self, data: bytes) -> None:
        self._emit(self._compressor.compress(data))

    def _emit(self, data: bytes) -> None:
        if data:
            self.fp.write(data)
            self.written += len(data)

    def close(self) -> None:
        self._emit(self._compressor.flush())
        if self.written % 2:
            self._emit(b"\0")



# -- pydicom's element-level writers, for code that builds encoded data by hand --------------

def _fp_encoding(fp: Any, ds: Dataset | None = None) -> tuple[bool, bool]:
    """(implicit, little) from `fp.is_implicit_VR`/`is_little_endian` (a `DicomBytesIO`,
    or any file object given those attributes), else from the data set; AttributeError
    (pydicom's) when neither says."""
    candidates = [(getattr(fp, "is_implicit_VR", None), getattr(fp, "is_little_endian", None))]
    if ds is not None:
        candidates += [(ds.is_implicit_VR, ds.is_little_endian), ds.original_encoding]
    for implicit, little in candidates:
        if implicit is not None and little is not None:
            return bool(implicit), bool(little)
    raise AttributeError("'fp.is_implicit_VR' and 'fp.is_little_endian' attributes are required")


def _codecs(encodings: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    if not encodings:
        return ("iso8859",)
    return (encodings,) if isinstance(encodings, str) else tuple(encodings)


def write_dataset(fp: BinaryIO, dataset: Dataset,
                  parent_encoding: str | list[str] = "iso8859") -> int:
    """Write the elements of `dataset` (no preamble, no file meta) to `fp` in the encoding
    `fp.is_implicit_VR`/`fp.is_little_endian` give, else the data set's; returns the number
    of bytes written. Text is encoded with `parent_encoding` (Python codec names) unless the
    data set has its own Specific Character Set. As pydicom: tag order, explicit lengths,
    no group lengths outside group 0002."""
    implicit, little = _fp_encoding(fp, dataset)
    written = 0

    def write(data: bytes) -> None:
        nonlocal written
        fp.write(data)
        written += len(data)

    _write_elements(write, dataset, _Encoding(implicit, little, False), _codecs(parent_encoding))
    return written


def write_data_element(fp: BinaryIO, elem: DataElement,
                       encodings: str | list[str] | None = None) -> None:
    """Write one element (header and value) in the encoding of `fp` (see `write_dataset`).

    An ambiguous VR ('US or SS') cannot be written in explicit VR: ValueError, as pydicom.
    """
    implicit, little = _fp_encoding(fp)
    if not implicit and elem.VR in AMBIGUOUS_VRS:
        raise ValueError(f"Cannot write ambiguous VR of '{elem.VR}' for data element with tag "
                         f"{elem.tag!r}. Set the correct VR before writing, or use an "
                         f"implicit VR transfer syntax")
    fp.write(_element_bytes(elem, _Encoding(implicit, little, False), _codecs(encodings)))


def write_file_meta_info(fp: BinaryIO, file_meta: Dataset, enforce_standard: bool = True) -> None:
    """Write the group 0002 elements of `file_meta` in explicit VR little endian.

    With `enforce_standard` (pydicom's rules, `file_meta` completed in place): File Meta
    Information Version and Implementation Class UID / Version Name are added when absent,
    the group length is always written, and a missing Media Storage SOP Class or Instance
    UID or Transfer Syntax UID is a `MissingFileMetaError` (ValueError and AttributeError).
    A non-0002 element in `file_meta` is a ValueError.
    """
    validate_file_meta(file_meta, enforce_standard)
    encoded = _encode_meta(file_meta, not enforce_standard)
    if enforce_standard:  # pydicom sets the group length in `file_meta` too
        file_meta.add(DataElement(0x00020000, "UL", len(encoded) - 12))
    fp.write(encoded)


def correct_ambiguous_vr(ds: Dataset, is_little_endian: bool) -> Dataset:
    """Give every element of `ds` (in sequence items too) whose VR is ambiguous ('US or SS',
    'OB or OW', ...) its real VR, from Pixel Representation and the other elements PS3.5
    names; returns `ds`. `is_little_endian` is taken for pydicom's signature: the VR never
    depends on it."""
    _correct(ds, ())
    return ds


def correct_ambiguous_vr_element(elem: DataElement, ds: Dataset, is_little_endian: bool
                                 ) -> DataElement:
    """`correct_ambiguous_vr` for one element of `ds`; returns the element."""
    if elem.VR in AMBIGUOUS_VRS:
        resolve_ambiguous_vr(elem, (ds,))
    elif elem.VR == "SQ":
        for item in elem.value:
            _correct(item, (ds,))
    return elem


def _correct(ds: Dataset, ancestors: tuple[Dataset, ...]) -> None:
    ancestors = (ds, *ancestors)
    for elem in ds:
        if elem.VR in AMBIGUOUS_VRS:
            resolve_ambiguous_vr(elem, ancestors)
        elif elem.VR == "SQ":
            for item in elem.value:
                _correct(item, ancestors)
