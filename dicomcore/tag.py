"""DICOM tags: `Tag`, an int that prints as (gggg,eeee), and the tags the reader needs by name."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = [
    "Tag",
    "TupleTag",
    "BaseTag",
    "TagType",
    "ITEM",
    "ITEM_DELIMITER",
    "SEQUENCE_DELIMITER",
    "PIXEL_DATA",
    "FLOAT_PIXEL_DATA",
    "DOUBLE_FLOAT_PIXEL_DATA",
    "SPECIFIC_CHARACTER_SET",
    "TRANSFER_SYNTAX_UID",
    "ItemTag",
    "ItemDelimiterTag",
    "SequenceDelimiterTag",
    "TAG_PIXREP",
    "TAG_CHARSET",
    "tag_in_exception",
]

ITEM = 0xFFFEE000
ITEM_DELIMITER = 0xFFFEE00D
SEQUENCE_DELIMITER = 0xFFFEE0DD
PIXEL_DATA = 0x7FE00010
FLOAT_PIXEL_DATA = 0x7FE00008
DOUBLE_FLOAT_PIXEL_DATA = 0x7FE00009
SPECIFIC_CHARACTER_SET = 0x00080005
TRANSFER_SYNTAX_UID = 0x00020010


class BaseTag(int):
    """A tag as an int (group << 16 | element) that prints as (gggg,eeee)."""

    __slots__ = ()

    @property
    def group(self) -> int:
        return self >> 16

    @property
    def element(self) -> int:
        return self & 0xFFFF

    elem = element

    @property
    def is_private(self) -> bool:
        """Odd groups are private (PS3.5 7.8)."""
        return bool(self >> 16 & 1)

    @property
    def is_private_creator(self) -> bool:
        return bool(self >> 16 & 1) and 0x0010 <= (self & 0xFFFF) <= 0x00FF

    @property
    def private_creator(self) -> BaseTag:
        """The private creator element that reserves this private tag's block (PS3.5 7.8.1);
        meaningless for a tag that is not private."""
        return BaseTag((self & 0xFFFF0000) | (self & 0xFFFF) >> 8)

    @property
    def json_key(self) -> str:
        """The PS3.18 F.2 key: eight upper-case hex digits."""
        return f"{self:08X}"

    def __str__(self) -> str:
        return f"({self >> 16:04X},{self & 0xFFFF:04X})"

    __repr__ = __str__

    def __eq__(self, other: object) -> bool:
        if isinstance(other, int):
            return int(self) == int(other)
        try:
            return int(self) == int(Tag(other))
        except (ValueError, TypeError, OverflowError):
            return NotImplemented

    def __ne__(self, other: object) -> bool:
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    # Order against anything Tag() accepts, so `tag < (0x0010, 0x0020)` works as in pydicom.
    def __lt__(self, other: object) -> bool:
        return int(self) < _comparable(other)

    def __le__(self, other: object) -> bool:
        return int(self) <= _comparable(other)

    def __gt__(self, other: object) -> bool:
        return int(self) > _comparable(other)

    def __ge__(self, other: object) -> bool:
        return int(self) >= _comparable(other)

    __hash__ = int.__hash__


# pydicom's names of the same tags.
ItemTag = BaseTag(ITEM)
ItemDelimiterTag = BaseTag(ITEM_DELIMITER)
SequenceDelimiterTag = BaseTag(SEQUENCE_DELIMITER)
TAG_PIXREP = BaseTag(0x00280103)
TAG_CHARSET = BaseTag(SPECIFIC_CHARACTER_SET)


@contextmanager
def tag_in_exception(tag: int) -> Iterator[None]:
    """Re-raise any exception raised inside the block with the tag named in its message,
    as pydicom's does (the exception keeps its type)."""
    try:
        yield
    except Exception as exc:
        message = f"With tag {BaseTag(tag)} got exception: {exc}"
        try:
            replacement = type(exc)(message)
        except Exception:  # an exception type that wants other arguments: leave it
            raise exc from None
        raise replacement from exc


def private_creator_tag(tag: int) -> int:
    """The tag of the Private Creator element that reserves the block of a private data
    element (PS3.5 7.8.1): (gggg,xxee) is reserved by (gggg,00xx)."""
    return tag & 0xFFFF0000 | (tag & 0xFF00) >> 8


def _comparable(other: object) -> int:
    if isinstance(other, int):
        return int(other)
    try:
        return int(Tag(other))
    except (ValueError, TypeError, OverflowError):
        raise TypeError(f"cannot compare a tag with {other!r}") from None


TagType = int | tuple[int, int] | str


def Tag(arg: Any, arg2: int | None = None) -> BaseTag:  # noqa: N802 - pydicom's public name
    """Build a tag from an int, (group, element), "(0010,0010)", "0010,0010", a hex string
    such as "00100010" or "0x00100010", or a keyword such as "PatientName".

    Raises ValueError for text that is neither a tag nor a keyword and for negative numbers,
    OverflowError for numbers too large for a tag, TypeError for other kinds of argument.

    >>> Tag(0x00100010), Tag(0x10, 0x10), Tag("(0010,0010)"), Tag("PatientName")
    ((0010,0010), (0010,0010), (0010,0010), (0010,0010))
    """
    if arg2 is not None:
        arg = (arg, arg2)
    if isinstance(arg, BaseTag):
        return arg
    if isinstance(arg, int):
        value = int(arg)
    elif isinstance(arg, (tuple, list)):
        if len(arg) != 2:
            raise ValueError("a tag tuple must be (group, element)")
        if isinstance(arg[0], str) != isinstance(arg[1], str):
            # pydicom refuses a mix: Tag("0x01", 0) is a TypeError there too.
            raise TypeError(f"cannot make a tag from {tuple(arg)!r}: group and element must "
                            f"both be ints or both be hex strings")
        group, element = (_int_part(x) for x in arg)
        for part in (group, element):
            _check_range(part, 0xFFFF, "group and element must each fit in 16 bits")
        value = group << 16 | element
    elif isinstance(arg, str):
        value = _parse_tag_string(arg)
    else:
        raise TypeError(f"cannot make a tag from {type(arg).__name__}")
    _check_range(value, 0xFFFFFFFF, "a tag must fit in 32 bits")
    return BaseTag(value)


def TupleTag(group_elem: tuple[int, int]) -> BaseTag:  # noqa: N802 - pydicom's public name
    """A tag from a (group, element) pair already known to be valid: no checks (pydicom's
    fast factory)."""
    return BaseTag(group_elem[0] << 16 | group_elem[1])


def _check_range(value: int, highest: int, message: str) -> None:
    if value < 0:
        raise ValueError(f"a tag cannot be negative ({value})")
    if value > highest:
        raise OverflowError(f"{message} ({value:#x})")


def _int_part(part: Any) -> int:
    if isinstance(part, int):
        return int(part)
    if isinstance(part, str):
        text = part.strip()
        if not _is_hex(text.removeprefix("0x").removeprefix("0X")):
            raise ValueError(f"{part!r} is not a hexadecimal group or element number")
        return int(text, 16)
    raise TypeError(f"cannot make a tag part from {type(part).__name__}")


def _parse_tag_string(text: str) -> int:
    """"(gggg,eeee)", "gggg,eeee", a hex number (optional 0x) or a keyword."""
    s = text.strip()
    if s.startswith("(") and s.endswith(")"):
        s = s[1:-1]
    if "," in s:
        group, _, element = s.partition(",")
        group, element = group.strip(), element.strip()
        if len(group) == 4 == len(element) and _is_hex(group) and _is_hex(element):
            return int(group, 16) << 16 | int(element, 16)
    else:
        digits = s.removeprefix("0x").removeprefix("0X")
        if _is_hex(digits):
            return int(digits, 16)
    from .dictionary import tag_for_keyword

    found = tag_for_keyword(text.strip())
    if found is None:
        raise ValueError(f"{text!r} is not a tag or a known keyword")
    return found


def _is_hex(text: str) -> bool:
    return bool(text) and all(c in "0123456789abcdefABCDEF" for c in text)
