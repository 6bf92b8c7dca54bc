"""app/jsonpieces.py: the same text as json.dumps, made in pieces of bounded size."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app import jsonpieces


def reference(model: Any) -> bytes:
    return json.dumps(model, ensure_ascii=False, separators=(",", ":")).encode()


def element(value: str) -> dict[str, Any]:
    return {"vr": "LO", "Value": [value]}


MODELS: list[Any] = [
    {},
    [],
    "",
    None,
    1.5,
    {"00100010": {"vr": "PN", "Value": [{"Alphabetic": "Müller^Jürgen"}]}},
    # wide: many small members, batched
    {f"{tag:08X}": element(f"v{tag}") for tag in range(2000)},
    # deep: a small element dict that holds a large sequence
    {"00081140": {"vr": "SQ", "Value": [{"00081155": element(f"1.2.{i}")}
                                        for i in range(1500)]},
     "00100020": element("id")},
    # one item holding a large data set, inside lists and tuples
    [[{"items": ({f"k{i}": [i, i + 0.5, None, True, "\"\\\n\u2028é"] for i in range(800)},)}]],
    # members that are larger than a piece, between small ones
    {"a": 1, "big": list(range(3000)), "b": "x", "bigger": {str(i): i for i in range(3000)}},
    # names json makes from numbers, booleans and None
    {7: "seven", 2.5: [0] * 500, True: "t", None: list(range(500))},
]


@pytest.mark.parametrize("model", MODELS, ids=range(len(MODELS)))
def test_same_text_as_json_dumps(model: Any) -> None:
    assert jsonpieces.dumps(model, nodes=64) == reference(model)
    assert jsonpieces.dumps(model) == reference(model)


def test_long_strings_are_cut_in_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jsonpieces, "STRING_PIECE", 7)
    model = {"InlineBinary": "ab\"c\\dé\n\u0001" * 20, "short": "ok"}
    parts = jsonpieces.pieces(model, nodes=1)
    assert "".join(parts).encode() == reference(model)
    assert max(len(part) for part in parts) < 7 * 6 + 16  # escapes at most ~6 characters each


def test_each_piece_is_bounded() -> None:
    model = {f"{tag:08X}": element(f"value {tag}") for tag in range(5000)}
    model["00081140"] = {"vr": "SQ", "Value": [{"00081155": element(f"1.2.{i}")}
                                               for i in range(5000)]}
    parts = jsonpieces.pieces(model, nodes=256)
    assert "".join(parts).encode() == reference(model)
    whole = len(reference(model))
    # 256 nodes of this model are about 1.5 KB of text; json.dumps alone is one 250 KB call.
    assert max(len(part) for part in parts) < 4096 < whole
    assert len(parts) > whole // 4096


def test_a_small_model_is_one_call() -> None:
    model = {f"{tag:08X}": element("x") for tag in range(100)}
    assert jsonpieces.pieces(model) == [reference(model).decode()]


def test_the_piece_size_is_read_at_each_call(monkeypatch: pytest.MonkeyPatch) -> None:
    """A test lowers PIECE_NODES to make a route's small answer of many pieces."""
    model = {f"{tag:08X}": element("x") for tag in range(100)}
    monkeypatch.setattr(jsonpieces, "PIECE_NODES", 16)
    parts = jsonpieces.utf8_pieces(model)
    assert len(parts) > 10 and b"".join(parts) == jsonpieces.dumps(model) == reference(model)
