"""`DicomBytesIO`: an in-memory file that says which encoding is written to it.

pydicom's element-level writers (`filewriter.write_dataset`, `write_data_element`) take the
encoding from the file object they write to; code written for them builds a
`DicomBytesIO` and sets `is_little_endian` and `is_implicit_VR` first.

>>> from dicomcore.dataelem import DataElement
>>> from dicomcore.filewriter import write_data_element
>>> fp = DicomBytesIO()
>>> fp.is_little_endian, fp.is_implicit_VR = True, False
>>> write_data_element(fp, DataElement(0x00100020, "LO", "12"))
>>> fp.getvalue()
b'\\x10\\x00 \\x00LO\\x02\\x0012'
"""

from __future__ import annotations

import io
from typing import Any

__all__ = ["DicomBytesIO"]


class DicomBytesIO(io.BytesIO):
    """A `BytesIO` with the `is_little_endian` and `is_implicit_VR` of what it holds (None
    until set)."""

    def __init__(self, initial_bytes: bytes = b"", *args: Any) -> None:
        super().__init__(initial_bytes, *args)
        self.is_little_endian: bool | None = None
        self.is_implicit_VR: bool | None = None  # noqa: N815 - pydicom's name
