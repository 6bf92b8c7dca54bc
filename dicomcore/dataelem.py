"""`DataElement`: one tag, its VR and its value, decoded from the raw bytes on first access.

An element read from a file keeps the exact bytes it was read from (or a `DeferredValue`
that can fetch them) until its value is changed, so the writer can give back an unchanged
element byte for byte and copy large deferred values without holding them whole.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import dictionary
from .personname import PersonName
from .tag import BaseTag, Tag
from .valuerep import MultiValue
from .values import BYTES_VRS, decode_value, empty_value_for_VR

if TYPE_CHECKING:
    from .deferred import DeferredValue

__all__ = ["DataElement", "RawValue"]

RawValue = "bytes | DeferredValue | None"

_UNSET: Any = object()
_DEFAULT_ENCODINGS = ("iso8859",)
# pydicom fixes the first value of these when it was read as SS (PS3.3 C.11.1.1.1).
_LUT_DESCRIPTOR_TAGS = frozenset({0x00281101, 0x00281102, 0x00281103, 0x00283002})
_PRIVATE_CREATOR_NAME = "Private Creator"


class DataElement:
    """A data element; `value` is decoded lazily from the bytes it was read from."""

    __slots__ = ("tag", "VR", "_value", "_raw", "_little", "_encodings",
                 "is_undefined_length", "file_tell", "raw_VR", "__weakref__")

    tag: BaseTag
    VR: str

    def __init__(self, tag: Any, VR: str, value: Any, file_value_tell: int | None = None,  # noqa: N803
                 is_undefined_length: bool = False, already_converted: bool = False) -> None:
        self.tag = Tag(tag)
        self.VR = VR
        self._raw = None
        self._little = True
        self._encodings = _DEFAULT_ENCODINGS
        self.is_undefined_length = is_undefined_length
        self.file_tell = file_value_tell
        self.raw_VR = None
        self._value = _UNSET
        self.value = value

    @classmethod
    def from_raw(cls, tag: int, VR: str, raw: Any, is_little_endian: bool,  # noqa: N803
                 encodings: tuple[str, ...], file_tell: int | None = None,
                 is_undefined_length: bool = False) -> DataElement:
        """An element whose value stays undecoded until first accessed (used by the reader)."""
        elem = cls.__new__(cls)
        elem.tag = BaseTag(tag)
        elem.VR = VR
        elem._raw = raw
        elem._little = is_little_endian
        elem._encodings = encodings
        elem.is_undefined_length = is_undefined_length
        elem.file_tell = file_tell
        elem.raw_VR = None
        elem._value = _UNSET
        return elem

    # -- value -------------------------------------------------------------------------

    @property
    def value(self) -> Any:
        value = self._value
        if value is _UNSET:
            raw = self._raw
            if raw is not None and not isinstance(raw, bytes):
                raw = raw.read()
            value = decode_value(self.VR, raw or b"", self._little, self._encodings)
            if self.tag in _LUT_DESCRIPTOR_TAGS and isinstance(value, list) and value:
                if isinstance(value[0], int) and value[0] < 0:
                    value[0] += 65536
            self._value = value
        return value

    @value.setter
    def value(self, new: Any) -> None:
        self._value = self._normalise(new)
        self._raw = None

    def _normalise(self, value: Any) -> Any:
        if self.VR == "SQ":
            from .sequence import Sequence

            if value is None or value == "" or value == b"":
                return Sequence()
            if isinstance(value, Sequence):
                return value
            return Sequence(value)
        if isinstance(value, (list, tuple)) and not isinstance(value, MultiValue):
            if self.VR in BYTES_VRS:
                return value
            if len(value) == 1:
                return value[0]
            return MultiValue(_identity, value)
        if self.VR == "PN" and isinstance(value, str) and not isinstance(value, PersonName):
            return PersonName(value)
        return value

    @property
    def is_raw(self) -> bool:
        """True while the value has not been decoded or changed since reading."""
        return self._value is _UNSET

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
            from .sequence import Sequence

            if isinstance(value, Sequence):
                return 1
            return len(value)
        return 1

    @property
    def is_empty(self) -> bool:
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
            if tag.is_private_creator:
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

    # -- display -------------------------------------------------------------------------

    @property
    def repval(self) -> str:
        """A short text for the value, as dumps show it."""
        if self.VR in BYTES_VRS or (self.VR == "UN"):
            raw = self._raw
            length = raw.length if raw is not None and not isinstance(raw, bytes) else None
            if length is None:
                value = self.value
                length = len(value) if isinstance(value, (bytes, list)) else 0
            if length > 128:
                return f"Array of {length} elements"
            value = self.value
            return repr(value)
        if self.VR == "SQ":
            return f"<Sequence, length {len(self.value)}>"
        value = self.value
        if isinstance(value, (str, PersonName)) and not isinstance(value, list):
            return repr(str(value))
        return str(value) if isinstance(value, list) else repr(value)

    def __str__(self) -> str:
        name = self.name[:35]
        return f"{self.tag} {name:<35} {self.VR}: {self.repval}"

    def __repr__(self) -> str:
        if self.VR == "SQ":
            return repr(self.value)
        return str(self)

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


def _identity(value: Any) -> Any:
    return value
