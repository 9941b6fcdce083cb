"""Request arguments → a typed SearchRequest, in one place.

The page and the API share this parser, so a bad value gets the same answer
everywhere: one ParameterError naming the parameter, which the views turn
into a 400 (or 413 for an over-long query) in HTML or JSON.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from werkzeug.datastructures import MultiDict

from indexer.model import (
    COLLAPSE_MODES,
    DEFAULT_COLLAPSE,
    DEFAULT_SORT,
    FACETS,
    SORTS,
    ParameterError,
    SearchLimits,
    SearchRequest,
)

from .service import limits_from_config

# Facet name (as the indexer reports it) → URL parameter, for the page's links.
FACET_PARAMS: dict[str, str] = {facet.name: facet.param for facet in FACETS}
SEARCH_PARAMS: tuple[str, ...] = (
    "q", *(facet.param for facet in FACETS), "from", "to", "sort", "page", "per_page",
    "collapse", "story",
)  # fmt: skip

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def parse_search_request(args: MultiDict[str, str], config: Mapping[str, Any]) -> SearchRequest:
    """Validate every search parameter; raise ParameterError on the first bad one."""
    limits = limits_from_config(config)
    query = _CONTROL.sub(" ", args.get("q", "")).strip()
    limits.check_query(query)
    filters: dict[str, tuple[str, ...]] = {}
    for facet in FACETS:
        values = _values(args, facet.param, limits)
        for value in values:
            if not facet.accepts(facet.normalize(value)):
                raise ParameterError(
                    f"{facet.param}={value!r} is not {facet.expected}.", parameter=facet.param
                )
        filters[facet.request_field] = tuple(dict.fromkeys(map(facet.normalize, values)))
    date_from = _day(args, "from")
    date_to = _day(args, "to")
    if date_from and date_to and date_from > date_to:
        raise ParameterError(
            f"from={date_from} is after to={date_to}; swap them.", parameter="from"
        )
    sort = args.get("sort", "") or DEFAULT_SORT
    if sort not in SORTS:
        raise ParameterError(f"sort={sort!r} is not one of {', '.join(SORTS)}.", parameter="sort")
    collapse = args.get("collapse", "") or DEFAULT_COLLAPSE
    if collapse not in COLLAPSE_MODES:
        raise ParameterError(
            f"collapse={collapse!r} is not one of {', '.join(COLLAPSE_MODES)}.",
            parameter="collapse",
        )
    stories = _values(args, "story", limits)
    if len(stories) > 1:
        raise ParameterError("story is given more than once; give one story id.", parameter="story")
    page = _integer(args, "page", 1, limits.max_page, default=1)
    per_page = _integer(args, "per_page", 1, limits.max_per_page, default=limits.default_per_page)
    return SearchRequest(
        query=query,
        date_from=date_from,
        date_to=date_to,
        sort=sort,
        page=page,
        per_page=per_page,
        collapse=collapse,
        story=stories[0] if stories else None,
        **filters,  # type: ignore[arg-type]  # each a tuple[str, ...] field of SearchRequest
    )


def has_filters(request: SearchRequest) -> bool:
    """Browse mode (no query) needs at least one of these."""
    return request.has_filters()


def request_args(request: SearchRequest, default_per_page: int) -> MultiDict[str, str]:
    """The URL parameters that reproduce ``request`` (defaults left out)."""
    args: MultiDict[str, str] = MultiDict()
    if request.query:
        args.add("q", request.query)
    for facet in FACETS:
        for value in getattr(request, facet.request_field):
            args.add(facet.param, value)
    if request.date_from:
        args.add("from", request.date_from.isoformat())
    if request.date_to:
        args.add("to", request.date_to.isoformat())
    if request.sort != DEFAULT_SORT:
        args.add("sort", request.sort)
    if request.story:
        args.add("story", request.story)
    if request.collapse != DEFAULT_COLLAPSE:
        args.add("collapse", request.collapse)
    if request.page != 1:
        args.add("page", str(request.page))
    if request.per_page != default_per_page:
        args.add("per_page", str(request.per_page))
    return args


def _values(args: MultiDict[str, str], param: str, limits: SearchLimits) -> tuple[str, ...]:
    values: list[str] = []
    for raw in args.getlist(param):
        value = raw.strip()
        if not value or value in values:
            continue  # an empty form field means "no filter"
        if len(value) > limits.max_filter_chars:
            raise ParameterError(
                f"{param} value is longer than {limits.max_filter_chars} characters.",
                parameter=param,
            )
        values.append(value)
    if len(values) > limits.max_filter_values:
        raise ParameterError(
            f"{param} is given {len(values)} times; at most {limits.max_filter_values} values.",
            parameter=param,
        )
    return tuple(values)


def _day(args: MultiDict[str, str], param: str) -> date | None:
    raw = args.get(param, "").strip()
    if not raw:
        return None
    try:
        if not _DAY.fullmatch(raw):
            raise ValueError
        return date.fromisoformat(raw)
    except ValueError:
        raise ParameterError(
            f"{param}={raw!r} is not a date; use YYYY-MM-DD, e.g. 2025-09-22.", parameter=param
        ) from None


def _integer(args: MultiDict[str, str], param: str, low: int, high: int, *, default: int) -> int:
    raw = args.get(param, "").strip()
    if not raw:
        return default
    if not raw.isascii() or not raw.isdigit():
        raise ParameterError(f"{param}={raw!r} is not a whole number.", parameter=param)
    value = int(raw) if len(raw) <= 9 else high + 1
    if not low <= value <= high:
        raise ParameterError(
            f"{param}={value} is out of range; use {low} to {high}.", parameter=param
        )
    return value
