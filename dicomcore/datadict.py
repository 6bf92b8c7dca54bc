"""pydicom's `datadict` names for the data dictionary, so that `from pydicom.datadict import
keyword_for_tag` becomes `from dicomcore.datadict import keyword_for_tag`.

The look-ups live in `dictionary` (generated tables); this module only names them where
pydicom users look. pydicom's `add_dict_entries` and `add_private_dict_entries` are not here:
they change a process-wide table, which this library does not have.

>>> keyword_for_tag(0x00100010), dictionary_VR("PatientName"), tag_for_keyword("Rows")
('PatientName', 'PN', 2621456)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import dictionary
from .dictionary import repeater_has_keyword, tag_for_keyword
from .tag import Tag

__all__ = ["dictionary_VR", "dictionary_VM", "dictionary_description", "dictionary_keyword",
           "dictionary_has_tag", "dictionary_is_retired", "get_entry", "get_private_entry",
           "keyword_for_tag", "tag_for_keyword", "private_dictionary_VR",
           "private_dictionary_VM", "private_dictionary_description", "repeater_has_keyword",
           "repeater_has_tag"]


def _any_tag(lookup: Callable[..., Any], public: bool = True) -> Callable[..., Any]:
    """`lookup` taking a tag in any form `Tag` takes (an int, a pair, a keyword), as pydicom's
    functions do. A public look-up of a Private Creator is a KeyError there: the dictionary
    here knows it is LO, pydicom's does not list it."""
    def by_any_tag(tag: Any, *args: Any) -> Any:
        tag = Tag(tag)
        if public and tag.is_private_creator:
            raise KeyError(f"Tag {tag} not found in the DICOM dictionary")
        return lookup(tag, *args)

    by_any_tag.__name__ = lookup.__name__
    by_any_tag.__doc__ = lookup.__doc__
    return by_any_tag


dictionary_VR = _any_tag(dictionary.dictionary_VR)
dictionary_VM = _any_tag(dictionary.dictionary_VM)
dictionary_description = _any_tag(dictionary.dictionary_description)
dictionary_keyword = _any_tag(dictionary.dictionary_keyword)
dictionary_is_retired = _any_tag(dictionary.dictionary_is_retired)
keyword_for_tag = _any_tag(dictionary.keyword_for_tag, public=False)
repeater_has_tag = _any_tag(dictionary.repeater_has_tag, public=False)
get_private_entry = _any_tag(dictionary.get_private_entry, public=False)
private_dictionary_VR = _any_tag(dictionary.private_dictionary_VR, public=False)
private_dictionary_VM = _any_tag(dictionary.private_dictionary_VM, public=False)
private_dictionary_description = _any_tag(dictionary.private_dictionary_description,
                                          public=False)


def dictionary_has_tag(tag: Any) -> bool:
    """Whether the dictionary has the tag (False for text that names no tag, as pydicom)."""
    try:
        tag = Tag(tag)
    except ValueError:
        return False
    return not tag.is_private_creator and dictionary.dictionary_has_tag(tag)


def get_entry(tag: Any) -> tuple[str, str, str, str, str]:
    """pydicom's entry of a tag: (VR, VM, name, "Retired" or "", keyword); KeyError if
    unknown."""
    vr, vm, name, keyword, retired = _any_tag(dictionary.get_entry)(tag)
    return vr, vm, name, "Retired" if retired else "", keyword
