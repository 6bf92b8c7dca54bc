"""`dicomcore.personname`: PersonName and decode_person_names, with pydicom's PersonName as
the oracle for every input (pydicom's is built from the same text or the same bytes and
the same Specific Character Set), plus the expected text written out from PS3.5 where the
standard gives it (Annexes H, I, J).
"""

from __future__ import annotations

import warnings

import pytest
from pydicom.charset import convert_encodings
from pydicom.valuerep import PersonName as PydicomPersonName
from pydicom.values import convert_PN

from dicomcore.charset import CharsetEncodeError, python_encodings
from dicomcore.personname import PersonName, decode_person_names

PARTS = ("family_name", "given_name", "middle_name", "name_prefix", "name_suffix",
         "alphabetic", "ideographic", "phonetic")


def _same_as_pydicom(ours: PersonName, theirs: PydicomPersonName) -> None:
    assert str(ours) == str(theirs)
    assert ours.components == tuple(theirs.components)
    for part in PARTS:
        assert getattr(ours, part) == getattr(theirs, part), part
    assert bool(ours) == bool(theirs)
    assert len(ours) == len(theirs)


# -- names from text -------------------------------------------------------------------------

# (DICOM form, its str, family, given, ideographic, phonetic) -- from PS3.5 6.2.1 and 6.2.1.1
TEXT_CASES = [
    ("Doe^John", "Doe^John", "Doe", "John", "", ""),
    ("Doe^John^Michael^Dr^Jr", "Doe^John^Michael^Dr^Jr", "Doe", "John", "", ""),
    ("Doe", "Doe", "Doe", "", "", ""),
    ("^John", "^John", "", "John", "", ""),
    ("Doe^John^^", "Doe^John^^", "Doe", "John", "", ""),  # trailing '^' are kept
    ("Doe^John==", "Doe^John", "Doe", "John", "", ""),  # empty trailing groups dropped
    ("Doe^John=", "Doe^John", "Doe", "John", "", ""),
    ("=Ideo^Graphic", "=Ideo^Graphic", "", "", "Ideo^Graphic", ""),
    ("==Pho^Netic", "==Pho^Netic", "", "", "", "Pho^Netic"),
    ("Yamada^Tarou=山田^太郎=やまだ^たろう", "Yamada^Tarou=山田^太郎=やまだ^たろう",
     "Yamada", "Tarou", "山田^太郎", "やまだ^たろう"),
    ("Smith^Fluffy", "Smith^Fluffy", "Smith", "Fluffy", "", ""),  # veterinary, 6.2.1.1
    ("ABC Farms", "ABC Farms", "ABC Farms", "", "", ""),
    ("", "", "", "", "", ""),
    ("=", "", "", "", "", ""),
    ("^", "^", "", "", "", ""),
]


@pytest.mark.parametrize(("text", "as_str", "family", "given", "ideographic", "phonetic"),
                         TEXT_CASES)
def test_name_from_text(text: str, as_str: str, family: str, given: str, ideographic: str,
                        phonetic: str) -> None:
    name = PersonName(text)
    assert (str(name), name.family_name, name.given_name, name.ideographic, name.phonetic) == (
        as_str, family, given, ideographic, phonetic)
    _same_as_pydicom(name, PydicomPersonName(text))


def test_five_named_components() -> None:
    name = PersonName("Adams^John Robert Quincy^Middle^Rev.^B.A. M.Div.")
    assert (name.family_name, name.given_name, name.middle_name, name.name_prefix,
            name.name_suffix) == ("Adams", "John Robert Quincy", "Middle", "Rev.",
                                  "B.A. M.Div.")
    _same_as_pydicom(name, PydicomPersonName(str(name)))


def test_more_than_three_groups_and_five_components_are_kept_as_given() -> None:
    # Invalid per PS3.5, but reading never validates: the text survives, as in pydicom.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = PydicomPersonName("A=B=C=D")
    name = PersonName("A=B=C=D")
    assert str(name) == "A=B=C=D" and name.components == ("A", "B", "C", "D")
    _same_as_pydicom(name, theirs)
    six = PersonName("A^B^C^D^E^F")
    assert six.name_suffix == "E" and str(six) == "A^B^C^D^E^F"


# -- names from bytes ------------------------------------------------------------------------

# (Specific Character Set, encoded value, the text PS3.5 or the codec gives)
BYTES_CASES = [
    pytest.param(["ISO_IR 100"], b"Buc^J\xe9r\xf4me", "Buc^Jérôme", id="latin1"),
    pytest.param(["ISO_IR 144"], "Люкceмбypг^Иван".encode("iso8859_5"), "Люкceмбypг^Иван",
                 id="cyrillic"),
    pytest.param(["ISO_IR 126"], "Διονυσιος".encode("iso8859_7"), "Διονυσιος", id="greek"),
    pytest.param(["ISO_IR 192"], "Wang^XiaoDong=王^小東=".encode(), "Wang^XiaoDong=王^小東",
                 id="utf8"),
    pytest.param(["GB18030"], b"Wang^XiaoDong=\xcd\xf5^\xd0\xa1\xb6\xab=",
                 "Wang^XiaoDong=王^小东", id="gb18030-J.3"),
    pytest.param(["", "ISO 2022 IR 87"],
                 b"Yamada^Tarou=\x1b$B;3ED\x1b(B^\x1b$BB@O:\x1b(B=\x1b$B$d$^$@\x1b(B^"
                 b"\x1b$B$?$m$&\x1b(B", "Yamada^Tarou=山田^太郎=やまだ^たろう", id="jis-H.3.1"),
    pytest.param(["", "ISO 2022 IR 149"],
                 b"Hong^Gildong=\x1b$)C\xfb\xf3^\x1b$)C\xd1\xce\xd4\xd7=\x1b$)C\xc8\xab^"
                 b"\x1b$)C\xb1\xe6\xb5\xbf", "Hong^Gildong=洪^吉洞=홍^길동", id="korean-I.2"),
    pytest.param(None, b"Doe^John", "Doe^John", id="default"),
]


@pytest.mark.parametrize(("charset", "raw", "text"), BYTES_CASES)
def test_name_from_bytes(charset: list[str] | None, raw: bytes, text: str) -> None:
    ours = PersonName(raw, python_encodings(charset))
    theirs = PydicomPersonName(raw, convert_encodings(charset))
    assert str(ours) == text
    _same_as_pydicom(ours, theirs)
    assert ours.original_string == raw
    assert ours.encode() == raw, "the bytes read are the bytes written"


@pytest.mark.parametrize(("charset", "raw", "text"), BYTES_CASES)
def test_encoding_the_text_gives_the_standards_bytes(charset: list[str] | None, raw: bytes,
                                                     text: str) -> None:
    encodings = python_encodings(charset)
    expected = raw[:-1] if raw.endswith(b"=") else raw  # the empty last group is dropped
    assert PersonName(text, encodings).encode() == expected
    assert PersonName(text).encode(encodings) == expected


@pytest.mark.parametrize("padding", [b" ", b"\0", b"  ", b" \0"])
def test_padding_is_not_part_of_the_name(padding: bytes) -> None:
    name = PersonName(b"Doe^John" + padding)
    assert str(name) == "Doe^John" and name.original_string == b"Doe^John"
    assert str(convert_PN(b"Doe^John" + padding)) == str(name)


def test_bytes_are_decoded_on_first_use() -> None:
    name = PersonName(b"Buc^J\xe9r\xf4me", ("latin_1",))
    assert name._components is None
    assert name.given_name == "Jérôme"
    assert name._components == ("Buc^Jérôme",)


def test_decode_with_other_encodings() -> None:
    name = PersonName(b"Buc^J\xe9r\xf4me")  # default repertoire decodes as Latin-1
    assert name.decode() is name
    cyrillic = name.decode(python_encodings(["ISO_IR 144"]))
    assert str(cyrillic) == b"Buc^J\xe9r\xf4me".decode("iso8859_5")
    assert str(cyrillic) == str(PydicomPersonName(b"Buc^J\xe9r\xf4me").decode(["iso8859_5"]))


def test_encode_refuses_text_the_character_set_cannot_hold() -> None:
    with pytest.raises(CharsetEncodeError):
        PersonName("山田^太郎").encode(python_encodings(["ISO_IR 100"]))
    with pytest.raises(CharsetEncodeError):
        PersonName("Jérôme").encode()  # the default repertoire encodes as ASCII


# -- several values --------------------------------------------------------------------------

MULTI_CASES = [
    pytest.param(None, b"Doe^John\\Roe^Jane ", ["Doe^John", "Roe^Jane"], id="ascii"),
    pytest.param(None, b"Doe^John\\\\Roe", ["Doe^John", "", "Roe"], id="empty-middle"),
    pytest.param(None, b"Doe^John \\Roe^Jane ", ["Doe^John ", "Roe^Jane"],
                 id="space-before-separator-kept"),
    pytest.param(None, b"\\", ["", ""], id="two-empty"),
    pytest.param(None, b"Doe\\ ", ["Doe", ""], id="padded-empty-last"),
    pytest.param(None, b"A=B\\C==D", ["A=B", "C==D"], id="groups"),
    pytest.param(["ISO_IR 100"], b"Buc^J\xe9r\xf4me\\M\xfcller", ["Buc^Jérôme", "Müller"],
                 id="latin1"),
    pytest.param(["", "ISO 2022 IR 87"],
                 b"\x1b$B;3ED\x1b(B^\x1b$BB@O:\x1b(B\\Yamada^Tarou",
                 ["山田^太郎", "Yamada^Tarou"], id="jis"),
    # In JIS X 0208, 0x5C can be the second byte of a character: '倍' is ESC $ B 0x47 0x5C.
    pytest.param(["", "ISO 2022 IR 87"], b"\x1b$BG\\\x1b(B^A\\B",
                 ["倍^A", "B"], id="jis-0x5c-inside-a-character"),
]


@pytest.mark.parametrize(("charset", "raw", "texts"), MULTI_CASES)
def test_decode_person_names(charset: list[str] | None, raw: bytes, texts: list[str]) -> None:
    names = decode_person_names(raw, python_encodings(charset))
    assert [str(n) for n in names] == texts
    theirs = convert_PN(raw, convert_encodings(charset))
    theirs = theirs if isinstance(theirs, list) else list(theirs)
    assert [str(n) for n in names] == [str(n) for n in theirs]
    for ours, other in zip(names, theirs, strict=True):
        _same_as_pydicom(ours, other)


def test_decode_person_names_keeps_each_values_bytes_when_backslash_only_separates() -> None:
    names = decode_person_names(b"Doe^John\\Roe^Jane", ("iso8859",))
    assert [n.original_string for n in names] == [b"Doe^John", b"Roe^Jane"]
    jis = decode_person_names(b"\x1b$BG\\\x1b(B^A\\B", python_encodings(["", "ISO 2022 IR 87"]))
    assert [n.original_string for n in jis] == [None, None], \
        "0x5C inside a character: the split bytes would not be the values"


def test_decode_person_names_single_value() -> None:
    names = decode_person_names(b"Doe^John ", ("iso8859",))
    assert len(names) == 1 and names[0] == "Doe^John"
    assert names[0].original_string == b"Doe^John"


# -- equality, hashing, str forms ------------------------------------------------------------

def test_equality_and_hash() -> None:
    name = PersonName("Doe^John")
    assert name == "Doe^John" and "Doe^John" == name
    assert name == PersonName(b"Doe^John")
    assert name == PersonName("Doe^John==")
    assert name != "Doe^Jane" and name != PersonName("Doe")
    assert name != 42 and name != b"Doe^John"
    assert hash(name) == hash("Doe^John") == hash(PersonName(b"Doe^John "))
    assert {name, PersonName("Doe^John")} == {name}
    theirs = PydicomPersonName("Doe^John")
    assert (theirs == "Doe^John") == (name == "Doe^John")
    # pydicom hashes the components tuple, so its name equals a str it does not hash like;
    # ours hashes as its str, which keeps `a == b` => `hash(a) == hash(b)`.


def test_str_repr_and_sequence_protocol() -> None:
    name = PersonName("Yamada^Tarou=山田^太郎")
    theirs = PydicomPersonName("Yamada^Tarou=山田^太郎")
    assert repr(name) == repr(theirs) == repr("Yamada^Tarou=山田^太郎")
    assert list(name) == list(theirs) == list("Yamada^Tarou=山田^太郎")
    assert "Tarou" in name and "Jiro" not in name
    assert not PersonName("") and not PersonName(b"")


def test_family_comma_given_and_formatted() -> None:
    for text in ["Doe^John^M", "Doe", "=Ideo"]:
        ours, theirs = PersonName(text), PydicomPersonName(text)
        assert ours.family_comma_given() == theirs.family_comma_given()
        fmt = "%(family_name)s|%(given_name)s|%(middle_name)s|%(ideographic)s|%(phonetic)s"
        assert ours.formatted(fmt) == theirs.formatted(fmt)
    assert PersonName("Doe^John").family_comma_given() == "Doe, John"


def test_copy_from_another_name_keeps_bytes_and_encodings() -> None:
    first = PersonName(b"Buc^J\xe9r\xf4me", ("latin_1",))
    copy = PersonName(first)
    assert copy == first and copy.original_string == first.original_string
    assert copy.encodings == ("latin_1",)
    assert copy.encode() == b"Buc^J\xe9r\xf4me"


@pytest.mark.parametrize("decoded_first", [False, True])
def test_copy_with_other_encodings_keeps_the_name(decoded_first: bool) -> None:
    first = PersonName(b"Buc^J\xe9r\xf4me", ("latin_1",))
    if decoded_first:
        str(first)
    copy = PersonName(first, ("iso8859_5",))
    theirs = PydicomPersonName(PydicomPersonName(b"Buc^J\xe9r\xf4me", ["latin_1"]),
                               ["iso8859_5"])
    assert str(copy) == str(theirs) == "Buc^Jérôme", "the bytes are Latin-1, whatever comes next"
    with pytest.raises(CharsetEncodeError):
        copy.encode(("iso8859_5",))  # é is not in ISO 8859-5: not the Latin-1 bytes unchanged
    assert copy.encode(("latin_1",)) == b"Buc^J\xe9r\xf4me"


# -- building from components ----------------------------------------------------------------

COMPONENT_CASES = [
    {"family_name": "Doe", "given_name": "John"},
    {"family_name": "Doe", "name_suffix": "Jr"},
    {"given_name": "John"},
    {"family_name": "Yamada", "given_name": "Tarou", "family_name_ideographic": "山田",
     "given_name_ideographic": "太郎", "family_name_phonetic": "やまだ",
     "given_name_phonetic": "たろう"},
    {"family_name_phonetic": "やまだ"},
    {},
]


@pytest.mark.parametrize("parts", COMPONENT_CASES)
def test_from_named_components(parts: dict[str, str]) -> None:
    ours = PersonName.from_named_components(**parts)
    # pydicom encodes the parts with its encodings (default ASCII, '?' for the rest)
    theirs = PydicomPersonName.from_named_components(**parts, encodings=["utf_8"])
    assert str(ours) == str(theirs)
    _same_as_pydicom(ours, theirs)


def test_from_named_components_with_bytes() -> None:
    encodings = python_encodings(["", "ISO 2022 IR 87"])
    ours = PersonName.from_named_components(
        family_name="Yamada", family_name_ideographic=b"\x1b$B;3ED\x1b(B", encodings=encodings)
    assert str(ours) == "Yamada=山田"
    assert ours.encode() == b"Yamada=\x1b$B;3ED\x1b(B"


@pytest.mark.parametrize("bad", ["Doe^", "Doe=", "Doe\\"])
def test_from_named_components_refuses_delimiters(bad: str) -> None:
    with pytest.raises(ValueError):
        PersonName.from_named_components(family_name=bad)
    with pytest.raises(ValueError):
        PydicomPersonName.from_named_components(family_name=bad)


def test_veterinary_names() -> None:
    ours = PersonName.from_named_components_veterinary(responsible_party_name="ABC Farms",
                                                       patient_name="Running On Water")
    theirs = PydicomPersonName.from_named_components_veterinary(
        responsible_party_name="ABC Farms", patient_name="Running On Water")
    assert str(ours) == "ABC Farms^Running On Water" == str(theirs)
