"""The operating system's errors that are resource states, not bugs: a full disk (or quota)
and a process or system out of open files; and the index database's, which
`app.index.database` raises as these (its disk full as ENOSPC) or as `IndexUnavailable`.

One home for these errno sets: the storage falls back on a full disk where it can (a read
that cannot keep its inflated copy inflates instead), `app.problems` answers 507 and 503,
STOW-RS fails the part with 0xA700 (out of resources), the access log logs them once per
interval. A module of its own, below all of them, so none imports another to learn an errno.
"""

from __future__ import annotations

import errno

DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})
"""A write that fails with one of these found no room: 507, nothing half-written."""

OUT_OF_FILES = frozenset({errno.EMFILE, errno.ENFILE})
"""An open that fails with one of these found no file descriptor: 503, try again."""


class IndexUnavailable(OSError):
    """The index database is short of a resource that is not room (PostgreSQL's memory or
    connections), or no connection to it came in time: 503, try again. An OSError (with no
    errno), as the other resource states are, so that what handles those handles it."""


def is_resource_state(exc: BaseException) -> bool:
    """True for an OSError of a full disk or of no open files left, or an unavailable index:
    the service's state at that moment, not the request's fault nor a bug."""
    return (isinstance(exc, OSError) and exc.errno in DISK_FULL | OUT_OF_FILES
            or isinstance(exc, IndexUnavailable))
