"""The service's few dealings with data sets beyond reading: the attributes a record keeps,
and writing with what the writer refuses turned into a problem."""

from __future__ import annotations

from typing import BinaryIO

from dicomcore import write_file
from dicomcore.dataset import Dataset
from dicomcore.errors import EncodeError
from dicomcore.patch import PatchError

from .problems import cannot_write
from .queries import TransferSyntax
from .storage import KeyAttributes


def key_attributes(ds: Dataset) -> KeyAttributes:
    """The listing's attributes of a data set (None for absent or empty ones)."""
    def text(keyword: str) -> str | None:
        value = ds.get(keyword)
        return str(value) if value not in (None, "") else None

    return KeyAttributes(sop_instance_uid=text("SOPInstanceUID"),
                         sop_class_uid=text("SOPClassUID"),
                         study_instance_uid=text("StudyInstanceUID"),
                         series_instance_uid=text("SeriesInstanceUID"),
                         modality=text("Modality"))


def write_checked(out: BinaryIO, ds: Dataset, write_like_original: bool = True,
                  transfer_syntax: TransferSyntax | None = None) -> None:
    """write_file, with what the writer refuses as a 422 problem."""
    try:
        write_file(out, ds, write_like_original,
                   transfer_syntax.value if transfer_syntax else None)
    except (EncodeError, PatchError):
        raise  # mapped by type in app.problems
    except ValueError as exc:
        raise cannot_write(exc) from None
