"""Changed values as a read of the written file would give them.

A value set in memory and the same value read back after writing can differ: text loses its
trailing spaces ("Doe^Jane " reads as "Doe^Jane"), an FL of 0.1 becomes the float32 it was
stored as, an odd-length OB gains its pad byte. `settle_changed_values` replaces every
changed element by the element its encoded bytes decode to, so a caller that has just
written a data set can answer from memory what a second parse of the file would answer
(the service's PATCH does). Only changed elements cost anything.

Group lengths outside group 0002 are recomputed by the writer without the data set knowing:
for a data set that holds any, the function says so (False) and such a caller must read the
written file instead. In implicit-VR data an element whose VR no dictionary knows reads back
as UN; settling keeps the VR it was given.

>>> from dicomcore import Dataset
>>> ds = Dataset(PatientName="Doe^Jane ", PatientID="12 ")
>>> settle_changed_values(ds), ds.PatientID
(True, '12')
"""

from __future__ import annotations

from .charset import python_encodings
from .dataelem import DataElement
from .dataset import Dataset
from .tag import SPECIFIC_CHARACTER_SET
from .values import encode_value, pad

__all__ = ["settle_changed_values"]


def settle_changed_values(ds: Dataset, inherited: tuple[str, ...] | None = None) -> bool:
    """Replace every changed value (at any depth) by what its written bytes read back as;
    False when the data set holds a group length outside group 0002 (see the module)."""
    encodings = inherited if inherited is not None else python_encodings(None)
    charset = ds.get_item(SPECIFIC_CHARACTER_SET)
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
