"""The plan: one read-only walk of a data set that makes, element by element, its change.

Every element at every depth (sequence items, and the file meta group) gets the action
`Profile.action` resolves for it. Each change is made there and then as a new element (or a
removal), checked by the patch engine's own rules (`dicomcore.patch.checks`: what may
change, the VR and VM, the value against its VR and the character set it will be written
in), but not yet put in the data set: `commit` does that once every change is made and
checked, so a data set either takes the whole plan or, when `errors` is not empty, none of
it. Nothing can fail in `commit` (it only adds and deletes elements), so no copy of the data
set is needed beforehand; it copies the items it changes (and the file meta), so nothing
shared with another data set changes there. Elements kept are not named at all, so their bytes stay as they were read.
Values are read only where a replacement needs them (UIDs, dates, the patient's ID and
name); a value removed or emptied is never decoded.

Replacement values:

- U: each UID of the value -> `Keyed.uid`; a UID of the standard's registry (a well-known
  frame of reference, say) identifies no one and is kept. (0002,0003) takes the new value
  of the top-level (0008,0018), so the two stay equal.
- D: a dummy valid for the VR (`DUMMIES`), also for the free text the table does not name
  below a sequence kept by D or C (see `profile`, rule 3); Patient ID and Patient's Name (Z or D) -> the
  keyed pseudonym of the patient instead, so one patient has one pseudonym everywhere.
- S: DA and DT values shifted back by the patient's keyed offset; a value that is not a
  date is emptied.

The profile never changes the Specific Character Set (Table E.1-1 has no row for it) nor
the attributes that describe the pixel data, so no value needs encoding again.
"""

from __future__ import annotations

from typing import Any

from .. import dictionary
from ..charset import python_encodings
from ..dataelem import DataElement, empty_value_for_VR
from ..dataset import Dataset, FileMetaDataset
from ..patch import InvalidOperation
from ..patch.checks import check_allowed, checked_value, replacement, vr_and_vm
from ..patch.paths import describe
from ..sequence import Sequence
from ..tag import SPECIFIC_CHARACTER_SET
from ..uid import UID
from ..values import encode_value, pad
from ..vr import CHARSET_VRS, STR_VRS
from .keyed import Keyed, shift_date, shift_datetime
from .profile import Profile, remember
from .report import Report

__all__ = ["Plan", "DUMMIES"]

PATIENT_ID = 0x00100020
PATIENT_NAME = 0x00100010
SOP_INSTANCE_UID = 0x00080018
MEDIA_STORAGE_SOP_INSTANCE_UID = 0x00020003
PRIVATE_KIND = "Private Attributes"
FREE_TEXT_VRS = frozenset({"LT", "ST", "UT", "UC", "PN"})
# Values whose bytes do not depend on the byte order: made as bytes once (`_encoded`).
_TEXT_VRS = STR_VRS | {"PN"}

_TEXT = "ANONYMOUS"
DUMMIES: dict[str, Any] = {
    **dict.fromkeys(("AE", "CS", "LO", "LT", "PN", "SH", "ST", "UC", "UR", "UT"), _TEXT),
    "AS": "000D", "DA": "19000101", "DT": "19000101000000", "TM": "000000", "DS": "0",
    "IS": "0", "AT": 0,
    **dict.fromkeys(("FL", "FD", "SL", "SS", "SV", "UL", "US", "UV"), 0),
    # Eight zero bytes: a whole number of values for every binary VR.
    **dict.fromkeys(("OB", "OD", "OF", "OL", "OV", "OW", "UN"), bytes(8)),
}
"""The dummy value (D) of each VR: valid for it, and saying plainly what it is."""

# Checked values that can be shared by every element given them (immutable).
_SHAREABLE = (str, int, float, bytes)

Route = tuple[tuple[int, int], ...]
Chain = tuple[Dataset, ...]  # the data sets from the one holding an element up to the top
# (where the holder is, the holder as walked, tag, new element or None)
Change = tuple[Route, Dataset, int, "DataElement | None"]
SafeKey = tuple[int, str, int]  # (group, private creator, element offset in the block)


class Plan:
    """The checked changes that de-identify one data set, and the report of them."""

    def __init__(self, ds: Dataset, profile: Profile, keyed: Keyed,
                 safe_private: frozenset[SafeKey]) -> None:
        self.profile = profile
        self.keyed = keyed
        self.safe_private = safe_private if profile.private_action() == "C" else frozenset()
        self.report = Report(profile.options)
        self.changes: list[Change] = []
        self.errors: list[str] = []
        self.root = ds
        self.patient = _patient_key(ds)
        self._offset: int | None = None
        self.walk(ds, (), (ds,), python_encodings(_charset(ds)))
        meta = getattr(ds, "file_meta", None)
        if meta is not None:
            self._walk_meta(meta, ds)

    def commit(self) -> None:
        """Put every change in the data set (all were made and checked: nothing fails
        here). The top level changes in place; an item changes in a copy put in its place
        (and each sequence on the way becomes a new list), and the file meta is replaced by
        a changed copy, as the patch engine does: an item or file meta the data set shares
        with another data set, or holds twice, is not changed there."""
        assert not self.errors
        meta = getattr(self.root, "file_meta", None)
        meta_copy = None
        owned = _CopyOnWrite(self.root)
        for route, holder, tag, new in self.changes:
            if holder is meta:
                if meta_copy is None:
                    meta_copy = FileMetaDataset(meta)
                holder = meta_copy
            else:
                holder = owned.item(route)
            if new is None:
                holder.pop(tag, None)
            else:
                holder.add(new)
        if meta_copy is not None:
            self.root.file_meta = meta_copy

    # the walk ------------------------------------------------------------------------

    def walk(self, ds: Dataset, route: Route, chain: Chain, encodings: tuple[str, ...],
             free_text: bool = False) -> None:
        """Plan every element of `ds`, which is at `route` in the data set (`chain`: it and
        the data sets around it) and whose text is in `encodings`; `free_text`: below a
        sequence kept by D or C, where unnamed free text gets a dummy."""
        actions, action_of = self.profile.actions, self.profile.action
        kept = self.report.kept
        kept_blocks = self._private_blocks(ds)
        for elem in ds.elements_in_file_order():
            tag = int(elem.tag)
            if tag & 0xFFFF == 0:
                # Group lengths are the writer's business; a private group's goes with
                # the group when every private element does.
                if tag & 0x10000 and not self.safe_private:
                    self._remove(ds, tag, chain, route, False)
                continue
            if tag & 0x10000:
                self._private(ds, elem, tag, route, chain, encodings, kept_blocks, free_text)
                continue
            vr = elem.VR
            if vr == "UN":
                vr = _effective_vr(tag)
            action, kind = actions.get((tag, vr)) or action_of(tag, vr)
            if kind is None and free_text and vr in FREE_TEXT_VRS:
                action, kind = "D", f"free text below a replaced sequence ({elem.keyword})"
            if action in ("K", "W"):
                if vr == "SQ" and elem.VR != "SQ":
                    # A sequence left as UN bytes: what its items hold cannot be read, so it
                    # cannot be kept.
                    action, kind = "X", f"unreadable sequence ({elem.keyword})"
                else:
                    if kind is not None:
                        kept[kind] += 1
                    if vr == "SQ":
                        self._walk_items(elem, tag, route, chain, encodings,
                                         free_text or action == "W")
                    continue
            assert kind is not None
            self._act(ds, elem, tag, vr, action, kind, route, chain, encodings)

    def _walk_items(self, elem: DataElement, tag: int, route: Route, chain: Chain,
                    encodings: tuple[str, ...], free_text: bool) -> None:
        for index, item in enumerate(elem.value):
            own = _charset(item)
            self.walk(item, (*route, (tag, index)), (item, *chain),
                      encodings if own is None else python_encodings(own), free_text)

    def _walk_meta(self, meta: Dataset, ds: Dataset) -> None:
        """The file meta group: rows of group 0002; (0002,0003) follows (0008,0018)."""
        encodings = python_encodings(None)
        for elem in meta.elements_in_file_order():
            tag = int(elem.tag)
            action, kind = self.profile.action(tag, elem.VR)
            if action == "K" or kind is None:
                if kind is not None:
                    self.report.count("kept", kind)
                continue
            sop = ds.get_item(SOP_INSTANCE_UID)
            if tag == MEDIA_STORAGE_SOP_INSTANCE_UID and action == "U" and sop is not None:
                self._set(meta, elem, tag, self._new_uids(sop), (), (meta,), encodings,
                          force=True, keep_vr=False)
                self.report.count("replaced", kind)
                continue
            self._act(meta, elem, tag, elem.VR, action, kind, (), (meta,), encodings,
                      force=True)

    # actions -------------------------------------------------------------------------

    def _act(self, ds: Dataset, elem: DataElement, tag: int, vr: str, action: str,
             kind: str, route: Route, chain: Chain, encodings: tuple[str, ...],
             force: bool = False) -> None:
        """Make the change `action` asks for `elem` (in `ds`), and count it."""
        count = self.report.count
        if action == "X":
            self._remove(ds, tag, chain, route, force)
            count("removed", kind)
            return
        if _is_empty(elem):
            return  # nothing to hide in an empty value
        if tag in (PATIENT_ID, PATIENT_NAME) and action in ("Z", "D"):
            value: Any = self._pseudonym(elem, tag, route)
        elif action == "Z":
            count("emptied", kind)
            self._empty(ds, elem, tag, route, chain, encodings, force)
            return
        elif action == "D":
            count("replaced", kind)
            self._set(ds, elem, tag, DUMMIES[vr], route, chain, encodings, force, dummy=True)
            return
        elif action == "U":
            value = self._new_uids(elem)
        elif action == "S":
            value = self._shifted(elem, vr)
            if value is None:
                count("emptied", kind)
                self._empty(ds, elem, tag, route, chain, encodings, force)
                return
        else:
            raise AssertionError(f"unknown action {action!r}")
        count("replaced", kind)
        self._set(ds, elem, tag, value, route, chain, encodings, force)

    def _remove(self, ds: Dataset, tag: int, chain: Chain, route: Route, force: bool
                ) -> None:
        if self._allowed(tag, chain, route, force):
            self.changes.append((route, ds, tag, None))

    def _empty(self, ds: Dataset, elem: DataElement, tag: int, route: Route, chain: Chain,
               encodings: tuple[str, ...], force: bool) -> None:
        """The element with a zero-length value of its VR (as the engine's `empty`)."""
        if not self._allowed(tag, chain, route, force):
            return
        vr = elem.VR
        new = replacement(elem, vr, empty_value_for_VR(vr)) if vr == "SQ" else \
            _encoded(elem, vr, b"", encodings)
        self.changes.append((route, ds, tag, new))

    def _set(self, ds: Dataset, elem: DataElement, tag: int, value: Any, route: Route,
             chain: Chain, encodings: tuple[str, ...], force: bool = False,
             keep_vr: bool = True, dummy: bool = False) -> None:
        """The element with `value`, checked as the engine's `replace` checks it (in the
        element's VR; UN gives way to the dictionary's), or `set` without `keep_vr`.
        A `dummy` is checked once per tag, VR and character set (`_checked_dummy`)."""
        if not self._allowed(tag, chain, route, force):
            return
        try:
            vr, vm = vr_and_vm(tag, elem, None, keep_vr)
            if vr == "SQ":
                raise InvalidOperation(f"{describe(tag)}: a sequence takes no value")
            checked_in = encodings if vr in CHARSET_VRS else None
            new_value = (self._checked_dummy(tag, vr, vm, value, checked_in) if dummy else
                         checked_value(tag, vr, vm, value, checked_in))
            if vr in _TEXT_VRS:
                try:
                    data = encode_value(vr, new_value, True, encodings)
                except ValueError:  # its message may quote the value: not repeated
                    raise InvalidOperation(f"{describe(tag)} ({vr}): the value cannot be "
                                           "encoded in the character set") from None
                new = _encoded(elem, vr, pad(vr, data), encodings)
            else:
                new = replacement(elem, vr, new_value)
        except InvalidOperation as exc:
            self._refused(route, tag, exc)
            return
        self.changes.append((route, ds, tag, new))

    def _checked_dummy(self, tag: int, vr: str, vm: str | None, value: Any,
                       encodings: tuple[str, ...] | None) -> Any:
        """`checked_value` of a dummy, remembered by the profile (a few per tag, as every
        file repeats them): the same tag, VR, value and character set check the same."""
        if not isinstance(value, _SHAREABLE):
            return checked_value(tag, vr, vm, value, encodings)
        key = (tag, vr, vm, value.__class__, value, encodings)
        checked = self.profile.checked.get(key)
        if checked is None:
            checked = checked_value(tag, vr, vm, value, encodings)
            if isinstance(checked, _SHAREABLE):
                remember(self.profile.checked, key, checked)
        return checked

    def _allowed(self, tag: int, chain: Chain, route: Route, force: bool) -> bool:
        """Whether the patch engine's rules let `tag` change here; a refusal is noted."""
        try:
            check_allowed(tag, chain, 0, self.root, force)
        except InvalidOperation as exc:
            self._refused(route, tag, exc)
            return False
        return True

    def _refused(self, route: Route, tag: int, exc: InvalidOperation) -> None:
        where = "".join(f"{seq:08X}[{index}]." for seq, index in route) + f"{tag:08X}"
        self.errors.append(f"{where}: {exc}")

    def _new_uids(self, elem: DataElement) -> str | list[str]:
        values = []
        for uid in _texts(elem):
            if not uid or UID(uid).type:
                values.append(uid)  # empty, or registered by the standard
                continue
            new = self.keyed.uid(uid)
            self.report.mapping[("uid", uid)] = new
            values.append(new)
        return values[0] if len(values) == 1 else values

    def _pseudonym(self, elem: DataElement, tag: int, route: Route) -> str:
        # The top-level name follows the patient (by ID); elsewhere a value its own.
        texts = _texts(elem)
        original = "\\".join(texts)
        source = self.patient if tag == PATIENT_NAME and not route else original
        if tag == PATIENT_ID:
            new = self.keyed.patient_id(source)
            self.report.mapping[("PatientID", original)] = new
        else:
            new = self.keyed.patient_name(source)
            self.report.mapping[("PatientName", original)] = new
        return new

    def _shifted(self, elem: DataElement, vr: str) -> str | list[str] | None:
        if self._offset is None:
            self._offset = self.keyed.date_offset(self.patient)
            self.report.date_offset_days = self._offset
            self.report.mapping[("date offset (days back)", self.patient)] = str(self._offset)
        shift = shift_date if vr == "DA" else shift_datetime
        try:
            values = [shift(text, self._offset) if text else text for text in _texts(elem)]
        except ValueError:
            return None
        return values[0] if len(values) == 1 else values

    # private elements ----------------------------------------------------------------

    def _private_blocks(self, ds: Dataset) -> set[int]:
        """The private creator tags of `ds` that a safe element kept needs."""
        if not self.safe_private:
            return set()
        blocks = set()
        for tag in ds.tags_in_file_order():
            if tag & 0x10000 and tag & 0xFF00 and self._is_safe(ds, tag):
                blocks.add((tag & 0xFFFF0000) | (tag >> 8 & 0xFF))
        return blocks

    def _is_safe(self, ds: Dataset, tag: int) -> bool:
        creator = ds.get_item((tag & 0xFFFF0000) | (tag >> 8 & 0xFF))
        if creator is None or not isinstance(creator.value, str):
            return False
        return (tag >> 16, creator.value.strip(), tag & 0xFF) in self.safe_private

    def _private(self, ds: Dataset, elem: DataElement, tag: int, route: Route, chain: Chain,
                 encodings: tuple[str, ...], kept_blocks: set[int], free_text: bool) -> None:
        is_creator = not tag & 0xFF00
        if not (tag in kept_blocks if is_creator else self.safe_private and
                self._is_safe(ds, tag)):
            self._remove(ds, tag, chain, route, False)
            self.report.count("removed", PRIVATE_KIND)
            return
        self.report.count("kept", PRIVATE_KIND)
        if elem.VR == "SQ":
            self._walk_items(elem, tag, route, chain, encodings, free_text)


class _CopyOnWrite:
    """The items `commit` changes: each a copy put in place of the item the first time a
    change reaches it, in a new list of its sequence's items (the sequence element replaced
    by one holding that list); the top level (route ()) is the data set itself."""

    def __init__(self, root: Dataset) -> None:
        self.items: dict[Route, Dataset] = {(): root}
        self.lists: set[int] = set()  # ids of the item lists made here (kept alive by them)

    def item(self, route: Route) -> Dataset:
        item = self.items.get(route)
        if item is not None:
            return item
        parent = self.item(route[:-1])
        tag, index = route[-1]
        elem = parent.get_item(tag)
        assert elem is not None and elem.VR == "SQ"
        items = elem.value
        if id(items) not in self.lists:
            old = items
            items = Sequence()
            list.extend(items, old)  # the same items, already checked
            items.is_undefined_length = getattr(old, "is_undefined_length", False)
            parent.add(replacement(elem, "SQ", items))
            self.lists.add(id(items))
        item = items[index].copy()
        list.__setitem__(items, index, item)  # a Dataset: no need to check it again
        self.items[route] = item
        return item


def _encoded(elem: DataElement, vr: str, data: bytes, encodings: tuple[str, ...]
             ) -> DataElement:
    """A new element in `elem`'s place holding `data`, the bytes the writer writes for its
    value (`encode_value` and `pad`): made as the reader makes elements, so the writer
    copies them instead of encoding the value again."""
    return DataElement.from_raw(int(elem.tag), vr, data, elem.is_little_endian, encodings,
                                elem.file_tell)


def _charset(ds: Dataset) -> Any:
    """The value of the Specific Character Set of `ds` itself, or None."""
    elem = ds.get_item(SPECIFIC_CHARACTER_SET)
    return None if elem is None else elem.value


def _patient_key(ds: Dataset) -> str:
    """What identifies the patient for pseudonyms and the date offset: the top-level
    Patient ID, or the Patient's Name where there is no ID."""
    for tag in (PATIENT_ID, PATIENT_NAME):
        elem = ds.get_item(tag)
        if elem is not None and not _is_empty(elem):
            return "\\".join(_texts(elem))
    return ""


def _effective_vr(tag: int) -> str:
    """The VR of an element read as UN: the dictionary's, when it has a single one."""
    try:
        vr = dictionary.dictionary_VR(tag)
    except KeyError:
        return "UN"
    return vr if " or " not in vr and vr != "NONE" else "UN"


def _is_empty(elem: DataElement) -> bool:
    raw = elem.raw_value
    if elem.is_raw and isinstance(raw, bytes):
        return not raw
    return elem.is_empty


def _texts(elem: DataElement) -> list[str]:
    """The element's values as text (a UN value decoded as the default repertoire)."""
    value = elem.value
    if isinstance(value, (bytes, bytearray)):
        return [v.strip(" \0") for v in bytes(value).decode("latin-1").split("\\")]
    if isinstance(value, list):
        return [str(v).strip() for v in value]
    return [str(value).strip()] if value is not None else [""]
