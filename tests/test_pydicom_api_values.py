"""pydicom 3's value types, converters and JSON calls on dicomcore, compared with pydicom's."""

from __future__ import annotations

import base64
import datetime
import json
import pickle
from decimal import Decimal
from typing import Any

import pydicom
import pytest

import dicomcore
from dicomcore.json import omit_bulk_data

from .corpus import PYDICOM_DATA
from .pydicom_parity import DICOMCORE, Lib, assert_same

CT = PYDICOM_DATA / "test_files" / "CT_small.dcm"


# -- DA, DT, TM ------------------------------------------------------------------------------

def _shown(value: Any) -> Any:
    if value is None:
        return None
    plain = (datetime.datetime, datetime.date, datetime.time)
    as_python = next(kind(value.year, value.month, value.day) if kind is datetime.date
                     else value for kind in plain if isinstance(value, kind))
    return str(value), repr(value), as_python, type(value).__name__


DATE_TEXTS = {"DA": ["20200102", "2020.01.02", "", "2020-01-02", "20201301", "19000101 "],
              "TM": ["01", "0102", "010203", "010203.5", "010203.123456", "235960", "240000",
                     "01:02:03", ""],
              "DT": ["2020", "202001", "20200102", "2020010203", "202001020304",
                     "20200102030405", "20200102030405.1", "20200102030405.123456+0100",
                     "20200102030405-0130", "x"]}
DATE_CASES = {f"{vr}({text!r})": (vr, text) for vr, texts in DATE_TEXTS.items()
              for text in texts}


@pytest.mark.parametrize("vr, text", DATE_CASES.values(), ids=DATE_CASES.keys())
def test_dates_and_times_as_pydicom(vr: str, text: str) -> None:
    assert_same(lambda m: _shown(getattr(m.valuerep, vr)(text)))


PYTHON_VALUES = {"DA": datetime.date(2021, 3, 4),
                 "TM": datetime.time(1, 2, 3, 40),
                 "DT": datetime.datetime(2021, 3, 4, 5, 6, 7, 80000,
                                         tzinfo=datetime.timezone(datetime.timedelta(hours=9)))}


@pytest.mark.parametrize("vr", PYTHON_VALUES)
def test_dates_from_python_values_as_pydicom(vr: str) -> None:
    assert_same(lambda m: _shown(getattr(m.valuerep, vr)(PYTHON_VALUES[vr])))


@pytest.mark.parametrize("text", ["2020010203040", "20200102030", "2020 "])
def test_dt_refuses_what_the_standard_does_not_allow(text: str) -> None:
    """A deliberate difference: pydicom's DT takes these (an odd digit, padding)."""
    assert str(pydicom.valuerep.DT(text)) == text
    with pytest.raises(ValueError, match="not a DT value"):
        dicomcore.valuerep.DT(text)


def test_dates_keep_their_text_through_copies() -> None:
    value = dicomcore.valuerep.DA("2020.01.02")
    assert str(pickle.loads(pickle.dumps(value))) == "2020.01.02"
    later = value + datetime.timedelta(days=1)
    assert isinstance(later, dicomcore.valuerep.DA) and str(later) == "20200103"
    assert value.replace(year=2021).year == 2021


def test_assigned_dates_become_dicom_values() -> None:
    ds = dicomcore.Dataset()
    ds.StudyDate = datetime.date(2020, 1, 2)
    ds.ContentTime = [datetime.time(1, 2), "0304"]
    assert isinstance(ds.StudyDate, dicomcore.valuerep.DA) and ds.StudyDate.day == 2
    assert isinstance(ds.ContentTime[0], dicomcore.valuerep.TM)
    assert ds.ContentTime[1] == "0304"  # text stays text, as pydicom reads it


# -- DS, IS and their helpers ----------------------------------------------------------------

NUMBER_CASES: dict[str, Any] = {
    "DSdecimal text": lambda m: (str(m.valuerep.DSdecimal("1.50")),
                                 repr(m.valuerep.DSdecimal("1.50")),
                                 Decimal(m.valuerep.DSdecimal("1.50"))),
    "DSdecimal of a Decimal": lambda m: str(m.valuerep.DSdecimal(Decimal("0.25"))),
    "DSdecimal of an int": lambda m: str(m.valuerep.DSdecimal(3)),
    "DSdecimal of a float": lambda m: m.valuerep.DSdecimal(1.5),
    "DSdecimal of NaN": lambda m: str(m.valuerep.DSdecimal("NaN")),
    "DSdecimal empty": lambda m: m.valuerep.DSdecimal(""),
    "DSdecimal auto_format": lambda m: str(m.valuerep.DSdecimal(
        Decimal("0.12345678901234567890"), auto_format=True)),
    "DSdecimal equals its text": lambda m: m.valuerep.DSdecimal("1.50") == "1.50",
    "DSfloat": lambda m: (str(m.valuerep.DSfloat("1.50")), float(m.valuerep.DSfloat("1.50"))),
    "IS": lambda m: (str(m.valuerep.IS(" 0012 ")), int(m.valuerep.IS(" 0012 "))),
    "format_number_as_ds of an int": lambda m: m.valuerep.format_number_as_ds(1),
    "format_number_as_ds of NaN": lambda m: m.valuerep.format_number_as_ds(float("nan")),
    "MultiValue from multival": lambda m: list(m.multival.MultiValue(int, ["1", "2"])),
    "the VR enumeration": lambda m: sorted((v.name, v.value, str(v), v == v.value)
                                           for v in m.valuerep.VR),
    "a VR member as a VR": lambda m: m.DataElement(0x00100020, m.valuerep.VR.LO, "12").value,
}
for _number in (1 / 3, -1 / 3, 2 ** -20, 1e20, -123456789012345.6, 3.14159265358979e13, 1.5,
                Decimal("0.1234567890123456789"), Decimal("-1234567890.123456789"),
                Decimal("1E+20"), Decimal("-0.00001234567890123")):
    NUMBER_CASES[f"format_number_as_ds({_number!r})"] = (
        lambda m, n=_number: m.valuerep.format_number_as_ds(n))
for _text in ("1.5", " 1.5 ", "1.5e3", "-.5", "1.5a", "12345678901234567", "", "1\\2", "+1",
              "1.", "NaN"):
    NUMBER_CASES[f"is_valid_ds({_text!r})"] = lambda m, t=_text: m.valuerep.is_valid_ds(t)


@pytest.mark.parametrize("case", NUMBER_CASES.values(), ids=NUMBER_CASES.keys())
def test_numbers_as_pydicom(case: Any) -> None:
    assert_same(case)


def test_dsdecimal_allows_a_float_when_asked() -> None:
    assert str(dicomcore.valuerep.DSdecimal(1.5, allow_float=True)) == "1.5"


# -- converters ------------------------------------------------------------------------------

def _plain(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, pydicom.valuerep.PersonName | dicomcore.valuerep.PersonName):
        return str(value)
    return value


CONVERTER_CASES: dict[str, Any] = {
    "AE": lambda m: m.values.convert_AE_string(b" AE1 \\AE2 ", True),
    "AT": lambda m: int(m.values.convert_ATvalue(b"\x10\x00\x10\x00", True)),
    "AT big endian": lambda m: int(m.values.convert_ATvalue(b"\x00\x10\x00\x10", False)),
    "DA": lambda m: m.values.convert_DA_string(b"20200102", True),
    "DS": lambda m: m.values.convert_DS_string(b"1.5\\2 ", True),
    "DT": lambda m: m.values.convert_DT_string(b"20200102030405 ", True),
    "IS": lambda m: m.values.convert_IS_string(b" 12\\3", True),
    "TM": lambda m: m.values.convert_TM_string(b"010203 ", True),
    "UR": lambda m: m.values.convert_UR_string(b"http://x ", True),
    "CS": lambda m: m.values.convert_string(b"A\\B ", True),
    "OB": lambda m: m.values.convert_OBvalue(b"ab", True),
    "OW": lambda m: m.values.convert_OWvalue(b"abcd", True),
    "UN": lambda m: m.values.convert_UN(b"ab", True),
    "UI": lambda m: m.values.convert_UI(b"1.2.3\x00", True),
    "UI multiple": lambda m: m.values.convert_UI(b"1.2\\3.4", True),
    "tag": lambda m: int(m.values.convert_tag(b"\x00\x00\x10\x00\x10\x00", True, 2)),
    "numbers one": lambda m: m.values.convert_numbers(b"\x01\x00", True, "H"),
    "numbers two": lambda m: list(m.values.convert_numbers(b"\x01\x00\x02\x00", True, "H")),
    "numbers big endian": lambda m: m.values.convert_numbers(b"\x00\x00\x00\x01", False, "L"),
    "numbers none": lambda m: m.values.convert_numbers(b"", True, "H"),
    "numbers of a wrong length": lambda m: m.values.convert_numbers(b"\x01\x02\x03", True,
                                                                    "H"),
    "PN": lambda m: str(m.values.convert_PN(b"Yamada^Tarou", ["iso8859"])),
    "PN in a character set": lambda m: str(m.values.convert_PN(
        b"\xc4\xe9^\xe0", ["latin_1"])),
    "text": lambda m: m.values.convert_text(b"abc ", ["iso8859"], "LO"),
    "text several": lambda m: m.values.convert_text(b"abc\\def ", ["iso8859"], "LO"),
    "single string": lambda m: m.values.convert_single_string(b"ab\\c ", None),
    "convert_value": lambda m: m.values.convert_value(
        "US", m.dataelem.RawDataElement(m.tag.Tag(0x00280010), "US", 2, b"\x00\x02", 0, False,
                                        True)),
}


@pytest.mark.parametrize("case", CONVERTER_CASES.values(), ids=CONVERTER_CASES.keys())
def test_converters_as_pydicom(case: Any) -> None:
    assert_same(lambda m: _plain(case(m)))


# -- JSON ------------------------------------------------------------------------------------

def _model(m: Lib, **options: Any) -> Any:
    return m.dcmread(CT).to_json_dict(**options)


def _from_json_handler(m: Lib, handler: Any) -> Any:
    model = {"7FE00010": {"vr": "OW", "BulkDataURI": "http://host/pixels"},
             "00100010": {"vr": "PN", "Value": [{"Alphabetic": "A^B"}]}}
    ds = m.Dataset.from_json(model, bulk_data_uri_handler=handler)
    return ds.PixelData, str(ds.PatientName)


def _un_inline(m: Lib) -> Any:
    model = {"00185100": {"vr": "UN", "InlineBinary": base64.b64encode(b"HFS ").decode()},
             "00280030": {"vr": "UN", "InlineBinary": base64.b64encode(b"1\\2 ").decode()},
             "00091001": {"vr": "UN", "InlineBinary": base64.b64encode(b"AB").decode()}}
    ds = m.Dataset.from_json(model)
    return [(int(e.tag), e.VR, _plain(e.value)) for e in ds], ds.to_json_dict()


def _element_from_json(m: Lib, vr: str, value: Any, key: str | None = "Value") -> Any:
    elem = m.DataElement.from_json(m.Dataset, "00100010" if vr == "PN" else "00280010", vr,
                                   value, key)
    return elem.VR, _plain(elem.value)


JSON_CASES: dict[str, Any] = {
    "no handler: large values inline": lambda m: _model(m),
    "a handler: large values as URIs": lambda m: _model(
        m, bulk_data_element_handler=lambda e: f"bulk/{e.tag:08X}"),
    "a threshold": lambda m: _model(m, bulk_data_threshold=10,
                                    bulk_data_element_handler=lambda e: "uri"),
    "to_json with a dump_handler": lambda m: m.dcmread(CT).to_json(
        dump_handler=lambda model: json.dumps(sorted(model))),
    "one-argument URI handler": lambda m: _from_json_handler(m, lambda uri: uri.encode()),
    "three-argument URI handler": lambda m: _from_json_handler(
        m, lambda tag, vr, uri: f"{tag}{vr}".encode()),
    "UN InlineBinary of known tags": _un_inline,
    "DataElement.from_json PN": lambda m: _element_from_json(m, "PN", [{"Alphabetic": "A^B"}]),
    "DataElement.from_json US": lambda m: _element_from_json(m, "US", [512]),
    "DataElement.from_json InlineBinary": lambda m: _element_from_json(
        m, "OB", base64.b64encode(b"\x01\x02").decode(), "InlineBinary"),
    "DataElement.to_json_dict": lambda m: m.dcmread(CT)["PixelSpacing"].to_json_dict(None,
                                                                                     1024),
    "DataElement.to_json_dict of bulk data": lambda m: m.dcmread(CT)["PixelData"]
    .to_json_dict(lambda e: "uri", 16),
}


@pytest.mark.parametrize("case", JSON_CASES.values(), ids=JSON_CASES.keys())
def test_json_as_pydicom(case: Any) -> None:
    assert_same(case)


def test_leaving_bulk_data_out_reads_nothing() -> None:
    """omit_bulk_data (what the service and CLI use) leaves a large deferred value on disk."""
    ds = dicomcore.dcmread(CT, defer_size=1024)
    model = ds.to_json_dict(bulk_data_element_handler=omit_bulk_data)
    assert model["7FE00010"] == {"vr": "OW"} and ds["PixelData"].is_deferred
    assert base64.b64decode(ds.to_json_dict()["7FE00010"]["InlineBinary"]) == ds.PixelData
    assert DICOMCORE.json.omit_bulk_data is omit_bulk_data if hasattr(DICOMCORE, "json") \
        else True


def test_cli_json_leaves_bulk_data_out_unless_asked(capsys: pytest.CaptureFixture[str]) -> None:
    from dicomcore.cli import main

    assert main(["json", str(CT)]) == 0
    assert json.loads(capsys.readouterr().out)["7FE00010"] == {"vr": "OW"}
    assert main(["json", "--inline-bulk", str(CT)]) == 0
    inline = json.loads(capsys.readouterr().out)["7FE00010"]["InlineBinary"]
    assert base64.b64decode(inline) == dicomcore.dcmread(CT).PixelData
