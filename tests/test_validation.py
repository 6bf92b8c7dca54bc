"""`dicomcore.validation`: values checked against PS3.5 6.2 (Table 6.2-1) before writing.

One case table: (VR, value, valid?, the PS3.5 rule the case exercises). Each case is checked
by `validate_value`, and the string cases also by pydicom's validator where pydicom
implements the same rule (`PYDICOM_AGREES`), as a second reading of the standard.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydicom import config as pydicom_config
from pydicom.valuerep import validate_value as pydicom_validate

from dicomcore.charset import python_encodings
from dicomcore.validation import validate_value, vm_allows

VALID, INVALID = True, False

CASES: list[tuple[str, Any, bool, str]] = [
    # AE: 16 bytes max, default repertoire without backslash and controls; not all spaces
    ("AE", "STORESCP", VALID, "16 bytes max"),
    ("AE", "A" * 16, VALID, "exactly 16"),
    ("AE", "A" * 17, INVALID, "over 16"),
    ("AE", " SCP ", VALID, "leading and trailing spaces are not significant"),
    ("AE", "    ", INVALID, "a value of only spaces is not allowed"),
    ("AE", "A\nB", INVALID, "no control characters"),
    ("AE", "A\\B", INVALID, "backslash separates values"),
    # AS: nnnD, nnnW, nnnM or nnnY, 4 bytes fixed
    ("AS", "018Y", VALID, "years"),
    ("AS", "003W", VALID, "weeks"),
    ("AS", "012M", VALID, "months"),
    ("AS", "007D", VALID, "days"),
    ("AS", "18Y", INVALID, "always three digits"),
    ("AS", "018y", INVALID, "unit letter is upper case"),
    ("AS", "018X", INVALID, "unknown unit"),
    ("AS", "0018Y", INVALID, "4 bytes fixed"),
    # CS: upper case letters, digits, space and underscore; 16 bytes max
    ("CS", "ORIGINAL", VALID, "upper case"),
    ("CS", "DERIVED_2 X", VALID, "digits, space, underscore"),
    ("CS", "original", INVALID, "lower case"),
    ("CS", "A-B", INVALID, "hyphen not in the repertoire"),
    ("CS", "A" * 17, INVALID, "over 16"),
    # DA: YYYYMMDD, a calendar date
    ("DA", "20240229", VALID, "leap day"),
    ("DA", "20230229", INVALID, "not a leap year"),
    ("DA", "20241301", INVALID, "month 13"),
    ("DA", "20240100", INVALID, "day 0"),
    ("DA", "2024-01-01", INVALID, "the old ACR-NEMA form is not DA"),
    ("DA", "2024010", INVALID, "8 bytes fixed"),
    # DS: fixed or floating point, 16 bytes max, leading/trailing spaces allowed
    ("DS", "1.5", VALID, "fixed point"),
    ("DS", "-1.5E+03", VALID, "floating point"),
    ("DS", " 2.5 ", VALID, "spaces around"),
    ("DS", ".5", VALID, "no integer part"),
    ("DS", "1.", VALID, "no fraction digits"),
    ("DS", "1.23456789012345", VALID, "16 bytes"),
    ("DS", "1.234567890123456", INVALID, "17 bytes"),
    ("DS", "1,5", INVALID, "comma"),
    ("DS", "nan", INVALID, "not a number"),
    ("DS", "1e400", INVALID, "not finite"),
    ("DS", "1.5.2", INVALID, "two points"),
    ("DS", 2.5, VALID, "a float"),
    # DT: YYYY[MM[DD[HH[MM[SS[.F{1,6}]]]]]][&ZZXX], 26 bytes max
    ("DT", "2024", VALID, "year only"),
    ("DT", "202402", VALID, "year and month"),
    ("DT", "20240229235960.123456+1400", VALID, "all components, 26 bytes"),
    ("DT", "20240101120000-1200", VALID, "lowest offset"),
    ("DT", "202401011", INVALID, "an odd digit"),
    ("DT", "20241301", INVALID, "month 13"),
    ("DT", "20230229", INVALID, "not a leap year (DT)"),
    ("DT", "2024010125", INVALID, "hour 25"),
    ("DT", "202401011260", INVALID, "minute 60"),
    ("DT", "20240101+1500", INVALID, "offset beyond +1400"),
    ("DT", "20240101-1300", INVALID, "offset beyond -1200"),
    ("DT", "20240101120000.1234567", INVALID, "7 fraction digits"),
    # IS: integer in -2^31..2^31-1, 12 bytes max
    ("IS", "42", VALID, "plain"),
    ("IS", "+12", VALID, "plus sign"),
    ("IS", " -7 ", VALID, "spaces around"),
    ("IS", "2147483647", VALID, "2^31 - 1"),
    ("IS", "-2147483648", VALID, "-2^31"),
    ("IS", "2147483648", INVALID, "2^31"),
    ("IS", "1.5", INVALID, "a fraction"),
    ("IS", "12a", INVALID, "a letter"),
    ("IS", 42, VALID, "an int"),
    # LO, SH, UC: charset text, no backslash, no controls but ESC
    ("LO", "x" * 64, VALID, "64 characters"),
    ("LO", "x" * 65, INVALID, "65 characters"),
    ("LO", "a\nb", INVALID, "LF is not allowed in LO"),
    ("LO", "a\\b", INVALID, "backslash separates values"),
    ("LO", "\x1b$B;3ED\x1b(B", VALID, "ESC is allowed (ISO 2022)"),
    ("SH", "x" * 16, VALID, "16 characters"),
    ("SH", "x" * 17, INVALID, "17 characters"),
    ("UC", "x" * 100_000, VALID, "unlimited"),
    ("UC", "a\\b", INVALID, "backslash separates values"),
    # LT, ST, UT: one value; backslash and CR LF FF are ordinary
    ("LT", "a\\b\r\nc", VALID, "backslash and CR LF in LT"),
    ("LT", "x" * 10240, VALID, "10240 characters"),
    ("LT", "x" * 10241, INVALID, "10241 characters"),
    ("ST", "x" * 1024, VALID, "1024 characters"),
    ("ST", "x" * 1025, INVALID, "1025 characters"),
    ("UT", "a\\b", VALID, "backslash in UT"),
    # PN: 3 groups, 5 components, 64 characters per group
    ("PN", "Doe^John^M^Dr^Jr", VALID, "5 components"),
    ("PN", "A^B^C^D^E^F", INVALID, "6 components"),
    ("PN", "Yamada^Tarou=山田^太郎=やまだ^たろう", VALID, "3 groups"),
    ("PN", "A=B=C=D", INVALID, "4 groups"),
    ("PN", "x" * 64 + "=" + "y" * 64, VALID, "64 per group"),
    ("PN", "x" * 65, INVALID, "65 in one group"),
    ("PN", "Doe\\John", INVALID, "backslash separates values"),
    ("PN", "Doe\nJohn", INVALID, "no controls"),
    # TM: HH[MM[SS[.F{1,6}]]], HH 00-23, MM 00-59, SS 00-60
    ("TM", "12", VALID, "hours only"),
    ("TM", "1230", VALID, "hours and minutes"),
    ("TM", "235960.123456", VALID, "a leap second, 6 fraction digits"),
    ("TM", "000000", VALID, "midnight"),
    ("TM", "240000", INVALID, "hour 24"),
    ("TM", "2360", INVALID, "minute 60"),
    ("TM", "235961", INVALID, "second 61"),
    ("TM", "1", INVALID, "one digit"),
    ("TM", "12:30:00", INVALID, "the old ACR-NEMA form is not TM"),
    ("TM", "120000.1234567", INVALID, "7 fraction digits"),
    # UI: components of digits, no leading zero, 64 bytes max
    ("UI", "1.2.840.10008.1.2.1", VALID, "a transfer syntax"),
    ("UI", "0.1", VALID, "a lone 0 component"),
    ("UI", "1.02.3", INVALID, "leading zero"),
    ("UI", "1..2", INVALID, "empty component"),
    ("UI", "1.2.", INVALID, "trailing point"),
    ("UI", "1.2.a", INVALID, "a letter"),
    ("UI", "1." + "2" * 62, VALID, "64 bytes"),
    ("UI", "1." + "2" * 63, INVALID, "65 bytes"),
    # UR: no leading spaces
    ("UR", "http://example.com/a\\b", VALID, "backslash is ordinary in UR"),
    ("UR", " http://example.com", INVALID, "leading spaces are not allowed"),
    # binary numbers: ranges of their sizes
    ("US", 0, VALID, "lowest"),
    ("US", 65535, VALID, "highest"),
    ("US", -1, INVALID, "below"),
    ("US", 65536, INVALID, "above"),
    ("US", True, INVALID, "a bool is not a number here"),
    ("US", 1.0, INVALID, "a float"),
    ("SS", -32768, VALID, "lowest"),
    ("SS", 32768, INVALID, "above"),
    ("UL", 0xFFFFFFFF, VALID, "highest"),
    ("UL", 1 << 32, INVALID, "above"),
    ("SL", -(1 << 31), VALID, "lowest"),
    ("SL", 1 << 31, INVALID, "above"),
    ("SV", -(1 << 63), VALID, "lowest"),
    ("SV", 1 << 63, INVALID, "above"),
    ("UV", (1 << 64) - 1, VALID, "highest"),
    ("UV", -1, INVALID, "below"),
    ("FL", 3.4e38, VALID, "near the largest float32"),
    ("FL", 3.5e38, INVALID, "beyond float32"),
    ("FL", 1, VALID, "an int is a number"),
    ("FD", 1e308, VALID, "large"),
    ("FD", float("nan"), INVALID, "NaN"),
    ("FD", float("inf"), INVALID, "infinity"),
    ("FD", "1.5", INVALID, "text"),
    # AT: a 32-bit tag
    ("AT", 0x00100010, VALID, "a tag"),
    ("AT", 0xFFFFFFFF, VALID, "highest"),
    ("AT", 1 << 32, INVALID, "above 32 bits"),
    ("AT", -1, INVALID, "negative"),
    ("AT", "PatientName", INVALID, "a keyword is not a tag value"),
    # binary VRs: bytes
    ("OB", b"\x00\x01", VALID, "bytes"),
    ("OW", bytearray(b"\x00\x01"), VALID, "bytearray"),
    ("UN", None, VALID, "empty"),
    ("OB", "0001", INVALID, "text"),
    ("OF", [1.0], INVALID, "a list of numbers"),
    ("SQ", [], VALID, "sequences are checked item by item elsewhere"),
]


def _case_id(case: tuple[str, Any, bool, str]) -> str:
    vr, value, valid, why = case
    return f"{vr}-{'ok' if valid else 'bad'}-{why}"


@pytest.mark.parametrize(("vr", "value", "valid", "why"), CASES,
                         ids=[_case_id(c) for c in CASES])
def test_validate_value(vr: str, value: Any, valid: bool, why: str) -> None:
    problems = validate_value(vr, value)
    assert isinstance(problems, list) and all(isinstance(p, str) and p for p in problems)
    assert (problems == []) is valid, problems


# pydicom's validator implements the rules of these cases too: its verdict must be ours.
# (It does not check IS's range, controls and backslashes in LO/PN, PN's components, DT
# offsets and calendar dates, and takes a backslash in UR as a value separator.)
NOT_IN_PYDICOM = {"2^31", "LF is not allowed in LO", "backslash separates values",
                  "6 components", "no controls", "backslash is ordinary in UR",
                  "offset beyond +1400", "offset beyond -1200", "not a leap year (DT)",
                  "not finite", "not a number"}
PYDICOM_CASES = [c for c in CASES if isinstance(c[1], str) and c[3] not in NOT_IN_PYDICOM and
                 c[0] in {"AS", "CS", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM", "UI",
                          "UR"}]


@pytest.mark.parametrize(("vr", "value", "valid", "why"), PYDICOM_CASES,
                         ids=[_case_id(c) for c in PYDICOM_CASES])
def test_pydicom_reads_the_rule_the_same_way(vr: str, value: str, valid: bool, why: str
                                             ) -> None:
    try:
        pydicom_validate(vr, value, pydicom_config.RAISE)
        theirs = True
    except ValueError:
        theirs = False
    assert theirs is valid


def test_every_vr_has_a_valid_and_an_invalid_case() -> None:
    vrs_with = {valid: {vr for vr, _, v, _ in CASES if v is valid} for valid in (True, False)}
    text_and_numbers = {"AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST",
                        "TM", "UC", "UI", "UR", "US", "SS", "UL", "SL", "SV", "UV", "FL", "FD",
                        "AT"}
    assert text_and_numbers <= vrs_with[VALID]
    assert text_and_numbers - {"UT"} <= vrs_with[INVALID]


# -- several values and the VM ---------------------------------------------------------------

@pytest.mark.parametrize(("vm", "count", "allowed"), [
    ("1", 1, True), ("1", 2, False), ("2", 2, True), ("2", 1, False), ("6", 6, True),
    ("1-3", 1, True), ("1-3", 3, True), ("1-3", 4, False), ("2-4", 1, False),
    ("1-n", 1, True), ("1-n", 1000, True), ("2-n", 1, False), ("3-n", 3, True),
    ("2-2n", 2, True), ("2-2n", 4, True), ("2-2n", 3, False), ("2-2n", 1, False),
    ("3-3n", 6, True), ("3-3n", 4, False), ("6-6n", 12, True), ("6-6n", 7, False),
    ("1", 0, True), ("2-2n", 0, True),  # an empty value fits every VM
    ("", 5, True),  # no VM to hold it to
])
def test_vm_allows(vm: str, count: int, allowed: bool) -> None:
    assert vm_allows(vm, count) is allowed


@pytest.mark.parametrize(("vr", "value", "vm", "ok"), [
    ("CS", ["ORIGINAL", "PRIMARY"], "2-n", True),
    ("CS", ["ORIGINAL"], "2-n", False),
    ("DS", ["0.5", "0.5"], "2", True),
    ("DS", ["0.5", "0.5", "0.5"], "2", False),
    ("US", [1, 2, 3], "3", True),
    ("FD", [1.0, 2.0, 3.0], "2-2n", False),
    ("CS", ["ORIGINAL", ""], "1", True),  # empty values are not counted
    ("CS", ["ORIGINAL", "bad"], "1-n", False),  # each value is checked
    ("LO", ["a", "b"], None, True),
])
def test_vm_of_several_values(vr: str, value: list[Any], vm: str | None, ok: bool) -> None:
    assert (validate_value(vr, value, vm) == []) is ok


@pytest.mark.parametrize("vr", ["LT", "ST", "UT", "UR"])
def test_single_value_vrs_hold_one_value(vr: str) -> None:
    assert validate_value(vr, ["a"]) == []
    assert validate_value(vr, ["a", "b"]) != []


def test_each_bad_value_is_reported() -> None:
    problems = validate_value("US", [1, -1, 70000, 2])
    assert len(problems) == 2
    assert problems == ["value 2 is outside US's range 0..65535",
                        "value 3 is outside US's range 0..65535"]  # positions, never values


# -- the Specific Character Set --------------------------------------------------------------

@pytest.mark.parametrize(("vr", "value", "charset", "ok"), [
    ("LO", "Jérôme", ["ISO_IR 100"], True),
    ("LO", "Jérôme", None, False),  # the default repertoire is ASCII
    ("LO", "山田", ["ISO_IR 100"], False),
    ("LO", "山田", ["", "ISO 2022 IR 87"], True),
    ("PN", "Yamada^Tarou=山田^太郎", ["", "ISO 2022 IR 87"], True),
    ("PN", "Hong^Gildong=洪^吉洞=홍^길동", ["", "ISO 2022 IR 149"], True),
    ("PN", "Hong^Gildong=洪^吉洞=홍^길동", ["ISO_IR 100"], False),
    ("UT", "Ελληνικά", ["ISO_IR 126"], True),
    ("SH", "Ελληνικά", ["ISO_IR 144"], False),
    ("UC", "王小東", ["ISO_IR 192"], True),
])
def test_text_the_character_set_can_hold(vr: str, value: str, charset: list[str] | None,
                                         ok: bool) -> None:
    assert (validate_value(vr, value, None, python_encodings(charset)) == []) is ok
    assert validate_value(vr, value) == [], "without encodings the charset is not checked"
