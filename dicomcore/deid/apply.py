"""`deidentify`: the profile applied to one data set, in place, all or nothing, then marked.

Steps: refuse burned-in annotation unless the caller accepts it; plan every element
(`plan.Plan`: each change made and checked by the patch engine's rules, none put in yet);
commit the plan only if every change passed, so that either every change is made or none
is and `DeidentificationError` says why; then add the marks the standard asks for
(constants, checked once per set of options).

Marks (PS3.15 E.1.1 and PS3.3 C.12.1):

- Patient Identity Removed (0012,0062) = YES;
- De-identification Method (0012,0063): the profile and each option, by name;
- De-identification Method Code Sequence (0012,0064): (DCM, 113100) and one CID 7050 code
  per option;
- Longitudinal Temporal Information Modified (0028,0303): MODIFIED when dates were shifted,
  UNMODIFIED when full dates are kept, REMOVED otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from .. import dictionary
from ..dataelem import DataElement
from ..dataset import Dataset
from ..patch import parse_path
from ..patch.errors import InvalidOperation
from ..sequence import Sequence
from ..validation import validate_value
from ..values import encode_value, pad
from .keyed import Keyed
from .plan import Plan, SafeKey
from .profile import check_options, option_codes, profile_for
from .report import Report

__all__ = ["deidentify", "DeidentificationError", "parse_safe_private"]

BURNED_IN_ANNOTATION = 0x00280301
_ASCII = ("iso8859",)  # the default repertoire: the marks are ASCII
METHOD_PREFIX = "DICOM PS3.15 E.1 Basic Profile (dicomcore)"


class DeidentificationError(ValueError):
    """The data set cannot be de-identified as asked; nothing in it was changed."""


def deidentify(ds: Dataset, *, key: bytes | str | Keyed, options: Iterable[str] = (),
               safe_private: Iterable[str | SafeKey] | None = None,
               allow_burned_in: bool = False) -> Report:
    """De-identify `ds` in place by the PS3.15 Basic Profile and `options`; the report.

    `key` makes every replacement deterministic (see `deid.keyed`); a `Keyed(key)` made once
    and passed for many files computes each repeated UID once. `options` are names of
    `OPTIONS` (``"retain-uids"``, ...). `safe_private` lists the private elements that
    ``retain-safe-private`` keeps, as ``'(0019,"GEMS_ACQU_01",0C)'`` or (group, creator,
    element offset). `allow_burned_in` accepts a data set whose pixels carry burned-in
    annotation (0028,0301 = YES): its pixels are not cleaned. Written with
    `write_like_original=True`, only the elements acted on change in the file.

    Raises DeidentificationError (a ValueError) for a wrong option, a missing safe list,
    burned-in annotation, or a change the data set cannot take; `ds` is then untouched.

    >>> from dicomcore import Dataset
    >>> ds = Dataset(PatientName="Doe^Jane", PatientID="12", PatientBirthDate="19700101",
    ...              SOPInstanceUID="1.2.3.4")
    >>> report = deidentify(ds, key="secret")
    >>> ds.PatientID, ds.PatientBirthDate, ds.SOPInstanceUID.startswith("2.25.")
    ('ANON14BE1FC4E269DCAC', '', True)
    >>> ds.PatientIdentityRemoved, report.totals()["emptied"]
    ('YES', 1)
    """
    try:
        chosen = check_options(options)
    except ValueError as exc:
        raise DeidentificationError(str(exc)) from None
    safe = _safe_set(chosen, safe_private)
    _check_burned_in(ds, allow_burned_in)
    try:
        keyed = key if isinstance(key, Keyed) else Keyed(key)
    except ValueError as exc:
        raise DeidentificationError(str(exc)) from None
    plan = Plan(ds, profile_for(chosen), keyed, safe)
    if plan.errors:
        raise DeidentificationError("cannot de-identify: " + "; ".join(plan.errors))
    plan.commit()
    for elem in _marks(chosen):
        ds.add(elem)
    return plan.report


def parse_safe_private(text: str) -> SafeKey:
    """``'(0019,"GEMS_ACQU_01",0C)'`` -> (0x0019, "GEMS_ACQU_01", 0x0C); ValueError if it
    does not name one private element by its creator."""
    try:
        steps = parse_path(text)
    except InvalidOperation as exc:
        raise ValueError(f"safe private element {text!r}: {exc}") from None
    if len(steps) != 1 or steps[0].creator is None or steps[0].private_element is None:
        raise ValueError(f'safe private element {text!r}: write it (gggg,"CREATOR",ee)')
    step = steps[0]
    assert step.private_element is not None and step.creator is not None
    return step.private_element >> 16, step.creator, step.private_element & 0xFF


def _safe_set(options: tuple[str, ...], safe_private: Iterable[Any] | None
              ) -> frozenset[SafeKey]:
    wanted = "retain-safe-private" in options
    if wanted != (safe_private is not None):
        raise DeidentificationError("retain-safe-private and a safe private list go "
                                    "together: give both or neither")
    keys = set()
    for entry in safe_private or ():
        try:
            if isinstance(entry, str):
                keys.add(parse_safe_private(entry))
            else:
                group, creator, element = entry
                if not (isinstance(group, int) and group & 1 and isinstance(creator, str)
                        and isinstance(element, int) and 0 <= element <= 0xFF):
                    raise ValueError(f"safe private element {entry!r} is not (odd group, "
                                     "creator, element offset)")
                keys.add((group, creator.strip(), element))
        except (ValueError, TypeError) as exc:
            raise DeidentificationError(str(exc)) from None
    return frozenset(keys)


def _check_burned_in(ds: Dataset, allowed: bool) -> None:
    elem = ds.get_item(BURNED_IN_ANNOTATION)
    if allowed or elem is None:
        return
    if str(elem.value or "").strip().upper() == "YES":
        raise DeidentificationError(
            "Burned In Annotation (0028,0301) is YES: the pixels may show identifying text "
            "and are not cleaned; pass allow_burned_in (--allow-burned-in) to accept that")


def _marks(options: tuple[str, ...]) -> list[DataElement]:
    """New elements that say, in the data set, how it was de-identified. Their values are
    constants checked and encoded once per set of options (`_encoded_marks`); each file
    gets new elements holding those bytes, which the writer copies as they are. Added after
    the plan is committed, they cannot fail."""
    elements = []
    for tag, vr, encoded in _encoded_marks(options):
        if vr == "SQ":
            items = Sequence()
            for item_elements in encoded:
                item = Dataset()
                for item_tag, item_vr, data in item_elements:
                    item.add(DataElement.from_raw(item_tag, item_vr, data, True, _ASCII))
                items.append(item)
            elements.append(DataElement(tag, vr, items))
        else:
            elements.append(DataElement.from_raw(tag, vr, encoded, True, _ASCII))
    return elements


@lru_cache(maxsize=64)
def _encoded_marks(options: tuple[str, ...]) -> tuple[tuple[int, str, Any], ...]:
    """(tag, VR, value bytes) of each mark; for the code sequence, instead of bytes, its
    items, each a tuple of (tag, VR, value bytes). The values are ASCII (checked), whose
    bytes are the same in every character set and byte order."""
    marks = []
    for keyword, value in _mark_values(options):
        tag = _tag(keyword)
        vr = dictionary.dictionary_VR(tag)
        if vr == "SQ":
            items = tuple(tuple((_tag(name), dictionary.dictionary_VR(_tag(name)),
                                 _ascii_bytes(dictionary.dictionary_VR(_tag(name)), text))
                                for name, text in _code_item(code)) for code in value)
            marks.append((tag, vr, items))
        else:
            marks.append((tag, vr, _ascii_bytes(vr, value)))
    return tuple(marks)


def _tag(keyword: str) -> int:
    tag = dictionary.tag_for_keyword(keyword)
    assert tag is not None
    return tag


def _ascii_bytes(vr: str, value: Any) -> bytes:
    """A text value encoded and padded as the writer writes it."""
    assert all(text.isascii() for text in (value if isinstance(value, list) else [value]))
    return pad(vr, encode_value(vr, value, True, _ASCII))


def _code_item(code: tuple[str, str]) -> tuple[tuple[str, str], ...]:
    """(keyword, value) of the elements of one item of the code sequence."""
    value, meaning = code
    return (("CodeValue", value), ("CodingSchemeDesignator", "DCM"), ("CodeMeaning", meaning))


@lru_cache(maxsize=64)
def _mark_values(options: tuple[str, ...]) -> tuple[tuple[str, Any], ...]:
    """(keyword, value) of each mark, each value checked against its VR and VM once."""
    if "retain-long-modified-dates" in options:
        dates = "MODIFIED"
    elif "retain-long-full-dates" in options:
        dates = "UNMODIFIED"
    else:
        dates = "REMOVED"
    marks: tuple[tuple[str, Any], ...] = (
        ("PatientIdentityRemoved", "YES"),
        ("DeidentificationMethod", [METHOD_PREFIX, *options]),
        ("DeidentificationMethodCodeSequence", tuple(option_codes(options))),
        ("LongitudinalTemporalInformationModified", dates),
    )
    for keyword, value in marks:
        tag = dictionary.tag_for_keyword(keyword)
        assert tag is not None
        vr, vm = dictionary.dictionary_VR(tag), dictionary.dictionary_VM(tag)
        checks = [(vr, vm, value)] if vr != "SQ" else [
            (dictionary.dictionary_VR(_tag(name)), None, text) for code in value
            for name, text in _code_item(code)]
        for check_vr, check_vm, checked in checks:
            problems = validate_value(check_vr, checked, check_vm)
            assert not problems, (keyword, problems)
    return marks
