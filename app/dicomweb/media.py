"""Media types of DICOMweb: the Accept header, what may be sent for it, and multipart bodies.

PS3.18 8.7 negotiates WADO-RS answers with media ranges such as
`multipart/related; type="application/dicom"; transfer-syntax=*`. `parse_accept` splits a
header into `MediaRange`s (best first, by `q`); `choose_syntax` picks, for the stored transfer
syntax of each instance, what to send:

- `transfer-syntax=*`, or the stored syntax named: the stored bytes, unchanged;
- another uncompressed syntax (implicit/explicit little endian, explicit big endian,
  deflated) for a native instance: transcoded by the writer;
- no `transfer-syntax`: PS3.18's default, Explicit VR Little Endian (8.7.3.5.2);
- anything else (a compressed syntax the instance is not in, native from compressed): None,
  which the routes answer with 406.

`multipart_part` and `multipart_end` frame the parts of a `multipart/related` answer.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import NamedTuple

from dicomcore.uid import (
    UNCOMPRESSED_TRANSFER_SYNTAXES,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
)

EXPLICIT_LITTLE = str(ExplicitVRLittleEndian)
ANY_SYNTAX = "*"
NATIVE = frozenset(str(uid) for uid in UNCOMPRESSED_TRANSFER_SYNTAXES)
LITTLE_ENDIAN_NATIVE = NATIVE - {str(ExplicitVRBigEndian)}


class MediaRange(NamedTuple):
    """One media range of an Accept header: `type` in lower case, parameters (names in lower
    case, values unquoted) and its quality."""

    type: str
    params: dict[str, str]
    q: float

    def matches(self, media_type: str) -> bool:
        """Whether this range admits `media_type` (wildcards as in RFC 9110)."""
        main, _, sub = media_type.partition("/")
        mine, _, my_sub = self.type.partition("/")
        return mine in ("*", main) and my_sub in ("*", sub)


def _split(text: str, separator: str) -> list[str]:
    """`text` split at `separator` outside double quotes."""
    parts, current, quoted = [], [], False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == separator and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an Accept header, best first (no header: `*/*`)."""
    if not header or not header.strip():
        return [MediaRange("*/*", {}, 1.0)]
    ranges = []
    for order, item in enumerate(_split(header, ",")):
        media, *parameters = _split(item, ";")
        params: dict[str, str] = {}
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            params[name.strip().lower()] = value.strip().strip('"')
        try:
            q = float(params.pop("q", "1"))
        except ValueError:
            q = 1.0
        if media.strip() and q > 0:
            ranges.append((-q, order, MediaRange(media.strip().lower(), params, q)))
    return [entry[2] for entry in sorted(ranges)]


def part_type(media: MediaRange, default: str) -> str | None:
    """The type of the parts a `multipart/related` range asks for (`default` when it names
    none, or for `*/*` and `multipart/*`); None when the range admits no multipart."""
    if media.type == "multipart/related":
        return media.params.get("type", default).lower()
    if media.type in ("*/*", "multipart/*"):
        return default
    return None


def admits(media: MediaRange, part: str) -> bool:
    """Whether a range admits `multipart/related` parts of the type `part` (a part type of
    `*/*` or `application/*` admits it too)."""
    asked = part_type(media, part)
    return asked is not None and MediaRange(asked, {}, 1.0).matches(part)


def choose_syntax(media: MediaRange, stored: str) -> str | None:
    """The transfer syntax to send an instance stored in `stored` as, for this range (see
    the module docstring); None when it cannot be produced."""
    wanted = media.params.get("transfer-syntax", EXPLICIT_LITTLE if media.type ==
                              "multipart/related" else ANY_SYNTAX)
    if wanted in (ANY_SYNTAX, stored):
        return stored
    if wanted in NATIVE and stored in NATIVE:
        return wanted
    return None


def choose(ranges: Iterable[MediaRange], default_part: str, stored: list[str]
           ) -> tuple[str, list[str]] | None:
    """The first range (best first) that admits `multipart/related` parts of
    `default_part` and can give every stored syntax: (part type, syntax of each instance)."""
    for media in ranges:
        if not admits(media, default_part):
            continue
        syntaxes = [choose_syntax(media, syntax) for syntax in stored]
        if all(syntax is not None for syntax in syntaxes):
            return default_part, syntaxes  # type: ignore[return-value]
    return None


def new_boundary() -> str:
    return "dicomcore-" + secrets.token_hex(12)


def multipart_type(boundary: str, part: str) -> str:
    return f'multipart/related; type="{part}"; boundary={boundary}'


def multipart_part(boundary: str, content_type: str, length: int | None = None,
                   location: str | None = None) -> bytes:
    """The delimiter and headers that start one part."""
    lines = [f"--{boundary}", f"Content-Type: {content_type}"]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    if location is not None:
        lines.append(f"Content-Location: {location}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def multipart_end(boundary: str) -> bytes:
    return f"--{boundary}--\r\n".encode("latin-1")
