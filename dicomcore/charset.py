"""Specific Character Set (0008,0005): defined terms to Python codecs, and text to and from bytes.

The text VRs SH, LO, UC, ST, LT, UT and PN are encoded in the character set named by (0008,0005)
(PS3.3 C.12.1.1.2); all other string VRs are always ASCII. This module promises:

1. ``python_encodings`` never raises for a bad (0008,0005) value. Misspelt defined terms
   ('ISO IR 100', 'ISO-IR 100') are corrected and unknown ones replaced by the default
   repertoire, each with a ``DicomWarning`` (a ``UserWarning``); Python codec names are accepted, as pydicom does.
   Results are cached: it is cheap to call per element.
2. ``decode_text`` never raises. ISO 2022 escape sequences switch the G0 or G1 code element
   (PS3.5 6.1.2.5), also for sets (0008,0005) forgot to declare; after a delimiter the
   character set of value 1 is active again (PS3.5 6.1.2.5.3). Undecodable bytes become U+FFFD
   with a ``DicomWarning`` (a ``UserWarning``). A value without ESC is a single ``bytes.decode`` call.
3. ``encode_text`` never loses a character: text that no code element of the set can represent
   raises ``CharsetEncodeError``. Escape sequences are written where the standard puts them, so
   ``encode_text(decode_text(raw)) == raw`` for the examples of PS3.5 Annexes H, I and J.
4. Multi-valued values are decoded whole and split on the decoded backslash, never on the byte
   0x5C: in JIS X 0208 (ISO 2022 IR 87), GBK and GB18030 that byte can be half of a character
   (e.g. '倍' is ESC $ B 0x47 0x5C). This is also what pydicom does, so values match.

The default repertoire (no or empty (0008,0005), ISO_IR 6) has the codec name ``'iso8859'``, as in
pydicom: it decodes as Latin-1, so that files which use Latin-1 without declaring it still read,
but it encodes strictly as ASCII.

>>> encodings = python_encodings(["", "ISO 2022 IR 87"])
>>> encodings
('iso8859', 'iso2022_jp')
>>> raw = b"Yamada^Tarou=\\x1b$B;3ED\\x1b(B^\\x1b$BB@O:\\x1b(B"
>>> decode_text(raw, encodings, PN_DELIMITERS)
'Yamada^Tarou=山田^太郎'
>>> encode_text("Yamada^Tarou=山田^太郎", encodings, PN_DELIMITERS) == raw
True
"""

from __future__ import annotations

import codecs
import re
import warnings
from collections.abc import Sequence
from functools import lru_cache

from .errors import DicomWarning
from .vr import MULTI_VALUED_TEXT_VRS

__all__ = [
    "ASCII_FIRST_CODECS",
    "DEFAULT_ENCODING",
    "DEFAULT_ENCODINGS",
    "PN_DELIMITERS",
    "TEXT_DELIMITERS",
    "VALUE_DELIMITERS",
    "CharsetEncodeError",
    "decode_text",
    "decode_values",
    "delimiters_for",
    "encode_text",
    "encode_values",
    "python_encodings",
]

DEFAULT_ENCODING = "iso8859"
# The encodings of a data set without (0008,0005): what python_encodings(None) gives.
DEFAULT_ENCODINGS: tuple[str, ...] = (DEFAULT_ENCODING,)
"""Codec name of the default repertoire (ISO-IR 6); decodes as Latin-1, encodes as ASCII."""

TEXT_DELIMITERS = frozenset({0x09, 0x0A, 0x0C, 0x0D})
"""TAB, LF, FF and CR: after each of them the character set of value 1 is active again."""

VALUE_DELIMITERS = TEXT_DELIMITERS | {0x5C}
"""Delimiters of multi-valued text: the controls and the value separator backslash."""

PN_DELIMITERS = VALUE_DELIMITERS | {0x3D, 0x5E}
"""Delimiters of PN values: also '=' between component groups and '^' between components."""


class CharsetEncodeError(ValueError):
    """Text holds a character that no code element of the Specific Character Set represents."""

    def __init__(self, value: str, position: int, encodings: Sequence[str]) -> None:
        self.value = value
        self.position = position
        self.encodings = tuple(encodings)
        char = value[position]
        super().__init__(
            f"cannot encode {char!r} (U+{ord(char):04X}) at position {position} of the text "
            f"with the Specific Character Set encodings {', '.join(self.encodings)}"
        )


# Defined terms of PS3.3 Tables C.12-2 to C.12-5, and the Python codec for each. The single-byte
# sets (with ISO-IR 6 or, for IR 13, ISO-IR 14 in G0) exist with and without code extensions.
_SINGLE_BYTE_CODECS = {
    "100": "latin_1",
    "101": "iso8859_2",
    "109": "iso8859_3",
    "110": "iso8859_4",
    "144": "iso8859_5",
    "127": "iso8859_6",
    "126": "iso8859_7",
    "138": "iso8859_8",
    "148": "iso8859_9",
    "203": "iso8859_15",
    "13": "shift_jis",
    "166": "tis_620",
}
_DEFINED_TERMS: dict[str, str] = {
    "ISO_IR 6": DEFAULT_ENCODING,
    "ISO 2022 IR 6": DEFAULT_ENCODING,
    **{f"ISO_IR {number}": codec for number, codec in _SINGLE_BYTE_CODECS.items()},
    **{f"ISO 2022 IR {number}": codec for number, codec in _SINGLE_BYTE_CODECS.items()},
    "ISO 2022 IR 87": "iso2022_jp",
    "ISO 2022 IR 159": "iso2022_jp_2",
    "ISO 2022 IR 149": "euc_kr",
    "ISO 2022 IR 58": "gb2312",
    "ISO_IR 192": "utf_8",
    "GB18030": "gb18030",
    "GBK": "gbk",
    # Not defined terms, but accepted silently by pydicom (from the drafts of CP 1234).
    "ISO 2022 GBK": "gbk",
    "ISO 2022 58": "gb2312",
}

# Character sets that forbid code extensions (PS3.3 Table C.12-5, PS3.5 6.1.2.5.4 d).
_STAND_ALONE = frozenset({"utf_8", "gb18030", "gbk"})

# The ISO 2022 designations that DICOM uses (PS3.3 Tables C.12-3 and C.12-4), keyed by the bytes
# after ESC: which code element they designate (0 = G0, 1 = G1) and the codec decoding it.
_ESCAPES: dict[bytes, tuple[int, str]] = {
    b"(B": (0, DEFAULT_ENCODING),  # ISO-IR 6, ASCII
    b"(J": (0, "shift_jis"),  # ISO-IR 14, JIS X 0201 romaji
    b"$B": (0, "iso2022_jp"),  # ISO-IR 87, JIS X 0208
    b"$(D": (0, "iso2022_jp_2"),  # ISO-IR 159, JIS X 0212
    b")I": (1, "shift_jis"),  # ISO-IR 13, JIS X 0201 katakana
    b"-A": (1, "latin_1"),
    b"-B": (1, "iso8859_2"),
    b"-C": (1, "iso8859_3"),
    b"-D": (1, "iso8859_4"),
    b"-L": (1, "iso8859_5"),
    b"-G": (1, "iso8859_6"),
    b"-F": (1, "iso8859_7"),
    b"-H": (1, "iso8859_8"),
    b"-M": (1, "iso8859_9"),
    b"-b": (1, "iso8859_15"),
    b"-T": (1, "tis_620"),
    b"$)C": (1, "euc_kr"),  # ISO-IR 149, KS X 1001
    b"$)A": (1, "gb2312"),  # ISO-IR 58, GB 2312
}

# The escape sequence that designates each code element when encoding.
_G0_ESCAPE = {codec: b"\x1b" + seq for seq, (slot, codec) in _ESCAPES.items() if slot == 0}
_G1_ESCAPE = {codec: b"\x1b" + seq for seq, (slot, codec) in _ESCAPES.items() if slot == 1}

# G0 sets of two 7-bit bytes per character: their runs are decoded by Python's ISO 2022 codecs.
_MULTI_BYTE_G0 = frozenset({"iso2022_jp", "iso2022_jp_2"})

# Codecs whose bytes 0x00-0x7F are ASCII: an ASCII str is its own encoding in them.
_ASCII_COMPATIBLE = frozenset(_DEFINED_TERMS.values()) - _MULTI_BYTE_G0

ASCII_FIRST_CODECS = _ASCII_COMPATIBLE | _MULTI_BYTE_G0
"""Codecs that, as value 1 of a character set, decode bytes that are all ASCII and hold no
ESC as ASCII: such a value decodes without `decode_text` (`decode_values` and the reader's
text decoders take this path)."""

# Codecs of the sets that take part in code extensions; the others stand alone.
_ISO2022_CODECS = frozenset(_G0_ESCAPE) | frozenset(_G1_ESCAPE)

_HIGH_BYTES = re.compile(rb"([\x80-\xff]+)")

# Python spellings of the codecs above (from codecs.lookup), so that 'latin1' means 'latin_1'.
_KNOWN_CODECS = frozenset(_DEFINED_TERMS.values())
_CANONICAL_CODECS = {
    codecs.lookup(codec).name: codec
    for codec in frozenset(_DEFINED_TERMS.values()) - {DEFAULT_ENCODING}
}

# --- from (0008,0005) to codecs -----------------------------------------------------------------


def python_encodings(
    specific_character_set: str | list[str] | tuple[str, ...] | None,
) -> tuple[str, ...]:
    """Return the Python codec names for a (0008,0005) value, one per value.

    ``None``, ``''`` and ``[]`` give the default repertoire; an empty value 1 means ISO-IR 6.
    A single string holding backslashes is split like a raw CS value. Misspelt, unknown and
    misplaced terms give a ``DicomWarning`` (a ``UserWarning``) (see the module docstring), never an exception.

    >>> python_encodings("ISO_IR 100")
    ('latin_1',)
    >>> python_encodings("\\\\ISO 2022 IR 149")
    ('iso8859', 'euc_kr')
    """
    if not specific_character_set:
        terms: tuple[str, ...] = ()
    elif isinstance(specific_character_set, str):
        terms = tuple(specific_character_set.split("\\"))
    elif isinstance(specific_character_set, (bytes, bytearray)):
        terms = tuple(bytes(specific_character_set).decode("latin-1").split("\\"))
    elif isinstance(specific_character_set, (list, tuple)):
        terms = tuple(_term_text(term) for term in specific_character_set)
    else:
        # A (0008,0005) read with another VR (broken files): its text is still the best guess.
        terms = (_term_text(specific_character_set),)
    encodings, problems = _convert_terms(terms)
    for problem in problems:
        warnings.warn(problem, DicomWarning, stacklevel=2)
    return encodings


def _term_text(term: object) -> str:
    if isinstance(term, (bytes, bytearray)):
        return bytes(term).decode("latin-1")
    return "" if term is None else str(term)


@lru_cache(maxsize=256)
def _convert_terms(terms: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return the codecs for `terms` and the warnings to give; cached, so warnings are returned."""
    terms = tuple(term.strip(" \0") for term in terms)
    if not terms:
        return (DEFAULT_ENCODING,), ()
    problems: list[str] = []
    encodings = [
        DEFAULT_ENCODING if not term else _codec_for_term(term, problems) for term in terms
    ]
    if len(encodings) > 1:
        if encodings[0] in _STAND_ALONE:
            problems.append(
                f"Specific Character Set '{terms[0]}' does not allow code extensions, "
                f"ignoring: {', '.join(terms[1:])}"
            )
            encodings = encodings[:1]
        else:
            for term, codec in zip(terms[1:], encodings[1:], strict=True):
                if codec in _STAND_ALONE:
                    problems.append(
                        f"Specific Character Set '{term}' cannot be used as a code extension, "
                        "ignoring it"
                    )
            encodings = encodings[:1] + [c for c in encodings[1:] if c not in _STAND_ALONE]
    return tuple(encodings), tuple(problems)


def _codec_for_term(term: str, problems: list[str]) -> str:
    """Return the codec for one term of (0008,0005), noting any correction in `problems`.

    As in pydicom, a term that starts with 'ISO' and reads like 'ISO IR n' or 'ISO 2022 IR n'
    is corrected to that defined term; any other term may be a Python codec name ('latin1',
    'iso_ir_126'), accepted silently.
    """
    codec = _DEFINED_TERMS.get(term)
    if codec is not None:
        return codec
    if term in _KNOWN_CODECS:
        return term
    words = re.findall(r"[A-Z]+|\d+", term.upper())
    if term.startswith("ISO") and words[:2] == ["ISO", "IR"] and len(words) == 3:
        corrected = f"ISO_IR {words[2]}"
    elif term.startswith("ISO") and words[:3] == ["ISO", "2022", "IR"] and len(words) == 4:
        corrected = f"ISO 2022 IR {words[3]}"
    else:
        try:
            # Decoding (not just codecs.lookup) also refuses non-text codecs such as 'rot13'.
            b"\0\0\0\0".decode(term)
            return _CANONICAL_CODECS.get(codecs.lookup(term).name, term)
        except (LookupError, ValueError):  # ValueError: NUL in the name, or not decodable
            corrected = "".join(words)  # 'GB 18030'
    if corrected in _DEFINED_TERMS:
        problems.append(
            f"Incorrect value for Specific Character Set '{term}' - assuming '{corrected}'"
        )
        return _DEFINED_TERMS[corrected]
    problems.append(f"Unknown Specific Character Set '{term}' - using the default instead")
    return DEFAULT_ENCODING


# --- decoding ------------------------------------------------------------------------------------


def _initial_state(first: str) -> tuple[str, str | None]:
    """Return the (G0, G1) codecs active at the start of a value and after each delimiter."""
    if first == DEFAULT_ENCODING or first in _MULTI_BYTE_G0:
        # A multi-byte G0 set as value 1 is not allowed; read it as ISO-IR 6 plus that set.
        return DEFAULT_ENCODING, None
    if first == "shift_jis":
        return "shift_jis", "shift_jis"
    return DEFAULT_ENCODING, first


def decode_text(
    value: bytes,
    encodings: Sequence[str],
    delimiters: frozenset[int] = TEXT_DELIMITERS,
) -> str:
    """Decode the bytes of a text value with the codecs from ``python_encodings``.

    `value` may hold several backslash-separated values: split the returned str, not the bytes.
    `delimiters` are the byte values after which value 1 is active again: ``TEXT_DELIMITERS``
    for ST, LT and UT, ``VALUE_DELIMITERS`` for SH, LO and UC, ``PN_DELIMITERS`` for PN.
    Padding is not removed. Never raises; see the module docstring for invalid bytes.
    """
    first = encodings[0] if encodings else DEFAULT_ENCODING
    if 0x1B not in value:
        if value.isascii() and (first in _ASCII_COMPATIBLE or first in _MULTI_BYTE_G0):
            # The same text in every such codec, and "ascii" decodes in C without a codec
            # lookup (most values are ASCII).
            return value.decode("ascii")
        if first in _MULTI_BYTE_G0:
            first = DEFAULT_ENCODING
        try:
            return value.decode(first)
        except UnicodeDecodeError:
            return _decode_replacing(value, first)
        except LookupError:
            warnings.warn(
                f"Unknown encoding '{first}' - using the default instead", DicomWarning, stacklevel=2
            )
            return value.decode(DEFAULT_ENCODING)
    return _decode_iso2022(value, first, delimiters)


def _decode_iso2022(value: bytes, first: str, delimiters: frozenset[int]) -> str:
    """Decode a value holding ESC: one run per escape sequence, state reset at delimiters."""
    initial = _initial_state(first)
    chunks = value.split(b"\x1b")
    text, state = _decode_run(chunks[0], initial, initial, delimiters)
    parts = [text]
    for chunk in chunks[1:]:
        length = 3 if chunk[:2] in (b"$(", b"$)") else 2
        designation = _ESCAPES.get(chunk[:length])
        if designation is None:
            warnings.warn(
                f"Unknown escape sequence {b'ESC' + chunk[:length]!r} in a text value - "
                f"decoding with '{first}'",
                DicomWarning,
                stacklevel=2,
            )
            parts.append(_decode_run(b"\x1b" + chunk, initial, initial, frozenset())[0])
            state = initial
            continue
        slot, codec = designation
        state = (codec, state[1]) if slot == 0 else (state[0], codec)
        text, state = _decode_run(chunk[length:], state, initial, delimiters)
        parts.append(text)
    return "".join(parts)


def _decode_run(
    run: bytes,
    state: tuple[str, str | None],
    initial: tuple[str, str | None],
    delimiters: frozenset[int],
) -> tuple[str, tuple[str, str | None]]:
    """Decode bytes between two escape sequences; return the text and the state after them."""
    if state == initial:
        return _decode_in_state(run, state), state
    g0 = state[0]
    for index, byte in enumerate(run):
        # In a two-byte G0 set only controls are delimiters: '^', '=' and '\\' are half of
        # a character there.
        if byte in delimiters and (byte < 0x20 or g0 not in _MULTI_BYTE_G0):
            head = _decode_in_state(run[:index], state)
            return head + _decode_in_state(run[index:], initial), initial
    return _decode_in_state(run, state), state


def _decode_in_state(run: bytes, state: tuple[str, str | None]) -> str:
    """Decode bytes without escape sequences or delimiters in one (G0, G1) state."""
    g0, g1 = state
    if g0 in _MULTI_BYTE_G0:
        if g1 is not None and _HIGH_BYTES.search(run):
            # Bytes 0xA0-0xFF are in G1 whatever G0 holds: split them off (odd items).
            pieces = _HIGH_BYTES.split(run)
            return "".join(
                _decode_in_state(piece, (g1, None) if index % 2 else (g0, None))
                for index, piece in enumerate(pieces)
            )
        # Python's codec wants the escape sequence; SPACE is a space in every G0 set (ISO 2022).
        escape = _G0_ESCAPE[g0]
        try:
            return " ".join((escape + part).decode(g0) for part in run.split(b" "))
        except UnicodeDecodeError:
            return _decode_replacing(escape + run, g0)
    codec = g1 if g1 is not None else g0
    try:
        return run.decode(codec)
    except UnicodeDecodeError:
        return _decode_replacing(run, codec)


def _decode_replacing(value: bytes, codec: str) -> str:
    """Decode with U+FFFD for invalid bytes, warning that the text has lost information."""
    warnings.warn(
        f"Failed to decode {value!r} with '{codec}' - using replacement characters",
        DicomWarning,
        stacklevel=2,
    )
    return value.decode(codec, errors="replace")


def decode_values(value: bytes, vr: str, encodings: Sequence[str]) -> list[str]:
    """Decode a whole element value of a text VR into its values, as pydicom 3 does.

    SH, LO and UC: split on backslash, each value without trailing spaces and NULs.
    ST, LT and UT: one value, without trailing spaces and NULs; backslash is kept.
    PN: trailing padding removed from the whole value, then split on backslash; use
    ``personname.decode_person_names`` to get ``PersonName`` objects.
    An empty value gives ``['']``.
    """
    if vr == "PN":
        return decode_text(value.rstrip(b"\0 "), encodings, PN_DELIMITERS).split("\\")
    if value.isascii() and 0x1B not in value and (
            not encodings or encodings[0] in ASCII_FIRST_CODECS):
        text = value.decode("ascii")  # what decode_text gives ASCII (most values), sooner
    else:
        text = decode_text(value, encodings, delimiters_for(vr))
    if vr not in MULTI_VALUED_TEXT_VRS or "\\" not in text:
        return [text.rstrip("\0 ")]
    return [part.rstrip("\0 ") for part in text.split("\\")]


def delimiters_for(vr: str) -> frozenset[int]:
    """The bytes after which value 1's character set is active again in a value of `vr`
    (PS3.5 6.1.2.5.3): the one rule the reader and the writer both follow."""
    if vr == "PN":
        return PN_DELIMITERS
    if vr in MULTI_VALUED_TEXT_VRS:
        return VALUE_DELIMITERS
    return TEXT_DELIMITERS


# --- encoding ------------------------------------------------------------------------------------


def _encode_in(char: str, codec: str) -> bytes | None:
    """Return `char` in the code element of `codec` (without escape sequence), or None."""
    if codec in _MULTI_BYTE_G0:
        try:
            encoded = char.encode(codec)
        except UnicodeEncodeError:
            return None
        # Python designates its preferred set; only the one DICOM means by `codec` will do.
        escape = _G0_ESCAPE[codec]
        if not encoded.startswith(escape):
            return None
        return encoded[len(escape) : len(escape) + 2]
    if codec not in _G1_ESCAPE:
        return None
    try:
        encoded = char.encode(codec)
    except UnicodeEncodeError:
        return None
    if codec == "shift_jis":
        return encoded if len(encoded) == 1 and 0xA1 <= encoded[0] <= 0xDF else None
    if codec in ("euc_kr", "gb2312"):
        # euc_kr also writes 8-byte jamo sequences for syllables missing from KS X 1001.
        return encoded if len(encoded) == 2 and min(encoded) >= 0xA1 else None
    return encoded if encoded[0] >= 0xA0 else None


def encode_text(
    value: str,
    encodings: Sequence[str],
    delimiters: frozenset[int] = TEXT_DELIMITERS,
) -> bytes:
    """Encode text with the codecs from ``python_encodings``, switching sets by ISO 2022.

    Each character goes into the active G0 or G1 set if it can, else into the first set of
    `encodings` that has it, preceded by that set's escape sequence. Before a delimiter, and at
    the end, G0 returns to value 1's; after a delimiter G1 is taken to be value 1's again, as a
    reader must assume (PS3.5 6.1.2.5.3). No padding is added.

    Raises ``CharsetEncodeError`` for a character that no set represents, and for ESC.
    """
    first = encodings[0] if encodings else DEFAULT_ENCODING
    if first in _ASCII_COMPATIBLE and value.isascii() and "\x1b" not in value:
        return value.encode("ascii")
    if first not in _ISO2022_CODECS:
        # No code extensions: the codec encodes everything or fails.
        try:
            encoded = value.encode(first)
        except UnicodeEncodeError as exc:
            raise CharsetEncodeError(value, exc.start, encodings or (first,)) from None
        if 0x1B in encoded:
            raise CharsetEncodeError(value, value.index("\x1b"), encodings)
        return encoded
    return _encode_iso2022(value, tuple(encodings) or (first,), delimiters)


def _encode_iso2022(value: str, encodings: tuple[str, ...], delimiters: frozenset[int]) -> bytes:
    """Encode character by character, tracking the designated G0 and G1 sets."""
    initial_g0, initial_g1 = _initial_state(encodings[0])
    g0, g1 = initial_g0, initial_g1
    out = bytearray()
    for position, char in enumerate(value):
        code = ord(char)
        if code < 0x80:
            if code == 0x1B:
                raise CharsetEncodeError(value, position, encodings)
            if g0 in _MULTI_BYTE_G0:
                out += _G0_ESCAPE[initial_g0]
                g0 = initial_g0
            out.append(code)
            if code in delimiters:
                g1 = initial_g1
            continue
        if g0 in _MULTI_BYTE_G0 and (encoded := _encode_in(char, g0)) is not None:
            out += encoded
            continue
        if g1 is not None and (encoded := _encode_in(char, g1)) is not None:
            if g0 in _MULTI_BYTE_G0:
                # Legal in ISO 2022, but readers (pydicom among them) expect G0 back first.
                out += _G0_ESCAPE[initial_g0]
                g0 = initial_g0
            out += encoded
            continue
        for codec in encodings:
            encoded = _encode_in(char, codec)
            if encoded is None:
                continue
            if codec in _MULTI_BYTE_G0:
                out += _G0_ESCAPE[codec]
                g0 = codec
            else:
                if g0 in _MULTI_BYTE_G0:
                    out += _G0_ESCAPE[initial_g0]
                    g0 = initial_g0
                out += _G1_ESCAPE[codec]
                g1 = codec
            out += encoded
            break
        else:
            raise CharsetEncodeError(value, position, encodings)
    if g0 != initial_g0:
        out += _G0_ESCAPE[initial_g0]
    return bytes(out)


def encode_values(values: str | Sequence[str], vr: str, encodings: Sequence[str]) -> bytes:
    """Encode the value(s) of a text VR element, joined by backslash; the mirror of
    ``decode_values``. No padding is added: that is the writer's job.
    """
    if isinstance(values, str):
        values = [values]
    return encode_text("\\".join(str(value) for value in values), encodings, delimiters_for(vr))
