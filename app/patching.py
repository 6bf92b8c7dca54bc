"""PATCH of a stored instance, parsing its file once.

`StoredPatch` is the `Rewrite` the route hands to `storage.replace`: it reads the current
file, applies the patch, writes the new file, and renders the answer from the data set the
patch produced, not from a second read of what it wrote. For that answer to be the one a read
of the new file would give, each changed value is first settled: replaced by the element its
written bytes decode to (so "Doe^Jane " answers as "Doe^Jane", an FL 0.1 as the float32 it
became, an odd-length OB with its pad byte). Group lengths are recomputed by the writer without
the data set knowing, so a data set that has any outside group 0002 (old files mostly) is
rendered from the written file instead.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import BinaryIO

from dicomcore import read_file
from dicomcore.charset import python_encodings
from dicomcore.dataelem import DataElement
from dicomcore.dataset import Dataset
from dicomcore.limits import DEFAULT_LIMITS, MAX_PATCH_OPS, ReadLimits
from dicomcore.patch import WorkBudget, apply
from dicomcore.values import encode_value, pad

from .datasets import write_checked
from .index import from_dataset
from .problems import Problem, unusable_patch
from .storage import KeyAttributes

_SPECIFIC_CHARACTER_SET = 0x00080005


def parse_patch(data: bytes) -> object:
    """The patch JSON of a request: 400 when the body is not JSON at all (a malformed
    request), 422 when it is JSON that cannot be a patch (nested too deeply to read); what
    the JSON says is checked by `dicomcore.patch` (422 for each failing operation)."""
    try:
        return json.loads(data)
    except RecursionError:
        raise unusable_patch("the patch is nested too deeply", "nested too deeply") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise Problem(400, "Bad request", f"the patch is not JSON: {exc}") from None


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

    def __call__(self, current: BinaryIO, out: BinaryIO) -> KeyAttributes | None:
        budget = WorkBudget(self.seconds, self.cancelled)  # the read counts too
        ds = read_file(current, defer_size=self.defer_size, limits=self.limits)
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


def settle_changed_values(ds: Dataset, inherited: tuple[str, ...] | None = None) -> bool:
    """Replace every changed value (at any depth) by what its written bytes read back as.

    Returns False when the data set holds a group length outside group 0002, whose written
    value only the writer knows (the answer must then come from the written file)."""
    encodings = inherited if inherited is not None else python_encodings(None)
    charset = ds.get_item(_SPECIFIC_CHARACTER_SET)
    if charset is not None:
        encodings = python_encodings(charset.value)
    settled = True
    changed = []
    for elem in ds.elements():
        if not elem.tag & 0xFFFF and elem.tag >> 16 != 2:
            settled = False
        if elem.VR == "SQ":
            for item in elem.value:
                settled = settle_changed_values(item, encodings) and settled
        elif elem.raw_value is None:
            changed.append(elem)
    for elem in changed:
        data = pad(elem.VR, encode_value(elem.VR, elem.value, True, encodings))
        ds.add(DataElement.from_raw(int(elem.tag), elem.VR, data, True, encodings,
                                    elem.file_tell))
    return settled
