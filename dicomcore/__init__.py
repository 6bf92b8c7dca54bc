"""dicomcore: read, write and edit DICOM files in pure Python, with pydicom's API.

>>> import dicomcore
>>> ds = dicomcore.dcmread(path)                         # doctest: +SKIP
>>> ds.PatientName, ds[0x0010, 0x0020].value            # doctest: +SKIP
"""

from .dataelem import DataElement
from .dataset import Dataset, FileDataset, FileMetaDataset
from .errors import DeferredValueError, InvalidDicomError
from .filereader import dcmread, open_dicom, read_dataset, read_file, read_partial
from .filewriter import dcmwrite, write_file
from .sequence import Sequence
from .tag import Tag
from .uid import UID
from .valuerep import DS, IS, MultiValue, PersonName

__version__ = "0.1.0"

__all__ = [
    "DataElement",
    "Dataset",
    "DeferredValueError",
    "DS",
    "FileDataset",
    "FileMetaDataset",
    "InvalidDicomError",
    "IS",
    "MultiValue",
    "PersonName",
    "Sequence",
    "Tag",
    "UID",
    "dcmread",
    "dcmwrite",
    "open_dicom",
    "read_dataset",
    "read_file",
    "read_partial",
    "write_file",
    "__version__",
]
