"""The compact JSON text of a large model, made in pieces so that no call holds the GIL long.

`json.dumps` runs in C from its start to its end without letting another thread run: 0.4 to
0.8 s for the 9 MB model of a 250,000-element data set, while the worker's event loop (and
every `/healthz` on that worker) waited. `dumps` gives the same text as
`json.dumps(model, ensure_ascii=False, separators=(",", ":"))`, encoded as UTF-8, made of
`json` calls over parts of at most about `PIECE_NODES` nodes (a string counts one node per
64 characters) and strings cut into `STRING_PIECE`-character slices; between the calls the
interpreter may switch threads. A small model is one call, as before, after a walk of at
most `PIECE_NODES` nodes.

Made with it: element JSON (`app.responses`), WADO-RS metadata (kept per instance as its
`utf8_pieces`) and QIDO-RS pages. A STOW-RS answer (a few hundred bytes a part) is still one
`json.dumps`.
"""

from __future__ import annotations

import json
from typing import Any

PIECE_NODES = 16384
STRING_PIECE = 1 << 20

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def dumps(model: Any, nodes: int | None = None) -> bytes:
    """`json.dumps(model, ensure_ascii=False, separators=(",", ":")).encode()`, in pieces."""
    return b"".join(utf8_pieces(model, nodes))


def utf8_pieces(model: Any, nodes: int | None = None) -> list[bytes]:
    """`pieces` encoded as UTF-8, one by one: what an answer sends, or keeps to send again."""
    return [piece.encode() for piece in pieces(model, nodes)]


def pieces(model: Any, nodes: int | None = None) -> list[str]:
    """The JSON text of `model` as consecutive pieces, each made by one `json` call of at
    most about `nodes` nodes (`PIECE_NODES` when not given: read at each call, so a test can
    make every route's pieces small) or a `STRING_PIECE` slice of one string."""
    out: list[str] = []
    _pieces(model, PIECE_NODES if nodes is None else nodes, out)
    return out


def _left(value: Any, budget: int) -> int:
    """`budget` less the nodes of `value`; negative once they are more (the walk stops)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            budget -= len(item) + 1
            if budget < 0:
                return budget
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            budget -= len(item) + 1
            if budget < 0:
                return budget
            stack.extend(item)
        elif isinstance(item, str):
            budget -= 1 + (len(item) >> 6)
            if budget < 0:
                return budget
        else:
            budget -= 1
    return budget


def _key(key: Any) -> str:
    """A member name as `json` writes it (it turns numbers, booleans and None into names)."""
    return _encode(key) if isinstance(key, str) else _encode({key: 0})[1:-3]


def _pieces(value: Any, nodes: int, out: list[str]) -> None:
    if isinstance(value, str):
        if len(value) <= STRING_PIECE:
            out.append(_encode(value))
            return
        # Escaping is per character: slices escaped one by one make the same text.
        out.append('"')
        out.extend(_encode(value[i:i + STRING_PIECE])[1:-1]
                   for i in range(0, len(value), STRING_PIECE))
        out.append('"')
        return
    is_dict = isinstance(value, dict)
    if not (is_dict or isinstance(value, (list, tuple))) or _left(value, nodes) >= 0:
        out.append(_encode(value))
        return
    # Too large for one call: consecutive members in batches of at most `nodes` nodes, a
    # member larger than that in pieces of its own.
    members = value.items() if is_dict else ((None, item) for item in value)
    out.append("{" if is_dict else "[")
    batch: list[tuple[Any, Any]] = []
    room = nodes
    separator = ""
    for key, item in members:
        size = nodes - _left(item, nodes)
        if size > nodes or size > room:
            if batch:
                text = _encode(dict(batch) if is_dict else [member for _, member in batch])
                out.append(separator + text[1:-1])
                separator = ","
                batch, room = [], nodes
        if size > nodes:
            out.append(separator + (_key(key) + ":" if is_dict else ""))
            separator = ","
            _pieces(item, nodes, out)
            continue
        batch.append((key, item))
        room -= size
    if batch:
        text = _encode(dict(batch) if is_dict else [member for _, member in batch])
        out.append(separator + text[1:-1])
    out.append("}" if is_dict else "]")
