"""`Dataset`: a mutable mapping of tag -> `DataElement` with keyword attribute access.

`ds.PatientName` reads and writes the value through the data dictionary; `ds["PatientName"]`,
`ds[0x00100010]`, `ds[0x10, 0x10]` and `ds[(0x10, 0x10)]` give the element. Iteration yields
elements in ascending tag order; the order they were read in is kept separately for the
writer (`elements_in_file_order`). `FileDataset` adds what a file had around its data set.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

from . import dictionary
from .dataelem import DataElement
from .tag import BaseTag, Tag

__all__ = ["Dataset", "FileDataset", "FileMetaDataset"]

_SENTINEL: Any = object()


def _to_tag(key: Any) -> int:
    """A tag int from any key form; keywords go through the dictionary."""
    if isinstance(key, int):
        return key
    if isinstance(key, str):
        tag = dictionary.tag_for_keyword(key)
        if tag is not None:
            return tag
    return Tag(key)


class Dataset(MutableMapping):
    """A DICOM data set: elements by tag, values by keyword."""

    indent_chars = "   "
    is_implicit_VR: bool | None = None  # noqa: N815 - pydicom's name
    is_little_endian: bool | None = None
    is_undefined_length_sequence_item = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.__dict__["_dict"] = {}
        if args:
            source = args[0]
            elements = source.values() if hasattr(source, "values") else source
            for elem in elements:
                self._dict[elem.tag] = elem
        for keyword, value in kwargs.items():
            setattr(self, keyword, value)

    # -- mapping -------------------------------------------------------------------------

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, slice):
            return self._slice(key)
        try:
            return self._dict[key]
        except KeyError:
            pass
        except TypeError:  # unhashable
            pass
        tag = _to_tag(key)
        return self._dict[tag]

    def _slice(self, key: slice) -> Dataset:
        start = 0 if key.start is None else _to_tag(key.start)
        stop = 0x100000000 if key.stop is None else _to_tag(key.stop)
        return Dataset({t: self._dict[t] for t in sorted(self._dict) if start <= t < stop})

    def __setitem__(self, key: Any, elem: DataElement) -> None:
        if not isinstance(elem, DataElement):
            raise TypeError("a Dataset holds DataElements; set values through keywords")
        tag = _to_tag(key)
        if tag != elem.tag:
            raise ValueError(f"key {Tag(tag)} does not match the element's tag {elem.tag}")
        self._dict[elem.tag] = elem

    def __delitem__(self, key: Any) -> None:
        if isinstance(key, slice):
            for tag in list(self._slice(key)._dict):
                del self._dict[tag]
            return
        del self._dict[_to_tag(key)]

    def __contains__(self, key: object) -> bool:
        try:
            return _to_tag(key) in self._dict
        except (ValueError, TypeError, OverflowError):
            return False

    def __iter__(self) -> Iterator[DataElement]:  # type: ignore[override]
        d = self._dict
        for tag in sorted(d):
            yield d[tag]

    def __len__(self) -> int:
        return len(self._dict)

    def __bool__(self) -> bool:
        return True

    def keys(self) -> list[BaseTag]:  # type: ignore[override]
        return [Tag(t) for t in sorted(self._dict)]

    def values(self) -> list[DataElement]:  # type: ignore[override]
        d = self._dict
        return [d[t] for t in sorted(d)]

    def items(self) -> list[tuple[BaseTag, DataElement]]:  # type: ignore[override]
        d = self._dict
        return [(Tag(t), d[t]) for t in sorted(d)]

    def elements(self) -> Iterator[DataElement]:
        return iter(self)

    def elements_in_file_order(self) -> list[DataElement]:
        """Elements in the order they were read or added (the writer keeps it)."""
        return list(self._dict.values())

    def get(self, key: Any, default: Any = None) -> Any:  # type: ignore[override]
        """The element for a tag, or the value for a keyword (as pydicom does)."""
        if isinstance(key, str) and dictionary.tag_for_keyword(key) is not None:
            try:
                return getattr(self, key)
            except AttributeError:
                return default
        try:
            return self[key]
        except (KeyError, ValueError, TypeError, OverflowError):
            return default

    def pop(self, key: Any, default: Any = _SENTINEL) -> Any:  # type: ignore[override]
        try:
            return self._dict.pop(_to_tag(key))
        except KeyError:
            if default is _SENTINEL:
                raise
            return default

    def clear(self) -> None:
        self._dict.clear()

    def update(self, other: Any = (), **kwargs: Any) -> None:  # type: ignore[override]
        items = other.values() if isinstance(other, Dataset) else (
            other.items() if hasattr(other, "items") else other)
        for item in items:
            if isinstance(item, DataElement):
                self._dict[item.tag] = item
            else:
                key, value = item
                if isinstance(value, DataElement):
                    self[key] = value
                else:
                    setattr(self, key, value)
        for keyword, value in kwargs.items():
            setattr(self, keyword, value)

    def add(self, elem: DataElement) -> None:
        self._dict[elem.tag] = elem

    def add_new(self, tag: Any, VR: str, value: Any) -> None:  # noqa: N803
        self.add(DataElement(tag, VR, value))

    def data_element(self, keyword: str) -> DataElement | None:
        tag = dictionary.tag_for_keyword(keyword)
        return self._dict.get(tag) if tag is not None else None

    # -- keyword attributes --------------------------------------------------------------

    def __getattr__(self, name: str) -> Any:
        tag = dictionary.tag_for_keyword(name) if name[:1].isupper() else None
        if tag is not None:
            elem = self.__dict__["_dict"].get(tag)
            if elem is not None:
                return elem.value
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        tag = dictionary.tag_for_keyword(name) if name[:1].isupper() else None
        if tag is None:
            object.__setattr__(self, name, value)
            return
        elem = self._dict.get(tag)
        if elem is not None:
            elem.value = value
            return
        self._dict[tag] = DataElement(tag, _vr_for_new(tag), value)

    def __delattr__(self, name: str) -> None:
        tag = dictionary.tag_for_keyword(name) if name[:1].isupper() else None
        if tag is not None and tag in self._dict:
            del self._dict[tag]
            return
        object.__delattr__(self, name)

    def dir(self, *filters: str) -> list[str]:
        """Keywords of the elements present, optionally those containing any filter text."""
        names = [dictionary.keyword_for_tag(t) for t in self._dict if not (t >> 16) & 1]
        names = [n for n in names if n]
        if filters:
            lowered = [f.lower() for f in filters]
            names = [n for n in names if any(f in n.lower() for f in lowered)]
        return sorted(names)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self.dir()))

    # -- structure -----------------------------------------------------------------------

    def walk(self, callback: Callable[[Dataset, DataElement], None], recursive: bool = True
             ) -> None:
        """Call `callback(dataset, element)` for every element, items of sequences too."""
        for elem in list(self):
            callback(self, elem)
            if recursive and elem.VR == "SQ" and elem.tag in self._dict:
                for item in elem.value:
                    item.walk(callback, recursive)

    def iterall(self) -> Iterator[DataElement]:
        """Every element at every depth, depth first."""
        for elem in self:
            yield elem
            if elem.VR == "SQ":
                for item in elem.value:
                    yield from item.iterall()

    def group_dataset(self, group: int) -> Dataset:
        """The elements of one group, e.g. `ds.group_dataset(0x0010)` for the patient."""
        return self[group << 16: (group + 1) << 16]

    def copy(self) -> Dataset:
        return copy.copy(self)

    def __copy__(self) -> Dataset:
        clone = type(self).__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone.__dict__["_dict"] = dict(self._dict)
        return clone

    def __eq__(self, other: object) -> bool:
        if other is self:
            return True
        if not isinstance(other, Dataset):
            return NotImplemented
        return self._dict == other._dict

    def __ne__(self, other: object) -> bool:
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    __hash__ = None  # type: ignore[assignment]

    # -- display -------------------------------------------------------------------------

    def __str__(self) -> str:
        return "\n".join(self._lines(0))

    def __repr__(self) -> str:
        return str(self)

    def _lines(self, depth: int) -> Iterator[str]:
        indent = self.indent_chars * depth
        for elem in self:
            if elem.VR == "SQ":
                items = elem.value
                yield f"{indent}{elem.tag}  {elem.name}  {len(items)} item(s) ---- "
                for item in items:
                    yield from item._lines(depth + 1)
                    yield f"{self.indent_chars * (depth + 1)}---------"
            else:
                yield indent + str(elem)

    def top(self) -> str:
        """Only the top level, without sequence contents."""
        return "\n".join(str(e) if e.VR != "SQ" else f"{e.tag}  {e.name}  SQ" for e in self)


def _vr_for_new(tag: int) -> str:
    vr = dictionary.dictionary_VR(tag)
    if vr == "NONE":
        raise ValueError(f"{Tag(tag)} cannot hold a value")
    return vr


class FileMetaDataset(Dataset):
    """The group 0002 elements of a file."""


class FileDataset(Dataset):
    """A Dataset read from (or to be written as) a file: preamble, meta and encoding.

    Use it as a context manager to release whatever the reader keeps open for deferred values.
    """

    def __init__(self, filename_or_obj: Any, dataset: Dataset | dict[int, DataElement],
                 preamble: bytes | None = None, file_meta: Dataset | None = None,
                 is_implicit_VR: bool = True, is_little_endian: bool = True) -> None:  # noqa: N803
        super().__init__(dataset)
        self.preamble = preamble
        self.file_meta = file_meta if file_meta is not None else FileMetaDataset()
        self.is_implicit_VR = is_implicit_VR
        self.is_little_endian = is_little_endian
        self.filename = filename_or_obj if isinstance(filename_or_obj, str) else getattr(
            filename_or_obj, "name", None)
        self._closers: list[Callable[[], None]] = []
        for attr in ("is_undefined_length_sequence_item",):
            if isinstance(dataset, Dataset) and attr in dataset.__dict__:
                setattr(self, attr, dataset.__dict__[attr])

    def close(self) -> None:
        """Release anything held open for deferred values."""
        while self._closers:
            self._closers.pop()()

    def __enter__(self) -> FileDataset:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
