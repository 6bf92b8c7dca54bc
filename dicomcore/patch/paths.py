"""The path grammar of patches: which element, in which item, of which sequence.

    path    = step *("." step)
    step    = name ["[" index "]"]
    name    = keyword | tag | private
    tag     = "(gggg,eeee)" | "gggggggg" | "gggg,eeee"
    private = "(gggg," DQUOTE creator DQUOTE ",ee)"     ; element ee of the creator's block
    index   = integer | "*"                              ; negative counts from the end

Every step but the last names a sequence and needs an index (`[*]` is every item). A last
step with an index names an item (for `remove`). Tags that cannot hold a value here are
refused: items and delimiters, group lengths (the writer computes them), and the odd groups
below 0009 and FFFF. A private step is resolved against the data set it is used in, because
the block a creator reserved differs from file to file (`find_private_tag`).

>>> [(f"{s.tag:08X}", s.index) for s in parse_path("OtherPatientIDsSequence[-1].PatientID")]
[('00101002', -1), ('00100020', None)]
>>> step, = parse_path('(0009,"GEMS_IDEN_01",04)')
>>> step.creator, hex(step.private_element)
('GEMS_IDEN_01', '0x90004')
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .. import dictionary
from ..dataset import Dataset
from ..tag import Tag
from ..validation import validate_value
from .errors import InvalidOperation

__all__ = ["PathStep", "parse_path", "check_element_tag", "find_private_tag", "describe"]


@dataclass(frozen=True)
class PathStep:
    """One element of a path: its tag (or private creator block) and an optional index.

    `tag` is None for a private step, which has `creator` and `private_element` (the group
    and the element offset in the block: 0x00090004 for `(0009,"CREATOR",04)`) instead.
    `index` is an item number, "*" for every item, or None.
    """

    tag: int | None
    creator: str | None = None
    private_element: int | None = None
    index: int | str | None = None


def parse_path(text: str) -> tuple[PathStep, ...]:
    """Path text -> its steps; InvalidOperation says what is wrong with it."""
    steps = []
    pos = 0
    while pos < len(text):
        if text[pos] == "(":
            end = _closing_paren(text, pos)
            name, pos = text[pos:end + 1], end + 1
        else:
            end = pos
            while end < len(text) and text[end] not in ".[":
                end += 1
            name, pos = text[pos:end], end
        index: int | str | None = None
        if pos < len(text) and text[pos] == "[":
            close = text.find("]", pos)
            if close < 0:
                raise InvalidOperation(f"unclosed [ in path {text!r}")
            index = _index(text[pos + 1:close].strip())
            pos = close + 1
        steps.append(_step(name.strip(), index))
        if pos < len(text):
            if text[pos] != ".":
                raise InvalidOperation(f"unexpected {text[pos]!r} in path {text!r}")
            pos += 1
            if pos == len(text):
                raise InvalidOperation(f"path {text!r} ends with a dot")
    if not steps:
        raise InvalidOperation("a path names at least one element")
    for step in steps[:-1]:
        if step.index is None:
            raise InvalidOperation(f"path {text!r}: a sequence on the way needs an item index")
    return tuple(steps)


def _index(inner: str) -> int | str:
    if inner == "*":
        return "*"
    try:
        return int(inner)
    except ValueError:
        raise InvalidOperation(f"item index {inner!r} is not a number or *") from None


def _closing_paren(text: str, start: int) -> int:
    quoted = False
    for i in range(start + 1, len(text)):
        if text[i] == '"':
            quoted = not quoted
        elif text[i] == ")" and not quoted:
            return i
    raise InvalidOperation(f"unclosed ( in path {text!r}")


_TAG_FORMS = re.compile(r"\(\s*[0-9A-Fa-f]{4}\s*,\s*[0-9A-Fa-f]{4}\s*\)|[0-9A-Fa-f]{8}"
                        r"|[0-9A-Fa-f]{4},\s*[0-9A-Fa-f]{4}")


def _step(name: str, index: int | str | None) -> PathStep:
    if name.startswith("(") and '"' in name:
        return _private_step(name, index)
    # A tag is written in one of the forms the README names; a bare "a" or "10" is neither a
    # keyword nor a tag (Tag() alone would take it as hex).
    if not (_TAG_FORMS.fullmatch(name) or dictionary.tag_for_keyword(name) is not None):
        raise InvalidOperation(f"{name!r} is not a keyword or a tag")
    try:
        tag = int(Tag(name))
    except (ValueError, TypeError, OverflowError):
        raise InvalidOperation(f"{name!r} is not a keyword or a tag") from None
    check_element_tag(tag, name)
    return PathStep(tag, None, None, index)


def _private_step(name: str, index: int | str | None) -> PathStep:
    group_text, _, rest = name[1:-1].partition(",")
    creator, _, element_text = rest.rpartition(",")
    creator = creator.strip()
    try:
        group = int(group_text.strip(), 16)
        element = int(element_text.strip(), 16)
    except ValueError:
        raise InvalidOperation(f"{name!r} is not (gggg,\"CREATOR\",ee)") from None
    if not (creator.startswith('"') and creator.endswith('"') and len(creator) >= 2):
        raise InvalidOperation(f"the creator in {name!r} must be quoted")
    if not group & 1 or group < 0x0009 or group > 0xFFFD or not 0 <= element <= 0xFF:
        raise InvalidOperation(f"{name!r}: a private group is odd, 0009-FFFD, and the "
                               "element 00-FF")
    text = creator[1:-1].strip()
    if not text or validate_value("LO", text):
        raise InvalidOperation(f"{name!r}: the private creator must be a non-empty LO value")
    return PathStep(None, text, group << 16 | element, index)


def check_element_tag(tag: int, name: str) -> None:
    """Refuse tags that can hold no value of their own in a data set (see the docstring)."""
    group = tag >> 16
    if group == 0xFFFE:
        raise InvalidOperation(f"{name!r}: item and delimiter tags are not elements")
    if tag & 0xFFFF == 0:
        raise InvalidOperation(f"{name!r}: group lengths are computed by the writer")
    if group & 1 and (group < 0x0009 or group == 0xFFFF):
        raise InvalidOperation(f"{name!r}: group {group:04X} cannot hold elements")


def find_private_tag(ds: Dataset, step: PathStep) -> tuple[int | None, int | None]:
    """For a private step: (the tag it names in `ds`, or None where its creator has no block;
    the first free block number of the group, or None where all are taken)."""
    assert step.private_element is not None
    group = step.private_element >> 16
    free = None
    for block in range(0x10, 0x100):
        creator = ds.get_item(group << 16 | block)
        if creator is None:
            free = block if free is None else free
        elif isinstance(creator.value, str) and creator.value.strip() == step.creator:
            return group << 16 | block << 8 | (step.private_element & 0xFF), free
    return None, free


def describe(tag: int | None, step: PathStep | None = None) -> str:
    """A tag for messages: "PatientName (0010,0010)", "(0009,1004)", or a private step."""
    if tag is None:
        if step is None:
            return "?"
        return f'({(step.private_element or 0) >> 16:04X},"{step.creator}")'
    keyword = dictionary.keyword_for_tag(tag) if not (tag >> 16) & 1 else ""
    return f"{keyword} {Tag(tag)}" if keyword else str(Tag(tag))
