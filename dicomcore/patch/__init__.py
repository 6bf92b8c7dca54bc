"""Attribute patches and selector/action edits: validated, applied all or nothing.

A patch is a JSON array of operations in the spirit of RFC 6902 (or a PS3.18 DICOM JSON
object to merge)::

    [{"op": "set", "path": "PatientName", "value": "Doe^Jane"},
     {"op": "delete", "path": "(0010,1000)"},
     {"op": "set", "path": "ReferencedStudySequence[*].ReferencedSOPInstanceUID",
      "value": "1.2.3"},
     {"op": "append", "path": "OtherPatientIDsSequence", "value": {"PatientID": "X"}},
     {"op": "remove", "path": "OtherPatientIDsSequence[0]"},
     {"op": "set", "path": "(0009,\"ACME 1.0\",04)", "vr": "LO", "value": "private"}]

`apply(ds, patch)` applies one; `apply_actions(ds, ops)` applies `(Selector, Action)` pairs
built in code. Both run on one engine (and de-identification checks its changes by the same
`checks`), with one promise: every value is
validated against its VR before anything changes, and on any failure `PatchError` lists every
failing operation (index, op, path, reason) and the data set is untouched. Elements a change
does not name are not touched at all, so a file written with `write_like_original=True`
changes only in the changed elements and the lengths around them.

The package: `paths` (the path grammar), `select` (selectors and actions), `operations` (the
patch formats, parsed into selector + action), `targets` (where a selector points, found
without changing anything), `checks` (what is validated and refused), `engine` (the
copy-on-write application), `budget` (the deadline and cancel flag the engine checks).
"""

from __future__ import annotations

from .budget import WorkBudget
from .engine import apply, apply_actions
from .errors import InvalidOperation, PatchCancelled, PatchError, PatchStopped, PatchTimeout
from .operations import Operation, parse
from .paths import PathStep, parse_path
from .select import Action, AttributeOp, Selector
from .targets import Target, find_targets

__all__ = ["apply", "apply_actions", "parse", "parse_path", "Operation", "PathStep",
           "PatchError", "InvalidOperation", "Selector", "Action", "AttributeOp", "Target",
           "find_targets", "WorkBudget", "PatchStopped", "PatchTimeout", "PatchCancelled"]
