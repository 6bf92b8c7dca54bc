"""Private data elements by creator: `PrivateBlock` and the data set calls that find them.

PS3.5 7.8.1: a Private Creator element (gggg,00xx), xx from 10 to FF, holds a name that
reserves the block of elements (gggg,xx00)-(gggg,xxFF) in the odd group gggg. Code that
knows a vendor's elements names them by creator and offset, never by the block number a
file happened to use. These are pydicom 3's calls, with its errors: ValueError for an even
group or an empty creator, KeyError for a creator or element that is not there.

>>> from dicomcore import Dataset
>>> ds = Dataset()
>>> block = ds.private_block(0x0041, "ACME 1.0", create=True)
>>> block.add_new(0x01, "LO", "a value")
>>> ds[0x00411001].value, ds.private_creators(0x0041), 0x01 in block
('a value', ['ACME 1.0'], True)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import dictionary
from .tag import BaseTag

if TYPE_CHECKING:
    from .dataelem import DataElement
    from .dataset import Dataset

__all__ = ["PrivateBlock", "find_private_block", "private_creators", "remove_private_tags"]

_FIRST_BLOCK = 0x10
_END_BLOCK = 0x100


class PrivateBlock:
    """The elements of one private creator in one group of a data set.

    `group` is the odd group, `private_creator` the creator's name, `dataset` the data set
    it lives in and `block_start` the first element of the block (xx00).
    """

    def __init__(self, key: tuple[int, str], dataset: Dataset, private_creator_element: int
                 ) -> None:
        self.group, self.private_creator = key
        self.dataset = dataset
        self.block_start = private_creator_element << 8

    def get_tag(self, element_offset: int) -> BaseTag:
        """The tag of the element at `element_offset` (0x00-0xFF) in this block."""
        if not 0 <= element_offset <= 0xFF:
            raise ValueError("Element offset must be less than 256")
        return BaseTag(self.group << 16 | self.block_start | element_offset)

    def __contains__(self, element_offset: int) -> bool:
        return self.get_tag(element_offset) in self.dataset

    def __getitem__(self, element_offset: int) -> DataElement:
        """The element at `element_offset`; KeyError if the data set does not hold it."""
        return self.dataset[self.get_tag(element_offset)]  # type: ignore[no-any-return]

    def __delitem__(self, element_offset: int) -> None:
        del self.dataset[self.get_tag(element_offset)]

    def add_new(self, element_offset: int, VR: str, value: Any) -> None:  # noqa: N803
        """Add (or replace) the element at `element_offset` with this VR and value."""
        tag = self.get_tag(element_offset)
        self.dataset.add_new(tag, VR, value)
        self.dataset[tag].private_creator = self.private_creator

    def __repr__(self) -> str:
        return (f"PrivateBlock(group=0x{self.group:04X}, private_creator="
                f"{self.private_creator!r}, block_start=0x{self.block_start:04X})")


def _check_group(group: int, message: str) -> None:
    if group % 2 == 0:
        raise ValueError(message)


def _creator_elements(ds: Dataset, group: int) -> list[DataElement]:
    """The Private Creator elements of `group`, in element order."""
    found = (ds.get_item(group << 16 | element) for element in range(_FIRST_BLOCK, _END_BLOCK))
    return [elem for elem in found if elem is not None]


def find_private_block(ds: Dataset, group: int, private_creator: str, create: bool = False
                       ) -> PrivateBlock:
    """The block `private_creator` reserved in `group`; with `create`, a new one in the
    first free block when there is none (`Dataset.private_block`)."""
    if not private_creator:
        raise ValueError("Private creator must have a value")
    _check_group(group, "Tag must be private if private creator is given")
    for elem in _creator_elements(ds, group):
        if elem.value == private_creator:
            return PrivateBlock((group, private_creator), ds, elem.tag & 0xFF)
    if not create:
        raise KeyError(f"Private creator '{private_creator}' not found")
    for element in range(_FIRST_BLOCK, _END_BLOCK):
        if ds.get_item(group << 16 | element) is None:
            ds.add_new(group << 16 | element, "LO", private_creator)
            return PrivateBlock((group, private_creator), ds, element)
    raise ValueError(f"group {group:04X} has no free private block left")


def private_creators(ds: Dataset, group: int) -> list[str]:
    """The creator names of the blocks of `group`, in block order."""
    _check_group(group, "Group must be an odd number")
    return [elem.value for elem in _creator_elements(ds, group)]


def private_vr_for_new(group: int, element_offset: int, private_creator: str) -> str:
    """The private dictionary's VR for a new element of `private_creator`; KeyError when
    the private dictionary does not know it (pydicom asks for the VR then)."""
    return dictionary.private_dictionary_VR(group << 16 | element_offset, private_creator)


def remove_private_tags(ds: Dataset) -> None:
    """Delete every private element of `ds` and of the items of its sequences."""
    for tag in [tag for tag in ds.tags_in_file_order() if tag >> 16 & 1]:
        del ds[tag]
    for elem in ds:
        if elem.VR == "SQ":
            for item in elem.value:
                remove_private_tags(item)
