"""Where stored instances are kept: the protocol the routes use, its errors, its backends."""

from .base import InstanceStorage, KeyAttributes, Opened, Page, Record, Rewrite
from .errors import InstanceNotFound, StaleETag, StorageError
from .filesystem import FileSystemStorage

__all__ = ["FileSystemStorage", "InstanceNotFound", "InstanceStorage", "KeyAttributes",
           "Opened", "Page", "Record", "Rewrite", "StaleETag", "StorageError"]
