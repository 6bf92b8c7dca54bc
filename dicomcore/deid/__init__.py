"""De-identification by the standard: the PS3.15 Basic Profile with every option, keyed.

`deidentify(ds, key=..., options=(...))` applies the Basic Application Level
Confidentiality Profile (PS3.15 Annex E, Table E.1-1, generated into `dicomcore._deidtable`)
to a data set at every depth and to its file meta, in place and all at once, and returns
a `Report` of what was removed, emptied, replaced and kept.

A secret key makes every replacement deterministic: a UID becomes the same new UID in
every file, run and machine, a patient the same pseudonym, and with
``retain-long-modified-dates`` every date of a patient moves by the same offset. No
mapping table is needed to stay consistent; `Report.mapping` and `write_map` give one
(PHI) to sites that must re-identify.

The package: `profile` (the table and options resolved to one action per element),
`keyed` (keyed values), `plan` (the walk that makes and checks every change, and commits),
`apply` (`deidentify`, the marks), `report`, `command` (the CLI's `deid`).
"""

from __future__ import annotations

from .apply import DeidentificationError, deidentify, parse_safe_private
from .keyed import Keyed
from .plan import DUMMIES
from .profile import OPTIONS, check_options
from .report import Report, write_map

__all__ = ["deidentify", "DeidentificationError", "Report", "write_map", "OPTIONS",
           "check_options", "parse_safe_private", "Keyed", "DUMMIES"]
