"""The request headers the routes read, parsed once each: Content-Type, If-Match and Range."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Header, Request
from python_multipart.multipart import parse_options_header

from .problems import Problem

IfMatch = Annotated[str | None, Header(description="the ETag the change is based on")]
_RANGE = re.compile(r"bytes=(\d*)-(\d*)", re.ASCII)
_DIGITS = 18  # longer numbers are past any value's end: never given to int() (its digit limit)


def content_type(request: Request) -> tuple[str, dict[bytes, bytes]]:
    """The media type (lower case, without parameters) and the parameters."""
    media, options = parse_options_header(request.headers.get("content-type", ""))
    return media.decode("latin-1").lower(), options


def media_type(request: Request) -> str:
    return content_type(request)[0]


def expected_etags(if_match: str | None) -> frozenset[str] | None:
    """The ETags an If-Match header accepts; None for no header or `*` (any version).

    Kept as written, so a weak `W/"..."` tag never equals a stored strong one: If-Match
    compares strongly (RFC 9110 13.1.1)."""
    if if_match is None:
        return None
    candidates = frozenset(c.strip() for c in if_match.split(","))
    return None if "*" in candidates else candidates


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(start, end exclusive) of a single `bytes=` range of a value of `size` bytes; None for
    the whole value (no header, several ranges or one not understood: RFC 9110 says serve all).
    A range that starts past the end is a 416 problem."""
    match = _RANGE.fullmatch(header.strip()) if header else None
    if match is None or match.group(1) == match.group(2) == "":
        return None
    first, last = match.groups()
    if len(first) > _DIGITS:
        first = str(size)  # past the end: 416 below
    if len(last) > _DIGITS:
        last = str(size)  # a suffix or an end past the end: the value up to its end
    if first == "":
        start, end = max(size - int(last), 0), size
    else:
        start = int(first)
        end = int(last) + 1 if last else size
    if start >= size or start >= end:
        raise Problem(416, "Range not satisfiable", f"the value has {size} bytes",
                      headers={"Content-Range": f"bytes */{size}"}, size=size)
    return start, min(end, size)
