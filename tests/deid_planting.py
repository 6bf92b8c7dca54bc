"""Sentinels planted where the de-identification profile says nothing may stay, for the
corpus test (tests/test_deid_corpus.py) and the benchmark (benchmarks/deid.py)."""

from __future__ import annotations

import re

from dicomcore import DataElement, Dataset
from dicomcore.deid.profile import row_for
from dicomcore.sequence import Sequence

FREE_TEXT = frozenset({"LO", "SH", "ST", "LT", "UT", "UC", "PN"})
SENTINEL = re.compile(rb"ZQX\d{6}Q")


def named(tag: int) -> bool:
    """True for an element the profile acts on by name: a private data element, or a row
    of Table E.1-1."""
    return bool(tag >> 16 & 1 and tag & 0xFF00) or row_for(tag) is not None


class Planter:
    """Puts a new numbered sentinel in each free-text and UN element, at every depth; with
    `named_only`, only in the free-text elements the profile names (`named`)."""

    def __init__(self, named_only: bool = False) -> None:
        self.count = 0
        self.named_only = named_only

    def next(self) -> str:
        self.count += 1
        return f"ZQX{self.count:06d}Q"

    def plant(self, ds: Dataset) -> None:
        for elem in list(ds):
            if elem.VR == "SQ":
                for item in elem.value:
                    self.plant(item)
            elif self.named_only and not named(int(elem.tag)):
                continue
            elif elem.VR in FREE_TEXT:
                ds.add(DataElement(elem.tag, elem.VR, self.next()))
            elif elem.VR == "UN" and not self.named_only:
                ds.add(DataElement(elem.tag, "UN", self.next().encode("ascii")))

    def extras(self, ds: Dataset) -> None:
        """Identifiers every file gets: patient, a private block, a nested item."""
        ds.PatientName = self.next()
        ds.PatientID = self.next()
        ds.add_new(0x00090010, "LO", "PLANTED CREATOR")
        ds.add_new(0x00091001, "LO", self.next())
        item = Dataset(PatientName=self.next(), InstitutionName=self.next())
        item.add_new(0x00110010, "LO", "PLANTED CREATOR")
        item.add_new(0x00111001, "LT", self.next())
        ds.add_new(0x00081115, "SQ", Sequence([item]))
