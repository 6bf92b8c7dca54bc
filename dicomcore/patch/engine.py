"""The engine: selector + action pairs applied to a copy, committed all at once or not at all.

Rules the engine keeps:

1. The data set is not touched until every operation has succeeded; then the changes of its
   top level are replayed on it in the order they were made (so its elements end in the
   working copy's order, at a cost in proportion to the changes, not to the data set) and
   its file meta is replaced. On any failure `PatchError` lists every failing operation.
2. Copy on write: the working copy shares every element, sequence and item with the original
   until it is changed. A change copies only the path to it: the sequences on the way once
   per patch (their item lists, not the items) and each item it enters once. So `Seq[*].X`
   costs time in proportion to the items, and elements a patch does not name keep their
   bytes (a file written with `write_like_original=True` changes only where it was patched).
3. Operations run in order, each seeing the result of the ones before it, except that a
   change of the top-level Specific Character Set runs first: every value of the patch is
   checked against the character set it will be written in.
4. Each operation first finds its targets without changing anything (`targets`), then acts
   on each; what is validated and refused is `checks`'s.
5. Bounded work: a patch has at most `max_ops` operations (`limits.MAX_PATCH_OPS`; more is a
   PatchError before anything runs), and the `WorkBudget` is checked before each operation,
   each target and each item walked or created, so a deadline or a cancellation stops the
   work within one step (`PatchTimeout`, `PatchCancelled`), the data set untouched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..charset import python_encodings
from ..dataelem import DataElement, empty_value_for_VR
from ..dataset import Dataset, FileMetaDataset
from ..limits import MAX_DEPTH, MAX_PATCH_OPS
from ..sequence import Sequence
from ..tag import SPECIFIC_CHARACTER_SET
from ..vr import CHARSET_VRS
from . import checks
from .budget import UNLIMITED, WorkBudget
from .errors import InvalidOperation, PatchError
from .operations import Operation, as_attribute_op, item_operations, parse_collecting
from .paths import PathStep, describe, find_private_tag
from .select import Action, AttributeOp, Selector, check_pair
from .targets import Route, find_targets

__all__ = ["apply", "apply_actions"]

_STRICT = frozenset({"set", "append", "remove"})


def apply(ds: Dataset, patch: Any, force: bool = False, *, budget: WorkBudget = UNLIMITED,
          max_ops: int | None = MAX_PATCH_OPS) -> None:
    """Apply a patch (see `operations`) to `ds`, all of it or none of it.

    `patch` is the JSON (an array of operations or a DICOM JSON object) or a list of
    `Operation`; `force` allows file meta and pixel description changes for every operation.
    PatchError lists every failing operation. `budget` bounds the time (PatchTimeout) and
    can cancel the work (PatchCancelled); `max_ops` (None: no limit) bounds its size.
    """
    _check_size(patch, max_ops)
    errors: list[dict[str, Any]] = []
    if isinstance(patch, list) and patch and all(isinstance(o, Operation) for o in patch):
        parsed = []
        for index, operation in enumerate(patch):
            try:
                parsed.append((index, operation, as_attribute_op(operation)))
            except InvalidOperation as exc:
                errors.append(_error(index, operation.op, operation.text, str(exc)))
    else:
        parsed, errors = parse_collecting(patch)
    _run(ds, [(index, op, operation.op, operation.text) for index, operation, op in parsed],
         errors, force, budget)


def apply_actions(ds: Dataset, ops: Iterable[AttributeOp | tuple[Selector, Action]],
                  force: bool = False, *, budget: WorkBudget = UNLIMITED,
                  max_ops: int | None = None) -> None:
    """Apply (selector, action) pairs to `ds`, all of them or none (see `select`).

    PatchError lists every failing pair: its index, the action's kind, the selector's text
    and the reason. `budget` and `max_ops` as for `apply`.
    """
    ops = list(ops)
    _check_size(ops, max_ops)
    errors: list[dict[str, Any]] = []
    numbered = []
    for index, op in enumerate(ops):
        op = AttributeOp(*op)
        try:
            check_pair(op.selector, op.action)
        except InvalidOperation as exc:
            errors.append(_error(index, op.action.kind, op.selector.text, str(exc)))
            continue
        numbered.append((index, op, op.action.kind, op.selector.text))
    _run(ds, numbered, errors, force, budget)


def _check_size(patch: Any, max_ops: int | None) -> None:
    """PatchError for a patch with more than `max_ops` operations (or members, for a DICOM
    JSON object), before any of them is parsed."""
    if max_ops is not None and isinstance(patch, (list, dict)) and len(patch) > max_ops:
        raise PatchError([_error(None, None, None, f"a patch has at most {max_ops} "
                                 f"operations; this one has {len(patch)}")])


def _error(index: int | None, op: str | None, path: str | None, reason: str
           ) -> dict[str, Any]:
    return {"index": index, "op": op, "path": path, "reason": reason}


def _run(ds: Dataset, ops: list[tuple[int, AttributeOp, str, str]],
         errors: list[dict[str, Any]], force: bool, budget: WorkBudget) -> None:
    work = _Work(ds, budget=budget)
    ops = sorted(ops, key=lambda numbered: not _changes_charset(numbered[1].selector))
    for index, op, name, text in ops:
        budget.check()
        try:
            work.run(op.selector, op.action, force or op.force)
        except InvalidOperation as exc:
            errors.append(_error(index, name, text, str(exc)))
        except RecursionError:
            errors.append(_error(index, name, text, "the value is nested too deeply"))
    if errors:
        raise PatchError(sorted(errors, key=lambda e: (e["index"] is not None,
                                                       e["index"] or 0)))
    for tag, elem in work.changes:
        if elem is None:
            del ds[tag]
        else:
            ds.add(elem)
    if work.meta is not None:
        ds.file_meta = work.meta


def _changes_charset(selector: Selector) -> bool:
    return selector.kind == "path" and len(selector.steps) == 1 and \
        selector.steps[0].tag == SPECIFIC_CHARACTER_SET


class _Work:
    """A copy of a data set that shares every element it has not been told to change."""

    def __init__(self, ds: Dataset, owned: dict[int, object] | None = None, depth: int = 0,
                 outer: tuple[Dataset, ...] = (), budget: WorkBudget = UNLIMITED) -> None:
        self.budget = budget
        self.original = ds
        self.root = ds.copy() if owned is None else ds
        # The objects this work made (and may change in place), kept alive so that no id
        # is reused by an object of the original while the work runs.
        self.owned: dict[int, object] = {} if owned is None else owned
        self.owned[id(self.root)] = self.root
        self.depth = depth  # how deep `root` is nested in the data set being changed
        self.outer = outer  # the data sets around `root`, innermost first
        self.meta: Dataset | None = None
        self.changes: list[tuple[int, DataElement | None]] = []  # (tag, new element or None)

    def run(self, selector: Selector, action: Action, force: bool) -> None:
        """Apply one action to every target of its selector (InvalidOperation on failure)."""
        cache: dict[Any, Any] = {}
        strict = action.kind in _STRICT  # the others do nothing where nothing is
        check = self.budget.check
        for route, step, tag in find_targets(self.root, selector, strict, check):
            check()
            chain = self._writable(route)
            parent = chain[0]
            if tag is None:
                tag = self._private_tag(parent, step)
            elif action.kind in ("set", "append") and selector.kind == "path":
                checks.check_private_creator(parent, tag)
            checks.check_allowed(tag, chain, self.depth, self.root, force)
            if tag >> 16 == 0x0002 and len(chain) == 1 and self.depth == 0:
                parent = self._meta()
                chain = (parent,)
            self._act(parent, chain, tag, step, action, cache)

    # copy on write ---------------------------------------------------------------------

    def _writable(self, route: Route) -> tuple[Dataset, ...]:
        """The data sets along `route`, made this work's own; innermost first."""
        ds = self.root
        chain = [ds]
        for tag, index in route:
            ds = self._owned_item(self._owned_sequence(ds, tag), index)
            chain.append(ds)
        chain.reverse()
        return tuple(chain)

    def _owned_sequence(self, ds: Dataset, tag: int) -> Sequence:
        """The sequence at `tag` in `ds` (which is owned), replaced once by a new list of
        the same items: items are copied one by one as they are entered."""
        elem = ds.get_item(tag)
        assert elem is not None
        if id(elem) in self.owned:
            return elem.value
        old = elem.value
        items = Sequence()
        list.extend(items, old)  # the items of a Sequence: no need to check them again
        items.is_undefined_length = getattr(old, "is_undefined_length", False)
        new = checks.replacement(elem, "SQ", items)
        self.owned[id(new)] = new
        self._put(ds, new)
        return items

    def _owned_item(self, items: Sequence, index: int) -> Dataset:
        """Item `index` of an owned sequence, replaced once by a copy this work owns."""
        item = items[index]
        if id(item) not in self.owned:
            item = item.copy()
            self.owned[id(item)] = item
            list.__setitem__(items, index, item)  # a Dataset: no need to check it again
        return item

    def _private_tag(self, ds: Dataset, step: PathStep) -> int:
        """The tag of a private step in `ds`, reserving a block when its creator has none."""
        tag, free = find_private_tag(ds, step)
        if tag is not None:
            return tag
        assert step.private_element is not None
        group = step.private_element >> 16
        if free is None:
            raise InvalidOperation(f"group {group:04X} has no free private block")
        self._put(ds, DataElement(group << 16 | free, "LO", step.creator))
        return group << 16 | free << 8 | (step.private_element & 0xFF)

    def _put(self, ds: Dataset, elem: DataElement) -> None:
        """Add or replace an element of a data set this work owns (noting top-level ones)."""
        ds.add(elem)
        if ds is self.root:
            self.changes.append((int(elem.tag), elem))

    def _drop(self, ds: Dataset, tag: int) -> None:
        """Delete an element of a data set this work owns (noting top-level ones)."""
        del ds[tag]
        if ds is self.root:
            self.changes.append((tag, None))

    def _meta(self) -> Dataset:
        """The file meta group, copied once: group 0002 operations (with force) go there."""
        if self.meta is None:
            current = getattr(self.original, "file_meta", None)
            self.meta = FileMetaDataset(current) if current is not None else FileMetaDataset()
        return self.meta

    # actions -------------------------------------------------------------------------

    def _act(self, parent: Dataset, chain: tuple[Dataset, ...], tag: int, step: PathStep,
             action: Action, cache: dict[Any, Any]) -> None:
        kind = action.kind
        if kind == "delete":
            if parent.get_item(tag) is not None:
                self._drop(parent, tag)
        elif kind == "empty":
            elem = parent.get_item(tag)
            if elem is None:
                return
            self._put(parent, checks.replacement(elem, elem.VR, empty_value_for_VR(elem.VR)))
        elif kind == "set":
            self._set(parent, chain, tag, action.value, action.vr, cache)
            return
        elif kind == "replace":
            self._replace(parent, chain, tag, action)
            return
        elif kind == "append":
            self._append(parent, chain, tag, action)
        else:
            self._remove(parent, tag, step.index)
        if tag == SPECIFIC_CHARACTER_SET:
            self._reencode_text(parent, checks.quiet_encodings(self._charset(chain)))

    def _set(self, parent: Dataset, chain: tuple[Dataset, ...], tag: int, value: Any,
             vr_hint: str | None, cache: dict[Any, Any] | None, keep_vr: bool = False
             ) -> None:
        """Set `tag` in `parent` to `value`, checked. `cache` keeps what is the same for
        every target of one action (its VR, its checked value in one character set); None
        where the value differs from target to target."""
        old = parent.get_item(tag)
        vr, vm = _cached(cache, ("vr", tag, vr_hint, old.VR if old is not None else None),
                         lambda: checks.vr_and_vm(tag, old, vr_hint, keep_vr))
        if vr == "SQ":
            new_value: Any = self._items(value, chain)
        else:
            encodings = self._encodings(chain, vr)
            new_value = _cached(cache, ("value", vr, vm, encodings,
                                        tag == SPECIFIC_CHARACTER_SET),
                                lambda: checks.checked_value(tag, vr, vm, value, encodings))
        self._put(parent, checks.replacement(old, vr, new_value) if old is not None else
                  DataElement(tag, vr, new_value))
        if tag == SPECIFIC_CHARACTER_SET:
            self._reencode_text(parent, checks.quiet_encodings(self._charset(chain)))

    def _replace(self, parent: Dataset, chain: tuple[Dataset, ...], tag: int,
                 action: Action) -> None:
        elem = parent.get_item(tag)
        if elem is None or action.function is None:
            return
        try:
            value = action.function(elem)
        except Exception as exc:  # noqa: BLE001 - any failure of the caller's function
            # The caller's own function and message (no patch from a client has one).
            raise InvalidOperation(f"the replace function failed on {describe(tag)}: "
                                   f"{exc!r}") from None
        self._set(parent, chain, tag, value, None, None, keep_vr=True)

    def _append(self, parent: Dataset, chain: tuple[Dataset, ...], tag: int,
                action: Action) -> None:
        elem = parent.get_item(tag)
        if elem is None:
            vr, _ = checks.vr_and_vm(tag, None, action.vr)
            if vr != "SQ":
                raise InvalidOperation(f"{describe(tag)} is not a sequence")
            new = DataElement(tag, "SQ", Sequence())
            self.owned[id(new)] = new
            self._put(parent, new)
        elif elem.VR != "SQ":
            raise InvalidOperation(f"{describe(tag)} is a {elem.VR}, not a sequence")
        items = self._owned_sequence(parent, tag)
        items.extend(self._items([action.value], chain))

    def _remove(self, parent: Dataset, tag: int, index: Any) -> None:
        elem = parent.get_item(tag)
        if elem is None or elem.VR != "SQ":
            raise InvalidOperation(f"no sequence {describe(tag)}")
        items = self._owned_sequence(parent, tag)
        if not -len(items) <= index < len(items):
            raise InvalidOperation(f"item index {index} is out of range ({len(items)} items)")
        del items[index]

    def _items(self, value: Any, chain: tuple[Dataset, ...]) -> Sequence:
        """New sequence items from a list of objects of path -> value (or of Datasets)."""
        if value is None:
            return Sequence()
        if not isinstance(value, list) or not all(isinstance(v, (dict, Dataset))
                                                  for v in value):
            raise InvalidOperation("a sequence value is a list of objects")
        depth = self.depth + len(chain)
        if depth >= MAX_DEPTH - 1:
            raise InvalidOperation(f"sequences nested deeper than {MAX_DEPTH} levels cannot "
                                   "be read back")
        items = Sequence()
        for obj in value:
            self.budget.check()
            item = Dataset()
            sub = _Work(item, self.owned, depth + 1, chain + self.outer, self.budget)
            for op in item_operations(obj):
                sub.run(op.selector, op.action, True)
            items.append(item)
        return items

    # character sets ----------------------------------------------------------------------

    def _charset(self, chain: tuple[Dataset, ...]) -> Any:
        """The Specific Character Set value in force at the end of `chain` (None: default)."""
        for ds in chain + self.outer:
            elem = ds.get_item(SPECIFIC_CHARACTER_SET)
            if elem is not None:
                return elem.value
        return None

    def _encodings(self, chain: tuple[Dataset, ...], vr: str) -> tuple[str, ...] | None:
        """The codecs a value of `vr` at the end of `chain` is written in; None for VRs
        that are not written in the Specific Character Set."""
        if vr not in CHARSET_VRS:
            return None  # (0008,0005) itself is CS: ASCII
        return python_encodings(self._charset(chain))

    def _reencode_text(self, ds: Dataset, encodings: tuple[str, ...], top: bool = True
                       ) -> None:
        """After a change of Specific Character Set: every text value of `ds`, and of the
        items that inherit it, is decoded with the set it was read in and will be encoded
        with the new one (its old bytes would now mean something else)."""
        if not top and ds.get_item(SPECIFIC_CHARACTER_SET) is not None:
            return  # an item with its own character set keeps it
        for tag in ds.tags_in_file_order():
            elem = ds.get_item(tag)
            assert elem is not None
            if elem.VR == "SQ":
                items = self._owned_sequence(ds, tag)
                for index in range(len(items)):
                    self.budget.check()
                    self._reencode_text(self._owned_item(items, index), encodings, top=False)
            elif elem.VR in CHARSET_VRS and elem.raw_value is not None:
                value = elem.value
                problem = checks.unencodable(elem.VR, value, encodings)
                if problem:
                    raise InvalidOperation(f"{describe(tag)} cannot be written in the new "
                                           f"character set: {problem}")
                self._put(ds, checks.replacement(elem, elem.VR, value))


def _cached(cache: dict[Any, Any] | None, key: Any, compute: Callable[[], Any]) -> Any:
    if cache is None:
        return compute()
    if key not in cache:
        cache[key] = compute()
    return cache[key]
