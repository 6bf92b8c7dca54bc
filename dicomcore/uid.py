"""UIDs and the transfer syntax table (PS3.5 section 10 and Annex A, PS3.6 Table A-1).

`TransferSyntax` says how a data set is encoded: implicit or explicit VR, byte order,
deflated, encapsulated. `transfer_syntax(uid)` looks one up; an unknown UID gives an
explicit-VR little-endian encapsulated guess, which is what an unknown (newer) compressed
syntax almost always is.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "UID",
    "TransferSyntax",
    "TRANSFER_SYNTAXES",
    "transfer_syntax",
    "ImplicitVRLittleEndian",
    "ExplicitVRLittleEndian",
    "ExplicitVRBigEndian",
    "DeflatedExplicitVRLittleEndian",
    "UNCOMPRESSED_TRANSFER_SYNTAXES",
    "IMPLEMENTATION_CLASS_UID",
    "IMPLEMENTATION_VERSION_NAME",
]


class UID(str):
    """A UID string that knows its transfer syntax properties and registered name."""

    __slots__ = ()

    @property
    def name(self) -> str:
        ts = TRANSFER_SYNTAXES.get(str(self))
        return ts.name if ts else str(self)

    @property
    def is_transfer_syntax(self) -> bool:
        return str(self) in TRANSFER_SYNTAXES

    @property
    def is_implicit_VR(self) -> bool:  # noqa: N802 - pydicom's public name
        return transfer_syntax(self).is_implicit_VR

    @property
    def is_little_endian(self) -> bool:
        return transfer_syntax(self).is_little_endian

    @property
    def is_deflated(self) -> bool:
        return transfer_syntax(self).is_deflated

    @property
    def is_encapsulated(self) -> bool:
        return transfer_syntax(self).is_encapsulated

    @property
    def is_compressed(self) -> bool:
        return transfer_syntax(self).is_encapsulated

    @property
    def is_valid(self) -> bool:
        """PS3.5 9.1: digits and dots, no leading zero in a component, at most 64 chars."""
        s = str(self)
        if not s or len(s) > 64:
            return False
        return all(part.isdigit() and (part == "0" or not part.startswith("0"))
                   for part in s.split("."))


@dataclass(frozen=True, slots=True)
class TransferSyntax:
    uid: str
    name: str
    is_implicit_VR: bool  # noqa: N815 - pydicom's name
    is_little_endian: bool
    is_deflated: bool = False
    is_encapsulated: bool = False
    is_retired: bool = False


def _ts(uid: str, name: str, **flags: bool) -> TransferSyntax:
    return TransferSyntax(uid, name, flags.pop("implicit", False), flags.pop("little", True), **flags)


_TABLE = [
    _ts("1.2.840.10008.1.2", "Implicit VR Little Endian", implicit=True),
    _ts("1.2.840.10008.1.2.1", "Explicit VR Little Endian"),
    _ts("1.2.840.10008.1.2.1.98", "Encapsulated Uncompressed Explicit VR Little Endian",
        is_encapsulated=True),
    _ts("1.2.840.10008.1.2.1.99", "Deflated Explicit VR Little Endian", is_deflated=True),
    _ts("1.2.840.10008.1.2.2", "Explicit VR Big Endian", little=False, is_retired=True),
    _ts("1.2.840.10008.1.2.4.50", "JPEG Baseline (Process 1)", is_encapsulated=True),
    _ts("1.2.840.10008.1.2.4.51", "JPEG Extended (Process 2 and 4)", is_encapsulated=True),
    _ts("1.2.840.10008.1.2.4.52", "JPEG Extended (Process 3 and 5)", is_encapsulated=True,
        is_retired=True),
    _ts("1.2.840.10008.1.2.4.53", "JPEG Spectral Selection, Non-Hierarchical (Process 6 and 8)",
        is_encapsulated=True, is_retired=True),
    _ts("1.2.840.10008.1.2.4.54", "JPEG Spectral Selection, Non-Hierarchical (Process 7 and 9)",
        is_encapsulated=True, is_retired=True),
    _ts("1.2.840.10008.1.2.4.55", "JPEG Full Progression, Non-Hierarchical (Process 10 and 12)",
        is_encapsulated=True, is_retired=True),
    _ts("1.2.840.10008.1.2.4.56", "JPEG Full Progression, Non-Hierarchical (Process 11 and 13)",
        is_encapsulated=True, is_retired=True),
    _ts("1.2.840.10008.1.2.4.57", "JPEG Lossless, Non-Hierarchical (Process 14)",
        is_encapsulated=True),
    _ts("1.2.840.10008.1.2.4.58", "JPEG Lossless, Non-Hierarchical (Process 15)",
        is_encapsulated=True, is_retired=True),
    _ts("1.2.840.10008.1.2.4.59", "JPEG Extended, Hierarchical (Process 16 and 18)",
        is_encapsulated=True, is_retired=True),
    _ts("1.2.840.10008.1.2.4.60", "JPEG Extended, Hierarchical (Process 17 and 19)",
        is_encapsulated=True, is_retired=True),
    _ts("1.2.840.10008.1.2.4.61", "JPEG Spectral Selection, Hierarchical (Process 20 and 22)",
        is_encapsulated=True, is_retired=True),
    _ts("1.2.840.10008.1.2.4.62", "JPEG Spectral Selection, Hierarchical (Process 21 and 23)",
        is_encapsulated=True, is_retired=True),
    _ts("1.2.840.10008.1.2.4.63", "JPEG Full Progression, Hierarchical (Process 24 and 26)",
        is_encapsulated=True, is_retired=True),
    _ts("1.2.840.10008.1.2.4.64", "JPEG Full Progression, Hierarchical (Process 25 and 27)",
        is_encapsulated=True, is_retired=True),
    _ts("1.2.840.10008.1.2.4.65", "JPEG Lossless, Hierarchical (Process 28)",
        is_encapsulated=True, is_retired=True),
    _ts("1.2.840.10008.1.2.4.66", "JPEG Lossless, Hierarchical (Process 29)",
        is_encapsulated=True, is_retired=True),
    _ts("1.2.840.10008.1.2.4.70",
        "JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])",
        is_encapsulated=True),
    _ts("1.2.840.10008.1.2.4.80", "JPEG-LS Lossless Image Compression", is_encapsulated=True),
    _ts("1.2.840.10008.1.2.4.81", "JPEG-LS Lossy (Near-Lossless) Image Compression",
        is_encapsulated=True),
    _ts("1.2.840.10008.1.2.4.90", "JPEG 2000 Image Compression (Lossless Only)",
        is_encapsulated=True),
    _ts("1.2.840.10008.1.2.4.91", "JPEG 2000 Image Compression", is_encapsulated=True),
    _ts("1.2.840.10008.1.2.4.92",
        "JPEG 2000 Part 2 Multi-component Image Compression (Lossless Only)",
        is_encapsulated=True),
    _ts("1.2.840.10008.1.2.4.93", "JPEG 2000 Part 2 Multi-component Image Compression",
        is_encapsulated=True),
    _ts("1.2.840.10008.1.2.4.94", "JPIP Referenced"),
    _ts("1.2.840.10008.1.2.4.95", "JPIP Referenced Deflate", is_deflated=True),
    _ts("1.2.840.10008.1.2.4.100", "MPEG2 Main Profile / Main Level", is_encapsulated=True),
    _ts("1.2.840.10008.1.2.4.100.1", "Fragmentable MPEG2 Main Profile / Main Level",
        is_encapsulated=True),
    _ts("1.2.840.10008.1.2.4.101", "MPEG2 Main Profile / High Level", is_encapsulated=True),
    _ts("1.2.840.10008.1.2.4.101.1", "Fragmentable MPEG2 Main Profile / High Level",
        is_encapsulated=True),
    _ts("1.2.840.10008.1.2.4.102", "MPEG-4 AVC/H.264 High Profile / Level 4.1",
        is_encapsulated=True),
    _ts("1.2.840.10008.1.2.4.102.1", "Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.1",
        is_encapsulated=True),
    _ts("1.2.840.10008.1.2.4.103", "MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1",
        is_encapsulated=True),
    _ts("1.2.840.10008.1.2.4.103.1",
        "Fragmentable MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1",
        is_encapsulated=True),
    _ts("1.2.840.10008.1.2.4.104", "MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video",
        is_encapsulated=True),
    _ts("1.2.840.10008.1.2.4.104.1",
        "Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video",
        is_encapsulated=True),
    _ts("1.2.840.10008.1.2.4.105", "MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video",
        is_encapsulated=True),
    _ts("1.2.840.10008.1.2.4.105.1",
        "Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video",
        is_encapsulated=True),
    _ts("1.2.840.10008.1.2.4.106", "MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2",
        is_encapsulated=True),
    _ts("1.2.840.10008.1.2.4.106.1",
        "Fragmentable MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2", is_encapsulated=True),
    _ts("1.2.840.10008.1.2.4.107", "HEVC/H.265 Main Profile / Level 5.1", is_encapsulated=True),
    _ts("1.2.840.10008.1.2.4.108", "HEVC/H.265 Main 10 Profile / Level 5.1",
        is_encapsulated=True),
    _ts("1.2.840.10008.1.2.4.110", "JPEG XL Lossless", is_encapsulated=True),
    _ts("1.2.840.10008.1.2.4.111", "JPEG XL JPEG Recompression", is_encapsulated=True),
    _ts("1.2.840.10008.1.2.4.112", "JPEG XL", is_encapsulated=True),
    _ts("1.2.840.10008.1.2.4.201", "High-Throughput JPEG 2000 Image Compression (Lossless Only)",
        is_encapsulated=True),
    _ts("1.2.840.10008.1.2.4.202",
        "High-Throughput JPEG 2000 with RPCL Options Image Compression (Lossless Only)",
        is_encapsulated=True),
    _ts("1.2.840.10008.1.2.4.203", "High-Throughput JPEG 2000 Image Compression",
        is_encapsulated=True),
    _ts("1.2.840.10008.1.2.4.204", "JPIP HTJ2K Referenced"),
    _ts("1.2.840.10008.1.2.4.205", "JPIP HTJ2K Referenced Deflate", is_deflated=True),
    _ts("1.2.840.10008.1.2.5", "RLE Lossless", is_encapsulated=True),
    _ts("1.2.840.10008.1.2.6.1", "RFC 2557 MIME encapsulation", is_retired=True),
    _ts("1.2.840.10008.1.2.6.2", "XML Encoding", is_retired=True),
    _ts("1.2.840.10008.1.2.7.1", "SMPTE ST 2110-20 Uncompressed Progressive Active Video"),
    _ts("1.2.840.10008.1.2.7.2", "SMPTE ST 2110-20 Uncompressed Interlaced Active Video"),
    _ts("1.2.840.10008.1.2.7.3", "SMPTE ST 2110-30 PCM Digital Audio"),
    _ts("1.2.840.10008.1.20", "Papyrus 3 Implicit VR Little Endian", implicit=True,
        is_retired=True),
]

TRANSFER_SYNTAXES: dict[str, TransferSyntax] = {ts.uid: ts for ts in _TABLE}

ImplicitVRLittleEndian = UID("1.2.840.10008.1.2")
ExplicitVRLittleEndian = UID("1.2.840.10008.1.2.1")
DeflatedExplicitVRLittleEndian = UID("1.2.840.10008.1.2.1.99")
ExplicitVRBigEndian = UID("1.2.840.10008.1.2.2")

UNCOMPRESSED_TRANSFER_SYNTAXES = (
    ImplicitVRLittleEndian,
    ExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    DeflatedExplicitVRLittleEndian,
)

# A UUID-derived UID (PS3.5 B.2) made once for this library; the version name says the release.
IMPLEMENTATION_CLASS_UID = UID("2.25.28031914907319962344724972738689931456")
IMPLEMENTATION_VERSION_NAME = "DICOMCORE_010"


def transfer_syntax(uid: str) -> TransferSyntax:
    """The properties of a transfer syntax; unknown UIDs are taken as explicit VR little
    endian encapsulated (PS3.5 10.1: every syntax defined after the first four is)."""
    uid = str(uid).rstrip("\0 ")
    found = TRANSFER_SYNTAXES.get(uid)
    if found is None:
        return TransferSyntax(uid, uid, False, True, is_encapsulated=True)
    return found
