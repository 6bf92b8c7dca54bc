"""Run the same code against pydicom 3 and dicomcore and compare what happens.

A case is a function of one `Lib` (the library's modules by pydicom's names); `outcomes`
runs it on both and returns what each gave: ("ok", value) or ("raised", exception).
`assert_same` checks the two agree: equal values, or exceptions where dicomcore's is an
instance of the type pydicom raised (dicomcore may raise a subclass that says more).
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable
from typing import Any

SUBMODULES = ("datadict", "dataelem", "dataset", "errors", "filebase", "filereader",
              "filewriter", "multival", "sequence", "tag", "uid", "valuerep", "values")


class Lib:
    """pydicom or dicomcore: the top-level names and the submodules pydicom users import."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.top = importlib.import_module(name)
        for sub in SUBMODULES:
            setattr(self, sub, importlib.import_module(f"{name}.{sub}"))

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.top, attr)

    def __repr__(self) -> str:
        return self.name


PYDICOM = Lib("pydicom")
DICOMCORE = Lib("dicomcore")
LIBS = (PYDICOM, DICOMCORE)


def outcome(case: Callable[[Lib], Any], lib: Lib) -> tuple[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return "ok", case(lib)
        except Exception as exc:  # noqa: BLE001 - what was raised is the result
            return "raised", exc


def outcomes(case: Callable[[Lib], Any]) -> tuple[tuple[str, Any], tuple[str, Any]]:
    return outcome(case, PYDICOM), outcome(case, DICOMCORE)


def assert_same(case: Callable[[Lib], Any]) -> Any:
    """Assert both libraries agree on `case`; return dicomcore's value."""
    (kind_p, got_p), (kind_d, got_d) = outcomes(case)
    assert kind_d == kind_p, f"pydicom {kind_p} {got_p!r}, dicomcore {kind_d} {got_d!r}"
    if kind_p == "raised":
        expected = type(got_p)
        if expected.__module__.startswith("pydicom"):
            assert type(got_d).__name__ == expected.__name__, (got_p, got_d)
        else:
            assert isinstance(got_d, expected), f"pydicom {got_p!r}, dicomcore {got_d!r}"
        return got_d
    assert got_d == got_p
    return got_d


def warning_categories(case: Callable[[Lib], Any], lib: Lib) -> list[str]:
    """The names of the warnings `case` gives on `lib` (user warnings only)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            case(lib)
        except Exception:  # noqa: BLE001, S110 - only the warnings matter here
            pass
    return [w.category.__name__ for w in caught if issubclass(w.category, UserWarning)
            and not issubclass(w.category, DeprecationWarning)]
