"""The plan: one read-only walk of a data set that says, element by element, what to do.

Every element at every depth (sequence items, and the file meta group) gets the action
`Profile.action` resolves for it; each change becomes one `AttributeOp` whose selector is
the exact path to that element (sequence tag and item index at each level), so the patch
engine applies the whole plan at once, all or nothing, touching nothing else. Elements kept
are not named at all, so their bytes stay as they were read. Values are read only where a
replacement needs them (UIDs, dates, the patient's ID and name).

Replacement values:

- U: each UID of the value -> `Keyed.uid`; a UID of the standard's registry (a well-known
  frame of reference, say) identifies no one and is kept. (0002,0003) takes the new value
  of the top-level (0008,0018), so the two stay equal.
- D: a dummy valid for the VR (`DUMMIES`), also for the free text the table does not name
  below a sequence kept by D or C (see `profile`, rule 3); Patient ID and Patient's Name (Z or D) -> the
  keyed pseudonym of the patient instead, so one patient has one pseudonym everywhere.
- S: DA and DT values shifted back by the patient's keyed offset; a value that is not a
  date is emptied.
"""

from __future__ import annotations

from typing import Any

from .. import dictionary
from ..dataelem import DataElement
from ..dataset import Dataset
from ..patch import Action, AttributeOp, Selector
from ..patch.paths import PathStep
from ..uid import UID
from .keyed import Keyed, shift_date, shift_datetime
from .profile import Profile
from .report import Report

__all__ = ["Plan", "DUMMIES"]

PATIENT_ID = 0x00100020
PATIENT_NAME = 0x00100010
SOP_INSTANCE_UID = 0x00080018
MEDIA_STORAGE_SOP_INSTANCE_UID = 0x00020003
PRIVATE_KIND = "Private Attributes"
FREE_TEXT_VRS = frozenset({"LT", "ST", "UT", "UC", "PN"})

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

_DELETE = Action.delete()
_EMPTY = Action.empty()

Route = tuple[tuple[int, int], ...]
SafeKey = tuple[int, str, int]  # (group, private creator, element offset in the block)


class Plan:
    """The operations that de-identify one data set, and the report of them."""

    def __init__(self, ds: Dataset, profile: Profile, keyed: Keyed,
                 safe_private: frozenset[SafeKey]) -> None:
        self.profile = profile
        self.keyed = keyed
        self.safe_private = safe_private if profile.private_action() == "C" else frozenset()
        self.report = Report(profile.options)
        self.ops: list[AttributeOp] = []
        self.patient = _patient_key(ds)
        self._offset: int | None = None
        self._prefixes: dict[Route, tuple[tuple[PathStep, ...], str]] = {}
        self._private_found = False
        self.walk(ds, ())
        if self._private_found and not self.safe_private:
            # One walk of the engine removes them all, cheaper than one operation each.
            self._add(Selector.private(), _DELETE)
        meta = getattr(ds, "file_meta", None)
        if meta is not None:
            self._walk_meta(meta, ds)

    # the walk ------------------------------------------------------------------------

    def walk(self, ds: Dataset, route: Route, free_text: bool = False) -> None:
        """Plan every element of `ds`, which is at `route` in the data set; `free_text`:
        below a sequence kept by D or C, where unnamed free text gets a dummy."""
        kept_blocks = self._private_blocks(ds)
        for elem in ds:
            tag = int(elem.tag)
            if tag & 0xFFFF == 0:
                continue  # group lengths: the writer's business
            if tag & 0x10000:
                self._private(ds, elem, tag, route, kept_blocks, free_text)
                continue
            vr = _effective_vr(elem, tag)
            action, kind = self.profile.action(tag, vr)
            if kind is None and free_text and vr in FREE_TEXT_VRS:
                action, kind = "D", f"free text below a replaced sequence ({elem.keyword})"
            if action in ("K", "W") and vr == "SQ" and elem.VR != "SQ":
                # A sequence left as UN bytes: what its items hold cannot be read, so it
                # cannot be kept.
                action, kind = "X", f"unreadable sequence ({elem.keyword})"
            if action in ("K", "W"):
                if kind is not None:
                    self.report.count("kept", kind)
                if vr == "SQ":
                    for index, item in enumerate(elem.value):
                        self.walk(item, (*route, (tag, index)), free_text or action == "W")
                continue
            assert kind is not None
            self._act(elem, tag, vr, action, kind, route)

    def _walk_meta(self, meta: Dataset, ds: Dataset) -> None:
        """The file meta group: rows of group 0002; (0002,0003) follows (0008,0018)."""
        for elem in meta:
            tag = int(elem.tag)
            action, kind = self.profile.action(tag, elem.VR)
            if action == "K" or kind is None:
                if kind is not None:
                    self.report.count("kept", kind)
                continue
            sop = ds.get_item(SOP_INSTANCE_UID)
            if tag == MEDIA_STORAGE_SOP_INSTANCE_UID and action == "U" and sop is not None:
                new = self._new_uids(sop)
                self._add(Selector.tag(tag), Action.set(new), force=True)
                self.report.count("replaced", kind)
                continue
            self._act(elem, tag, elem.VR, action, kind, (), force=True)

    # actions -------------------------------------------------------------------------

    def _act(self, elem: DataElement, tag: int, vr: str, action: str, kind: str,
             route: Route, force: bool = False) -> None:
        selector = self._selector(route, tag)
        if action == "X":
            self._add(selector, _DELETE, force)
            self.report.count("removed", kind)
            return
        if _is_empty(elem):
            return  # nothing to hide in an empty value
        if tag in (PATIENT_ID, PATIENT_NAME) and action in ("Z", "D"):
            self._add(selector, _set_to(self._pseudonym(elem, tag, route)), force)
            self.report.count("replaced", kind)
        elif action == "Z":
            self._add(selector, _EMPTY, force)
            self.report.count("emptied", kind)
        elif action == "D":
            self._add(selector, _set_to(DUMMIES[vr]), force)
            self.report.count("replaced", kind)
        elif action == "U":
            self._add(selector, _set_to(self._new_uids(elem)), force)
            self.report.count("replaced", kind)
        elif action == "S":
            shifted = self._shifted(elem, vr)
            if shifted is None:
                self._add(selector, _EMPTY, force)
                self.report.count("emptied", kind)
            else:
                self._add(selector, _set_to(shifted), force)
                self.report.count("replaced", kind)
        else:
            raise AssertionError(f"unknown action {action!r}")

    def _selector(self, route: Route, tag: int) -> Selector:
        """The path selector of exactly one element: `tag` in the item `route` leads to."""
        prefix = self._prefixes.get(route)
        if prefix is None:
            prefix = (tuple(PathStep(seq, index=index) for seq, index in route),
                      "".join(f"{seq:08X}[{index}]." for seq, index in route))
            self._prefixes[route] = prefix
        steps, text = prefix
        return Selector("path", (*steps, PathStep(tag)), f"{text}{tag:08X}")

    def _add(self, selector: Selector, action: Action, force: bool = False) -> None:
        self.ops.append(AttributeOp(selector, action, force))

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

    def _private(self, ds: Dataset, elem: DataElement, tag: int, route: Route,
                 kept_blocks: set[int], free_text: bool) -> None:
        is_creator = not tag & 0xFF00
        if not (tag in kept_blocks if is_creator else self.safe_private and
                self._is_safe(ds, tag)):
            self._private_found = True
            if self.safe_private:
                self._add(self._selector(route, tag), _DELETE)
            self.report.count("removed", PRIVATE_KIND)
            return
        self.report.count("kept", PRIVATE_KIND)
        if elem.VR == "SQ":
            for index, item in enumerate(elem.value):
                self.walk(item, (*route, (tag, index)), free_text)


def _patient_key(ds: Dataset) -> str:
    """What identifies the patient for pseudonyms and the date offset: the top-level
    Patient ID, or the Patient's Name where there is no ID."""
    for tag in (PATIENT_ID, PATIENT_NAME):
        elem = ds.get_item(tag)
        if elem is not None and not _is_empty(elem):
            return "\\".join(_texts(elem))
    return ""


def _effective_vr(elem: DataElement, tag: int) -> str:
    """The element's VR, or for UN the dictionary's (when it has a single one)."""
    if elem.VR != "UN":
        return elem.VR
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


def _set_to(value: Any) -> Action:
    """An action giving a present element `value` in its own VR (UN: the dictionary's), as
    `Action.replace` does, so a vendor's VR that differs from the dictionary's stays."""
    return Action.replace(lambda _elem: value)
