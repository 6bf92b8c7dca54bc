"""Where stored instances are kept: the protocol the routes use, its errors, its backends."""

from ..index.attributes import KeyAttributes
from ..index.index import Page, Record
from .base import InstanceStorage, Opened, OpenedForReading, Rewrite, Stored
from .errors import InstanceNotFound, QueryError, StaleETag, StorageError, TooBusy, UidClash
from .filesystem import FileBlobs
from .indexed import IndexedStorage
from .opening import close_all, open_storage

__all__ = ["FileBlobs", "IndexedStorage", "InstanceNotFound", "InstanceStorage",
           "KeyAttributes", "Opened", "OpenedForReading", "Page", "QueryError", "Record",
           "Rewrite", "StaleETag", "Stored", "StorageError", "TooBusy", "UidClash", "close_all",
           "open_storage"]
