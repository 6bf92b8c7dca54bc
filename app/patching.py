"""PATCH of a stored instance, parsing its file once.

`StoredPatch` is the `Rewrite` the route hands to `storage.replace`: it reads the current
file, applies the patch, writes the new file, and renders the answer from the data set the
patch produced, not from a second read of what it wrote: the library's
`dicomcore.roundtrip.settle_changed_values` makes each changed value what a read of the new
file would give. A data set with group lengths outside group 0002 (old files mostly) is
rendered from the written file instead, as that function says.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import BinaryIO

from dicomcore import read_file
from dicomcore.dataset import Dataset
from dicomcore.limits import DEFAULT_LIMITS, MAX_PATCH_OPS, ReadLimits
from dicomcore.patch import WorkBudget, apply
from dicomcore.roundtrip import settle_changed_values

from .datasets import write_checked
from .index import from_dataset
from .problems import Problem, unusable_patch
from .storage import KeyAttributes


def parse_patch(data: bytes) -> object:
    """The patch JSON of a request: 400 when the body is not JSON at all (a malformed
    request), 422 when it is JSON that cannot be a patch (nested too deeply to read); what
    the JSON says is checked by `dicomcore.patch` (422 for each failing operation). Called in
    a worker thread: a 14 MB body takes about 50 ms to decode."""
    try:
        return loads_in_steps(data)
    except RecursionError:
        raise unusable_patch("the patch is nested too deeply", "nested too deeply") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise Problem(400, "Bad request", f"the patch is not JSON: {exc}") from None


_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\n\r]*")


def loads_in_steps(data: bytes) -> object:
    """`json.loads(data)`, a top-level array or object decoded one member at a time.

    `json.loads` runs in C from start to end and holds the GIL throughout, so the event loop
    waited for a thread decoding a large patch as long as for the loop doing it. Between two
    members the thread may hand the GIL over (after the interpreter's switch interval). JSON
    that the steps do not take as expected is decoded by `json.loads`, which gives the same
    value or raises its own error (message, position) as before.
    """
    try:
        return _members(data.decode(json.detect_encoding(data), "surrogatepass"))
    except Exception:  # noqa: BLE001 - json.loads decides, and raises the error answered
        return json.loads(data)


def _skip_space(text: str, at: int) -> int:
    return _SPACE.match(text, at).end()  # type: ignore[union-attr]  # `*`: always a match


class _NotStepwise(Exception):
    """The text is not an array or object the steps take; `json.loads` decides."""


def _members(text: str) -> object:
    at = _skip_space(text, 0)
    opening = text[at:at + 1]
    if opening not in ("[", "{"):
        raise _NotStepwise
    closing = "]" if opening == "[" else "}"
    items: list[object] = []
    fields: dict[str, object] = {}
    at = _skip_space(text, at + 1)
    if text.startswith(closing, at):
        at += 1
    else:
        while True:
            if opening == "{":
                key, at = _DECODER.raw_decode(text, at)
                at = _skip_space(text, at)
                if not isinstance(key, str) or not text.startswith(":", at):
                    raise _NotStepwise
                at = _skip_space(text, at + 1)
            value, at = _DECODER.raw_decode(text, at)
            if opening == "{":
                fields[key] = value
            else:
                items.append(value)
            at = _skip_space(text, at)
            separator = text[at:at + 1]
            at = _skip_space(text, at + 1)
            if separator == closing:
                break
            if separator != ",":
                raise _NotStepwise
    if _skip_space(text, at) != len(text):
        raise _NotStepwise
    return items if opening == "[" else fields


class StoredPatch:
    """Apply `change` to the current content; `answer` is then `render(patched data set)`.

    An empty patch (`[]` or `{}`) writes nothing: the instance and its ETag stay, and the
    answer is rendered from the data set as read. Safe to run again on a newer version, as a
    compare-and-swap backend may: each run starts from `current` and replaces `answer`.

    Bounded: reads within `limits`, at most `max_ops` operations, and each run's read and
    patch work within `seconds` (PatchTimeout) unless `cancelled` is set first
    (PatchCancelled).
    """

    def __init__(self, change: object, defer_size: int,
                 render: Callable[[Dataset], bytes], limits: ReadLimits = DEFAULT_LIMITS,
                 max_ops: int | None = MAX_PATCH_OPS, seconds: float | None = None,
                 cancelled: threading.Event | None = None) -> None:
        self.change = change
        self.defer_size = defer_size
        self.render = render
        self.limits = limits
        self.max_ops = max_ops
        self.seconds = seconds
        self.cancelled = cancelled
        self.answer = b""

    reads_inflated = True  # a deflated instance's inflated copy, where it has one

    def __call__(self, current: BinaryIO, out: BinaryIO, stored_inflated: bool = False
                 ) -> KeyAttributes | None:
        budget = WorkBudget(self.seconds, self.cancelled)  # the read counts too
        limits = replace(self.limits, stored_inflated=True) if stored_inflated else self.limits
        ds = read_file(current, defer_size=self.defer_size, limits=limits)
        try:
            budget.check()  # the client may have left while the file was read
            if self.change in ([], {}):
                self.answer = self.render(ds)
                return None
            apply(ds, self.change, budget=budget, max_ops=self.max_ops)
            write_checked(out, ds)
            if settle_changed_values(ds):
                self.answer = self.render(ds)
            else:
                out.seek(0)
                written = read_file(out, defer_size=self.defer_size, limits=self.limits)
                try:
                    self.answer = self.render(written)
                finally:
                    written.close()
            return from_dataset(ds)  # every indexed attribute, as the store route keeps
        finally:
            ds.close()
