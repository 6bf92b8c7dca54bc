"""The exceptions and warnings that more than one module raises, and what bad input gets.

`InvalidDicomError` is what bad input gets: it names the byte offset and the tag where
reading went wrong, so a caller (or the HTTP service) can say exactly what is broken.
Errors of one module's own job live with it: `charset.CharsetEncodeError`,
`patch.PatchError` and `patch.InvalidOperation`.
"""

from __future__ import annotations

__all__ = ["InvalidDicomError", "DeferredValueError", "DicomWarning", "EncodeError",
           "TruncatedFileWarning", "BytesLengthException"]


class InvalidDicomError(Exception):
    """The bytes are not DICOM, or are DICOM broken beyond a documented recovery.

    `offset` is the byte offset in the file (or stream) where the problem was found and
    `tag` the element being read there, when known.
    """

    def __init__(self, message: str = "The specified file is not a valid DICOM file.",
                 offset: int | None = None, tag: int | None = None) -> None:
        self.reason = message
        self.offset = offset
        self.tag = tag
        where = []
        if tag is not None:
            where.append(f"tag ({tag >> 16:04X},{tag & 0xFFFF:04X})")
        if offset is not None:
            where.append(f"offset {offset}")
        super().__init__(f"{message} [{', '.join(where)}]" if where else message)


class BytesLengthException(ValueError):
    """Bytes that are not a whole number of values of their size (pydicom's name; also a
    ValueError here)."""


class DeferredValueError(OSError):
    """A deferred value can no longer be read: its file has gone, changed or was closed."""


class DicomWarning(UserWarning):
    """A recovery from malformed input that kept reading."""


class TruncatedFileWarning(DicomWarning):
    """The file ended before a value or sequence it declared: what was read is kept."""


class EncodeError(ValueError):
    """A value cannot be encoded for its VR or character set; names the element."""

    def __init__(self, tag: int, keyword: str, reason: str) -> None:
        self.tag = tag
        self.keyword = keyword
        name = f" {keyword}" if keyword else ""
        super().__init__(f"cannot encode ({tag >> 16:04X},{tag & 0xFFFF:04X}){name}: {reason}")
