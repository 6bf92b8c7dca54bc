"""pydicom 3's writing and raw-element API on dicomcore: dcmwrite/save_as keywords and rules,
the element-level writers, and data_element_generator, compared with pydicom's."""

from __future__ import annotations

import inspect
import io
import struct
from pathlib import Path
from typing import Any

import pydicom
import pytest

import dicomcore
from dicomcore.filewriter import dcmwrite, write_file

from .corpus import ALL_READABLE, ORACLE_READABLE, PYDICOM_DATA, corpus_id, pydicom_outcome
from .pydicom_parity import DICOMCORE, PYDICOM, Lib, assert_same, outcome

CT = PYDICOM_DATA / "test_files" / "CT_small.dcm"
MR_IMPLICIT = PYDICOM_DATA / "test_files" / "MR_small_implicit.dcm"


def _new(m: Lib) -> Any:
    ds = m.Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.SOPInstanceUID = "1.2.3.4.5"
    ds.PatientName = "Doe^Jane"
    ds.Rows = 2
    seq = m.Dataset()
    seq.CodeValue = "121"
    ds.ConceptNameCodeSequence = [seq]
    return ds


def _bytes(m: Lib, ds: Any, **kwargs: Any) -> bytes:
    out = io.BytesIO()
    m.dcmwrite(out, ds, **kwargs)
    return out.getvalue()


def _body(data: bytes) -> bytes:
    """What follows the file meta group (whose group length element comes first)."""
    assert data[128:132] == b"DICM"
    return data[144 + struct.unpack_from("<L", data, 140)[0]:]


def _meta(data: bytes) -> list[tuple[int, str, Any]]:
    meta = pydicom.dcmread(io.BytesIO(data), stop_before_pixels=True).file_meta
    return [(int(e.tag), e.VR, e.value) for e in meta]


def _with_group_2_in_body(m: Lib) -> Any:
    ds = _new(m)
    ds.add_new(0x00020010, "UI", "1.2.840.10008.1.2")
    return ds


def _with_command_in_body(m: Lib) -> Any:
    ds = _new(m)
    ds.add_new(0x00000100, "US", 1)
    return ds


def _existing(m: Lib, tmp: Path) -> Any:
    path = tmp / f"{m}.dcm"
    path.write_bytes(b"there")
    m.dcmwrite(path, _new(m), implicit_vr=True, overwrite=False)


def _meta_ts(m: Lib, uid: str) -> Any:
    ds = _new(m)
    ds.file_meta = m.dataset.FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = uid
    return ds


WRITE_CASES: dict[str, Any] = {
    "implicit VR from the arguments": lambda m: _bytes(m, _new(m), implicit_vr=True,
                                                       little_endian=True),
    "implicit_vr alone (little endian by default)": lambda m: _bytes(m, _new(m),
                                                                     implicit_vr=False),
    "big endian from the arguments": lambda m: _bytes(m, _new(m), implicit_vr=False,
                                                      little_endian=False),
    "no encoding at all": lambda m: _bytes(m, _new(m)),
    "implicit big endian": lambda m: _bytes(m, _new(m), implicit_vr=True, little_endian=False),
    "enforce: body bytes": lambda m: _body(_bytes(m, _new(m), implicit_vr=True,
                                                  enforce_file_format=True)),
    "enforce: group 0002 in the body": lambda m: _bytes(m, _with_group_2_in_body(m),
                                                        implicit_vr=True,
                                                        enforce_file_format=True),
    "enforce: command set in the body": lambda m: _bytes(m, _with_command_in_body(m),
                                                         implicit_vr=True,
                                                         enforce_file_format=True),
    "enforce: no SOP Instance UID": lambda m: _bytes(m, m.Dataset(PatientName="A"),
                                                     implicit_vr=True,
                                                     enforce_file_format=True),
    "force_encoding without both arguments": lambda m: _bytes(m, _new(m), implicit_vr=True,
                                                              force_encoding=True),
    "force_encoding with enforce_file_format": lambda m: _bytes(
        m, _new(m), implicit_vr=True, little_endian=True, force_encoding=True,
        enforce_file_format=True),
    "arguments that contradict the syntax": lambda m: _bytes(
        m, _meta_ts(m, "1.2.840.10008.1.2.1"), implicit_vr=True),
    "force_encoding overrides the syntax": lambda m: _bytes(
        m, _meta_ts(m, "1.2.840.10008.1.2.1"), implicit_vr=True, little_endian=True,
        force_encoding=True),
    "the syntax decides": lambda m: _bytes(m, _meta_ts(m, "1.2.840.10008.1.2")),
    "a preamble that is not 128 bytes": lambda m: _bytes(m, _preamble(m, b"\0" * 10),
                                                         implicit_vr=True),
    "an unknown keyword argument": lambda m: _bytes(m, _new(m), implicit_vr=True, foo=1),
    "date and time values assigned": lambda m: _bytes(m, _dates(m), implicit_vr=False),
}


def _preamble(m: Lib, preamble: bytes) -> Any:
    ds = m.dataset.FileDataset("x", _new(m), preamble=preamble)
    return ds


def _dates(m: Lib) -> Any:
    import datetime

    ds = m.Dataset()
    ds.StudyDate = datetime.date(2020, 1, 2)
    ds.StudyTime = datetime.time(1, 2, 3, 400000)
    ds.AcquisitionDateTime = datetime.datetime(2020, 1, 2, 3, 4, 5, 6, tzinfo=datetime.timezone(
        datetime.timedelta(hours=-1, minutes=-30)))
    return ds


@pytest.mark.parametrize("case", WRITE_CASES.values(), ids=WRITE_CASES.keys())
def test_writing_as_pydicom(case: Any) -> None:
    assert_same(case)


def test_dcmwrite_and_save_as_have_pydicoms_keywords() -> None:
    for ours, theirs in ((dicomcore.dcmwrite, pydicom.dcmwrite),
                         (dicomcore.Dataset.save_as, pydicom.Dataset.save_as)):
        keyword_only = {name for name, p in inspect.signature(theirs).parameters.items()
                        if p.kind is p.KEYWORD_ONLY}
        params = inspect.signature(ours).parameters
        assert keyword_only <= {n for n, p in params.items() if p.kind is p.KEYWORD_ONLY}
        assert list(params)[:3] in (["filename", "dataset", "write_like_original"],
                                    ["self", "filename", "write_like_original"])


def test_overwrite_false_refuses_an_existing_file(tmp_path: Path) -> None:
    assert_same(lambda m: _existing(m, tmp_path))
    assert (tmp_path / "dicomcore.dcm").read_bytes() == b"there"
    target = tmp_path / "new.dcm"
    _new(DICOMCORE).save_as(target, implicit_vr=True, overwrite=False)
    assert dicomcore.dcmread(target, force=True).PatientName == "Doe^Jane"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_enforce_file_format_meta_as_pydicom() -> None:
    """The file meta pydicom 3 writes, but for the implementation's own UID and name."""
    theirs = _meta(_bytes(PYDICOM, _new(PYDICOM), implicit_vr=True, enforce_file_format=True))
    ours = _meta(_bytes(DICOMCORE, _new(DICOMCORE), implicit_vr=True,
                        enforce_file_format=True))
    mine = {0x00020012: dicomcore.uid.IMPLEMENTATION_CLASS_UID,
            0x00020013: dicomcore.uid.IMPLEMENTATION_VERSION_NAME}
    assert [(t, vr, mine.get(t, v)) for t, vr, v in theirs if t != 0x00020000] == \
        [e for e in ours if e[0] != 0x00020000]


def test_enforce_file_format_names_explicit_little_endian() -> None:
    """pydicom 3 raises for a new data set written explicit VR little endian with
    enforce_file_format (it fills in only the other two syntaxes); dicomcore names it."""
    with pytest.raises(AttributeError):
        _bytes(PYDICOM, _new(PYDICOM), implicit_vr=False, enforce_file_format=True)
    written = _bytes(DICOMCORE, _new(DICOMCORE), implicit_vr=False, enforce_file_format=True)
    read = pydicom.dcmread(io.BytesIO(written))
    assert read.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.1"
    assert read.ConceptNameCodeSequence[0].CodeValue == "121"


def test_enforce_file_format_keeps_the_meta_it_has() -> None:
    ds = dicomcore.dcmread(CT)
    ds.SOPInstanceUID = "1.2.3"
    written = _bytes(DICOMCORE, ds, enforce_file_format=True)
    meta = dict((t, v) for t, _, v in _meta(written))
    assert meta[0x00020012] == "1.3.6.1.4.1.5962.2"  # the file's own, as pydicom keeps it
    assert meta[0x00020003] == "1.2.3"  # brought up to date from the data set
    # write_like_original=False keeps this library's first rule: a fresh meta
    fresh = dict((t, v) for t, _, v in _meta(_bytes(DICOMCORE, ds, write_like_original=False)))
    assert fresh[0x00020012] == dicomcore.uid.IMPLEMENTATION_CLASS_UID


def test_write_like_original_and_transfer_syntax_still_work() -> None:
    ds = dicomcore.dcmread(CT)
    same = io.BytesIO()
    dcmwrite(same, ds, True)
    assert same.getvalue() == CT.read_bytes()
    big = io.BytesIO()
    write_file(big, ds, False, "1.2.840.10008.1.2.2")
    assert dicomcore.dcmread(io.BytesIO(big.getvalue())).file_meta.TransferSyntaxUID == \
        "1.2.840.10008.1.2.2"
    again = io.BytesIO()
    ds.save_as(again, write_like_original=False, transfer_syntax="1.2.840.10008.1.2")
    assert pydicom.dcmread(io.BytesIO(again.getvalue())).PatientName == "CompressedSamples^CT1"


# -- the element-level writers ---------------------------------------------------------------

def _buffer(m: Lib, implicit: bool, little: bool) -> Any:
    fp = m.filebase.DicomBytesIO()
    fp.is_implicit_VR, fp.is_little_endian = implicit, little
    return fp


def _write_dataset(m: Lib, implicit: bool, little: bool) -> Any:
    fp = _buffer(m, implicit, little)
    count = m.filewriter.write_dataset(fp, _new(m))
    return count, fp.getvalue()


def _write_element(m: Lib, vr: str, value: Any) -> Any:
    fp = _buffer(m, False, True)
    m.filewriter.write_data_element(fp, m.DataElement(0x00283010 if vr == "SQ" else 0x00280106,
                                                      vr, value))
    return fp.getvalue()


def _ambiguous(m: Lib) -> Any:
    ds = m.Dataset()
    ds.PixelRepresentation = 1
    ds.add_new(0x00280106, "US or SS", b"\xff\xff")
    item = m.Dataset()
    item.add_new(0x00280106, "US or SS", b"\x01\x00")
    ds.ReferencedImageSequence = [item]
    m.filewriter.correct_ambiguous_vr(ds, True)
    return ds[0x00280106].VR, item[0x00280106].VR


def _meta_info(m: Lib, enforce: bool) -> Any:
    meta = m.dataset.FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.3"
    meta.MediaStorageSOPInstanceUID = "1.2.3.4"
    meta.TransferSyntaxUID = "1.2.840.10008.1.2"
    fp = _buffer(m, False, True)
    m.filewriter.write_file_meta_info(fp, meta, enforce_standard=enforce)
    return [(int(e.tag), e.VR) for e in meta]


def _validated(m: Lib) -> Any:
    meta = m.dataset.FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.3"
    meta.MediaStorageSOPInstanceUID = "1.2.3.4"
    meta.TransferSyntaxUID = "1.2.840.10008.1.2"
    m.dataset.validate_file_meta(meta)
    return [int(e.tag) for e in meta]


ELEMENT_CASES: dict[str, Any] = {
    "write_dataset explicit little": lambda m: _write_dataset(m, False, True),
    "write_dataset implicit little": lambda m: _write_dataset(m, True, True),
    "write_dataset explicit big": lambda m: _write_dataset(m, False, False),
    "write_dataset without an encoding": lambda m: m.filewriter.write_dataset(io.BytesIO(),
                                                                             _new(m)),
    "write_data_element US": lambda m: _write_element(m, "US", [1, 2]),
    "write_data_element ambiguous": lambda m: _write_element(m, "US or SS", 1),
    "correct_ambiguous_vr": _ambiguous,
    "write_file_meta_info completes the meta": lambda m: _meta_info(m, True),
    "write_file_meta_info as it is": lambda m: _meta_info(m, False),
    "write_file_meta_info without a syntax": lambda m: m.filewriter.write_file_meta_info(
        _buffer(m, False, True), m.dataset.FileMetaDataset()),
    "validate_file_meta": lambda m: _validated(m),
    "validate_file_meta of a non-meta element": lambda m: m.dataset.validate_file_meta(
        _new(m)),
    "validate_file_meta of an incomplete meta": lambda m: m.dataset.validate_file_meta(
        m.dataset.FileMetaDataset()),
}


@pytest.mark.parametrize("case", ELEMENT_CASES.values(), ids=ELEMENT_CASES.keys())
def test_element_writers_as_pydicom(case: Any) -> None:
    assert_same(case)


# -- raw elements ----------------------------------------------------------------------------

def _meta_end(data: bytes) -> int | None:
    if data[128:132] != b"DICM" or data[132:136] != b"\x02\x00\x00\x00":
        return None
    return 144 + struct.unpack_from("<L", data, 140)[0]


GENERATOR_FILES = [p for p in ORACLE_READABLE
                   if _meta_end(p.read_bytes()[:160] + b"\0" * 16)
                   and b"1.2.840.10008.1.2.1.99" not in p.read_bytes()[:400]]


def _generated(m: Lib, path: Path, **options: Any) -> Any:
    data = path.read_bytes()
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    implicit, little = ds.original_encoding
    fp = io.BytesIO(data)
    fp.seek(_meta_end(data))  # type: ignore[arg-type]
    out = []
    for elem in m.filereader.data_element_generator(fp, implicit, little, **options):
        value = elem.value
        if elem.VR == "SQ" and value is not None:  # a sequence the generator parsed
            value = ("items", len(value))
        out.append((int(elem.tag), str(elem.VR), getattr(elem, "length", None), value,
                    getattr(elem, "value_tell", None)))
    return out, fp.tell()


@pytest.mark.parametrize("path", GENERATOR_FILES, ids=corpus_id)
def test_data_element_generator_as_pydicom(path: Path) -> None:
    assert_same(lambda m: _generated(m, path))


@pytest.mark.parametrize("path", [p for p in ALL_READABLE if pydicom_outcome(p) == "emptied"],
                         ids=corpus_id)
def test_data_element_generator_keeps_what_a_file_cut_in_its_pixel_data_holds(path: Path
                                                                             ) -> None:
    """A deliberate difference (README): pydicom's generator raises EOFError at the end of
    the file; dicomcore's yields every element, the pixel data as far as the file goes."""
    kind_p, got_p = outcome(lambda m: _generated(m, path), PYDICOM)
    assert kind_p == "raised" and isinstance(got_p, EOFError)
    kind_d, (elements, end) = outcome(lambda m: _generated(m, path), DICOMCORE)
    assert kind_d == "ok" and end == path.stat().st_size
    before = pydicom.dcmread(path, stop_before_pixels=True)
    assert [e[0] for e in elements] == [int(t) for t in before.keys()] + [0x7FE00010]
    assert path.read_bytes().endswith(elements[-1][3])


@pytest.mark.parametrize("options", [
    {"defer_size": 100}, {"specific_tags": [0x00100010, 0x00080060, 0x7FE00010]},
    {"stop_when": lambda tag, vr, length: tag >= 0x00280000}], ids=str)
@pytest.mark.parametrize("path", [CT, MR_IMPLICIT], ids=corpus_id)
def test_data_element_generator_options_as_pydicom(options: dict[str, Any], path: Path
                                                   ) -> None:
    got = assert_same(lambda m: _generated(m, path, **options))
    assert got[0]


def test_raw_data_element_is_a_named_tuple() -> None:
    from dicomcore.dataelem import RawDataElement, convert_raw_data_element

    fields = pydicom.dataelem.RawDataElement._fields
    assert RawDataElement._fields == fields
    raw = RawDataElement(dicomcore.tag.Tag(0x00100010), None, 8, b"Doe^John", 0, True, True)
    assert raw.is_raw and not raw.is_undefined_length
    elem = convert_raw_data_element(raw)
    assert (elem.VR, elem.value) == ("PN", "Doe^John")
    ds = dicomcore.Dataset()
    ds.add_new(0x00090010, "LO", "GEMS_IDEN_01")
    private = convert_raw_data_element(RawDataElement(
        dicomcore.tag.Tag(0x00091004), None, 4, b"CT  ", 0, True, True), ds=ds)
    assert (private.VR, private.value, private.private_creator) == ("SH", "CT", "GEMS_IDEN_01")


def test_a_transfer_syntax_set_by_the_user_is_followed() -> None:
    """A data set read big endian whose Transfer Syntax UID is set to explicit little endian
    is written little endian, like the original or not (the pixel data as MR_small's)."""
    little = pydicom.dcmread(PYDICOM_DATA / "test_files" / "MR_small.dcm")
    for options in ({}, {"enforce_file_format": True}):
        ds = dicomcore.dcmread(PYDICOM_DATA / "test_files" / "MR_small_bigendian.dcm")
        ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.1"
        written = _bytes(DICOMCORE, ds, **options)
        back = pydicom.dcmread(io.BytesIO(written))
        assert back.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.1"
        assert (back.Rows, back.PixelData) == (little.Rows, little.PixelData)


def test_a_data_set_takes_raw_elements_as_pydicom() -> None:
    def case(m: Lib) -> Any:
        raw = m.dataelem.RawDataElement(m.tag.Tag(0x00100010), None, 8, b"Doe^John", 0, True,
                                        True)
        ds = m.Dataset({raw.tag: raw})
        ds[0x00100020] = m.dataelem.RawDataElement(m.tag.Tag(0x00100020), "LO", 2, b"12", 0,
                                                   False, True)
        return str(ds.PatientName), ds.PatientID, ds["PatientID"].VR

    assert assert_same(case) == ("Doe^John", "12", "LO")
