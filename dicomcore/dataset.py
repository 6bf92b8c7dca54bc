"""`Dataset`: a mutable mapping of tag -> `DataElement` with keyword attribute access.

`ds.PatientName` reads and writes the value through the data dictionary; `ds["PatientName"]`,
`ds[0x00100010]`, `ds[0x10, 0x10]` and `ds[(0x10, 0x10)]` give the element. Iteration yields
elements in ascending tag order, as pydicom's does (so `for elem in ds`, not keys); `keys()`,
`values()` and `items()` are lists in that order (`keys()` also has the set operations of
dict keys). The order elements were read in is kept separately for the writer
(`elements_in_file_order`). `FileDataset` adds what a file had around its data set.

>>> ds = Dataset()
>>> ds.PatientName = "Doe^John"
>>> ds.PatientID = "12"
>>> [str(tag) for tag in ds.keys()], ds.get("PatientID"), ds[0x10, 0x10].VR
(['(0010,0010)', '(0010,0020)'], '12', 'PN')
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

from . import dictionary, private
from .charset import python_encodings
from .dataelem import DataElement
from .errors import DicomWarning
from .private import PrivateBlock
from .tag import BaseTag, Tag, private_creator_tag
from .vr import AMBIGUOUS_VRS, VALID_VRS, ambiguous_vr

__all__ = ["Dataset", "FileDataset", "FileMetaDataset", "PrivateBlock", "TagList",
           "resolve_ambiguous_vr", "validate_file_meta"]

_SENTINEL: Any = object()
_NO_TAG_ERRORS = (ValueError, TypeError, OverflowError)
_META_RULE = "-" * 49
# pydicom's test for a name that looks meant as a keyword: it warns when such a name is set
# as a plain attribute ("PatientsName" for "PatientName"). Letters and digits, at least four,
# an upper-case letter first or later, and no underscore at the end.
_CAMEL_CASE = re.compile(r"(?:[A-Za-z](?=.+?[A-Z])[A-Za-z0-9]+|[A-Z][A-Za-z0-9]+)"
                         r"[A-Za-z0-9][^_]$")


def _to_tag(key: Any) -> int:
    """A tag int from any key form; keywords go through the dictionary. A number that is
    no tag is a ValueError (negative) or OverflowError (above 32 bits), as from `Tag`."""
    if isinstance(key, int):
        if 0 <= key <= 0xFFFFFFFF:
            return int(key)
        return Tag(key)
    if isinstance(key, str):
        tag = dictionary.tag_for_keyword(key)
        if tag is not None:
            return tag
    return Tag(key)


def _key_tag(key: Any) -> int:
    """The tag of a mapping key; a key that names no tag is a KeyError, as for a dict (and
    as pydicom's, whatever was wrong with the key)."""
    try:
        return _to_tag(key)
    except _NO_TAG_ERRORS:
        raise KeyError(key) from None


class TagList(list):
    """The tags of a Dataset in ascending order: a list that also has the set operations of
    dict keys (`&`, `|`, `-`, `^`, `isdisjoint`), which generic Mapping code relies on."""

    def __and__(self, other: Any) -> set[Any]:
        return set(self) & set(other)

    __rand__ = __and__

    def __or__(self, other: Any) -> set[Any]:
        return set(self) | set(other)

    __ror__ = __or__

    def __sub__(self, other: Any) -> set[Any]:
        return set(self) - set(other)

    def __rsub__(self, other: Any) -> set[Any]:
        return set(other) - set(self)

    def __xor__(self, other: Any) -> set[Any]:
        return set(self) ^ set(other)

    __rxor__ = __xor__

    def isdisjoint(self, other: Any) -> bool:
        return set(self).isdisjoint(other)


class Dataset(MutableMapping):
    """A DICOM data set: elements by tag, values by keyword."""

    indent_chars = "   "
    is_implicit_VR: bool | None = None  # noqa: N815 - pydicom's name
    is_little_endian: bool | None = None
    is_undefined_length_sequence_item = False
    original_group_sizes: dict[int, int] | None = None
    """Set by the reader: for each group that had a group length element, the number of
    bytes its other elements took in the file. The writer keeps such a group length as read
    while the group is unchanged; None for data sets not read from a file."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """`Dataset()`, `Dataset(other_dataset)`, `Dataset({tag: element})`,
        `Dataset([element, ...])`, and keyword values: `Dataset(PatientID="12")`."""
        self.__dict__["_dict"] = {}
        if args:
            source = args[0]
            if isinstance(source, Dataset):
                self._dict.update(source._dict)  # keeps the file order
            else:
                elements = source.values() if hasattr(source, "values") else source
                for elem in elements:
                    if not isinstance(elem, DataElement):
                        elem = _from_raw(elem)
                    self._dict[int(elem.tag)] = elem
        for keyword, value in kwargs.items():
            setattr(self, keyword, value)

    @classmethod
    def adopt(cls, elements: dict[int, DataElement], **attributes: Any) -> Dataset:
        """A data set that holds `elements` (int tag -> element) as they are, without a copy:
        the reader keeps adding to the dict while it reads the data set. `attributes` are
        plain attributes (is_undefined_length_sequence_item=True), set without the keyword
        checks of `__setattr__` (which cost more than the rest for an item)."""
        ds = cls.__new__(cls)
        ds.__dict__["_dict"] = elements
        if attributes:
            ds.__dict__.update(attributes)
        return ds

    def take_elements(self, other: Dataset) -> None:
        """Hold `other`'s elements from now on, without a copy: the reader hands the data set
        it read to the FileDataset it returns (a copy of a million-element mapping would be
        another at the peak). `other` must not be changed afterwards."""
        self.__dict__["_dict"] = other._dict

    # -- mapping -------------------------------------------------------------------------

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, slice):
            return self._slice(key)
        try:
            return self._dict[key]
        except (KeyError, TypeError):  # TypeError: an unhashable key such as a list
            pass
        tag = _key_tag(key)
        try:
            return self._dict[tag]
        except KeyError:
            raise KeyError(Tag(tag)) from None

    def _slice(self, key: slice) -> Dataset:
        """The elements from `start` up to (not including) `stop`, every `step`-th of them
        (pydicom steps over elements, not tag numbers)."""
        start = 0 if key.start is None else _to_tag(key.start)
        stop = 0x100000000 if key.stop is None else _to_tag(key.stop)
        tags = [t for t in sorted(self._dict) if start <= t < stop][::key.step]
        part = Dataset({t: self._dict[t] for t in tags})
        for name in ("_read_implicit", "_read_little", "_read_charset", "is_implicit_VR",
                     "is_little_endian"):  # a slice keeps how its elements were encoded
            if name in self.__dict__:
                part.__dict__[name] = self.__dict__[name]
        return part

    def __setitem__(self, key: Any, elem: DataElement) -> None:
        if not isinstance(elem, DataElement):
            elem = _from_raw(elem)
        tag = _to_tag(key)
        if tag != elem.tag:
            raise ValueError(f"key {Tag(tag)} does not match the element's tag {elem.tag}")
        self.add(elem)

    def __delitem__(self, key: Any) -> None:
        if isinstance(key, slice):
            for tag in list(self._slice(key)._dict):
                del self._dict[tag]
            return
        tag = _key_tag(key)
        try:
            del self._dict[tag]
        except KeyError:
            raise KeyError(Tag(tag)) from None

    def __contains__(self, key: object) -> bool:
        try:
            return _to_tag(key) in self._dict
        except _NO_TAG_ERRORS:
            return False

    def __iter__(self) -> Iterator[DataElement]:  # type: ignore[override]
        d = self._dict
        for tag in sorted(d):
            yield d[tag]

    def __len__(self) -> int:
        return len(self._dict)

    def keys(self) -> TagList:  # type: ignore[override]
        return TagList(Tag(t) for t in sorted(self._dict))

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
        """The value for a keyword (or any attribute name), the element for a tag.

        As in pydicom: a key that is neither a string nor a tag raises TypeError.
        """
        if isinstance(key, str):
            tag = dictionary.tag_for_keyword(key)
            if tag is not None:
                elem = self._dict.get(tag)
                return default if elem is None else elem.value
            try:
                tag = Tag(key)
            except _NO_TAG_ERRORS:
                return getattr(self, key, default)
            elem = self._dict.get(tag)
            return default if elem is None else elem
        try:
            tag = _to_tag(key)
        except _NO_TAG_ERRORS as exc:
            raise TypeError(f"Dataset.get key must be a string or tag, not {key!r}") from exc
        return self._dict.get(tag, default)

    def pop(self, key: Any, default: Any = _SENTINEL) -> Any:  # type: ignore[override]
        """Remove and return the element for a tag or keyword."""
        try:
            tag = _key_tag(key)
        except KeyError:
            if default is _SENTINEL:
                raise
            return default
        elem = self._dict.pop(tag, None)
        if elem is None:
            if default is _SENTINEL:
                raise KeyError(Tag(tag))
            return default
        return elem

    def popitem(self) -> tuple[BaseTag, DataElement]:
        """Remove and return the last added (tag, element), as dict.popitem does."""
        try:
            tag, elem = self._dict.popitem()
        except KeyError:
            raise KeyError("popitem(): the dataset is empty") from None
        return Tag(tag), elem

    def setdefault(self, key: Any, default: Any = None) -> DataElement:
        """The element for `key`; if absent, first add `default` (an element, or a value
        for a new element with the dictionary's VR, 'UN' for private or unknown tags)."""
        tag = _to_tag(key)
        elem = self._dict.get(tag)
        if elem is not None:
            return elem
        if not isinstance(default, DataElement):
            default = DataElement(tag, _vr_for_new(tag, unknown="UN"), default)
        self[tag] = default
        return default

    def clear(self) -> None:
        self._dict.clear()

    def update(self, other: Any = (), **kwargs: Any) -> None:  # type: ignore[override]
        """Add or replace from a Dataset, a mapping (keyword -> value, tag -> element or
        value), an iterable of elements or of (key, value) pairs, and keyword values."""
        if isinstance(other, Dataset):
            items: Any = other._dict.values()
        elif hasattr(other, "items"):
            items = other.items()
        else:
            items = other
        for item in items:
            if isinstance(item, DataElement):
                self._dict[int(item.tag)] = item
                continue
            key, value = item
            if isinstance(value, DataElement):
                self[key] = value
            elif isinstance(key, str) and dictionary.tag_for_keyword(key) is None:
                setattr(self, key, value)
            else:
                self._set_value(_to_tag(key), value)
        for keyword, value in kwargs.items():
            setattr(self, keyword, value)

    def add(self, elem: DataElement) -> None:
        """Add (or replace) an element under its own tag; a private element learns its
        private creator from this data set, as in pydicom."""
        tag = int(elem.tag)
        if tag & 0x10000 and tag & 0xFF00:
            creator = self._dict.get(private_creator_tag(tag))
            if creator is not None and isinstance(creator.value, str):
                elem.private_creator = creator.value
        self._dict[tag] = elem

    def get_item(self, key: Any, *, keep_deferred: bool = False) -> Any:
        """The element for a tag or keyword, or None where it is absent (as pydicom's); a
        slice gives a Dataset. `keep_deferred` is pydicom's: elements here never read a
        deferred value before it is asked for, so it changes nothing.

        An int tag is looked up directly: this is the fast path the reader, the writer and
        the patch engine use instead of reaching into the mapping's storage.
        """
        if type(key) is int:
            return self._dict.get(key)
        if isinstance(key, slice):
            return self._slice(key)
        try:
            return self._dict.get(_to_tag(key))
        except _NO_TAG_ERRORS:
            return None

    def update_raw_element(self, tag: Any, *, vr: str | None = None,
                           value: bytes | None = None) -> None:
        """Give an element not decoded yet another VR and/or other raw bytes, to fix a
        non-conformant element before its value is decoded (pydicom 3's). ValueError
        without either or for an unknown VR, TypeError for a value that is not bytes or an
        element already decoded or set, KeyError for an absent one."""
        if vr is None and value is None:
            raise ValueError("Either or both of 'vr' and 'value' are required")
        if vr is not None and vr not in VALID_VRS and vr not in AMBIGUOUS_VRS:
            raise ValueError(f"Invalid VR value '{vr}'")
        if value is not None and not isinstance(value, bytes):
            raise TypeError(f"'value' must be bytes, not '{type(value).__name__}'")
        tag = Tag(tag)
        elem = self._dict.get(tag)
        if elem is None:
            raise KeyError(f"No element with tag {tag} was found")
        if not elem.is_raw or elem.raw_value is None:
            raise TypeError(f"The element with tag {tag} has already been converted to a "
                            "'DataElement' instance, this method must be called earlier")
        raw = value if value is not None else elem.raw_value
        new = DataElement.from_raw(tag, vr if vr is not None else elem.VR, raw,
                                   elem.is_little_endian, elem.encodings, elem.file_tell,
                                   elem.is_undefined_length)
        new.private_creator = elem.private_creator
        self._dict[tag] = new

    def ensure_file_meta(self) -> None:
        """Give the data set an empty `file_meta` if it has none (pydicom's)."""
        if "file_meta" not in self.__dict__:
            from .filedataset import FileMetaDataset

            self.file_meta = FileMetaDataset()

    def tags_in_file_order(self) -> list[int]:
        """The tags in the order elements were read or added (the writer keeps it)."""
        return list(self._dict)

    def replace_all(self, elements: Any) -> None:
        """Make the data set hold exactly `elements` (an iterable of DataElement), in that
        order: how a change computed on a copy is committed at once."""
        new = {int(elem.tag): elem for elem in elements}
        self._dict.clear()
        self._dict.update(new)

    def add_new(self, tag: Any, VR: str, value: Any) -> None:  # noqa: N803
        """Add (or replace) the element `tag` with this VR and value."""
        self.add(DataElement(tag, VR, value))

    def data_element(self, keyword: str) -> DataElement | None:
        """The element for a keyword, or None if it is absent or not a keyword."""
        tag = dictionary.tag_for_keyword(keyword)
        return self._dict.get(tag) if tag is not None else None

    def _set_value(self, tag: int, value: Any) -> None:
        elem = self._dict.get(tag)
        if elem is not None:
            elem.value = value
        else:
            self._dict[tag] = DataElement(tag, _vr_for_new(tag), value)

    # -- keyword attributes --------------------------------------------------------------

    def __getattr__(self, name: str) -> Any:
        tag = dictionary.tag_for_keyword(name) if name[:1].isupper() else None
        if tag is not None:
            elem = self.__dict__["_dict"].get(tag)
            if elem is not None:
                return elem.value
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        """A keyword sets its element's value; any other name is a plain attribute, with a
        warning when it looks meant as a keyword (as pydicom warns). A keyword of a
        repeating group (OverlayRows) names no one tag: ValueError, as in pydicom."""
        if name.islower() or name.startswith("is_"):
            object.__setattr__(self, name, value)
            return
        tag = dictionary.tag_for_keyword(name) if name[:1].isupper() else None
        if tag is not None:
            self._set_value(tag, value)
            return
        if dictionary.repeater_has_keyword(name):
            raise ValueError(f"{name!r} is a DICOM repeating group element and must be added "
                             f"using the add() or add_new() methods")
        if _CAMEL_CASE.match(name):
            warnings.warn(f"Camel case attribute {name!r} used which is not in the element "
                          f"keyword data dictionary", DicomWarning, stacklevel=2)
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        tag = dictionary.tag_for_keyword(name) if name[:1].isupper() else None
        if tag is not None and tag in self._dict:
            del self._dict[tag]
            return
        object.__delattr__(self, name)

    def dir(self, *filters: str) -> list[str]:
        """Keywords of the elements present, optionally those containing any filter text
        (case-insensitive), sorted."""
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
        """Call `callback(dataset, element)` for every element in tag order, then into the
        items of each sequence; elements the callback deletes are not visited."""
        for tag in sorted(self._dict):
            elem = self._dict.get(tag)
            if elem is None:
                continue
            callback(self, elem)
            if recursive and elem.VR == "SQ" and tag in self._dict:
                for item in elem.value:
                    item.walk(callback, recursive)

    def iterall(self) -> Iterator[DataElement]:
        """Every element at every depth, depth first."""
        d = self._dict
        for tag in sorted(d):  # as `__iter__`, without a generator of its own in between
            elem = d[tag]
            yield elem
            if elem.VR == "SQ":
                for item in elem.value:
                    yield from item.iterall()

    def group_dataset(self, group: int) -> Dataset:
        """The elements of one group, e.g. `ds.group_dataset(0x0010)` for the patient."""
        return self[group << 16: (group + 1) << 16]

    def copy(self) -> Dataset:
        """A shallow copy: a new mapping holding the same element objects."""
        return self.__copy__()

    def __copy__(self) -> Dataset:
        clone = type(self).__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone.__dict__["_dict"] = dict(self._dict)
        return clone

    def __eq__(self, other: object) -> bool:
        """Equal when both hold equal elements under the same tags (other attributes, such
        as a FileDataset's preamble, are not compared, as in pydicom)."""
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
        """A dcmdump-like tree: one line per element, the items of a sequence indented by
        `indent_chars` per level, and a FileDataset's file meta in its own section."""
        return "\n".join(self._lines(0, self.indent_chars, top_only=False))

    def __repr__(self) -> str:
        return str(self)

    # -- private blocks (the work is in `private`) -----------------------------------------

    def private_block(self, group: int, private_creator: str, create: bool = False
                      ) -> PrivateBlock:
        """The block `private_creator` reserved in the odd `group`; with `create`, reserve
        the first free block when there is none. KeyError when absent (without `create`),
        ValueError for an even group or an empty creator."""
        return private.find_private_block(self, group, private_creator, create)

    def private_creators(self, group: int) -> list[str]:
        """The private creator names of the odd `group`, in block order."""
        return private.private_creators(self, group)

    def get_private_item(self, group: int, element_offset: int, private_creator: str
                         ) -> DataElement:
        """The element at `element_offset` of `private_creator`'s block in `group`."""
        return self.private_block(group, private_creator)[element_offset]

    def add_new_private(self, private_creator: str, group: int, element_offset: int,
                        value: Any, vr: str | None = None) -> None:
        """Add a private element, reserving the creator's block if need be; without `vr`
        the private dictionary's (KeyError where it does not know the element)."""
        if vr is None:
            vr = private.private_vr_for_new(group, element_offset, private_creator)
        self.private_block(group, private_creator, create=True).add_new(element_offset, vr,
                                                                         value)

    def remove_private_tags(self) -> None:
        """Delete every private element, in the items of sequences too."""
        private.remove_private_tags(self)

    # -- encoding state (pydicom's names) -------------------------------------------------

    @property
    def original_encoding(self) -> tuple[bool, bool] | tuple[None, None]:
        """(implicit VR, little endian) of the data set as read; (None, None) if made here."""
        return (self.__dict__.get("_read_implicit"),  # type: ignore[return-value]
                self.__dict__.get("_read_little"))

    @property
    def original_character_set(self) -> str | list[str]:
        """The Python codecs of the Specific Character Set as read ('' if made here)."""
        return self.__dict__.get("_read_charset", "")  # type: ignore[no-any-return]

    @property
    def read_encoding(self) -> str | list[str]:
        """pydicom's older name of `original_character_set`."""
        return self.original_character_set

    @read_encoding.setter
    def read_encoding(self, value: str | list[str]) -> None:
        self.__dict__["_read_charset"] = value

    @property
    def is_original_encoding(self) -> bool:
        """True when the encoding set for writing is the one read, character set included."""
        current = (self.is_implicit_VR, self.is_little_endian)
        return (None not in current and self.original_encoding == current
                and self.original_character_set == self.character_set)

    def set_original_encoding(self, is_implicit_vr: bool | None, is_little_endian: bool | None,
                              character_encoding: str | list[str] | None = None) -> None:
        """Record the encoding the data set was read in (None resets it)."""
        self.__dict__["_read_implicit"] = is_implicit_vr
        self.__dict__["_read_little"] = is_little_endian
        if character_encoding is not None:
            self.__dict__["_read_charset"] = character_encoding

    @property
    def character_set(self) -> str | list[str]:
        """The Python codecs of this data set's Specific Character Set, 'iso8859' without one
        (pydicom's `_character_set`; items inheriting their parent's are not followed)."""
        elem = self._dict.get(0x00080005)
        if elem is None:
            return "iso8859"
        return list(python_encodings(elem.value))

    def decode(self) -> None:
        """Decode every value held in memory now (values are otherwise decoded on first
        access, with the character set in force); deferred values stay on disk."""
        for elem in self:
            if elem.VR == "SQ":
                for item in elem.value:
                    item.decode()
            elif not elem.is_deferred:
                elem.value  # noqa: B018 - decoding is the point

    # -- writing and JSON (pydicom's method names; the work is in filewriter and json) -------

    def save_as(self, filename: Any, write_like_original: bool = True, *,
                implicit_vr: bool | None = None, little_endian: bool | None = None,
                enforce_file_format: bool = False, overwrite: bool = True,
                **kwargs: Any) -> None:
        """Write this data set as a DICOM file: see `dicomcore.filewriter.dcmwrite`."""
        from .filewriter import dcmwrite

        dcmwrite(filename, self, write_like_original, implicit_vr=implicit_vr,
                 little_endian=little_endian, enforce_file_format=enforce_file_format,
                 overwrite=overwrite, **kwargs)

    def to_json_dict(self, bulk_data_threshold: int = 1024,
                     bulk_data_element_handler: Callable[[DataElement], str] | None = None,
                     suppress_invalid_tags: bool = False) -> dict[str, Any]:
        """The PS3.18 Annex F model: see `dicomcore.json.to_json_dict`."""
        from .json import to_json_dict

        return to_json_dict(self, bulk_data_threshold, bulk_data_element_handler,
                            suppress_invalid_tags=suppress_invalid_tags)

    def to_json(self, bulk_data_threshold: int = 1024,
                bulk_data_element_handler: Callable[[DataElement], str] | None = None,
                dump_handler: Callable[[dict[str, Any]], str] | None = None,
                suppress_invalid_tags: bool = False, **dumps_options: Any) -> str:
        """`to_json_dict` as JSON text, made by `dump_handler(model)` when given."""
        from .json import to_json

        return to_json(self, bulk_data_threshold, bulk_data_element_handler,
                       dump_handler=dump_handler, suppress_invalid_tags=suppress_invalid_tags,
                       **dumps_options)

    @classmethod
    def from_json(cls, json_dataset: dict[str, Any] | str | bytes,
                  bulk_data_uri_handler: Callable[..., Any] | None = None) -> Dataset:
        """A Dataset from the PS3.18 Annex F model: see `dicomcore.json.from_json`."""
        from .json import from_json

        return from_json(json_dataset, bulk_data_uri_handler)

    def top(self) -> str:
        """Like `str()`, without the contents of sequences."""
        return "\n".join(self._lines(0, self.indent_chars, top_only=True))

    def _lines(self, depth: int, indent_chars: str, top_only: bool) -> Iterator[str]:
        indent = indent_chars * depth
        meta = self.__dict__.get("file_meta")
        if isinstance(meta, Dataset) and meta:
            yield f"{'Dataset.file_meta ':-<49}"
            for elem in meta:
                yield indent + str(elem)
            yield _META_RULE
        for elem in self:
            if elem.VR != "SQ":
                yield indent + str(elem)
                continue
            items = elem.value
            yield f"{indent}{elem.tag}  {elem.name}  {len(items)} item(s) ---- "
            if top_only:
                continue
            for item in items:
                if not item:
                    yield ""  # an empty item shows as an empty line, as in pydicom
                yield from item._lines(depth + 1, indent_chars, top_only)
                yield indent_chars * (depth + 1) + "---------"


_PIXEL_REPRESENTATION = 0x00280103
_LUT_DESCRIPTOR = 0x00283002


def resolve_ambiguous_vr(elem: DataElement, ancestors: tuple[Dataset, ...]) -> None:
    """Give an element whose dictionary VR is ambiguous ('US or SS', ...) its real VR, by
    `vr.ambiguous_vr` with the facts of the data set it is in and its ancestors (nearest
    first)."""
    pixel_representation = None
    if elem.VR == "US or SS":
        for dataset in ancestors:
            found = dataset._dict.get(_PIXEL_REPRESENTATION)
            if found is not None and isinstance(found.value, int):
                pixel_representation = found.value
                break
    lut_first = None
    if elem.VR == "US or OW":
        descriptor = ancestors[0]._dict.get(_LUT_DESCRIPTOR)
        lut_first = descriptor.value if descriptor is not None else None
        if isinstance(lut_first, list):
            lut_first = lut_first[0] if lut_first else None
    elem.VR = ambiguous_vr(elem.VR, elem.tag, pixel_representation=pixel_representation,
                           is_undefined_length=elem.is_undefined_length,
                           lut_first_value=lut_first)


def _from_raw(elem: Any) -> DataElement:
    """A `rawelement.RawDataElement` as the DataElement a data set holds (pydicom's data sets
    take both); TypeError, pydicom's, for anything else."""
    from .rawelement import RawDataElement, convert_raw_data_element

    if not isinstance(elem, RawDataElement):
        raise TypeError("Dataset items must be 'DataElement' instances")
    return convert_raw_data_element(elem)


def _vr_for_new(tag: int, unknown: str | None = None) -> str:
    """The dictionary VR of a new element; `unknown` (with a warning) where there is none."""
    if tag >> 16 & 1 and unknown is not None and not dictionary.is_private_creator(tag):
        return unknown
    try:
        vr = dictionary.dictionary_VR(tag)
    except KeyError:
        if unknown is None:
            raise
        warnings.warn(f"{Tag(tag)} is not in the data dictionary: VR set to {unknown!r}",
                      DicomWarning, stacklevel=3)
        return unknown
    if vr == "NONE":
        raise ValueError(f"{Tag(tag)} cannot hold a value")
    return vr


# The data sets of a file live in their own module; pydicom users import them from here.
from .filedataset import FileDataset, FileMetaDataset, validate_file_meta  # noqa: E402
