"""The PN value type: ``PersonName``, with the API of pydicom 3's ``valuerep.PersonName``.

A PN value has up to three component groups separated by '=' (alphabetic, ideographic,
phonetic), each of up to five components separated by '^' (family name, given name, middle
name, prefix, suffix); see PS3.5 6.2.1. Each group may use other code elements of the
Specific Character Set, so the whole value is decoded with '^' and '=' as delimiters that
reset the character set (PS3.5 6.1.2.5.3).

Promises:

1. ``str(name)`` is the DICOM form, e.g. 'Yamada^Tarou=山田^太郎=やまだ^たろう'. Empty trailing
   component groups are dropped ('A^B==' is 'A^B'); trailing '^' are kept, as in pydicom.
2. A name made from bytes is decoded on first use; ``original_string`` keeps those bytes
   (trailing space and NUL padding removed) and ``encode()`` returns them unchanged.
3. A name equals the str of its DICOM form, and hashes like it.

>>> name = PersonName("Yamada^Tarou=山田^太郎=やまだ^たろう")
>>> name.family_name, name.ideographic
('Yamada', '山田^太郎')
>>> name.encode(("iso8859", "iso2022_jp"))[:23]
b'Yamada^Tarou=\\x1b$B;3ED\\x1b(B'
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from dicomcore.charset import (
    DEFAULT_ENCODING,
    PN_DELIMITERS,
    decode_text,
    decode_values,
    encode_text,
)

__all__ = ["PersonName", "decode_person_names"]

_PADDING = b"\0 "


class PersonName:
    """The value of an element with VR PN."""

    __slots__ = ("_components", "encodings", "original_string")

    def __init__(
        self,
        val: str | bytes | PersonName = "",
        encodings: Sequence[str] | None = None,
        original_string: bytes | None = None,
    ) -> None:
        """Make a name from its DICOM form as str, or from encoded bytes decoded lazily.

        `encodings` are codec names from ``charset.python_encodings``; they decode bytes and
        are the default for ``encode``. With a str, `original_string` may give its encoding.
        """
        self.encodings: tuple[str, ...] | None = tuple(encodings) if encodings else None
        self._components: tuple[str, ...] | None
        self.original_string: bytes | None
        if isinstance(val, PersonName):
            if self.encodings is None or self.encodings == val.encodings:
                self.encodings = val.encodings
                self.original_string = val.original_string
                self._components = val._components
            else:
                # The bytes are in val's encodings: decode them with those, encode anew.
                self.original_string = None
                self._components = val.components
        elif isinstance(val, bytes | bytearray):
            self.original_string = bytes(val).rstrip(_PADDING)
            self._components = None
        else:
            self.original_string = original_string
            self._components = _split_groups(val)

    @classmethod
    def from_bytes(cls, value: bytes, encodings: Sequence[str] | None = None) -> PersonName:
        """Return the name encoded as one PN value in `value`, decoded on first use."""
        return cls(value, encodings)

    @classmethod
    def from_named_components(
        cls,
        family_name: str | bytes = "",
        given_name: str | bytes = "",
        middle_name: str | bytes = "",
        name_prefix: str | bytes = "",
        name_suffix: str | bytes = "",
        family_name_ideographic: str | bytes = "",
        given_name_ideographic: str | bytes = "",
        middle_name_ideographic: str | bytes = "",
        name_prefix_ideographic: str | bytes = "",
        name_suffix_ideographic: str | bytes = "",
        family_name_phonetic: str | bytes = "",
        given_name_phonetic: str | bytes = "",
        middle_name_phonetic: str | bytes = "",
        name_prefix_phonetic: str | bytes = "",
        name_suffix_phonetic: str | bytes = "",
        encodings: Sequence[str] | None = None,
    ) -> PersonName:
        """Build a name from its components; bytes parts are decoded with `encodings`.

        Raises ``ValueError`` if a part contains '\\\\', '^' or '='.

        >>> str(PersonName.from_named_components(family_name="Doe", given_name="John"))
        'Doe^John'
        """
        groups = [
            (family_name, given_name, middle_name, name_prefix, name_suffix),
            (
                family_name_ideographic,
                given_name_ideographic,
                middle_name_ideographic,
                name_prefix_ideographic,
                name_suffix_ideographic,
            ),
            (
                family_name_phonetic,
                given_name_phonetic,
                middle_name_phonetic,
                name_prefix_phonetic,
                name_suffix_phonetic,
            ),
        ]
        texts = [
            "^".join(_component_text(part, encodings) for part in group).rstrip("^")
            for group in groups
        ]
        return cls("=".join(texts), encodings)

    @classmethod
    def from_named_components_veterinary(
        cls,
        responsible_party_name: str | bytes = "",
        patient_name: str | bytes = "",
        responsible_party_name_ideographic: str | bytes = "",
        patient_name_ideographic: str | bytes = "",
        responsible_party_name_phonetic: str | bytes = "",
        patient_name_phonetic: str | bytes = "",
        encodings: Sequence[str] | None = None,
    ) -> PersonName:
        """Build a veterinary name: the responsible party is the family name, the animal's
        name the given name (PS3.5 6.2.1.1).
        """
        return cls.from_named_components(
            family_name=responsible_party_name,
            given_name=patient_name,
            family_name_ideographic=responsible_party_name_ideographic,
            given_name_ideographic=patient_name_ideographic,
            family_name_phonetic=responsible_party_name_phonetic,
            given_name_phonetic=patient_name_phonetic,
            encodings=encodings,
        )

    @property
    def components(self) -> tuple[str, ...]:
        """The component groups present: (alphabetic, ideographic, phonetic), or fewer."""
        if self._components is None:
            raw = self.original_string or b""
            text = decode_text(raw, self.encodings or (DEFAULT_ENCODING,), PN_DELIMITERS)
            self._components = _split_groups(text)
        return self._components

    def _group(self, index: int) -> str:
        components = self.components
        return components[index] if index < len(components) else ""

    def _name_part(self, index: int) -> str:
        parts = self._group(0).split("^")
        return parts[index] if index < len(parts) else ""

    @property
    def alphabetic(self) -> str:
        """The first (alphabetic) component group."""
        return self._group(0)

    @property
    def ideographic(self) -> str:
        """The second (ideographic) component group."""
        return self._group(1)

    @property
    def phonetic(self) -> str:
        """The third (phonetic) component group."""
        return self._group(2)

    @property
    def family_name(self) -> str:
        """The first component of the alphabetic group."""
        return self._name_part(0)

    @property
    def given_name(self) -> str:
        """The second component of the alphabetic group."""
        return self._name_part(1)

    @property
    def middle_name(self) -> str:
        """The third component of the alphabetic group."""
        return self._name_part(2)

    @property
    def name_prefix(self) -> str:
        """The fourth component of the alphabetic group."""
        return self._name_part(3)

    @property
    def name_suffix(self) -> str:
        """The fifth component of the alphabetic group."""
        return self._name_part(4)

    def family_comma_given(self) -> str:
        """Return the name as 'Family, Given'."""
        return f"{self.family_name}, {self.given_name}"

    def formatted(self, format_str: str) -> str:
        """Return ``format_str % parts`` where parts maps family_name, given_name,
        middle_name, name_prefix, name_suffix, ideographic and phonetic to their text.

        >>> PersonName("Doe^John").formatted("%(given_name)s %(family_name)s")
        'John Doe'
        """
        parts = {
            "family_name": self.family_name,
            "given_name": self.given_name,
            "middle_name": self.middle_name,
            "name_prefix": self.name_prefix,
            "name_suffix": self.name_suffix,
            "ideographic": self.ideographic,
            "phonetic": self.phonetic,
        }
        return format_str % parts

    def encode(self, encodings: Sequence[str] | None = None) -> bytes:
        """Return the name encoded with `encodings` (default: the name's own encodings).

        The original bytes are returned when the encodings are the name's own. Raises
        ``charset.CharsetEncodeError`` if a character cannot be encoded.
        """
        wanted = tuple(encodings) if encodings else self.encodings
        if self.original_string is not None and (encodings is None or wanted == self.encodings):
            return self.original_string
        return encode_text(str(self), wanted or (DEFAULT_ENCODING,), PN_DELIMITERS)

    def decode(self, encodings: Sequence[str] | None = None) -> PersonName:
        """Return the name read from its encoded bytes with other `encodings` (pydicom API).

        Without `encodings`, or with the name's own, the name itself is returned.
        """
        if not encodings or tuple(encodings) == self.encodings:
            return self
        return PersonName(self.encode(), encodings)

    def __str__(self) -> str:
        return "=".join(self.components)

    def __repr__(self) -> str:
        # pydicom shows a name as the repr of its str, and datasets print values that way.
        return repr(str(self))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PersonName):
            return str(self) == str(other)
        if isinstance(other, str):
            return str(self) == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(str(self))

    def __bool__(self) -> bool:
        return bool(self.components)

    def __len__(self) -> int:
        return len(str(self))

    def __iter__(self) -> Iterator[str]:
        return iter(str(self))

    def __contains__(self, item: Any) -> bool:
        return item in str(self)


def _split_groups(text: str) -> tuple[str, ...]:
    """Split the DICOM form into component groups, dropping empty groups at the end."""
    groups = text.split("=")
    while groups and not groups[-1]:
        groups.pop()
    return tuple(groups)


def _component_text(part: str | bytes, encodings: Sequence[str] | None) -> str:
    """Return one name component as text, refusing the PN delimiters."""
    if isinstance(part, bytes):
        part = decode_text(part, encodings or (DEFAULT_ENCODING,), PN_DELIMITERS)
    for char in "\\^=":
        if char in part:
            raise ValueError(f"a person name component may not contain {char!r}")
    return part


def decode_person_names(value: bytes, encodings: Sequence[str]) -> list[PersonName]:
    """Decode a whole PN element value into one ``PersonName`` per value, as pydicom 3 does.

    A single value is decoded lazily. For several, the value is decoded whole and split on
    the decoded backslash (see ``charset``); each name keeps its bytes as ``original_string``
    only when the byte 0x5C occurs just as a separator.
    """
    stripped = value.rstrip(_PADDING)
    if b"\\" not in stripped:
        return [PersonName(stripped, encodings)]
    texts = decode_values(stripped, "PN", encodings)
    raw_values: Sequence[bytes | None] = stripped.split(b"\\")
    if len(raw_values) != len(texts):
        raw_values = [None] * len(texts)
    return [
        PersonName(text, encodings, original_string=raw)
        for text, raw in zip(texts, raw_values, strict=True)
    ]
