"""QIDO-RS results as DICOM JSON (PS3.18 F): index rows, aggregates, and header values.

An index row becomes a data set of the attributes the index keeps at the search's level and
above, the aggregates of the level (ModalitiesInStudy, NumberOfStudyRelatedSeries/Instances,
NumberOfSeriesRelatedInstances) and its Retrieve URL (0008,1190). `includefield` of a tag the
row does not hold is answered from the header of one of its instances (the instance itself at
instance level; for a study or series the instance the search names as `_id`), read up to
the last tag asked for, binary values longer than 1024 base64 characters left out.
`includefield=all` adds nothing to this: every attribute the index keeps is always given.
"""

from __future__ import annotations

from typing import Any

from dicomcore import read_file
from dicomcore.dictionary import tag_for_keyword
from dicomcore.json import element_to_json_dict, omit_bulk_data
from dicomcore.limits import ReadLimits

from ..index.attributes import ATTRIBUTES
from ..storage import InstanceNotFound, InstanceStorage
from ..uploads import stored_limits

_VR = {a.keyword: a.vr for a in ATTRIBUTES} | {
    "ModalitiesInStudy": "CS", "NumberOfStudyRelatedSeries": "IS",
    "NumberOfStudyRelatedInstances": "IS", "NumberOfSeriesRelatedInstances": "IS",
    "AvailableTransferSyntaxUID": "UI", "RetrieveURL": "UR"}
_TAG = {keyword: f"{tag_for_keyword(keyword):08X}" for keyword in _VR}


def _value(vr: str, value: Any) -> list[Any]:
    values = value if isinstance(value, list) else [value]
    if vr == "PN":
        out = []
        for name in values:
            groups = dict(zip(("Alphabetic", "Ideographic", "Phonetic"), str(name).split("="),
                              strict=False))
            out.append({k: v for k, v in groups.items() if v})
        return out
    if vr in ("IS", "US"):
        return [int(v) for v in values]
    return [str(v) for v in values]


def dataset(item: dict[str, Any], retrieve_url: str) -> dict[str, Any]:
    """The DICOM JSON object of one search result (keys starting with `_` are left out)."""
    model: dict[str, Any] = {}
    for keyword, value in item.items():
        if keyword.startswith("_"):
            continue
        vr = _VR[keyword]
        element: dict[str, Any] = {"vr": vr}
        if value not in (None, "", []):
            element["Value"] = _value(vr, value)
        model[_TAG[keyword]] = element
    model[_TAG["RetrieveURL"]] = {"vr": "UR", "Value": [retrieve_url]}
    return dict(sorted(model.items()))


def add_header_fields(storage: InstanceStorage, model: dict[str, Any], instance_id: str,
                      tags: list[str], defer_size: int, limits: ReadLimits) -> dict[str, Any]:
    """`model` with the elements `tags` name that it lacks, from the instance's header."""
    wanted = [int(tag, 16) for tag in tags if tag != "all" and tag not in model]
    if not wanted:
        return model
    try:
        _record, fp, inflated = storage.open_for_reading(instance_id)
    except InstanceNotFound:
        return model  # deleted since the search: its row's values stand alone
    with fp:
        ds = read_file(fp, defer_size=defer_size, specific_tags=wanted,
                       limits=stored_limits(limits, inflated))
        try:
            for tag in wanted:
                elem = ds.get_item(tag)
                if elem is not None:
                    model[f"{tag:08X}"] = element_to_json_dict(elem, omit_bulk_data, 1024)
        finally:
            ds.close()
    return dict(sorted(model.items()))
