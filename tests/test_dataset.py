"""`dicomcore.dataset`: the mapping and attribute API of `Dataset` and `FileDataset`.

Two kinds of checks: built data sets, made the same way in dicomcore and pydicom 3 (the
oracle) where that is meaningful, and every corpus file read by both. The corpus reads are
cached for the session (`read_pair`), and `element_pairs` walks two readings side by side;
the element and value-type tests import both. Tests that need a fresh reading (laziness,
mutation) read the file themselves.
"""

from __future__ import annotations

import copy
import doctest
import functools
import io
import pickle
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pydicom
import pytest
from pydicom.data import get_testdata_file

import dicomcore
from dicomcore import DataElement, Dataset, FileDataset, FileMetaDataset, Tag
from dicomcore import dataset as dataset_module
from dicomcore.errors import DicomWarning

from .corpus import ORACLE_READABLE, corpus_id


@functools.cache
def read_pair(path: Path) -> tuple[dicomcore.FileDataset, pydicom.FileDataset]:
    """dicomcore's and pydicom's reading of a corpus file, with force where pydicom needs it.
    Shared by several tests: do not change them."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            theirs = pydicom.dcmread(path)
            force = False
        except Exception:  # noqa: BLE001 - any refusal means: read with force
            theirs = pydicom.dcmread(path, force=True)
            force = True
        ours = dicomcore.dcmread(path, force=force)
        ours.close()  # nothing is deferred: every value is in memory
        return ours, theirs


def element_pairs(ours: Dataset, theirs: pydicom.Dataset, where: str = ""
                  ) -> Iterator[tuple[str, DataElement, Any]]:
    """(path, our element, pydicom's element) for every tag both have, at every depth;
    sequences are entered when both read them as sequences."""
    for their_elem in theirs:
        tag = int(their_elem.tag)
        if tag not in ours:
            continue
        elem = ours[tag]
        label = f"{where}{Tag(tag)}"
        yield label, elem, their_elem
        if elem.VR == "SQ" and their_elem.VR == "SQ":
            for i, (a, b) in enumerate(zip(elem.value, their_elem.value, strict=True)):
                yield from element_pairs(a, b, f"{label}[{i}].")


def corpus_pairs(path: Path) -> Iterator[tuple[str, DataElement, Any]]:
    """`element_pairs` over a corpus file's file meta and data set."""
    ours, theirs = read_pair(path)
    yield from element_pairs(ours.file_meta, getattr(theirs, "file_meta", pydicom.Dataset()),
                             "meta:")
    yield from element_pairs(ours, theirs)



def corpus(test: Any) -> Any:
    """Run `test` over every corpus file pydicom reads as it is. Both libraries warn about the odd files (cut
    short, values that are no numbers) as they read and decode them: those warnings are
    tested with the reader, not here."""
    test = pytest.mark.filterwarnings("ignore::dicomcore.errors.DicomWarning")(test)
    return pytest.mark.parametrize("path", ORACLE_READABLE, ids=corpus_id)(test)


pytestmark = pytest.mark.filterwarnings("ignore:::pydicom")


def build(module: ModuleType) -> Any:
    """The same small data set in dicomcore or pydicom: out-of-order inserts, multi-values,
    two levels of sequences and an empty item."""
    ds = module.Dataset()
    ds.Rows = 2
    ds.PatientName = "Doe^John"
    ds.PatientID = "12"
    ds.Modality = "CT"
    ds.ImageType = "ORIGINAL\\PRIMARY"
    ds.InstanceNumber = "5"
    ds.PixelSpacing = ["0.5", "0.25"]
    code = module.Dataset()
    code.CodeMeaning = "Chest"
    code.CodeValue = "51185008"
    item = module.Dataset()
    item.ReferencedSOPInstanceUID = "1.2.3.4"
    item.ConceptNameCodeSequence = [code]
    ds.ReferencedImageSequence = [item, module.Dataset()]
    return ds


def test_docstring_examples() -> None:
    assert doctest.testmod(dataset_module).failed == 0


# -- element access ----------------------------------------------------------------------

ACCESS_FORMS = {"group, element": (0x10, 0x10), "int": 0x00100010, "tuple": ((0x10, 0x10),),
                "keyword": "PatientName", "tag string": "(0010,0010)", "Tag": Tag(0x00100010)}


@pytest.mark.parametrize("key", ACCESS_FORMS.values(), ids=ACCESS_FORMS.keys())
def test_every_key_form_gives_the_element(key: Any) -> None:
    ds = build(dicomcore)
    elem = ds[key[0]] if isinstance(key, tuple) and len(key) == 1 else ds[key]
    assert elem is ds._dict[0x00100010]
    assert elem.value == "Doe^John"
    assert key in ds or isinstance(key, tuple)


def test_missing_or_unknown_keys_are_key_errors_naming_the_tag() -> None:
    ds = build(dicomcore)
    with pytest.raises(KeyError, match=re.escape("(0010,0030)")):
        ds["PatientBirthDate"]
    with pytest.raises(KeyError, match=re.escape("(0010,0030)")):
        ds[0x00100030]
    with pytest.raises(KeyError):
        ds["NotAKeyword"]
    with pytest.raises(KeyError):
        del ds[0x00100030]


def test_keyword_attributes_get_and_set_values() -> None:
    ds = build(dicomcore)
    assert ds.PatientID == "12"
    ds.PatientID = "13"
    assert ds[0x00100020].value == "13"
    assert ds.PatientName.family_name == "Doe"


@pytest.mark.parametrize("keyword", ["PatientName", "PatientID", "Rows", "PixelSpacing",
                                     "InstanceNumber", "SOPClassUID", "FrameIncrementPointer",
                                     "ReferencedImageSequence", "PixelData", "StudyDate",
                                     "RescaleSlope", "ImagePositionPatient"])
def test_setting_a_new_keyword_creates_the_element_with_the_dictionary_vr(keyword: str) -> None:
    ds = Dataset()
    setattr(ds, keyword, None)
    elem = ds[keyword]
    assert elem.tag == pydicom.datadict.tag_for_keyword(keyword)
    assert elem.VR == pydicom.datadict.dictionary_VR(keyword)
    assert len(ds) == 1


def test_unknown_names_are_attribute_errors_and_create_nothing() -> None:
    ds = build(dicomcore)
    before = len(ds)
    with pytest.raises(AttributeError):
        ds.NotAKeyword  # noqa: B018
    with pytest.raises(AttributeError):
        ds.PatientBirthDate  # noqa: B018 - a keyword, but absent
    with pytest.raises(AttributeError):
        ds.patientname  # noqa: B018
    assert len(ds) == before
    assert "PatientBirthDate" not in ds


@pytest.mark.parametrize("name", ["foo", "patientName", "FooBar", "NotAKeyword"])
def test_other_names_set_plain_attributes(name: str) -> None:
    ds = build(dicomcore)
    before = ds.keys()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        setattr(ds, name, 42)
    # As pydicom: a name that looks like a keyword (camel case) warns, "foo" does not.
    assert [str(w.message).startswith("Camel case attribute") for w in caught] == \
        ([] if name == "foo" else [True])
    assert getattr(ds, name) == 42
    assert ds.keys() == before
    assert name not in ds
    delattr(ds, name)
    assert not hasattr(ds, name)


def test_membership() -> None:
    ds = build(dicomcore)
    for key in ("PatientName", 0x00100010, (0x10, 0x10), "(0010,0010)", Tag(0x00100010)):
        assert key in ds, key
    for key in ("PatientBirthDate", 0x00100030, "NotAKeyword", None, 1.5, -1, (1, 2, 3)):
        assert key not in ds, key


def test_delete_by_attribute_and_by_key() -> None:
    ds = build(dicomcore)
    del ds.PatientName
    assert "PatientName" not in ds
    del ds[0x00100020]
    del ds["Modality"]
    del ds[0x28, 0x10]
    assert not {0x00100020, 0x00080060, 0x00280010} & set(ds.keys())
    with pytest.raises(AttributeError):
        del ds.PatientName
    with pytest.raises(KeyError):
        del ds["PatientName"]


def test_get_gives_values_for_keywords_and_elements_for_tags() -> None:
    ds = build(dicomcore)
    assert ds.get("PatientID") == "12"
    assert ds.get(0x00100020) is ds[0x00100020]
    assert ds.get((0x10, 0x20)) is ds[0x00100020]
    assert ds.get("(0010,0020)") is ds[0x00100020]
    assert ds.get("PatientBirthDate") is None
    assert ds.get("PatientBirthDate", "x") == "x"
    assert ds.get(0x00100030, "x") == "x"
    assert ds.get("indent_chars") == "   "  # any attribute, as in pydicom
    assert ds.get("no_such_attribute", 5) == 5
    theirs = build(pydicom)
    assert ds.get("PatientID") == theirs.get("PatientID")
    assert ds.get(0x00100020).value == theirs.get(0x00100020).value
    with pytest.raises(TypeError):
        ds.get(None)


def test_len_counts_elements_not_attributes() -> None:
    ds = build(dicomcore)
    ds.some_attribute = 1
    assert len(ds) == len(build(pydicom)) == 8
    assert len(Dataset()) == 0
    assert not Dataset()
    assert ds


# -- order, iteration, mapping mixins ----------------------------------------------------

def test_keys_values_items_and_iteration_are_in_ascending_tag_order() -> None:
    ds = build(dicomcore)
    expected = sorted(int(t) for t in build(pydicom).keys())
    assert [int(t) for t in ds.keys()] == expected
    assert [e.tag for e in ds.values()] == expected
    assert [t for t, _ in ds.items()] == expected
    assert [e.tag for e in ds] == expected
    assert all(isinstance(e, DataElement) for e in ds)
    assert all(type(t) is dicomcore.tag.BaseTag for t in ds.keys())
    assert [e.tag for e in ds.elements_in_file_order()][:2] == [0x00280010, 0x00100010]


def test_keys_have_the_set_operations_of_dict_keys() -> None:
    a, b = build(dicomcore), build(dicomcore)
    del b.Rows
    b.StudyDate = "20240101"
    assert a.keys() & b.keys() == set(a.keys()) - {0x00280010}
    assert a.keys() - b.keys() == {0x00280010}
    assert b.keys() - a.keys() == {0x00080020}
    assert a.keys() ^ b.keys() == {0x00280010, 0x00080020}
    assert a.keys() | b.keys() == set(a.keys()) | {0x00080020}
    assert not a.keys().isdisjoint(b.keys())


def test_dict_of_a_dataset_maps_tags_to_elements() -> None:
    ds = build(dicomcore)
    assert dict(ds) == {t: ds[t] for t in ds.keys()}


def test_pop() -> None:
    ds = build(dicomcore)
    elem = ds[0x00100020]
    assert ds.pop("PatientID") is elem
    assert ds.pop(0x00100010).value == "Doe^John"
    assert ds.pop(0x00100020, "gone") == "gone"
    assert ds.pop("NotAKeyword", "gone") == "gone"
    with pytest.raises(KeyError, match=re.escape("(0010,0020)")):
        ds.pop("PatientID")


def test_popitem_removes_the_last_added_element() -> None:
    ds = Dataset()
    ds.PatientID = "1"
    ds.Modality = "CT"
    tag, elem = ds.popitem()
    assert (tag, elem.value) == (0x00080060, "CT")
    assert type(tag) is dicomcore.tag.BaseTag
    assert ds.popitem()[0] == 0x00100020
    with pytest.raises(KeyError):
        ds.popitem()


def test_setdefault() -> None:
    ds = build(dicomcore)
    existing = ds[0x00100020]
    assert ds.setdefault("PatientID", "other") is existing
    assert existing.value == "12"
    new = ds.setdefault((0x10, 0x30), "20000101")
    assert (new.VR, new.value, ds.PatientBirthDate) == ("DA", "20000101", "20000101")
    theirs = pydicom.Dataset().setdefault((0x10, 0x30), "20000101")
    assert (new.VR, str(new)) == (theirs.VR, str(theirs))
    given = DataElement(0x00100040, "CS", "F")
    assert ds.setdefault("PatientSex", given) is given
    assert ds.setdefault(0x00091001, b"x").VR == "UN"  # private: no dictionary VR
    with pytest.warns(DicomWarning):
        assert ds.setdefault(0x00081234, b"x").VR == "UN"  # unknown public tag


def test_update_from_mappings_datasets_and_keywords() -> None:
    ds = Dataset()
    ds.update({"PatientID": "1", 0x00100010: "A^B", (0x08, 0x60): "MR"})
    ds.update({0x00200013: DataElement(0x00200013, "IS", "7")})
    other = Dataset()
    other.StudyDate = "20240101"
    ds.update(other)
    ds.update(Modality="CT", some_attribute=3)
    ds.update([DataElement(0x00280010, "US", 4)])
    assert (ds.PatientID, str(ds.PatientName), ds.InstanceNumber) == ("1", "A^B", 7)
    assert (ds.StudyDate, ds.Modality, ds.Rows, ds.some_attribute) == ("20240101", "CT", 4, 3)
    assert ds[0x00100010].VR == "PN"
    theirs = pydicom.Dataset()
    theirs.update({"PatientID": "1"})
    assert ds.get("PatientID") == theirs.get("PatientID")


def test_clear_add_add_new_and_data_element() -> None:
    ds = build(dicomcore)
    ds.clear()
    assert len(ds) == 0
    ds.add_new(0x00100020, "LO", "12")
    ds.add_new("PatientName", "PN", "A^B")
    ds.add(DataElement(0x00080060, "CS", "CT"))
    assert ds.PatientID == "12"
    assert isinstance(ds.PatientName, dicomcore.PersonName)
    assert ds.data_element("Modality") is ds[0x00080060]
    assert ds.data_element("StudyDate") is None
    assert ds.data_element("NotAKeyword") is None


def test_setitem_checks_the_element_and_its_tag() -> None:
    ds = Dataset()
    ds[0x00100020] = DataElement(0x00100020, "LO", "1")
    ds["PatientName"] = DataElement(0x00100010, "PN", "A")
    assert len(ds) == 2
    with pytest.raises(TypeError):
        ds[0x00100020] = "1"
    with pytest.raises(ValueError, match="does not match"):
        ds[0x00100030] = DataElement(0x00100020, "LO", "1")


def test_constructors_keep_the_order_elements_came_in() -> None:
    source = Dataset()
    source.Rows = 1
    source.PatientID = "1"
    for made in (Dataset(source), Dataset(source._dict), Dataset(list(source._dict.values()))):
        assert [e.tag for e in made.elements_in_file_order()] == [0x00280010, 0x00100020]
        assert made == source
    assert Dataset(PatientID="9").PatientID == "9"


# -- equality and copies -----------------------------------------------------------------

def test_equality() -> None:
    a, b = build(dicomcore), build(dicomcore)
    assert a == b
    assert not a != b
    b.Rows = 3
    assert a != b
    b.Rows = 2
    b.some_attribute = 1  # not an element: not compared, as in pydicom
    assert a == b
    b.ReferencedImageSequence[0].ConceptNameCodeSequence[0].CodeValue = "x"
    assert a != b
    assert a != {}
    assert Dataset() != {}
    assert (a == 1) is False


def test_copy_is_shallow_and_deepcopy_and_pickle_are_deep() -> None:
    ds = build(dicomcore)
    shallow = ds.copy()
    assert shallow == ds and shallow is not ds
    assert shallow[0x00100020] is ds[0x00100020]
    del shallow.PatientID
    assert "PatientID" in ds
    for clone in (copy.deepcopy(ds), pickle.loads(pickle.dumps(ds))):
        assert clone == ds
        assert clone[0x00100020] is not ds[0x00100020]
        clone.ReferencedImageSequence[0].ReferencedSOPInstanceUID = "9.9"
        assert ds.ReferencedImageSequence[0].ReferencedSOPInstanceUID == "1.2.3.4"


@corpus
def test_copies_of_read_files_are_equal(path: Path) -> None:
    with dicomcore.dcmread(path, force=True, defer_size=256) as ds:
        for clone in (copy.deepcopy(ds), pickle.loads(pickle.dumps(ds)), copy.copy(ds)):
            assert type(clone) is FileDataset
            assert clone == ds
            assert clone.file_meta == ds.file_meta
            assert (clone.preamble, clone.filename, clone.is_implicit_VR,
                    clone.is_little_endian) == (ds.preamble, ds.filename, ds.is_implicit_VR,
                                                ds.is_little_endian)


# -- structure: walk, iterall, groups, slices --------------------------------------------

@corpus
def test_walk_iterall_dir_and_groups_agree_with_pydicom(path: Path) -> None:
    ours, theirs = read_pair(path)
    visited: list[int] = []
    ours.walk(lambda ds, elem: visited.append(elem.tag))
    their_visits: list[int] = []
    theirs.walk(lambda ds, elem: their_visits.append(int(elem.tag)))
    assert visited == their_visits
    assert [e.tag for e in ours.iterall()] == their_visits
    assert ours.dir() == theirs.dir()
    assert ours.dir("patient", "uid") == theirs.dir("patient", "uid")
    for group in (0x0008, 0x0010, 0x0028, 0x7FE0):
        assert ours.group_dataset(group).keys() == list(theirs.group_dataset(group).keys())


SLICES = [slice(0x00080000, 0x00100000), slice(None, 0x00100000), slice(0x00280000, None),
          slice(0x00080000, None, 2), slice((0x0008, 0x0000), (0x0010, 0x0021)),
          slice(None, None, 3), slice(0x00100020, 0x00100020)]


@corpus
def test_slices_agree_with_pydicom(path: Path) -> None:
    ours, theirs = read_pair(path)
    for part in SLICES:
        sliced = ours[part]
        assert type(sliced) is Dataset
        assert sliced.keys() == sorted(theirs[part].keys()), part


def test_walk_passes_the_dataset_and_skips_what_the_callback_deletes() -> None:
    ds = build(dicomcore)
    seen: list[tuple[int, int]] = []

    def callback(dataset: Dataset, elem: DataElement) -> None:
        seen.append((id(dataset), elem.tag))
        if elem.tag == 0x00080008:
            del dataset.Modality  # the next element in tag order

    ds.walk(callback)
    tags = [t for _, t in seen]
    assert 0x00080060 not in tags and "Modality" not in ds
    item = ds.ReferencedImageSequence[0]
    assert (id(item), 0x00081155) in seen
    assert (id(item.ConceptNameCodeSequence[0]), 0x00080100) in seen
    top_only: list[int] = []
    ds.walk(lambda d, e: top_only.append(e.tag), recursive=False)
    assert top_only == ds.keys()


def test_delete_a_slice() -> None:
    ds = build(dicomcore)
    del ds[0x00100000:0x00110000]
    assert ds.dir("patient") == []
    assert "Rows" in ds


# -- printing ----------------------------------------------------------------------------

def test_str_of_a_built_dataset_is_pydicoms() -> None:
    assert str(build(dicomcore)) == str(build(pydicom))
    assert repr(build(dicomcore)) == str(build(pydicom))
    assert build(dicomcore).top() == build(pydicom).top()


_TAG_AT_START = re.compile(r"\s*\(([0-9A-F]{4}),([0-9A-F]{4})\)")


@corpus
def test_str_of_every_file_is_pydicoms(path: Path) -> None:
    """Line for line; private elements may differ (pydicom names and types them from its
    private dictionary), and pydicom names registered SOP class UIDs where we show the UID."""
    ours, theirs = read_pair(path)
    our_lines, their_lines = str(ours).splitlines(), str(theirs).splitlines()
    assert len(our_lines) == len(their_lines)
    for mine, expected in zip(our_lines, their_lines, strict=True):
        if mine == expected:
            continue
        match = _TAG_AT_START.match(expected)
        assert match, (mine, expected)
        assert mine[:match.end()] == expected[:match.end()]
        if int(match.group(1), 16) & 1:
            continue
        head, _, shown = expected.partition(" UI: ")
        assert shown and not re.fullmatch(r"[\d.]*", shown), (mine, expected)
        assert mine.startswith(head + " UI: ")
        assert re.fullmatch(r"[\d.]+", mine[len(head) + 5:]), mine


def test_indent_chars_of_the_instance_indents_every_level() -> None:
    ds = build(dicomcore)
    lines = str(ds).splitlines()
    assert "   (0008,1155) Referenced SOP Instance UID" in "\n".join(lines)
    assert any(line.startswith("      (0008,0100) Code Value") for line in lines)
    ds.indent_chars = "..."
    dotted = str(ds).splitlines()
    assert any(line.startswith("...(0008,1155)") for line in dotted)
    assert any(line.startswith("......(0008,0100) Code Value") for line in dotted)
    assert "...---------" in dotted and "......---------" in dotted
    assert [line.lstrip(".") for line in dotted] == [line.lstrip() for line in lines]
    assert Dataset.indent_chars == "   " and build(dicomcore).indent_chars == "   "
    assert "   (0008,1155)" in str(build(dicomcore))


def test_top_leaves_out_sequence_contents() -> None:
    top = build(dicomcore).top()
    assert "(0008,1140)  Referenced Image Sequence  2 item(s) ---- " in top
    assert "1155" not in top


# -- FileDataset -------------------------------------------------------------------------

ENCODINGS = {"CT_small.dcm": (False, True), "MR_small_implicit.dcm": (True, True),
             "MR_small_bigendian.dcm": (False, False)}


@pytest.mark.parametrize("name", ENCODINGS, ids=ENCODINGS.keys())
def test_file_dataset_attributes(name: str) -> None:
    path = get_testdata_file(name)
    theirs = pydicom.dcmread(path)
    with dicomcore.dcmread(path) as ds:
        assert type(ds) is FileDataset
        assert (ds.is_implicit_VR, ds.is_little_endian) == ENCODINGS[name]
        assert (ds.is_implicit_VR, ds.is_little_endian) == theirs.original_encoding
        assert ds.preamble == theirs.preamble and len(ds.preamble) == 128
        assert ds.filename == theirs.filename == path
        assert isinstance(ds.file_meta, FileMetaDataset)
        assert ds.file_meta.keys() == list(theirs.file_meta.keys())
        assert all(t >> 16 == 2 for t in ds.file_meta.keys())
        assert ds.file_meta.TransferSyntaxUID == theirs.file_meta.TransferSyntaxUID
        assert str(ds).startswith("Dataset.file_meta ---")
    assert dicomcore.dcmread(Path(path)).filename == path


def test_file_without_meta_read_with_force() -> None:
    path = get_testdata_file("no_meta.dcm")
    with pytest.raises(dicomcore.InvalidDicomError):
        dicomcore.dcmread(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # it ends in garbage, as pydicom also says
        ds = dicomcore.dcmread(path, force=True)
    assert ds.preamble is None
    assert isinstance(ds.file_meta, Dataset) and len(ds.file_meta) == 0 and not ds.file_meta
    assert (ds.is_implicit_VR, ds.is_little_endian) == (True, True)
    assert not str(ds).startswith("Dataset.file_meta")
    assert ds.filename == path


def test_context_manager_closes_once_and_keeps_deferred_values_readable() -> None:
    path = get_testdata_file("CT_small.dcm")
    with dicomcore.dcmread(path, defer_size=1024) as ds:
        assert ds[0x7FE00010].is_deferred
        closers = list(ds._closers)
    assert closers and ds._closers == []
    ds.close()  # a second close does nothing
    assert ds.PixelData == pydicom.dcmread(path).PixelData  # re-opened by name


def test_file_dataset_from_a_file_object_has_its_name_or_none() -> None:
    path = get_testdata_file("CT_small.dcm")
    with open(path, "rb") as fp:
        assert dicomcore.dcmread(fp).filename in (path, None)
    data = Path(path).read_bytes()
    ds = dicomcore.dcmread(io.BytesIO(data))
    assert ds.filename is None
    assert ds == dicomcore.dcmread(path)
