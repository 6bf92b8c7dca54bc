"""The query parameters that filter a listing by indexed attributes: one per DICOM keyword
of `app.index.ATTRIBUTES`, each documented in OpenAPI, matched by `app.index.query`.

`?StudyInstanceUID=1.2.3&Modality=CT` lists the CT instances of that study. A parameter that
is neither a filter nor one the route declares is a 400, not ignored: a typo would otherwise
list everything.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import Depends, Query, Request

from .index import ATTRIBUTES
from .problems import Problem

MATCHING = ("matched by the index's rules: UIDs exactly (several separated by a backslash "
            "match any), dates and times as a value or a range a-b, a- or -b, person names "
            "case-insensitively with wildcards, other text exactly or with wildcards * and ?")


def attribute_filters(other_parameters: Iterable[str]) -> Any:
    """A dependency giving {keyword: value} of the filters a request sets."""
    allowed = {a.keyword for a in ATTRIBUTES} | set(other_parameters)

    async def filters(request: Request, **given: str | None) -> dict[str, str]:
        unknown = set(request.query_params) - allowed
        if unknown:
            raise Problem(400, "Bad request", "unknown query parameters: "
                          + ", ".join(sorted(unknown)) + "; filters are DICOM keywords such "
                          "as StudyInstanceUID or Modality")
        return {k: v for k, v in given.items() if v is not None}

    parameters = [inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                    annotation=Request)]
    for attribute in ATTRIBUTES:
        parameters.append(inspect.Parameter(
            attribute.keyword, inspect.Parameter.KEYWORD_ONLY, default=None,
            annotation=Annotated[str | None, Query(max_length=4096, description=(
                f"{attribute.keyword} ({attribute.vr}, {attribute.level} level), "
                + MATCHING))]))
    filters.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        parameters, return_annotation=dict[str, str])
    return filters


InstanceFilters = Annotated[dict[str, str], Depends(attribute_filters(("offset", "limit")))]
