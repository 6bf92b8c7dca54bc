"""Look up DICOM data elements: the standard dictionary (PS3.6 and PS3.7, edition 2024e)
and vendors' private dictionary.

Tags are ints (``0x00100010`` is (0010,0010)). A standard entry is the tuple
``(VR, VM, name, keyword, retired)``:

>>> get_entry(0x00100010)
('PN', '1', "Patient's Name", 'PatientName', False)
>>> dictionary_VR(0x60023000)  # overlay plane 2: a repeating group
'OB or OW'
>>> tag_for_keyword("PatientID") == 0x00100020
True
>>> keyword_for_tag(0x00000110)  # the command group of PS3.7
'MessageID'

:func:`get_entry` answers, in this order:

1. an exact entry from the generated :mod:`dicomcore._dicomdict`: PS3.6 data elements and
   the PS3.7 command group (0000,eeee), Command Group Length (0000,0000) included
   (a plain dict hit: the common case costs nothing more);
2. a Group Length element ``(gggg,0000)`` of any other group, even or odd (private):
   ``("UL", "1", "Group Length", "", True)``. PS3.5 section 7.2 implies them and
   retires them outside groups 0000 and 0002, which have their own exact entries;
3. a repeating entry of PS3.6, whose tag has ``x`` digits: element masks such as
   (0020,31xx) and (0028,04x0), and the repeating groups (50xx,eeee), (60xx,eeee)
   and (7Fxx,eeee) for even groups only, and for 50xx/60xx only up to 501E/601E
   (the 16 overlay planes, and retired curves, that the standard allows);
4. a Private Creator element (odd group, element 0010-00FF):
   ``("LO", "1", "Private Creator", "", False)``;
5. otherwise ``KeyError``, in particular for every other private (odd group) tag,
   whose meaning depends on its private creator: see the private dictionary below.

Steps 2-5 run only on a miss of step 1, and their answers are cached.

Groups 0001-0007 and FFFF count as private because they are odd, as in pydicom,
although PS3.5 section 7.1 reserves them.

Differences from pydicom's ``datadict`` (which leaves group lengths and private
creators to ``DataElement`` and the reader): here they come from :func:`get_entry`,
with the same VR and empty keyword pydicom shows; a group length is marked retired;
odd groups and out-of-range groups never match a repeating entry. For a group length
pydicom's ``DataElement.name`` is "Group Length" in an even group, and "Private Creator"
in an odd one (its name for every private element below xx10, not a group length rule;
dicomcore's ``DataElement.name`` does the same); this module says "Group Length" for
both, and pydicom's ``datadict`` raises KeyError for both.

The private dictionary (GDCM's, as pydicom 3.0.2 ships it; generated into
:mod:`dicomcore._privatedict` and loaded on the first private look-up) gives
``(VR, VM, name, retired)`` for a tag and the value of the Private Creator that reserved
its block, ``retired`` being ``""`` or ``"Retired"`` as in pydicom:

>>> get_private_entry(0x00091001, "GEMS_IDEN_01")
('LO', '1', 'Full fidelity', '')
>>> private_dictionary_VR(0x00091101, "GEMS_IDEN_01 ")  # block 11, a padded creator
'LO'
>>> private_vr(0x00091001, "ACME 1.0") is None
True

It answers as pydicom's ``get_private_entry`` does, trying in this order the exact tag
(``ggggeeee``), the element in any block (``ggggxxee``), then the element in any block of
any group ``ggxx`` (``ggxxxxee``). The creator must match exactly but for trailing spaces
and NULs, which are ignored: pydicom strips them when it decodes the Private Creator
value, before its look-up, so a padded creator finds the same entry in both.
"""

from __future__ import annotations

from functools import cache, lru_cache
from itertools import product

from dicomcore._dicomdict import DICTIONARY, REPEATERS

__all__ = [
    "Entry",
    "PrivateEntry",
    "dictionary_VM",
    "dictionary_VR",
    "dictionary_description",
    "dictionary_has_tag",
    "dictionary_is_retired",
    "dictionary_keyword",
    "get_entry",
    "get_private_entry",
    "is_private_creator",
    "is_private_tag",
    "keyword_for_tag",
    "private_dictionary_VM",
    "private_dictionary_VR",
    "private_dictionary_description",
    "private_vr",
    "repeater_base_tag",
    "repeater_has_keyword",
    "repeater_has_tag",
    "tag_for_keyword",
]

Entry = tuple[str, str, str, str, bool]
"""(VR, VM, name, keyword, retired) of one data element."""

PrivateEntry = tuple[str, str, str, str]
"""(VR, VM, name, retired) of one private data element; retired is "" or "Retired"."""

_GROUP_LENGTH: Entry = ("UL", "1", "Group Length", "", True)
_PRIVATE_CREATOR: Entry = ("LO", "1", "Private Creator", "", False)

# Highest "xx" of a repeating group (ggxx,eeee), keyed by the group with xx = 00.
# Groups without a limit here allow any even xx, as PS3.6 section 5 reads "x".
_REPEATING_GROUP_LIMITS = {0x5000: 0x1E, 0x6000: 0x1E}


def _build_mask_tables() -> tuple[tuple[int, dict[int, Entry]], ...]:
    """Index REPEATERS by bit mask: ``((care_bits, {tag & care_bits: entry}), ...)``.

    There are only five distinct masks, so a miss costs at most five dict look-ups
    instead of a loop over every repeating entry. The most specific mask comes first.
    """
    tables: dict[int, dict[int, Entry]] = {}
    for mask, entry in REPEATERS.items():
        care_bits = int("".join("0" if digit == "x" else "f" for digit in mask), 16)
        tables.setdefault(care_bits, {})[int(mask.replace("x", "0"), 16)] = entry
    return tuple(sorted(tables.items(), key=lambda item: (-item[0].bit_count(), item[0])))


_MASK_TABLES = _build_mask_tables()


def _match_repeater(tag: int) -> Entry | None:
    """Return the repeating entry covering `tag` (an even-group tag), if any."""
    for care_bits, table in _MASK_TABLES:
        entry = table.get(tag & care_bits)
        if entry is None:
            continue
        group_bits = care_bits >> 16
        if group_bits != 0xFFFF:
            group = tag >> 16
            limit = _REPEATING_GROUP_LIMITS.get(group & group_bits, 0xFFFF)
            if group & ~group_bits & 0xFFFF > limit:
                continue
        return entry
    return None


@lru_cache(maxsize=1024)
def _resolve_miss(tag: int) -> Entry | None:
    """Return the entry for a tag that has no exact entry (steps 2-5 of the contract)."""
    if not 0 <= tag <= 0xFFFFFFFF:
        return None
    group, element = tag >> 16, tag & 0xFFFF
    if element == 0:
        return _GROUP_LENGTH
    if group & 1:
        return _PRIVATE_CREATOR if 0x0010 <= element <= 0x00FF else None
    return _match_repeater(tag)


def _format_tag(tag: int) -> str:
    if 0 <= tag <= 0xFFFFFFFF:
        return f"({tag >> 16:04X},{tag & 0xFFFF:04X})"
    return repr(tag)


def get_entry(tag: int) -> Entry:
    """Return ``(VR, VM, name, keyword, retired)`` for `tag`; raise KeyError if unknown.

    See the module docstring for what counts as known.
    """
    try:
        return DICTIONARY[tag]
    except KeyError:
        entry = _resolve_miss(tag)
        if entry is None:
            raise KeyError(f"Tag {_format_tag(tag)} not found in the DICOM dictionary") from None
        return entry


def dictionary_VR(tag: int) -> str:
    """Return the VR of `tag`, e.g. ``'PN'`` or ``'US or SS'``; raise KeyError if unknown."""
    return get_entry(tag)[0]


def dictionary_VM(tag: int) -> str:
    """Return the VM of `tag`, e.g. ``'1'``, ``'1-n'``, ``'2-2n'``; raise KeyError if unknown."""
    return get_entry(tag)[1]


def dictionary_description(tag: int) -> str:
    """Return the name of `tag`, e.g. ``"Patient's Name"``; raise KeyError if unknown."""
    return get_entry(tag)[2]


def dictionary_keyword(tag: int) -> str:
    """Return the keyword of `tag` (``''`` if it has none); raise KeyError if unknown."""
    return get_entry(tag)[3]


def dictionary_is_retired(tag: int) -> bool:
    """Return True if the standard has retired `tag`; raise KeyError if unknown."""
    return get_entry(tag)[4]


def dictionary_has_tag(tag: int) -> bool:
    """Return True if `tag` has an exact entry in PS3.6.

    As in pydicom, repeating entries, group lengths and private creators do not
    count: see :func:`repeater_has_tag` and :func:`get_entry`.
    """
    return tag in DICTIONARY


def repeater_has_tag(tag: int) -> bool:
    """Return True if `tag` falls under a repeating entry such as (60xx,3000)."""
    return 0 <= tag <= 0xFFFFFFFF and not tag >> 16 & 1 and _match_repeater(tag) is not None


def keyword_for_tag(tag: int) -> str:
    """Return the keyword of `tag`, or ``''`` if it is unknown or has no keyword."""
    try:
        return get_entry(tag)[3]
    except KeyError:
        return ""


def _first_tag_of(mask: str, entry: Entry) -> int:
    """Return the lowest tag that :func:`get_entry` resolves to the repeating `entry`.

    Usually the mask with every x read as 0, but that tag can belong to something
    else: (0028,0400) is Transform Label, not (0028,04x0); (1010,0000) is a group
    length, not (1010,xxxx). The search stops at the first hit, a few steps in.
    """
    positions = [index for index, digit in enumerate(mask) if digit == "x"]
    for choice in product("0123456789abcdef", repeat=len(positions)):
        digits = list(mask)
        for position, digit in zip(positions, choice, strict=True):
            digits[position] = digit
        tag = int("".join(digits), 16)
        if (DICTIONARY.get(tag) or _resolve_miss(tag)) == entry:
            return tag
    raise ValueError(f"no tag resolves to the repeating entry {mask}")


@cache
def _keyword_index() -> tuple[dict[str, int], dict[str, int]]:
    """Build, once, the keyword -> tag maps of exact entries and of repeating entries."""
    exact = {entry[3]: tag for tag, entry in DICTIONARY.items() if entry[3]}
    repeating = {entry[3]: _first_tag_of(mask, entry) for mask, entry in REPEATERS.items()}
    return exact, repeating


def tag_for_keyword(keyword: str) -> int | None:
    """Return the tag whose keyword is `keyword`, or None.

    Keywords of repeating entries give None, as in pydicom: ``OverlayData`` names a
    family of tags, not one. Use :func:`repeater_base_tag` for those.
    """
    return _keyword_index()[0].get(keyword)


def repeater_has_keyword(keyword: str) -> bool:
    """Return True if `keyword` belongs to a repeating entry, e.g. ``'OverlayData'``."""
    return keyword in _keyword_index()[1]


def repeater_base_tag(keyword: str) -> int | None:
    """Return the lowest tag that resolves to the repeating entry `keyword`, or None.

    >>> hex(repeater_base_tag("OverlayData"))
    '0x60003000'
    """
    return _keyword_index()[1].get(keyword)


def is_private_tag(tag: int) -> bool:
    """Return True if `tag` is private, i.e. its group is odd."""
    return bool(tag >> 16 & 1)


def is_private_creator(tag: int) -> bool:
    """Return True if `tag` is a Private Creator: odd group, element 0010-00FF."""
    return bool(tag >> 16 & 1) and 0x0010 <= tag & 0xFFFF <= 0x00FF


# --- the private dictionary -----------------------------------------------------------------


@cache
def _private_tables() -> tuple[dict[str, dict[int, PrivateEntry]], int, int]:
    """Import the private dictionary on first use: 10,000 entries cost ~15 ms and ~2 MB,
    which a program that never meets a private element need not pay."""
    from dicomcore._privatedict import ANY_BLOCK, ANY_GROUP, PRIVATE_DICTIONARY

    return PRIVATE_DICTIONARY, ANY_BLOCK, ANY_GROUP


def _creator_entries(private_creator: str) -> dict[int, PrivateEntry] | None:
    """Return the entries of `private_creator` (trailing spaces and NULs ignored), or None."""
    if not isinstance(private_creator, str):
        return None
    creators = _private_tables()[0]
    entries = creators.get(private_creator)
    if entries is None:
        entries = creators.get(private_creator.rstrip(" \0"))
    return entries


def _match_private(entries: dict[int, PrivateEntry], tag: int) -> PrivateEntry | None:
    """Return the entry of `tag` among one creator's `entries`, trying the exact tag, then
    the element in any block (gggg,xxee), then in any block of any group (ggxx,xxee)."""
    if not 0 <= tag <= 0xFFFFFFFF:
        return None
    _, any_block, any_group = _private_tables()
    low = tag & 0xFF
    return (
        entries.get(tag)
        or entries.get(any_block | tag >> 8 & 0xFFFF00 | low)
        or entries.get(any_group | tag >> 8 & 0xFF0000 | low)
    )


def get_private_entry(tag: int, private_creator: str) -> PrivateEntry:
    """Return ``(VR, VM, name, retired)`` of the private element `tag` of `private_creator`.

    `private_creator` is the value of the Private Creator element that reserved the
    block of `tag`, i.e. ``(gggg,00bb)`` for ``(gggg,bbee)``. ``retired`` is ``""`` or
    ``"Retired"``. Raise KeyError, as pydicom does, if the creator or the tag is unknown.
    """
    entries = _creator_entries(private_creator)
    if entries is None:
        raise KeyError(f"Private creator {private_creator!r} not in the private dictionary")
    entry = _match_private(entries, tag)
    if entry is None:
        raise KeyError(
            f"Tag {_format_tag(tag)} not in the private dictionary "
            f"for private creator {private_creator!r}"
        )
    return entry


def private_dictionary_VR(tag: int, private_creator: str) -> str:
    """Return the VR of a private element, e.g. ``'LO'``; raise KeyError if unknown."""
    return get_private_entry(tag, private_creator)[0]


def private_dictionary_VM(tag: int, private_creator: str) -> str:
    """Return the VM of a private element, e.g. ``'1-n'``; raise KeyError if unknown."""
    return get_private_entry(tag, private_creator)[1]


def private_dictionary_description(tag: int, private_creator: str) -> str:
    """Return the name of a private element, e.g. ``'Full fidelity'``; raise KeyError if unknown.

    pydicom's ``DataElement.name`` shows it in brackets (``'[Full fidelity]'``) to say that
    it is no keyword; this returns it bare, as pydicom's ``datadict`` does.
    """
    return get_private_entry(tag, private_creator)[2]


def private_vr(tag: int, private_creator: str) -> str | None:
    """Return the VR of a private element, or None if the private dictionary lacks it.

    The reader's look-up, called once per private element: it raises nothing and builds
    no message. It answers exactly as :func:`private_dictionary_VR` where that does not
    raise. It does not check that `tag` lies in a block: pydicom's reader asks only for
    elements (gggg,bbee) with bb >= 01, the creator being the value of (gggg,00bb).
    """
    entries = _creator_entries(private_creator)
    if entries is None:
        return None
    entry = _match_private(entries, tag)
    return None if entry is None else entry[0]
