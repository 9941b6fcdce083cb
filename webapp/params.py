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

from indexer.model import LANGUAGE_NAMES, UNDATED, ParameterError, SearchRequest

# URL parameter → SearchRequest field, for the repeatable filters.
FILTER_PARAMS: dict[str, str] = {
    "org": "organizations",
    "lang": "languages",
    "year": "years",
    "month": "months",
    "source": "sources",
}
# Facet name (as the indexer reports it) → URL parameter.
FACET_PARAMS: dict[str, str] = {
    "organization": "org",
    "lang": "lang",
    "year": "year",
    "month": "month",
    "source": "source",
}
SEARCH_PARAMS: tuple[str, ...] = ("q", *FILTER_PARAMS, "from", "to", "sort", "page", "per_page")
SORTS: tuple[str, ...] = ("relevance", "date")
MAX_FILTER_VALUES = 50
MAX_FILTER_CHARS = 200

_YEAR = re.compile(r"\d{4}")
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def parse_search_request(args: MultiDict[str, str], config: Mapping[str, Any]) -> SearchRequest:
    """Validate every search parameter; raise ParameterError on the first bad one."""
    query = _CONTROL.sub(" ", args.get("q", "")).strip()
    if len(query) > config["MAX_QUERY_CHARS"]:
        raise ParameterError(
            f"The query is {len(query)} characters long; the limit is "
            f"{config['MAX_QUERY_CHARS']}. Shorten it and search again.",
            parameter="q",
            status=413,
        )
    filters = {field: _values(args, param) for param, field in FILTER_PARAMS.items()}
    for lang in filters["languages"]:
        if lang not in LANGUAGE_NAMES:
            raise ParameterError(
                f"lang={lang!r} is not a language code (such as en, de, ru, tr, az, fr).",
                parameter="lang",
            )
    for year in filters["years"]:
        if year != UNDATED and not _YEAR.fullmatch(year):
            raise ParameterError(
                f"year={year!r} is not a year (YYYY) or {UNDATED!r}.", parameter="year"
            )
    for month in filters["months"]:
        if not _MONTH.fullmatch(month):
            raise ParameterError(f"month={month!r} is not a month (YYYY-MM).", parameter="month")
    date_from = _day(args, "from")
    date_to = _day(args, "to")
    if date_from and date_to and date_from > date_to:
        raise ParameterError(
            f"from={date_from} is after to={date_to}; swap them.", parameter="from"
        )
    sort = args.get("sort", "") or "relevance"
    if sort not in SORTS:
        raise ParameterError(f"sort={sort!r} is not one of {', '.join(SORTS)}.", parameter="sort")
    page = _integer(args, "page", 1, config["MAX_PAGE"], default=1)
    per_page = _integer(
        args, "per_page", 1, config["MAX_PER_PAGE"], default=config["DEFAULT_PER_PAGE"]
    )
    return SearchRequest(
        query=query,
        date_from=date_from,
        date_to=date_to,
        sort=sort,
        page=page,
        per_page=per_page,
        **filters,
    )


def has_filters(request: SearchRequest) -> bool:
    """Browse mode (no query) needs at least one of these."""
    return bool(
        request.organizations
        or request.languages
        or request.years
        or request.months
        or request.sources
        or request.date_from
        or request.date_to
    )


def request_args(request: SearchRequest, default_per_page: int) -> MultiDict[str, str]:
    """The URL parameters that reproduce ``request`` (defaults left out)."""
    args: MultiDict[str, str] = MultiDict()
    if request.query:
        args.add("q", request.query)
    for param, field in FILTER_PARAMS.items():
        for value in getattr(request, field):
            args.add(param, value)
    if request.date_from:
        args.add("from", request.date_from.isoformat())
    if request.date_to:
        args.add("to", request.date_to.isoformat())
    if request.sort != "relevance":
        args.add("sort", request.sort)
    if request.page != 1:
        args.add("page", str(request.page))
    if request.per_page != default_per_page:
        args.add("per_page", str(request.per_page))
    return args


def _values(args: MultiDict[str, str], param: str) -> tuple[str, ...]:
    values: list[str] = []
    for raw in args.getlist(param):
        value = raw.strip()
        if not value or value in values:
            continue  # an empty form field means "no filter"
        if len(value) > MAX_FILTER_CHARS:
            raise ParameterError(
                f"{param} value is longer than {MAX_FILTER_CHARS} characters.", parameter=param
            )
        values.append(value)
    if len(values) > MAX_FILTER_VALUES:
        raise ParameterError(
            f"{param} is given {len(values)} times; at most {MAX_FILTER_VALUES} values.",
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
