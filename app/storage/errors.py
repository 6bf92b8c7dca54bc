"""What storage backends raise: domain errors, never HTTP ones.

`app.problems` turns each into its HTTP answer (404, 409, 412, 503); a backend never imports
it.
"""

from __future__ import annotations

from ..index.index import UidClash
from ..index.query import QueryError


class StorageError(Exception):
    """Base of the errors a storage backend raises on purpose."""


class InstanceNotFound(StorageError, LookupError):
    """No instance has this id (or the id is not one a backend could have given)."""

    def __init__(self, instance_id: str) -> None:
        super().__init__("no such instance")
        self.instance_id = instance_id


class StaleETag(StorageError):
    """A conditional change was based on a version that is no longer the current one."""

    def __init__(self, current_etag: str) -> None:
        super().__init__("the instance changed since that ETag")
        self.current_etag = current_etag


class TooBusy(StorageError):
    """A change lost its compare-and-swap race more often (or longer) than the bound."""

    def __init__(self, attempts: int) -> None:
        super().__init__(f"the instance kept changing: gave up after {attempts} attempts")
        self.attempts = attempts


class BlobMissing(StorageError, LookupError):
    """A key names no object (deleted since its row was read): the caller reads the row
    again."""


__all__ = ["BlobMissing", "InstanceNotFound", "QueryError", "StaleETag", "StorageError",
           "TooBusy", "UidClash"]
