"""One value of a stored instance, located for a ranged download (the `/v1` bulk route and
WADO-RS bulk data share it).

`locate_value` opens the stored file, reads its header with the service's read limits, and
asks the library where the value lives (`dicomcore.bulk.bulk_span`); the answer holds what
a response streams from (`BulkSpan.chunks`: little endian, as bulk data is, PS3.18 8.7.3.3.1)
and the `close` that releases the file once it is sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dicomcore import read_file
from dicomcore.bulk import BulkSpan, bulk_span
from dicomcore.dataset import Dataset

from .headers import byte_range
from .problems import no_such_value
from .scratch import Scratch
from .settings import Settings
from .storage import InstanceStorage
from .threads import run_in_thread
from .uploads import read_limits, stored_limits


@dataclass(frozen=True)
class LocatedValue:
    """Where a value is, the byte range asked for (None: all of it), and the ETag of the
    version it was read from; `close` releases the stored file."""

    span: BulkSpan
    part: tuple[int, int] | None
    etag: str
    close: Callable[[], None]


async def locate_value(storage: InstanceStorage, instance_id: str, tag_path: str,
                       range_header: str | None, settings: Settings, scratch: Scratch
                       ) -> LocatedValue:
    """404 for no such instance or value (a sequence has none), 416 for a range past its
    end; the stored file stays open until `close`."""
    record, fp, inflated = await run_in_thread(storage.open_for_reading, instance_id)
    ds: Dataset | None = None

    def close() -> None:
        if ds is not None:
            ds.close()
        fp.close()

    def locate() -> tuple[Dataset, BulkSpan]:
        read = read_file(fp, defer_size=settings.defer_size,
                         limits=stored_limits(read_limits(settings, scratch.directory),
                                              inflated))
        try:
            return read, bulk_span(read, tag_path)
        except (KeyError, ValueError):
            read.close()
            raise no_such_value() from None

    try:
        ds, span = await run_in_thread(locate)
        part = byte_range(range_header, span.length)
    except BaseException:
        close()
        raise
    return LocatedValue(span, part, record.etag, close)
