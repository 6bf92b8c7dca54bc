"""What the engine checks before it changes an element, and how it builds the new one.

- `check_allowed`: changes that would break the file are refused: the Transfer Syntax UID
  (it follows the encoding), file meta below the top level, and without force any file meta
  and the attributes that describe present Pixel Data.
- `vr_and_vm`: the VR a value is checked and written in, from the dictionary, the operation
  or the element already there; and the VM the dictionary fixes.
- `checked_value`: a JSON or Python value converted (`jsonvalue`) and validated against its
  VR, VM and the character set it will be written in (`validation`).
- `replacement`: a new element in an old one's place, keeping what the writer needs to keep
  the file's layout.
"""

from __future__ import annotations

import warnings
from typing import Any

from .. import dictionary
from ..charset import python_encodings
from ..dataelem import DataElement
from ..dataset import Dataset
from ..jsonvalue import typed_number_strings, value_from_patch_json
from ..tag import (
    DOUBLE_FLOAT_PIXEL_DATA,
    FLOAT_PIXEL_DATA,
    PIXEL_DATA,
    SPECIFIC_CHARACTER_SET,
    TRANSFER_SYNTAX_UID,
    Tag,
)
from ..validation import validate_value
from ..vr import AMBIGUOUS_VRS, BINARY_VRS
from .errors import InvalidOperation
from .paths import describe

__all__ = ["check_allowed", "check_private_creator", "vr_and_vm", "checked_value", "replacement", "quiet_encodings",
           "unencodable"]

_PIXEL_TAGS = (PIXEL_DATA, FLOAT_PIXEL_DATA, DOUBLE_FLOAT_PIXEL_DATA)
_PIXEL_DESCRIPTION = frozenset(dictionary.tag_for_keyword(keyword) for keyword in (
    "SamplesPerPixel", "PhotometricInterpretation", "PlanarConfiguration", "NumberOfFrames",
    "Rows", "Columns", "BitsAllocated", "BitsStored", "HighBit", "PixelRepresentation"))


def check_allowed(tag: int, chain: tuple[Dataset, ...], depth: int, root: Dataset,
                  force: bool) -> None:
    """Refuse a change of `tag` in `chain[0]` (nested in `chain[1:]`, `depth` levels below
    the data set being changed, whose top is `root`) that would break the file."""
    nested = len(chain) > 1 or depth > 0
    if tag == TRANSFER_SYNTAX_UID:
        raise InvalidOperation("the Transfer Syntax UID follows the encoding: write with "
                               "transfer_syntax= to transcode")
    if tag >> 16 == 0x0002 and nested:
        raise InvalidOperation("file meta elements (group 0002) belong to the top level")
    if force:
        return
    if tag >> 16 == 0x0002:
        raise InvalidOperation("file meta elements (group 0002) change only with force")
    if len(chain) == 1 and tag in _PIXEL_DESCRIPTION and \
            any(root.get_item(t) is not None for t in _PIXEL_TAGS):
        raise InvalidOperation(f"{describe(tag)} describes the pixel data: it changes only "
                               "with force while Pixel Data is present")


def check_private_creator(ds: Dataset, tag: int) -> None:
    """Refuse a new private element named by tag whose block no creator reserved in `ds`."""
    if tag >> 16 & 1 and tag & 0xFF00 and ds.get_item(int(Tag(tag).private_creator)) is None:
        raise InvalidOperation(f"{Tag(tag)} has no private creator: name the element as "
                               '(gggg,"CREATOR",ee)')


def vr_and_vm(tag: int, existing: DataElement | None, vr_hint: str | None,
              keep_vr: bool = False) -> tuple[str, str | None]:
    """The VR and dictionary VM of a new value of `tag`.

    `vr_hint` (the operation's "vr") must agree with a dictionary VR that is not ambiguous;
    without it the dictionary decides, or for private, unknown and ambiguous tags the VR of
    the element already there. `keep_vr` keeps the existing element's VR whatever the
    dictionary says (a replacement computed from the element), unless it is UN where the
    dictionary knows better.
    """
    try:
        vr, vm = dictionary.dictionary_VR(tag), dictionary.dictionary_VM(tag)
    except KeyError:
        vr, vm = None, None
    if keep_vr and existing is not None and existing.VR not in AMBIGUOUS_VRS and \
            (existing.VR != "UN" or vr is None):
        return existing.VR, vm
    if vr_hint is not None:
        if vr is not None and vr not in AMBIGUOUS_VRS and vr != vr_hint and vr != "NONE":
            raise InvalidOperation(f"{describe(tag)} is {vr} in the dictionary, not {vr_hint}")
        return vr_hint, vm
    if vr is None or vr in AMBIGUOUS_VRS:
        if existing is not None and existing.VR not in AMBIGUOUS_VRS and existing.VR != "UN":
            return existing.VR, vm
        raise InvalidOperation(f"{describe(tag)} needs an explicit vr")
    if vr == "NONE":
        raise InvalidOperation(f"{describe(tag)} cannot hold a value")
    return vr, vm


def checked_value(tag: int, vr: str, vm: str | None, value: Any,
                  encodings: tuple[str, ...] | None) -> Any:
    """`value` as the element's value, validated; InvalidOperation with every problem."""
    try:
        converted = value_from_patch_json(vr, value)
    except ValueError:
        # The converter's message may quote the value: the rule is said here instead.
        raise InvalidOperation(f"{describe(tag)} ({vr}): the value must be "
                               f"{_json_rule(vr)}") from None
    if tag == SPECIFIC_CHARACTER_SET:
        _check_character_set(converted)
    problems = validate_value(vr, converted, vm, encodings)
    if problems:
        raise InvalidOperation(f"{describe(tag)} ({vr}): " + "; ".join(problems))
    return typed_number_strings(vr, converted)


def _json_rule(vr: str) -> str:
    """What JSON a patch value of `vr` is (for messages that must not quote the value)."""
    if vr in BINARY_VRS:
        return "a base64 string"
    if vr == "PN":
        return "a string or an object of Alphabetic/Ideographic/Phonetic"
    if vr == "AT":
        return 'a tag such as "(0010,0010)"'
    if vr in ("IS", "DS"):
        return "a number or a numeric string"
    if vr in ("US", "SS", "UL", "SL", "SV", "UV"):
        return "an integer"
    if vr in ("FL", "FD"):
        return "a number"
    return "a string"


def _check_character_set(value: Any) -> None:
    """Only defined terms of PS3.3 C.12.1.1.2: an unknown one would garble every text."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        python_encodings(value)
    if caught:
        raise InvalidOperation("not a Specific Character Set this library knows: "
                               f"{caught[0].message}")


def quiet_encodings(value: Any) -> tuple[str, ...]:
    """The codecs of a Specific Character Set value, without its warnings (a value the file
    already had was warned about when it was read)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return python_encodings(value)


def unencodable(vr: str, value: Any, encodings: tuple[str, ...]) -> str | None:
    """Why a text value cannot be written in `encodings`, or None."""
    problems = validate_value(vr, value, None, encodings)
    return problems[0] if problems else None


def replacement(old: DataElement | None, vr: str, value: Any) -> DataElement:
    """A new element in the old one's place: where it stood in the file and how its
    sequence was delimited are kept, so the writer keeps the layout."""
    new = DataElement(old.tag if old is not None else 0, vr, value)
    if old is not None:
        new.file_tell = old.file_tell
        if vr == "SQ" and old.VR == "SQ":
            new.is_undefined_length = old.is_undefined_length
            new.raw_VR = old.raw_VR
    return new
