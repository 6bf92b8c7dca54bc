"""What a write will do, decided before a byte is written: encoding, file meta, checks.

`plan_write` turns `dcmwrite`'s arguments into a `WritePlan` (or a ValueError naming the
problem); `file_meta_to_write` gives the group 0002 elements the plan writes. The encoding
comes from, in this order (pydicom 3's, with this library's `transfer_syntax=` first):

1. `transfer_syntax=`: transcode to that syntax;
2. the file meta's Transfer Syntax UID (for a data set written like the file it was read
   from, the encoding it was really read in, when the reader had to detect it);
3. `implicit_vr` and `little_endian` (`little_endian` defaults to True with `implicit_vr`);
4. the data set's `is_implicit_VR` and `is_little_endian`;
5. its `original_encoding`.

Arguments that contradict the syntax of 1 or 2 are a ValueError; `force_encoding=True`
uses them anyway (and needs both). The three modes of the file meta:

- like the original: the preamble and meta group only if the data set had them;
- `write_like_original=False` (this library's first API): a preamble, and a complete meta
  group made afresh with this library's Implementation Class UID and version name;
- `enforce_file_format=True` (pydicom 3's rules): a preamble, the meta group as it is with
  what PS3.10 7.1 requires added or brought up to date (Media Storage SOP Class and
  Instance UID from the data set, the Transfer Syntax UID, and this library's
  implementation UID only where there is none); group 0000 or 0002 elements in the data set
  body are refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .dataelem import DataElement
from .dataset import Dataset, FileMetaDataset
from .tag import TRANSFER_SYNTAX_UID, Tag
from .uid import (
    IMPLEMENTATION_CLASS_UID,
    IMPLEMENTATION_VERSION_NAME,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
)
from .uid import transfer_syntax as lookup_transfer_syntax

__all__ = ["WritePlan", "plan_write", "file_meta_to_write", "complete_file_meta",
           "MissingFileMetaError", "syntax_for_encoding"]

_MEDIA_STORAGE = ((0x00020002, 0x00080016, "SOPClassUID"),
                  (0x00020003, 0x00080018, "SOPInstanceUID"))
_VERSION = 0x00020001
_IMPLEMENTATION_UID = 0x00020012
_IMPLEMENTATION_VERSION = 0x00020013


class MissingFileMetaError(ValueError, AttributeError):
    """A conformant file meta cannot be made: a required UID is missing. A ValueError, and
    an AttributeError because that is what pydicom raises there."""


@dataclass(frozen=True)
class WritePlan:
    """How `dcmwrite` writes one data set (see the module docstring)."""

    like_original: bool
    enforce_file_format: bool
    requested: str | None  # transfer_syntax=: transcode
    uid: str | None  # the Transfer Syntax UID the file meta says
    implicit: bool
    little: bool
    deflated: bool


def syntax_for_encoding(implicit: bool, little: bool) -> str:
    """The uncompressed transfer syntax of an encoding; ValueError for implicit big endian."""
    for uid, flags in ((ImplicitVRLittleEndian, (True, True)),
                       (ExplicitVRLittleEndian, (False, True)),
                       (ExplicitVRBigEndian, (False, False))):
        if flags == (implicit, little):
            return uid
    raise ValueError("Implicit VR and big endian is not a valid encoding combination")


def plan_write(ds: Dataset, like_original: bool, requested: str | None,
               implicit_vr: bool | None, little_endian: bool | None, force_encoding: bool,
               enforce_file_format: bool) -> WritePlan:
    """Decide how `ds` is written; ValueError for arguments or data that cannot be written."""
    if force_encoding and enforce_file_format:
        raise ValueError("'force_encoding' cannot be used with 'enforce_file_format'")
    if force_encoding and (implicit_vr is None or little_endian is None):
        raise ValueError("'implicit_vr' and 'little_endian' are required if 'force_encoding' "
                         "is used")
    if implicit_vr is not None and little_endian is None:
        little_endian = True
    preamble = getattr(ds, "preamble", None)
    if preamble is not None and len(preamble) != 128:
        raise ValueError(f"'{type(ds).__name__}.preamble' must be 128-bytes long")
    if enforce_file_format:
        _refuse_meta_in_body(ds)
    meta = getattr(ds, "file_meta", None)
    uid, implicit, little, deflated = _syntax(ds, meta, requested, like_original,
                                              (implicit_vr, little_endian))
    if force_encoding:
        implicit, little = bool(implicit_vr), bool(little_endian)
    elif uid is not None:
        _check_arguments(uid, implicit, little, implicit_vr, little_endian)
    return WritePlan(like_original, enforce_file_format, requested, uid, implicit, little,
                     deflated)


def _refuse_meta_in_body(ds: Dataset) -> None:
    groups = {tag >> 16 for tag in ds.tags_in_file_order() if tag >> 16 in (0, 2)}
    if 0 in groups:
        raise ValueError("Command Set elements (0000,eeee) are not allowed when using "
                         "dcmwrite(), use write_dataset() instead")
    if 2 in groups:
        raise ValueError("File Meta Information Group elements (0002,eeee) must be in a "
                         f"FileMetaDataset instance in the '{type(ds).__name__}.file_meta' "
                         "attribute")


def _check_arguments(uid: str, implicit: bool, little: bool, implicit_vr: bool | None,
                     little_endian: bool | None) -> None:
    name = lookup_transfer_syntax(uid).name
    if implicit_vr is not None and implicit_vr != implicit:
        raise ValueError(f"The 'implicit_vr' value is not consistent with the required VR "
                         f"encoding for the '{name}' transfer syntax")
    if little_endian is not None and little_endian != little:
        raise ValueError(f"The 'little_endian' value is not consistent with the required "
                         f"endianness for the '{name}' transfer syntax")


def _syntax(ds: Dataset, meta: Dataset | None, requested: str | None, like_original: bool,
            arguments: tuple[bool | None, bool | None]) -> tuple[str | None, bool, bool, bool]:
    """(Transfer Syntax UID or None, implicit, little, deflated)."""
    ts_elem = meta.get_item(TRANSFER_SYNTAX_UID) if meta is not None else None
    meta_uid = str(ts_elem.value or "").rstrip("\0 ") or None if ts_elem is not None else None
    as_read = ts_elem is None or ts_elem.raw_value is not None
    if requested is None and like_original and as_read and ds.is_implicit_VR is not None \
            and ds.is_little_endian is not None and getattr(ds, "preamble", 0) != 0:
        # A data set read from a file: written in the encoding it was read in, which the
        # reader may have had to detect against what the file meta said (a Transfer Syntax
        # UID the user has set since is followed: the data set is transcoded).
        ts = lookup_transfer_syntax(meta_uid) if meta_uid else None
        if ts is None or (ts.is_implicit_VR, ts.is_little_endian) != (ds.is_implicit_VR,
                                                                      ds.is_little_endian):
            return meta_uid, ds.is_implicit_VR, ds.is_little_endian, False
    uid = requested if requested is not None else meta_uid
    if uid is not None:
        ts = lookup_transfer_syntax(uid)
        return ts.uid, ts.is_implicit_VR, ts.is_little_endian, ts.is_deflated
    for implicit, little in (arguments, (ds.is_implicit_VR, ds.is_little_endian),
                             ds.original_encoding):
        if implicit is not None and little is not None:
            return syntax_for_encoding(implicit, little), implicit, little, False
    raise ValueError("Unable to determine the encoding to use for writing the dataset: "
                     "there is no Transfer Syntax UID in file_meta, and neither the "
                     "'implicit_vr' and 'little_endian' arguments nor is_implicit_VR / "
                     "is_little_endian are set")


def file_meta_to_write(ds: Dataset, plan: WritePlan) -> Dataset | None:
    """The group 0002 elements to write, in tag order where made here; None for none."""
    meta = getattr(ds, "file_meta", None)
    if plan.enforce_file_format:
        return _enforced_meta(ds, meta, plan.uid)
    if not plan.like_original:
        return _fresh_meta(ds, meta, plan.uid)
    if meta is None or not len(meta):
        return None
    if plan.requested is None:
        return meta
    copy = Dataset(meta)
    copy.add(DataElement(TRANSFER_SYNTAX_UID, "UI", plan.uid))
    return copy


def _media_storage_uid(ds: Dataset, meta: Dataset | None, meta_tag: int, ds_tag: int,
                       keyword: str) -> Any:
    """The data set's SOP Class or Instance UID, else (pydicom's rule, `meta` given) the file
    meta's; MissingFileMetaError when there is none."""
    elem = ds.get_item(ds_tag)
    value = elem.value if elem is not None else None
    if not value and meta is not None:
        kept = meta.get_item(meta_tag)
        value = kept.value if kept is not None else None
    if not value:
        raise MissingFileMetaError(f"cannot write a standard file: the data set has no "
                                   f"{keyword} {Tag(ds_tag)} for the file meta")
    return value


def _fresh_meta(ds: Dataset, meta: Dataset | None, uid: str | None) -> Dataset:
    """PS3.10 7.1: the file meta elements a standard file needs, from the data set."""
    out = FileMetaDataset()
    out.add(DataElement(_VERSION, "OB", b"\0\1"))
    for meta_tag, ds_tag, keyword in _MEDIA_STORAGE:
        # This library's first rule: from the data set only.
        out.add(DataElement(meta_tag, "UI", _media_storage_uid(ds, None, meta_tag, ds_tag,
                                                               keyword)))
    out.add(DataElement(TRANSFER_SYNTAX_UID, "UI", uid))
    out.add(DataElement(_IMPLEMENTATION_UID, "UI", IMPLEMENTATION_CLASS_UID))
    out.add(DataElement(_IMPLEMENTATION_VERSION, "SH", IMPLEMENTATION_VERSION_NAME))
    if meta is not None:
        for elem in meta:
            if elem.tag > _IMPLEMENTATION_VERSION and elem.tag >> 16 == 2:
                out.add(elem)
    return FileMetaDataset(list(out))  # ascending tag order


def _enforced_meta(ds: Dataset, meta: Dataset | None, uid: str | None) -> Dataset:
    """pydicom 3's conformant meta: the elements present kept, the required ones added."""
    out = FileMetaDataset()
    if meta is not None:
        for elem in meta:
            if elem.tag >> 16 != 2:
                raise ValueError("Only File Meta Information group (0002,eeee) elements may "
                                 "be present in 'file_meta'.")
            if elem.tag != 0x00020000:
                out.add(elem)
    for meta_tag, ds_tag, keyword in _MEDIA_STORAGE:
        value = _media_storage_uid(ds, meta, meta_tag, ds_tag, keyword)
        kept = out.get_item(meta_tag)
        if kept is None or kept.value != value:
            out.add(DataElement(meta_tag, "UI", value))
    kept = out.get_item(TRANSFER_SYNTAX_UID)
    if uid is not None and (kept is None or kept.value != uid):
        out.add(DataElement(TRANSFER_SYNTAX_UID, "UI", uid))
    complete_file_meta(out)
    return FileMetaDataset(list(out))


def _absent(meta: Dataset, tag: int) -> bool:
    elem = meta.get_item(tag)
    return elem is None or elem.is_empty


def complete_file_meta(meta: Dataset) -> None:
    """Add to `meta`, in place, what PS3.10 7.1 requires and a writer supplies (version,
    implementation UID and name, where absent); `MissingFileMetaError` names the required
    UIDs only the data set can give (pydicom's `validate_file_meta(enforce_standard=True)`)."""
    if _absent(meta, _VERSION):
        meta.add(DataElement(_VERSION, "OB", b"\0\1"))
    if _absent(meta, _IMPLEMENTATION_UID):
        meta.add(DataElement(_IMPLEMENTATION_UID, "UI", IMPLEMENTATION_CLASS_UID))
    if meta.get_item(_IMPLEMENTATION_VERSION) is None:
        meta.add(DataElement(_IMPLEMENTATION_VERSION, "SH", IMPLEMENTATION_VERSION_NAME))
    missing = [str(Tag(tag)) for tag in (0x00020002, 0x00020003, TRANSFER_SYNTAX_UID)
               if _absent(meta, tag)]
    if missing:
        raise MissingFileMetaError("Required File Meta Information elements are either "
                                   f"missing or have an empty value: {', '.join(missing)}")
