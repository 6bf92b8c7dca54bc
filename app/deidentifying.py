"""De-identification of a stored study into a new study in the same store.

`deidentify_study` reads every stored instance of a study, de-identifies each with one
`Keyed` (so the study's shared UIDs and pseudonyms are computed once and agree), and stores
the results as new instances only when every one of them could be de-identified: a study is
copied whole or not at all. The originals stay. Keyed replacements make the copies the same
on every run, so running it again replaces the copies it made.
"""

from __future__ import annotations

from pathlib import Path

from dicomcore import read_file
from dicomcore.deid import DeidentificationError, Keyed, Report, deidentify
from dicomcore.limits import ReadLimits

from .datasets import write_checked
from .index import KeyAttributes, from_dataset
from .problems import Problem
from .scratch import Scratch
from .storage import InstanceStorage, Record, Stored
from .uploads import stored_limits

PAGE = 1000


def study_records(storage: InstanceStorage, study: str) -> list[Record]:
    """Every stored instance of the study (paged through the index)."""
    records: list[Record] = []
    while True:
        page = storage.list(len(records), PAGE, {"StudyInstanceUID": study})
        records.extend(page.records)
        if not page.records or len(records) >= page.total:
            return records


def deidentified_copy(storage: InstanceStorage, scratch: Scratch, study: str, keyed: Keyed,
                     options: list[str], safe_private: list[str] | None,
                     allow_burned_in: bool, defer_size: int, limits: ReadLimits
                     ) -> tuple[list[Stored], list[Report]]:
    """The new instances and what was done to each; 404 for a study with no stored
    instance, 422 (nothing stored) when one instance cannot be de-identified."""
    records = study_records(storage, study)
    if not records:
        raise Problem(404, "Not found", "no stored study has this Study Instance UID")
    made: list[tuple[Path, KeyAttributes, Report]] = []
    try:
        for record in records:
            # a deflated instance's inflated copy: read, not inflated again
            opened = storage.open_for_reading(record.id)
            try:
                ds = read_file(opened.file, defer_size=defer_size,
                               limits=stored_limits(limits, opened.stored_inflated))
                try:
                    report = deidentify(ds, key=keyed, options=options,
                                        safe_private=safe_private,
                                        allow_burned_in=allow_burned_in)
                except DeidentificationError as exc:
                    raise Problem(422, "Cannot de-identify", f"instance {record.id}: {exc}",
                                  instance=record.id) from None
                path = scratch.temporary_file("deid-", lambda out, ds=ds: write_checked(out, ds))
                made.append((path, from_dataset(ds), report))
            finally:
                opened.file.close()
        return ([storage.put(path, attributes) for path, attributes, _ in made],
                [report for _, _, report in made])
    finally:
        for path, _, _ in made:
            path.unlink(missing_ok=True)  # put consumed it, or it is not wanted
