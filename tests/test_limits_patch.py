"""Bounds on a patch's work (dicomcore.patch: max_ops, WorkBudget) and error texts that never
quote a value."""

from __future__ import annotations

import io
import threading
import time

import pytest

import dicomcore
from dicomcore.limits import MAX_PATCH_OPS
from dicomcore.patch import PatchCancelled, PatchError, PatchTimeout, WorkBudget, apply
from dicomcore.validation import validate_value
from tests.app.attack_inputs import wide_sequence

WILDCARD = "ReferencedImageSequence[*].ReferencedSOPInstanceUID"


def _wide(items: int) -> dicomcore.FileDataset:
    return dicomcore.dcmread(io.BytesIO(wide_sequence(items)))


def _wildcard_patch(ops: int) -> list[dict[str, str]]:
    return [{"op": "set", "path": WILDCARD, "value": f"1.2.{i}"} for i in range(ops)]


def test_more_operations_than_the_limit_are_refused_before_any_runs() -> None:
    ds = _wide(3)
    with pytest.raises(PatchError) as caught:
        apply(ds, _wildcard_patch(11), max_ops=10)
    assert caught.value.errors == [{"index": None, "op": None, "path": None,
                                    "reason": "a patch has at most 10 operations; this one "
                                              "has 11"}]
    apply(ds, _wildcard_patch(10), max_ops=10)
    assert MAX_PATCH_OPS == 10_000


def test_a_merge_object_counts_its_members() -> None:
    with pytest.raises(PatchError, match="at most 2 operations"):
        apply(_wide(1), {"00100010": {"vr": "PN"}, "00100020": {"vr": "LO"},
                         "00100030": {"vr": "DA"}}, max_ops=2)


def test_an_expired_budget_stops_the_patch_and_changes_nothing() -> None:
    ds = _wide(2000)
    before = [str(item.ReferencedSOPInstanceUID) for item in ds.ReferencedImageSequence]
    with pytest.raises(PatchTimeout, match="0.01 s budget"):
        budget = WorkBudget(seconds=0.01)
        time.sleep(0.02)
        apply(ds, _wildcard_patch(5), budget=budget)
    assert [str(i.ReferencedSOPInstanceUID) for i in ds.ReferencedImageSequence] == before


def test_the_budget_is_checked_per_item_so_a_wide_patch_stops_within_a_step() -> None:
    """A patch of 50 wildcard operations over 20,000 items takes seconds; cancelled after
    50 ms it stops well within one operation's time."""
    ds = _wide(20_000)
    cancel = threading.Event()
    timer = threading.Timer(0.05, cancel.set)
    started = time.perf_counter()
    timer.start()
    try:
        with pytest.raises(PatchCancelled):
            apply(ds, _wildcard_patch(50), budget=WorkBudget(cancelled=cancel))
    finally:
        timer.cancel()
    assert time.perf_counter() - started < 1.0
    assert str(ds.ReferencedImageSequence[0].ReferencedSOPInstanceUID) == "1.2.3"


class _Counting(WorkBudget):
    __slots__ = ("calls",)

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def check(self) -> None:
        self.calls += 1


@pytest.mark.parametrize("items", [100, 1000])
def test_wildcard_work_is_in_proportion_to_the_items(items: int) -> None:
    budget = _Counting()
    apply(_wide(items), _wildcard_patch(3), budget=budget)
    # per operation: one check to start, one per item walked and one per target
    assert budget.calls == 3 * (1 + 2 * items)


def test_patch_errors_name_element_vr_and_rule_never_the_value() -> None:
    ds = _wide(1)
    secret = "Müller^Jürgen"
    with pytest.raises(PatchError) as caught:
        apply(ds, [{"op": "set", "path": "PatientName", "value": secret},   # not ASCII
                   {"op": "set", "path": "StudyDate", "value": "Jürgen01"},
                   {"op": "set", "path": "Rows", "value": "Müller"},
                   {"op": "set", "path": "PatientID", "value": "Müller" * 20},
                   {"op": "set", "path": "ReferencedImageSequence[0].ReferencedSOPInstanceUID",
                    "value": "1.02.Müller"}])
    reasons = [e["reason"] for e in caught.value.errors]
    text = str(caught.value) + repr(caught.value.errors)
    assert "Müller" not in text and "Jürgen" not in text and "ller" not in text
    assert reasons[0].startswith("PatientName (0010,0010) (PN): the value has a character")
    assert "Specific Character Set" in reasons[0]
    assert reasons[1] == "StudyDate (0008,0020) (DA): the value is not a valid DA value " \
                         "(YYYYMMDD)"
    assert reasons[2] == "Rows (0028,0010) (US): the value must be an integer"
    assert reasons[3] == "PatientID (0010,0020) (LO): the value is longer than LO's 64 " \
                         "characters"
    assert "(UI)" in reasons[4] and "leading zeros" in reasons[4]


def test_validation_problems_say_which_value_by_position() -> None:
    assert validate_value("DA", ["20240101", "2024/1/2"]) == [
        "value 2 is not a valid DA value (YYYYMMDD)"]


def test_a_patch_error_message_lists_the_first_ten_and_counts_the_rest() -> None:
    patch = [{"op": "set", "path": "Rows", "value": "x"} for _ in range(150)]
    with pytest.raises(PatchError) as caught:
        apply(_wide(1), patch)
    assert len(caught.value.errors) == 150
    message = str(caught.value)
    assert message.count("operation ") == 10 and message.endswith("and 140 more")
