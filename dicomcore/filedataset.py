"""`FileDataset` and `FileMetaDataset`: a data set as read from (or written to) a file.

A `FileDataset` adds what a file holds around its data set: the preamble, the file meta
group (a `FileMetaDataset`), the file name or the buffer it was read from, and the encoding
it was read in; it is a context manager that releases what the reader keeps open for
deferred values. `validate_file_meta` is pydicom's check of a file meta group. Both classes
are importable from `dicomcore.dataset` too, where pydicom has them.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from typing import Any

from .dataelem import DataElement
from .dataset import Dataset

__all__ = ["FileDataset", "FileMetaDataset", "validate_file_meta"]


def validate_file_meta(file_meta: Dataset, enforce_standard: bool = True) -> None:
    """pydicom's check of a file meta group: ValueError for an element outside group 0002;
    with `enforce_standard`, what a writer supplies is added in place and a missing required
    UID is a `writeplan.MissingFileMetaError` (ValueError and AttributeError)."""
    from .writeplan import complete_file_meta

    for elem in file_meta:
        if elem.tag >> 16 != 2:
            raise ValueError("Only File Meta Information group (0002,eeee) elements may be "
                             "present in 'file_meta'.")
    if enforce_standard:
        complete_file_meta(file_meta)


def _filename_and_buffer(filename_or_obj: Any) -> tuple[str | None, Any]:
    """The file name of what a data set was read from, and the file object when it was not
    a file opened by name (pydicom's `buffer`; None for a BufferedReader, as pydicom)."""
    if isinstance(filename_or_obj, (str, os.PathLike)):
        return os.fspath(filename_or_obj), None
    name = getattr(filename_or_obj, "name", None)
    buffer = None
    if filename_or_obj is not None and not isinstance(filename_or_obj, io.BufferedReader):
        buffer = filename_or_obj
    return (name if isinstance(name, str) else None), buffer


class FileMetaDataset(Dataset):
    """The group 0002 elements of a file."""


class FileDataset(Dataset):
    """A Dataset read from (or to be written as) a file: preamble, meta and encoding.

    Use it as a context manager to release whatever the reader keeps open for deferred values.
    """

    preamble: bytes | None
    filename: str | None
    buffer: Any
    """The file object read from, when it was not a file opened by name (pydicom's)."""

    def __init__(self, filename_or_obj: Any, dataset: Dataset | dict[int, DataElement],
                 preamble: bytes | None = None, file_meta: Dataset | None = None,
                 is_implicit_VR: bool = True, is_little_endian: bool = True) -> None:  # noqa: N803
        super().__init__(dataset)
        self.set_original_encoding(is_implicit_VR, is_little_endian)
        filename, buffer = _filename_and_buffer(filename_or_obj)
        # Plain attributes, stored at once: each through Dataset.__setattr__ (which looks
        # for keywords) costs more than reading a small file's element.
        self.__dict__.update(
            preamble=preamble,
            file_meta=file_meta if file_meta is not None else FileMetaDataset(),
            is_implicit_VR=is_implicit_VR, is_little_endian=is_little_endian,
            buffer=buffer,  # the file object read from, when not a file opened by name
            filename=filename, _closers=[])
        for attr in ("is_undefined_length_sequence_item",):
            if isinstance(dataset, Dataset) and attr in dataset.__dict__:
                setattr(self, attr, dataset.__dict__[attr])

    @classmethod
    def adopt_read(cls, name: Any, fileobj: Any, dataset: Dataset,
                   preamble: bytes | None, file_meta: Dataset, is_implicit_VR: bool,  # noqa: N803
                   is_little_endian: bool, closers: list[Callable[[], None]]) -> FileDataset:
        """The reader's result: it holds `dataset`'s elements, not copied (as
        `take_elements`), and has the attributes `__init__` gives and the encoding read
        (character set included), all stored at once: for a small file the steps of
        `__init__` cost as much as its elements. `name` becomes `filename` (a file object's
        own name, or None); `buffer` is what `__init__` makes of `name`, or of `fileobj`
        without one. `closers` release what deferred values need, on `close`."""
        ds = cls.__new__(cls)
        filename = name
        buffer = _filename_and_buffer(name if name is not None else fileobj)[1]
        ds.__dict__.update(
            _dict=dataset._dict, _read_implicit=is_implicit_VR, _read_little=is_little_endian,
            preamble=preamble, file_meta=file_meta, is_implicit_VR=is_implicit_VR,
            is_little_endian=is_little_endian, buffer=buffer, filename=filename,
            _closers=closers)
        ds.__dict__["_read_charset"] = ds.character_set
        return ds

    def close(self) -> None:
        """Release anything held open for deferred values."""
        while self._closers:
            self._closers.pop()()

    def __enter__(self) -> FileDataset:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # A copy or a pickle does not own what the original holds open: it gets no closers.
    def __copy__(self) -> FileDataset:
        clone = super().__copy__()
        clone.__dict__["_closers"] = []
        return clone  # type: ignore[return-value]

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_closers"] = []
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
