"""Tests for dicomcore.charset and dicomcore.personname.

Two halves:

- Over real files: every SH, LO, UC, ST, LT, UT and PN element of pydicom's charset_files and
  test_files (sequence items included, with (0008,0005) inherited from the parent dataset) is
  decoded from its raw bytes by dicomcore and must equal what pydicom 3 gives; re-encoding the
  decoded text must give the raw bytes back.
- Unit tests: one case table of (Specific Character Set, delimiters, text, bytes) drives both the
  decoder and the encoder; then the edge cases of each function.

pydicom is the oracle here only; dicomcore never imports it.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pydicom
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydicom.dataelem import RawDataElement
from pydicom.multival import MultiValue

from dicomcore.charset import (
    DEFAULT_ENCODINGS,
    PN_DELIMITERS,
    TEXT_DELIMITERS,
    VALUE_DELIMITERS,
    CharsetEncodeError,
    decode_text,
    decode_values,
    encode_text,
    encode_values,
    python_encodings,
)
from dicomcore.personname import PersonName, decode_person_names
from dicomcore.vr import CHARSET_VRS

from .corpus import ORACLE_READABLE, PYDICOM_DATA, corpus_id

CHARSET_FILES = sorted((PYDICOM_DATA / "charset_files").glob("*.dcm"))

# Files whose escape sequences are valid but not the ones dicomcore writes: for these the
# re-encoded bytes only have to decode to the same text.
REENCODED_DIFFERENTLY = {
    # A redundant ESC ( B at the end of each value (G0 was never changed).
    "chrKoreanMulti.dcm",
    # Value 1 is ISO 2022 IR 13, yet G0 returns to ASCII (ESC ( B), not to ISO-IR 14 (ESC ( J).
    "chrSQEncoding.dcm",
    "chrSQEncoding1.dcm",
}


class TextElement(NamedTuple):
    """One text element as read by pydicom: its raw bytes and its converted value."""

    tag: Any
    vr: str
    raw: bytes
    character_set: Any
    pydicom_value: Any


def read_with_pydicom(path: Path) -> pydicom.Dataset | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return pydicom.dcmread(path)
        except Exception:
            return None


def text_elements(ds: pydicom.Dataset, character_set: Any = None) -> Iterator[TextElement]:
    """Yield the text elements of `ds` and its sequence items, before and after conversion.

    pydicom keeps an element as a RawDataElement until it is first accessed; the raw bytes
    are taken from ``ds._dict`` and the converted value from ``ds[tag]``. Items inherit the
    (0008,0005) of their parent unless they have a non-empty one (PS3.5 7.5.3).
    """
    if 0x00080005 in ds._dict and ds[0x00080005].value:
        character_set = ds[0x00080005].value
    for tag in list(ds._dict):
        raw = ds._dict[tag]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                elem = ds[tag]
            except Exception:
                continue
        if elem.VR == "SQ":
            for item in elem.value or ():
                yield from text_elements(item, character_set)
        elif elem.VR in CHARSET_VRS and isinstance(raw, RawDataElement):
            yield TextElement(tag, elem.VR, raw.value or b"", character_set, elem.value)


def encodings_for(character_set: Any) -> tuple[str, ...]:
    if isinstance(character_set, MultiValue):
        character_set = list(character_set)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return python_encodings(character_set)


def delimiters_for(vr: str) -> frozenset[int]:
    if vr == "PN":
        return PN_DELIMITERS
    return VALUE_DELIMITERS if vr in {"SH", "LO", "UC"} else TEXT_DELIMITERS


def as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, MultiValue) else [value]


READABLE = [
    pytest.param(path, id=corpus_id(path))
    for path in ORACLE_READABLE
    if read_with_pydicom(path) is not None
]


def test_the_default_encodings_are_those_of_no_character_set() -> None:
    for absent in (None, "", [], ()):
        assert python_encodings(absent) == DEFAULT_ENCODINGS


def test_corpus_has_every_charset_file() -> None:
    names = {param.values[0].name for param in READABLE}
    assert {path.name for path in CHARSET_FILES} <= names
    assert len(CHARSET_FILES) >= 17
    assert len(READABLE) > 150


@pytest.mark.parametrize("path", READABLE)
def test_decoding_matches_pydicom(path: Path) -> None:
    ds = read_with_pydicom(path)
    assert ds is not None
    elements = list(text_elements(ds))
    if path in CHARSET_FILES:
        assert elements
    for element in elements:
        encodings = encodings_for(element.character_set)
        where = f"{element.tag} {element.vr} {element.raw!r}"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if element.vr == "PN":
                names = decode_person_names(element.raw, encodings)
                expected = as_list(element.pydicom_value)
                assert [str(n) for n in names] == [str(n) for n in expected], where
                for name, theirs in zip(names, expected, strict=True):
                    assert name.components == theirs.components, where
                    assert (name.family_name, name.given_name, name.middle_name) == (
                        theirs.family_name,
                        theirs.given_name,
                        theirs.middle_name,
                    ), where
                    assert (name.ideographic, name.phonetic) == (
                        theirs.ideographic,
                        theirs.phonetic,
                    ), where
                    assert name == theirs, where
            else:
                values = decode_values(element.raw, element.vr, encodings)
                assert values == as_list(element.pydicom_value), where


@pytest.mark.parametrize("path", READABLE)
def test_reencoding_gives_the_raw_bytes(path: Path) -> None:
    ds = read_with_pydicom(path)
    assert ds is not None
    for element in text_elements(ds):
        encodings = encodings_for(element.character_set)
        delimiters = delimiters_for(element.vr)
        raw = element.raw.rstrip(b"\0 ")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            text = decode_text(raw, encodings, delimiters)
        encoded = encode_text(text, encodings, delimiters)
        if path.name in REENCODED_DIFFERENTLY:
            assert decode_text(encoded, encodings, delimiters) == text
        else:
            assert encoded == raw, f"{element.tag} {element.vr} {text!r}"


def test_sequence_items_inherit_or_override_the_character_set() -> None:
    def item_sets(name: str) -> list[Any]:
        ds = read_with_pydicom(PYDICOM_DATA / "charset_files" / name)
        assert ds is not None
        return [e.character_set for e in text_elements(ds) if e.tag == 0x00100010]

    # The item has its own set in chrSQEncoding, and inherits the parent's in chrSQEncoding1.
    assert [list(s) for s in item_sets("chrSQEncoding.dcm")] == [
        ["ISO 2022 IR 13", "ISO 2022 IR 87"]
    ]
    assert [list(s) for s in item_sets("chrSQEncoding1.dcm")] == [
        ["ISO 2022 IR 13", "ISO 2022 IR 87"]
    ]


# --- one case table for the decoder and the encoder ---------------------------------------------


class Case(NamedTuple):
    character_set: str | list[str]
    delimiters: frozenset[int]
    text: str
    raw: bytes


PN, TEXT, VALUES = PN_DELIMITERS, TEXT_DELIMITERS, VALUE_DELIMITERS
CASES = {
    "latin1": Case("ISO_IR 100", PN, "Buc^Jérôme", b"Buc^J\xe9r\xf4me"),
    "latin9-euro": Case("ISO_IR 203", TEXT, "5€ Œuvre", b"5\xa4 \xbcuvre"),
    "greek": Case("ISO_IR 126", PN, "Διονυσιος", b"\xc4\xe9\xef\xed\xf5\xf3\xe9\xef\xf2"),
    "cyrillic": Case("ISO_IR 144", PN, "Люкceмбypг", b"\xbb\xee\xdace\xdc\xd1yp\xd3"),
    "arabic": Case("ISO_IR 127", PN, "قباني^لنزار", b"\xe2\xc8\xc7\xe6\xea^\xe4\xe6\xd2\xc7\xd1"),
    "hebrew": Case("ISO_IR 138", PN, "שרון^דבורה", b"\xf9\xf8\xe5\xef^\xe3\xe1\xe5\xf8\xe4"),
    "thai": Case("ISO_IR 166", TEXT, "ภาษาไทย", "ภาษาไทย".encode("tis_620")),
    # PS3.5 H.3.1: ISO-IR 6 with JIS X 0208; G0 returns to ASCII before each delimiter.
    "japanese-H31": Case(
        ["", "ISO 2022 IR 87"],
        PN,
        "Yamada^Tarou=山田^太郎=やまだ^たろう",
        b"Yamada^Tarou=\x1b$B;3ED\x1b(B^\x1b$BB@O:\x1b(B=\x1b$B$d$^$@\x1b(B^\x1b$B$?$m$&\x1b(B",
    ),
    # PS3.5 H.3.2: value 1 is JIS X 0201, so G0 returns to ISO-IR 14 (ESC ( J).
    "japanese-H32": Case(
        ["ISO 2022 IR 13", "ISO 2022 IR 87"],
        PN,
        "ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう",
        b"\xd4\xcf\xc0\xde^\xc0\xdb\xb3=\x1b$B;3ED\x1b(J^\x1b$BB@O:\x1b(J="
        b"\x1b$B$d$^$@\x1b(J^\x1b$B$?$m$&\x1b(J",
    ),
    "japanese-jis-x-0212": Case(
        ["", "ISO 2022 IR 87", "ISO 2022 IR 159"], TEXT, "山丂", b"\x1b$B;3\x1b$(D0!\x1b(B"
    ),
    "katakana-as-extension": Case(
        ["ISO 2022 IR 6", "ISO 2022 IR 13"], TEXT, "ｱｲ", b"\x1b)I\xb1\xb2"
    ),
    # PS3.5 I.2: KS X 1001 in G1, designated again after each delimiter.
    "korean-I2": Case(
        ["", "ISO 2022 IR 149"],
        PN,
        "Hong^Gildong=洪^吉洞=홍^길동",
        b"Hong^Gildong=\x1b$)C\xfb\xf3^\x1b$)C\xd1\xce\xd4\xd7="
        b"\x1b$)C\xc8\xab^\x1b$)C\xb1\xe6\xb5\xbf",
    ),
    "korean-lines": Case(
        ["", "ISO 2022 IR 149"],
        TEXT,
        "A 한글.\r\nB 한글",
        b"A \x1b$)C\xc7\xd1\xb1\xdb.\r\nB \x1b$)C\xc7\xd1\xb1\xdb",
    ),
    # PS3.5 J.3 (UTF-8) and J.4 (GB18030); a trailing empty group stays in the text.
    "chinese-utf8": Case(
        "ISO_IR 192",
        PN,
        "Wang^XiaoDong=王^小東=",
        b"Wang^XiaoDong=\xe7\x8e\x8b^\xe5\xb0\x8f\xe6\x9d\xb1=",
    ),
    "chinese-gb18030": Case(
        "GB18030", PN, "Wang^XiaoDong=王^小东=", b"Wang^XiaoDong=\xcd\xf5^\xd0\xa1\xb6\xab="
    ),
    "gb18030-four-bytes": Case("GB18030", TEXT, "\U00020000", b"\x95\x32\x82\x36"),
    "gbk": Case("GBK", VALUES, "乗", b"\x81\\"),
    # PS3.5 K: GB 2312 in G1 (pydicom 3.0 keeps the escape sequences in the text here).
    "chinese-gb2312": Case(
        ["", "ISO 2022 IR 58"],
        PN,
        "Wang^XiaoDong=王^小东",
        b"Wang^XiaoDong=\x1b$)A\xcd\xf5^\x1b$)A\xd0\xa1\xb6\xab",
    ),
    "latin1-with-cyrillic": Case(
        ["ISO 2022 IR 100", "ISO 2022 IR 144"],
        PN,
        "Jérôme^Люк",
        b"J\xe9r\xf4me^\x1b-L\xbb\xee\xda",
    ),
    "cyrillic-then-latin1": Case(
        ["ISO 2022 IR 100", "ISO 2022 IR 144"], TEXT, "Лé", b"\x1b-L\xbb\x1b-A\xe9"
    ),
    "g1-reset-by-newline": Case(
        ["ISO 2022 IR 100", "ISO 2022 IR 144"], TEXT, "Л\r\né", b"\x1b-L\xbb\r\n\xe9"
    ),
    "jis-space-switches-to-ascii": Case(
        ["", "ISO 2022 IR 87"], TEXT, "山 田", b"\x1b$B;3\x1b(B \x1b$BED\x1b(B"
    ),
    # '倍' has the byte 0x5C, '五' 0x5E ('^') and '予' 0x3D ('='): not delimiters inside JIS.
    "jis-bytes-that-look-like-delimiters": Case(
        ["", "ISO 2022 IR 87"], PN, "倍^五=予", b"\x1b$BG\\\x1b(B^\x1b$B8^\x1b(B=\x1b$BM=\x1b(B"
    ),
    "ascii": Case(None, TEXT, "Doe^John", b"Doe^John"),  # type: ignore[arg-type]
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_decode_text_cases(case: Case) -> None:
    encodings = python_encodings(case.character_set)
    assert decode_text(case.raw, encodings, case.delimiters) == case.text


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_encode_text_cases(case: Case) -> None:
    encodings = python_encodings(case.character_set)
    assert encode_text(case.text, encodings, case.delimiters) == case.raw


# --- python_encodings ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("ISO_IR 6", "iso8859"),
        ("ISO_IR 100", "latin_1"),
        ("ISO_IR 101", "iso8859_2"),
        ("ISO_IR 109", "iso8859_3"),
        ("ISO_IR 110", "iso8859_4"),
        ("ISO_IR 144", "iso8859_5"),
        ("ISO_IR 127", "iso8859_6"),
        ("ISO_IR 126", "iso8859_7"),
        ("ISO_IR 138", "iso8859_8"),
        ("ISO_IR 148", "iso8859_9"),
        ("ISO_IR 203", "iso8859_15"),
        ("ISO_IR 13", "shift_jis"),
        ("ISO_IR 166", "tis_620"),
        ("ISO_IR 192", "utf_8"),
        ("GB18030", "gb18030"),
        ("GBK", "gbk"),
        ("ISO 2022 IR 6", "iso8859"),
        ("ISO 2022 IR 100", "latin_1"),
        ("ISO 2022 IR 203", "iso8859_15"),
        ("ISO 2022 IR 13", "shift_jis"),
        ("ISO 2022 IR 87", "iso2022_jp"),
        ("ISO 2022 IR 159", "iso2022_jp_2"),
        ("ISO 2022 IR 149", "euc_kr"),
        ("ISO 2022 IR 58", "gb2312"),
    ],
)
def test_python_encodings_defined_terms(term: str, expected: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert python_encodings(term) == (expected,)


@pytest.mark.parametrize("empty", [None, "", [], [""], ("",), " "])
def test_python_encodings_default(empty: Any) -> None:
    assert python_encodings(empty) == ("iso8859",)


def test_python_encodings_code_extensions() -> None:
    assert python_encodings(["", "ISO 2022 IR 87"]) == ("iso8859", "iso2022_jp")
    assert python_encodings(("ISO 2022 IR 13", "ISO 2022 IR 87")) == ("shift_jis", "iso2022_jp")
    # A raw CS value, backslash and padding included.
    assert python_encodings("\\ISO 2022 IR 149 ") == ("iso8859", "euc_kr")


def test_python_encodings_is_cached() -> None:
    assert python_encodings(["", "ISO 2022 IR 87"]) is python_encodings(("", "ISO 2022 IR 87"))


@pytest.mark.parametrize(
    ("term", "corrected", "expected"),
    [
        ("ISO IR 100", "ISO_IR 100", "latin_1"),
        ("ISO-IR 100", "ISO_IR 100", "latin_1"),
        ("ISO_IR  144", "ISO_IR 144", "iso8859_5"),
        ("GB 18030", "GB18030", "gb18030"),
        ("ISO_2022-IR 100", "ISO 2022 IR 100", "latin_1"),
        ("ISO_2022_IR_87", "ISO 2022 IR 87", "iso2022_jp"),
        ("ISO IR 192", "ISO_IR 192", "utf_8"),
        ("gb-18030", "GB18030", "gb18030"),
    ],
)
def test_python_encodings_corrects_misspelt_terms(term: str, corrected: str, expected: str) -> None:
    with pytest.warns(UserWarning, match=f"'{term}' - assuming '{corrected}'"):
        assert python_encodings(term) == (expected,)
    # The result is cached, the warning is given every time.
    with pytest.warns(UserWarning, match="assuming"):
        python_encodings(term)


@pytest.mark.parametrize(
    "term", ["nonsense", "ISO_IR 999", "ISO 2022 IR 192", "rot13", "non\x00sense"]
)
def test_python_encodings_replaces_unknown_terms(term: str) -> None:
    with pytest.warns(UserWarning, match=f"Unknown Specific Character Set '{term}'"):
        assert python_encodings(term) == ("iso8859",)


def test_python_encodings_accepts_python_codec_names_silently() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert python_encodings("latin1") == ("latin_1",)
        assert python_encodings(["iso8859", "iso_ir_126"]) == ("iso8859", "iso8859_7")
        assert python_encodings("UTF-8") == ("utf_8",)
        assert python_encodings("iso_ir 144") == ("iso8859_5",)


def test_python_encodings_drops_stand_alone_sets_from_code_extensions() -> None:
    with pytest.warns(UserWarning, match="does not allow code extensions"):
        assert python_encodings(["ISO_IR 192", "ISO 2022 IR 100"]) == ("utf_8",)
    with pytest.warns(UserWarning, match="'GBK' cannot be used as a code extension"):
        assert python_encodings(["ISO 2022 IR 100", "GBK"]) == ("latin_1",)


# --- decode_text and decode_values --------------------------------------------------------------

JAPANESE = ("iso8859", "iso2022_jp")
KOREAN = ("iso8859", "euc_kr")
LATIN_CYRILLIC = ("latin_1", "iso8859_5")


def test_default_repertoire_decodes_latin1() -> None:
    assert decode_text(b"J\xe9r\xf4me", ("iso8859",)) == "Jérôme"


def test_caret_resets_g1_in_person_names_only() -> None:
    raw = b"\x1b-L\xbb^\xe9"
    assert decode_text(raw, LATIN_CYRILLIC, PN_DELIMITERS) == "Л^é"
    assert decode_text(raw, LATIN_CYRILLIC, TEXT_DELIMITERS) == "Л^щ"


def test_ascii_g0_keeps_the_katakana_g1_of_iso_ir_13() -> None:
    assert decode_text(b"\x1b$B;3\x1b(B\xb1", ("shift_jis", "iso2022_jp")) == "山ｱ"


def test_multi_byte_value_1_is_read_as_ascii_plus_that_set() -> None:
    assert decode_text(b"Yamada", ("iso2022_jp",)) == "Yamada"
    assert decode_text(b"Yamada^\x1b$B;3ED\x1b(B", ("iso2022_jp",), PN) == "Yamada^山田"


def test_escape_sequences_of_undeclared_sets_are_honoured() -> None:
    assert decode_text(b"a\x1b-L\xbb", ("iso8859",)) == "aЛ"


def test_invalid_bytes_are_replaced_with_a_warning() -> None:
    with pytest.warns(UserWarning, match="replacement"):
        assert decode_text(b"abc\xff", ("utf_8",)) == "abc\ufffd"
    with pytest.warns(UserWarning, match="replacement"):
        assert "\ufffd" in decode_text(b"\x1b$B;3\xff\x1b(Bx", JAPANESE)
    with pytest.warns(UserWarning, match="replacement"):
        assert decode_text(b"\x1b$)C\xb1", KOREAN) == "\ufffd"


def test_unknown_escape_sequence_is_kept_with_a_warning() -> None:
    with pytest.warns(UserWarning, match="Unknown escape sequence"):
        assert decode_text(b"a\x1b%Gb", ("latin_1",)) == "a\x1b%Gb"
    with pytest.warns(UserWarning, match="Unknown escape sequence"):
        assert decode_text(b"a\x1b", ("latin_1",)) == "a\x1b"


def test_unknown_codec_falls_back_to_the_default() -> None:
    with pytest.warns(UserWarning, match="Unknown encoding"):
        assert decode_text(b"abc", ("no-such-codec",)) == "abc"


BYTE_PIECES = [b"\x1b$B", b"\x1b(B", b"\x1b(J", b"\x1b$)C", b"\x1b-L", b"\x1b)I", b"\x1b$(D"]
BYTE_PIECES += [b";3", b"\xb1\xe8", b"^", b"=", b"\r", b"\\", b"\xff", b"\x1b", b"a", b" "]
ENCODING_SETS = [
    ("iso8859",),
    ("latin_1",),
    ("utf_8",),
    ("gb18030",),
    ("shift_jis", "iso2022_jp", "iso2022_jp_2"),
    ("iso8859", "iso2022_jp"),
    ("iso8859", "euc_kr"),
    ("iso8859", "gb2312"),
    LATIN_CYRILLIC,
    ("iso2022_jp",),
]


@given(
    st.one_of(st.binary(max_size=40), st.lists(st.sampled_from(BYTE_PIECES)).map(b"".join)),
    st.sampled_from(ENCODING_SETS),
    st.sampled_from([TEXT_DELIMITERS, VALUE_DELIMITERS, PN_DELIMITERS]),
)
def test_decode_text_never_raises(raw: bytes, encodings: tuple[str, ...], delims: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert isinstance(decode_text(raw, encodings, delims), str)
        for vr in ("LO", "ST", "PN"):
            assert decode_values(raw, vr, encodings)
        assert all(isinstance(str(n), str) for n in decode_person_names(raw, encodings))


def test_decode_values_padding_and_splitting() -> None:
    assert decode_values(b"eggs\\spam ", "LO", ("latin_1",)) == ["eggs", "spam"]
    assert decode_values(b"A \\B\0", "SH", ("iso8859",)) == ["A", "B"]
    assert decode_values(b" a\\b  ", "ST", ("iso8859",)) == [" a\\b"]
    assert decode_values(b"A \\B ", "PN", ("iso8859",)) == ["A ", "B"]
    assert decode_values(b"", "UT", ("iso8859",)) == [""]
    assert decode_values(b"", "PN", ("iso8859",)) == [""]


def test_decode_values_splits_the_text_not_the_bytes() -> None:
    # '倍' is ESC $ B 0x47 0x5C; '乗' in GBK is 0x81 0x5C.
    assert decode_values(b"\x1b$BG\\\x1b(B\\\x1b$BG\\\x1b(B", "LO", JAPANESE) == ["倍", "倍"]
    assert decode_values("乗\\乗".encode("gbk"), "LO", ("gbk",)) == ["乗", "乗"]


def test_backslash_returns_to_value_1() -> None:
    # Each value starts in value 1's set, as PS3.5 6.1.2.5.3 requires of the writer.
    raw = b"\x1b$)C\xc7\xd1\\\xe9"
    assert decode_values(raw, "LO", ("latin_1", "euc_kr")) == ["한", "é"]
    assert encode_values(["한", "é"], "LO", ("latin_1", "euc_kr")) == raw


# --- encode_text ---------------------------------------------------------------------------------


def test_unrepresentable_character_raises_naming_it() -> None:
    with pytest.raises(CharsetEncodeError, match=r"'Ж' \(U\+0416\) at position 4") as info:
        encode_text("Doe^Ж", python_encodings("ISO_IR 100"))
    assert isinstance(info.value, ValueError)
    assert "Doe" not in str(info.value)  # the text itself is not quoted: it may be a name
    assert info.value.value == "Doe^Ж" and info.value.position == 4
    assert info.value.encodings == ("latin_1",)


@pytest.mark.parametrize(
    ("text", "encodings"),
    [
        ("é", ("iso8859",)),  # the default repertoire is written as ASCII only
        ("é", JAPANESE),  # JIS X 0208 has Cyrillic, but no accented Latin
        ("똠", KOREAN),  # not in KS X 1001; euc_kr would write an 8-byte jamo sequence
        ("\ud800", ("utf_8",)),
        ("a\x1bb", ("iso8859",)),
        ("a\x1bb", ("utf_8",)),
        ("ｱ\x1b", ("shift_jis",)),
    ],
)
def test_encode_text_refuses(text: str, encodings: tuple[str, ...]) -> None:
    with pytest.raises(CharsetEncodeError):
        encode_text(text, encodings)


def test_encode_values() -> None:
    assert encode_values(["A", "B"], "LO", ("iso8859",)) == b"A\\B"
    assert encode_values("a\\b", "ST", ("iso8859",)) == b"a\\b"
    assert encode_values([PersonName("山田^太郎"), "Doe"], "PN", JAPANESE) == (
        b"\x1b$B;3ED\x1b(B^\x1b$BB@O:\x1b(B\\Doe"
    )


DELIMITER_CHARS = "\r\n\t\f^=\\ "
ROUND_TRIPS = {
    "latin-cyrillic": (
        LATIN_CYRILLIC,
        "abcXYZ09éüßÄ§ЖЛюкЁ" + DELIMITER_CHARS,
    ),
    "japanese-ir13": (
        ("shift_jis", "iso2022_jp", "iso2022_jp_2"),
        "abcXYZ09ｱｲｳﾞ山田太郎やまだ倍五予丂" + DELIMITER_CHARS,
    ),
    "japanese-ir6": (("iso8859", "iso2022_jp"), "abcXYZ09山田太郎やまだ倍五予" + DELIMITER_CHARS),
    "korean": (KOREAN, "abcXYZ09한글김홍洪吉" + DELIMITER_CHARS),
    "chinese-gb2312": (("iso8859", "gb2312"), "abcXYZ09王小东" + DELIMITER_CHARS),
}


@pytest.mark.parametrize(("encodings", "alphabet"), ROUND_TRIPS.values(), ids=ROUND_TRIPS.keys())
@given(data=st.data())
def test_encode_then_decode_round_trips(
    encodings: tuple[str, ...], alphabet: str, data: st.DataObject
) -> None:
    text = data.draw(st.text(alphabet=alphabet, max_size=30))
    for delimiters in (TEXT_DELIMITERS, VALUE_DELIMITERS, PN_DELIMITERS):
        assert decode_text(encode_text(text, encodings, delimiters), encodings, delimiters) == text


@given(
    st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x1b"), max_size=30),
    st.sampled_from([("utf_8",), ("gb18030",)]),
)
def test_unicode_sets_round_trip_everything(text: str, encodings: tuple[str, ...]) -> None:
    assert decode_text(encode_text(text, encodings, PN_DELIMITERS), encodings, PN) == text


# --- PersonName ----------------------------------------------------------------------------------

H31_TEXT = CASES["japanese-H31"].text
H31_RAW = CASES["japanese-H31"].raw


def test_person_name_parts() -> None:
    name = PersonName("Adams^John Robert Quincy^^Rev.^B.A. M.Div.=アダムス=あだむす")
    assert name.components == ("Adams^John Robert Quincy^^Rev.^B.A. M.Div.", "アダムス", "あだむす")
    assert name.family_name == "Adams"
    assert name.given_name == "John Robert Quincy"
    assert name.middle_name == ""
    assert name.name_prefix == "Rev."
    assert name.name_suffix == "B.A. M.Div."
    assert name.alphabetic == "Adams^John Robert Quincy^^Rev.^B.A. M.Div."
    assert name.ideographic == "アダムス"
    assert name.phonetic == "あだむす"
    assert name.family_comma_given() == "Adams, John Robert Quincy"
    assert name.formatted("%(family_name)s/%(given_name)s/%(phonetic)s") == (
        "Adams/John Robert Quincy/あだむす"
    )


def test_person_name_missing_parts_are_empty() -> None:
    name = PersonName("Doe")
    assert (name.given_name, name.name_suffix, name.ideographic, name.phonetic) == ("",) * 4
    assert PersonName("=山田").alphabetic == ""
    assert PersonName("=山田").ideographic == "山田"


def test_person_name_trailing_delimiters() -> None:
    # As pydicom: empty groups at the end are dropped, trailing '^' are kept.
    assert str(PersonName("A^B^^==")) == "A^B^^"
    assert PersonName("A^B==").components == ("A^B",)
    assert str(PersonName("=X=")) == "=X"


def test_person_name_from_bytes_decodes_lazily() -> None:
    name = PersonName.from_bytes(b"Doe^\xff ", ("utf_8",))
    assert name.original_string == b"Doe^\xff"
    with pytest.warns(UserWarning, match="replacement"):
        assert str(name) == "Doe^\ufffd"


def test_person_name_from_bytes_components() -> None:
    name = PersonName.from_bytes(H31_RAW + b" ", JAPANESE)
    assert str(name) == H31_TEXT
    assert name.components == ("Yamada^Tarou", "山田^太郎", "やまだ^たろう")
    assert name.encodings == JAPANESE
    assert name.encode() == H31_RAW
    assert PersonName(H31_RAW, JAPANESE) == H31_TEXT


def test_person_name_from_bytes_does_not_split_jis_bytes() -> None:
    # pydicom 3.0's PersonName(bytes) splits on the byte '=' and breaks '予' (ESC $ B 0x4D 0x3D).
    name = PersonName.from_bytes(b"Yo^Ka=\x1b$BM=\x1b(B^\x1b$B8^\x1b(B", JAPANESE)
    assert name.components == ("Yo^Ka", "予^五")


def test_person_name_encode() -> None:
    assert PersonName(H31_TEXT).encode(JAPANESE) == H31_RAW
    assert PersonName("Doe^John").encode() == b"Doe^John"
    utf8 = PersonName.from_bytes("Müller".encode(), ("utf_8",))
    assert utf8.encode(("latin_1",)) == b"M\xfcller"
    with pytest.raises(CharsetEncodeError, match="'Ж'"):
        PersonName("Ж").encode(("latin_1",))


def test_person_name_decode_with_other_encodings() -> None:
    name = PersonName(b"\xc4neas", ("latin_1",))
    assert str(name) == "Äneas"
    assert str(name.decode(("iso8859_7",))) == "Δneas"
    assert name.decode() is name


def test_person_name_equality_and_hash() -> None:
    name = PersonName("Doe^John")
    assert name == "Doe^John"
    assert name == PersonName(b"Doe^John ")
    assert name != "Doe^Jane"
    assert name != 42
    assert hash(name) == hash("Doe^John")
    assert {name, "Doe^John", PersonName("Doe^John")} == {"Doe^John"}


def test_person_name_str_like_behaviour() -> None:
    name = PersonName("Doe^John")
    assert repr(name) == "'Doe^John'"
    assert len(name) == 8
    assert "^" in name
    assert "".join(name) == "Doe^John"
    assert not PersonName("")
    assert not PersonName(b"  ")
    assert PersonName("^")
    assert PersonName("=X")
    assert str(PersonName(name)) == "Doe^John"


def test_person_name_from_named_components() -> None:
    name = PersonName.from_named_components(
        family_name="Yamada",
        given_name="Tarou",
        family_name_ideographic="山田",
        given_name_ideographic="太郎",
        family_name_phonetic="やまだ",
        given_name_phonetic=b"\x1b$B$?$m$&\x1b(B",
        encodings=JAPANESE,
    )
    assert str(name) == H31_TEXT
    assert name.encode() == H31_RAW
    assert str(PersonName.from_named_components(family_name="Doe", name_suffix="Jr")) == (
        "Doe^^^^Jr"
    )
    vet = PersonName.from_named_components_veterinary("ABC Farms", "Running on Water")
    assert (vet.family_name, vet.given_name) == ("ABC Farms", "Running on Water")
    with pytest.raises(ValueError, match="'\\^'"):
        PersonName.from_named_components(family_name="Do^e")


def test_person_name_has_pydicoms_public_api() -> None:
    theirs = {n for n in dir(pydicom.valuerep.PersonName) if not n.startswith("_")}
    assert theirs <= set(dir(PersonName))


def test_decode_person_names() -> None:
    names = decode_person_names(b"A^B\\C^D ", ("iso8859",))
    assert names == ["A^B", "C^D"]
    assert [n.original_string for n in names] == [b"A^B", b"C^D"]
    # The byte 0x5C inside '倍' is no separator; the bytes of each name are then unknown.
    names = decode_person_names(b"\x1b$BG\\\x1b(B\\Doe", JAPANESE)
    assert names == ["倍", "Doe"]
    assert [n.original_string for n in names] == [None, None]
    assert names[0].encode() == b"\x1b$BG\\\x1b(B"
    assert decode_person_names(b"", ("iso8859",)) == [""]


def test_g1_characters_inside_a_two_byte_g0_run() -> None:
    # Valid ISO 2022 (G1 is in GR whatever G0 holds), though dicomcore never writes it.
    assert decode_text(b"\x1b$B;3\xb3ED\x1b(J", ("shift_jis", "iso2022_jp")) == "山ｳ田"
    assert encode_text("山ｳ", ("shift_jis", "iso2022_jp")) == b"\x1b$B;3\x1b(J\xb3"
