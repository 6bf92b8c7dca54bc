"""Value Representations: every fact about a VR that the reader, writer and checks share.

PS3.5 6.2 is the source. This module is the one home of these facts: the codecs (`values`),
the reader (`parser`), the writer (`filewriter`), `json`, `patch` and `validation` import them
from here and keep no copy. It knows nothing of elements or data sets; `ambiguous_vr` takes
the facts it needs as arguments.

>>> "UT" in LONG_LENGTH_VRS, "LO" in CHARSET_VRS, PADDING["UI"]
(True, True, b'\\x00')
>>> ambiguous_vr("US or SS", 0x00280106, pixel_representation=1)
'SS'
"""

from __future__ import annotations

__all__ = [
    "VALID_VRS", "AMBIGUOUS_VRS", "LONG_LENGTH_VRS", "BINARY_VRS", "BYTES_VRS",
    "NUMBER_FORMATS", "INT_VRS", "FLOAT_VRS", "SWAP_WIDTH", "STR_VRS", "CHARSET_VRS",
    "MULTI_VALUED_TEXT_VRS", "SINGLE_VALUE_VRS", "DEFAULT_REPERTOIRE_VRS",
    "BACKSLASH_IN_VALUE_VRS", "PADDING", "MAX_LENGTH", "ambiguous_vr",
]

VALID_VRS: tuple[str, ...] = (
    "AE", "AS", "AT", "CS", "DA", "DS", "DT", "FD", "FL", "IS", "LO", "LT", "OB", "OD", "OF",
    "OL", "OV", "OW", "PN", "SH", "SL", "SQ", "SS", "ST", "SV", "TM", "UC", "UI", "UL", "UN",
    "UR", "US", "UT", "UV")
"""The 34 VRs of PS3.5 Table 6.2-1."""

AMBIGUOUS_VRS = frozenset({"US or SS", "OB or OW", "US or OW", "US or SS or OW"})
"""Dictionary VRs that depend on the data set (PS3.5 Annex A, PS3.3 C.7.6.3, C.11)."""

LONG_LENGTH_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "UC", "UR", "UT", "UN",
                             "SV", "UV"})
"""Explicit-VR headers of these VRs have two reserved bytes and a 32-bit length (Table 7.1-1)."""

BINARY_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "UN"})
"""VRs whose value is a byte string: base64 in JSON, no text rules."""

BYTES_VRS = BINARY_VRS | AMBIGUOUS_VRS
"""VRs decoded as `bytes`: the binary ones and, until resolved, the ambiguous ones."""

NUMBER_FORMATS = {"US": "H", "SS": "h", "UL": "L", "SL": "l", "FL": "f", "FD": "d",
                  "SV": "q", "UV": "Q"}
"""`struct` format of one value of each binary number VR."""

INT_VRS = frozenset({"IS", "US", "SS", "UL", "SL", "SV", "UV"})
"""VRs whose values are integers (JSON numbers)."""

FLOAT_VRS = frozenset({"DS", "FL", "FD"})
"""VRs whose values are decimal or floating point numbers (JSON numbers)."""

SWAP_WIDTH = {"US": 2, "SS": 2, "OW": 2, "AT": 2, "UL": 4, "SL": 4, "FL": 4, "OF": 4, "OL": 4,
              "FD": 8, "OD": 8, "SV": 8, "UV": 8, "OV": 8}
"""Width of the numbers each VR holds: what a change of byte order swaps (others: none)."""

STR_VRS = frozenset({"AE", "AS", "CS", "DA", "DT", "LO", "LT", "SH", "ST", "TM", "UC", "UI",
                     "UR", "UT"})
"""VRs whose empty value is '' (pydicom's STR_VR less IS, DS and PN)."""

CHARSET_VRS = frozenset({"SH", "LO", "UC", "ST", "LT", "UT", "PN"})
"""Text VRs encoded in the Specific Character Set (PS3.3 C.12.1.1.2); other text is ASCII."""

MULTI_VALUED_TEXT_VRS = frozenset({"SH", "LO", "UC", "PN"})
"""Charset text VRs in which a backslash separates values (so also resets ISO 2022 state)."""

SINGLE_VALUE_VRS = frozenset({"LT", "ST", "UT", "UR"})
"""Text VRs that always hold one value; a backslash in them is an ordinary character."""

DEFAULT_REPERTOIRE_VRS = frozenset({"AE", "AS", "CS", "DA", "DS", "DT", "IS", "TM", "UI", "UR"})
"""Text VRs limited to the default repertoire: bytes given as their value are ASCII text."""

BACKSLASH_IN_VALUE_VRS = frozenset({"LT", "ST", "UT", "OB or OW", "US or OW", "US or SS or OW"}) \
    | BINARY_VRS
"""VRs for which a str (or bytes) with a backslash set as the value stays one value
(pydicom's ALLOW_BACKSLASH)."""

PADDING: dict[str, bytes] = {**dict.fromkeys(STR_VRS | {"DS", "IS", "PN"}, b" "), "UI": b"\0"}
"""The byte that pads an odd-length value to even length (PS3.5 6.2); NUL where absent."""

MAX_LENGTH = {"AE": 16, "AS": 4, "CS": 16, "DA": 8, "DS": 16, "DT": 26, "IS": 12, "LO": 64,
              "LT": 10240, "PN": 64, "SH": 16, "ST": 1024, "TM": 14, "UI": 64,
              "UC": 0xFFFFFFFE, "UR": 0xFFFFFFFE, "UT": 0xFFFFFFFE}
"""Maximum length of one value in characters (PN: per component group)."""


# vr.py imports nothing, not even tag.py: the generators in scripts/ load it on its own,
# before the package (whose generated modules they are writing) can be imported.
_PIXEL_DATA = 0x7FE00010


def ambiguous_vr(vr: str, tag: int, *, pixel_representation: int | None = None,
                 is_undefined_length: bool = False, lut_first_value: int | None = None) -> str:
    """The real VR of an element whose dictionary VR is ambiguous, as PS3.5 and PS3.3 say.

    `pixel_representation` is (0028,0103) of the nearest data set that has it;
    `lut_first_value` the first value of (0028,3002) LUT Descriptor in the same data set.
    A VR that is not ambiguous is returned as it is.
    """
    if vr == "US or SS":
        return "SS" if pixel_representation not in (None, 0) else "US"
    if vr == "OB or OW":
        return "OB" if tag == _PIXEL_DATA and is_undefined_length else "OW"
    if vr == "US or OW":
        return "US" if lut_first_value == 1 else "OW"
    if vr == "US or SS or OW":
        return "OW"
    return vr
