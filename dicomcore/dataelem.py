"""`DataElement`: one tag, its VR and its value, decoded from the raw bytes on first access.

An element read from a file keeps the exact bytes it was read from (or a `DeferredValue`
that can fetch them) until its value is changed, so the writer can give back an unchanged
element byte for byte and copy large deferred values without holding them whole.
"""

from __future__ import annotations

import copy
import datetime
import warnings
from collections.abc import Callable
from typing import Any

from . import dictionary
from .charset import DEFAULT_ENCODINGS
from .dates import datetime_value
from .errors import DicomWarning
from .personname import PersonName
from .sequence import Sequence
from .tag import BaseTag, Tag
from .uid import UID
from .valuerep import DS, IS, MultiValue
from .values import DECODERS, decode_value, empty_text_value
from .vr import BACKSLASH_IN_VALUE_VRS, BYTES_VRS, DEFAULT_REPERTOIRE_VRS

__all__ = ["DataElement", "empty_value_for_VR"]


class _Unset:
    """The marker of a value not decoded yet; one instance, kept by copies and pickles."""

    __slots__ = ()

    def __copy__(self) -> _Unset:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> _Unset:
        return self

    def __reduce__(self) -> str:
        return "_UNSET"

    def __repr__(self) -> str:
        return "<not decoded>"


_UNSET: Any = _Unset()
# pydicom fixes the first value of these when it was read as SS (PS3.3 C.11.1.1.1).
_LUT_DESCRIPTOR_TAGS = frozenset({0x00281101, 0x00281102, 0x00281103, 0x00283002})
_PRIVATE_CREATOR_NAME = "Private Creator"
# Values of these VRs longer than _MAX_SHOWN are summarised in dumps, as pydicom does.
_LONG_VALUE_VRS = frozenset({"LT", "UC", "UT", "US or SS"}) | BYTES_VRS
_MAX_SHOWN = 16
_NAME_WIDTH = 35
_DATE_VRS = frozenset({"DA", "DT", "TM"})


def empty_value_for_VR(vr: str | None) -> Any:  # noqa: N802 - pydicom's public name
    """The value an element of this VR has when its length is 0: an empty Sequence for SQ,
    '' for text VRs, an empty PersonName for PN, None for the others."""
    if vr == "SQ":
        return Sequence()
    return empty_text_value(vr)


class DataElement:
    """A data element; `value` is decoded lazily from the bytes it was read from."""

    __slots__ = ("tag", "VR", "_value", "_raw", "_little", "_encodings",
                 "is_undefined_length", "file_tell", "raw_VR", "private_creator",
                 "__weakref__")

    tag: BaseTag
    VR: str

    def __init__(self, tag: Any, VR: str, value: Any, file_value_tell: int | None = None,  # noqa: N803
                 is_undefined_length: bool = False, already_converted: bool = False,
                 validation_mode: int | None = None) -> None:
        """pydicom's signature; `validation_mode` is taken and not used (values are not
        validated when set: see `dicomcore.validation`)."""
        self.tag = Tag(tag)
        self.VR = VR
        self._raw = None
        self._little = True
        self._encodings = DEFAULT_ENCODINGS
        self.is_undefined_length = is_undefined_length
        self.file_tell = file_value_tell
        self.raw_VR = None
        self.private_creator: str | None = None
        self._value = _UNSET
        self.value = value

    @classmethod
    def from_raw(cls, tag: int, VR: str, raw: Any, is_little_endian: bool,  # noqa: N803
                 encodings: tuple[str, ...], file_tell: int | None = None,
                 is_undefined_length: bool = False) -> DataElement:
        """An element whose value stays undecoded until first accessed (used by the reader)."""
        elem = _new_object(cls)
        base_tag = _BASE_TAGS.get(tag)
        elem.tag = base_tag if base_tag is not None else _base_tag(tag)
        elem.VR = VR
        elem._raw = raw
        elem._little = is_little_endian
        elem._encodings = encodings
        elem.is_undefined_length = is_undefined_length
        elem.file_tell = file_tell
        elem.raw_VR = None
        elem.private_creator = None
        elem._value = _UNSET
        return elem

    @classmethod
    def from_sequence(cls, tag: int, seq: Sequence, file_tell: int | None = None,
                      is_undefined_length: bool = False) -> DataElement:
        """An SQ element holding the items the reader parsed (already a `Sequence`, so none
        of the value checks of `__init__`)."""
        elem = cls.from_raw(tag, "SQ", None, True, DEFAULT_ENCODINGS, file_tell,
                            is_undefined_length)
        elem._value = seq
        return elem

    # -- value -------------------------------------------------------------------------

    @property
    def value(self) -> Any:
        value = self._value
        if value is _UNSET:
            raw = self._raw
            if raw.__class__ is not bytes and raw is not None and not isinstance(raw, bytes):
                raw = raw.read()  # deferred (the reader's raw values are bytes otherwise)
            # `values.decode_value` inlined: the decoder looked up here saves a call.
            if not raw:
                value = empty_text_value(self.VR)
            else:
                decoder = DECODERS.get(self.VR)
                value = raw if decoder is None else decoder(raw, self._little, self._encodings)
            if value.__class__ is MultiValue:
                if self.tag in _LUT_DESCRIPTOR_TAGS and value:
                    if isinstance(value[0], int) and value[0] < 0:
                        list.__setitem__(value, 0, value[0] + 65536)
                # Values added later are converted as values set on the element are.
                value.type_constructor = _Converter(self.VR, self.tag)
            self._value = value
        return value

    @value.setter
    def value(self, new: Any) -> None:
        self._value = self._normalise(new)
        self._raw = None

    def peek_value(self) -> Any:
        """The value, decoded if need be but without keeping the decoded form: for the
        reader, which looks at a few values (Private Creators) it must leave undecoded."""
        if self._value is not _UNSET:
            return self._value
        raw = self._raw
        if raw is not None and not isinstance(raw, bytes):
            raw = raw.read()
        return decode_value(self.VR, raw or b"", self._little, self._encodings)

    def _normalise(self, value: Any) -> Any:
        """The value as pydicom stores it: a Sequence for SQ; a str with backslashes split
        into values; one value per VR type (IS, DS, UID, PersonName, Tag); MultiValue for
        more than one."""
        vr = self.VR
        if vr == "SQ":
            if value is None or value == "" or value == b"":
                return Sequence()
            if isinstance(value, Sequence):
                return value
            return Sequence(value)
        if vr not in BACKSLASH_IN_VALUE_VRS:
            if isinstance(value, str) and "\\" in value:
                value = value.split("\\")
            elif isinstance(value, bytes) and b"\\" in value:
                value = value.split(b"\\")
        convert = _Converter(vr, self.tag)
        if isinstance(value, (list, tuple)) and not (vr == "AT" and isinstance(value, tuple)):
            if len(value) == 1:
                return convert(value[0])
            return MultiValue(convert, value)
        return convert(value)

    @property
    def is_raw(self) -> bool:
        """True while the value has not been decoded or changed since reading."""
        return self._value is _UNSET

    @property
    def is_buffered(self) -> bool:
        """pydicom 3's: whether the value is a buffer to read from; never here (large values
        are deferred instead, see `is_deferred`)."""
        return False

    def clear(self) -> None:
        """Empty the value: '' or None by VR, an empty Sequence for SQ (pydicom's)."""
        self.value = empty_value_for_VR(self.VR)

    def validate(self, value: Any) -> None:
        """Warn (a `DicomWarning` per problem, as pydicom's default) where `value` breaks
        this element's VR: length, characters, range. Checks of `dicomcore.validation`."""
        from .validation import validate_value

        for problem in validate_value(self.VR, value):
            warnings.warn(f"{self.tag}: {problem}", DicomWarning, stacklevel=2)

    @property
    def is_deferred(self) -> bool:
        return self._value is _UNSET and self._raw is not None and not isinstance(self._raw, bytes)

    @property
    def raw_value(self) -> Any:
        """The bytes (or DeferredValue) read from the file; None once the value was changed."""
        return self._raw

    @property
    def is_little_endian(self) -> bool:
        return self._little

    @property
    def encodings(self) -> tuple[str, ...]:
        """The Python codecs of the Specific Character Set in force where it was read."""
        return self._encodings

    @property
    def VM(self) -> int:  # noqa: N802 - pydicom's public name
        value = self.value
        if value is None:
            return 0
        if isinstance(value, (str, bytes, PersonName)):
            return 1 if value else 0
        if isinstance(value, list):
            if isinstance(value, Sequence):
                return 1
            return len(value)
        return 1

    @property
    def is_empty(self) -> bool:
        """True for an element without a value (an SQ without items too)."""
        if self.VR == "SQ":
            return not self.value
        return self.VM == 0

    @property
    def empty_value(self) -> Any:
        return empty_value_for_VR(self.VR)

    # -- dictionary ----------------------------------------------------------------------

    @property
    def keyword(self) -> str:
        if self.tag.is_private:
            return ""
        return dictionary.keyword_for_tag(self.tag)

    @property
    def name(self) -> str:
        tag = self.tag
        if tag.is_private:
            # pydicom's names: a known private element's name in brackets (it is no
            # keyword); elements below xx10 are no private data either.
            if self.private_creator:
                try:
                    return f"[{dictionary.private_dictionary_description(tag, self.private_creator)}]"
                except KeyError:
                    pass
            elif tag & 0xFFFF < 0x0100:
                return _PRIVATE_CREATOR_NAME
            return "Private tag data"
        try:
            return dictionary.dictionary_description(tag)
        except KeyError:
            return ""

    description = name

    @property
    def is_private(self) -> bool:
        return self.tag.is_private

    @property
    def is_retired(self) -> bool:
        try:
            return dictionary.dictionary_is_retired(self.tag)
        except KeyError:
            return False

    # -- JSON (pydicom's methods; the work is in `json`) ----------------------------------

    @classmethod
    def from_json(cls, dataset_class: type, tag: str, vr: str, value: Any, value_key: str | None,
                  bulk_data_uri_handler: Callable[..., Any] | None = None) -> DataElement:
        """An element from the parts of its PS3.18 F.2 object: `value` is what the object
        holds under `value_key` ("Value", "InlineBinary" or "BulkDataURI"; None for no
        value). `bulk_data_uri_handler` takes the URI, or (tag, VR, URI). A UN value of a
        known tag gets its dictionary VR, as in pydicom. `dataset_class` is taken for
        pydicom's signature: sequence items are `Dataset`s."""
        from . import json

        obj: dict[str, Any] = {"vr": vr}
        if value_key is not None:
            obj[value_key] = value
        elem = json.element_from_json(tag, obj, json.three_argument_handler(
            bulk_data_uri_handler))
        return json.un_as_known(elem, DEFAULT_ENCODINGS)

    def to_json_dict(self, bulk_data_element_handler: Callable[[DataElement], Any] | None,
                     bulk_data_threshold: int) -> dict[str, Any]:
        """This element's PS3.18 F.2 object (see `dicomcore.json`)."""
        from .json import element_to_json_dict

        return element_to_json_dict(self, bulk_data_element_handler, bulk_data_threshold)

    def to_json(self, bulk_data_threshold: int = 1024,
                bulk_data_element_handler: Callable[[DataElement], Any] | None = None,
                dump_handler: Callable[[dict[str, Any]], str] | None = None) -> str:
        """`to_json_dict` as JSON text, made by `dump_handler` when given."""
        import json as json_text

        model = self.to_json_dict(bulk_data_element_handler, bulk_data_threshold)
        return dump_handler(model) if dump_handler is not None else json_text.dumps(model)

    # -- display -------------------------------------------------------------------------

    @property
    def repval(self) -> str:
        """A short text for the value, as pydicom's dumps show it: long byte and text values
        and more than 16 values as "Array of N elements", a UID by its name."""
        vr = self.VR
        if vr in _LONG_VALUE_VRS:
            raw = self._raw
            if self._value is _UNSET and raw is not None and not isinstance(raw, bytes) and \
                    vr in BYTES_VRS:
                length: int | None = raw.length  # a deferred value: not read for a dump
            else:
                value = self.value
                length = len(value) if isinstance(value, (bytes, str, list)) else None
            if length is not None and length > _MAX_SHOWN:
                return f"Array of {length} elements"
        if vr == "SQ":
            return f"<Sequence, length {len(self.value)}>"
        vm = self.VM
        if vm > _MAX_SHOWN:
            return f"Array of {vm} elements"
        value = self.value
        if isinstance(value, UID):
            return value.name
        return repr(value)

    def __str__(self) -> str:
        name = self.name[:_NAME_WIDTH]
        return f"{self.tag} {name:<{_NAME_WIDTH}} {self.VR}: {self.repval}"

    __repr__ = __str__

    def __copy__(self) -> DataElement:
        clone = DataElement.__new__(type(self))
        for slot in _COPIED_SLOTS:
            setattr(clone, slot, getattr(self, slot))
        return clone

    def __deepcopy__(self, memo: dict[int, Any]) -> DataElement:
        # The raw bytes are immutable and a DeferredValue only says where bytes are (it may
        # hold an open file): both are shared, the decoded value is copied.
        clone = self.__copy__()
        memo[id(self)] = clone
        if self._value is not _UNSET:
            clone._value = copy.deepcopy(self._value, memo)
        return clone

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        state = {slot: getattr(self, slot) for slot in _COPIED_SLOTS}
        raw = self._raw
        if raw is not None and not isinstance(raw, bytes):
            # A pickle may be loaded where the file is not (and the source may hold an open
            # file object): it carries the bytes themselves.
            state["_raw"] = raw.read()
        return (_restore_element, (type(self),), state)

    def __setstate__(self, state: dict[str, Any]) -> None:
        for slot, value in state.items():
            setattr(self, slot, value)

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, DataElement):
            return NotImplemented
        return self.tag == other.tag and self.VR == other.VR and self.value == other.value

    def __ne__(self, other: object) -> bool:
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    __hash__ = None  # type: ignore[assignment]


class _Converter:
    """Turns one value into the type its VR has (IS, DS, UID, PersonName, Tag); it is the
    `type_constructor` of an element's MultiValue, and pickles (a closure would not)."""

    __slots__ = ("vr", "tag")

    def __init__(self, vr: str, tag: BaseTag) -> None:
        self.vr = vr
        self.tag = tag

    def __call__(self, value: Any) -> Any:
        vr = self.vr
        if value is None:
            return None
        if isinstance(value, bytes) and vr in DEFAULT_REPERTOIRE_VRS:
            value = value.decode("latin-1")
        if vr == "PN":
            return value if isinstance(value, PersonName) else PersonName(value)
        if vr == "UI":
            return value if isinstance(value, UID) or not isinstance(value, str) else UID(value)
        if vr == "AT":
            return Tag(value)
        if vr in _DATE_VRS and isinstance(value, (datetime.date, datetime.time)):
            return datetime_value(vr, value)  # a Python date or time: as DA/DT/TM
        if vr in ("IS", "DS"):
            kind = IS if vr == "IS" else DS
            try:
                return kind(value)
            except (ValueError, OverflowError):
                warnings.warn(f"{self.tag}: {value!r} is not a valid {vr} value; kept as it is",
                              DicomWarning, stacklevel=4)
                return value
        return value

    def __reduce__(self) -> tuple[Any, ...]:
        return (_Converter, (self.vr, self.tag))


def __getattr__(name: str) -> Any:
    """pydicom has `RawDataElement` and `convert_raw_data_element` here; they live in
    `rawelement` (which builds on this module) and are found on first use."""
    if name in ("RawDataElement", "convert_raw_data_element"):
        from . import rawelement

        return getattr(rawelement, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _base_tag(tag: int) -> BaseTag:
    """`BaseTag(tag)`, kept for the next element of that tag while the cache has room."""
    base_tag = BaseTag(tag)
    if len(_BASE_TAGS) < _BASE_TAGS_KEPT:
        _BASE_TAGS[tag] = base_tag
    return base_tag


# The reader's tags, one object per tag: an int subclass costs more to make than a dict
# lookup (a third of an element's construction), and elements share it. Bounded, as
# private tags are as many as inputs make up.
_BASE_TAGS: dict[int, BaseTag] = {}
_BASE_TAGS_KEPT = 1 << 16
_new_object = object.__new__

# What a copy or a pickle of an element carries: every slot but the weak reference.
_COPIED_SLOTS = tuple(slot for slot in DataElement.__slots__ if slot != "__weakref__")


def _restore_element(cls: type[DataElement]) -> DataElement:
    return cls.__new__(cls)
