"""One fuzz input through everything the library does with untrusted bytes.

`exercise(data)` reads the bytes with force=True, decodes every value, converts to DICOM JSON
and back, writes the data set both ways (and transcoded), and applies a patch. The allowed
outcomes are success and the library's documented errors: InvalidDicomError for bytes that
are not DICOM, and the clear ValueErrors of the writer and patches (a missing SOP UID for a
standard file, encapsulated pixel data for an uncompressed syntax, a patch value the VR
refuses). Anything else, a run over one second, or an allocation far beyond the input is a
bug. Used by fuzz/fuzz_dicom.py (atheris, `make fuzz`) and by tests/test_fuzz.py (a short
run in `make test`, plus every crash kept in fuzz/regressions/).
"""

from __future__ import annotations

import io
import warnings

import dicomcore
from dicomcore.errors import EncodeError, InvalidDicomError
from dicomcore.json import from_json, to_json_dict
from dicomcore.patch import PatchError, apply

__all__ = ["exercise", "EXPECTED"]

EXPECTED = (InvalidDicomError,)
_WRITER_REFUSALS = ("cannot write a standard file", "encapsulated", "cannot tell how to encode",
                    "implicit VR big endian")
_PATCH = [{"op": "set", "path": "PatientName", "value": "Fuzz^Input"},
          {"op": "set", "path": "ReferencedImageSequence",
           "value": [{"ReferencedSOPInstanceUID": "1.2.3"}]},
          {"op": "delete", "path": "(0010,0020)"}]


def _write(ds: dicomcore.Dataset, **options: object) -> bytes:
    out = io.BytesIO()
    try:
        dicomcore.write_file(out, ds, **options)  # type: ignore[arg-type]
    except EncodeError:
        pass  # a value read as text that the data set's character set cannot hold
    except ValueError as exc:
        if not any(reason in str(exc) for reason in _WRITER_REFUSALS):
            raise
    return out.getvalue()


def exercise(data: bytes) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ds = dicomcore.dcmread(io.BytesIO(data), force=True)
        except EXPECTED:
            return
        for elem in ds.iterall():
            elem.value  # noqa: B018
            str(elem)
        str(ds)
        model = to_json_dict(ds, bulk_data_threshold=1 << 20)
        from_json(model)
        written = _write(ds)
        if written:
            try:
                dicomcore.dcmread(io.BytesIO(written), force=True)
            except EXPECTED:
                pass
        _write(ds, write_like_original=False)
        _write(ds, transfer_syntax="1.2.840.10008.1.2")
        _write(ds, transfer_syntax="1.2.840.10008.1.2.2")
        try:
            apply(ds, _PATCH)
        except PatchError:
            return
        _write(ds)
