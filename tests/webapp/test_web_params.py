"""params.py: every search parameter parsed and refused in one place."""

from __future__ import annotations

from datetime import date

import pytest
from werkzeug.datastructures import MultiDict

from indexer.model import ParameterError, SearchRequest
from webapp.params import has_filters, parse_search_request, request_args
from webapp.settings import load_settings

CONFIG = load_settings(environ={})


def parse(*pairs: tuple[str, str], **config: int) -> SearchRequest:
    return parse_search_request(MultiDict(pairs), {**CONFIG, **config})


def test_defaults() -> None:
    request = parse()
    assert request == SearchRequest(query="", page=1, per_page=CONFIG["DEFAULT_PER_PAGE"])
    assert not has_filters(request)


def test_every_parameter_typed() -> None:
    request = parse(
        ("q", "  security forum  "),
        ("org", "sss"),
        ("org", "cis"),
        ("org", "sss"),  # repeated values collapse
        ("lang", "de"),
        ("lang", "ru"),
        ("year", "2025"),
        ("year", "undated"),
        ("month", "2025-09"),
        ("source", "Trend"),
        ("from", "2019-01-01"),
        ("to", "2025-12-31"),
        ("sort", "date"),
        ("page", "3"),
        ("per_page", "25"),
        ("utm_source", "ignored"),
    )
    assert request == SearchRequest(
        query="security forum",
        organizations=("sss", "cis"),
        languages=("de", "ru"),
        years=("2025", "undated"),
        months=("2025-09",),
        sources=("Trend",),
        date_from=date(2019, 1, 1),
        date_to=date(2025, 12, 31),
        sort="date",
        page=3,
        per_page=25,
    )
    assert has_filters(request)


def test_empty_form_fields_mean_no_filter() -> None:
    request = parse(("q", "baku"), ("from", ""), ("to", " "), ("org", ""), ("page", ""))
    assert request == SearchRequest(query="baku", per_page=CONFIG["DEFAULT_PER_PAGE"])


@pytest.mark.parametrize(
    ("pair", "parameter"),
    [
        (("page", "abc"), "page"),
        (("page", "0"), "page"),
        (("page", "-1"), "page"),
        (("page", "1.5"), "page"),
        (("page", "١"), "page"),  # a non-ASCII digit
        (("page", "9" * 5000), "page"),
        (("page", "101"), "page"),
        (("per_page", "101"), "per_page"),
        (("per_page", "0"), "per_page"),
        (("lang", "xx"), "lang"),
        (("year", "25"), "year"),
        (("year", "2025-01"), "year"),
        (("month", "2025-13"), "month"),
        (("month", "2025"), "month"),
        (("from", "22.09.2025"), "from"),
        (("from", "2025-02-30"), "from"),
        (("to", "2025-9-1"), "to"),
        (("sort", "newest"), "sort"),
        (("org", "x" * 201), "org"),
    ],
)
def test_bad_values_name_the_parameter(pair: tuple[str, str], parameter: str) -> None:
    with pytest.raises(ParameterError) as caught:
        parse(("q", "baku"), pair)
    assert caught.value.parameter == parameter
    assert caught.value.status == 400
    assert parameter in str(caught.value)


def test_range_backwards_is_refused() -> None:
    with pytest.raises(ParameterError, match="after"):
        parse(("from", "2025-01-02"), ("to", "2025-01-01"))


def test_too_many_filter_values() -> None:
    with pytest.raises(ParameterError, match="at most"):
        parse(*[("source", f"s{n}") for n in range(51)])


def test_long_query_is_413() -> None:
    with pytest.raises(ParameterError) as caught:
        parse(("q", "a" * 41), MAX_QUERY_CHARS=40)
    assert caught.value.status == 413
    assert "40" in str(caught.value)
    assert parse(("q", "a" * 40), MAX_QUERY_CHARS=40).query == "a" * 40


def test_limits_come_from_config() -> None:
    assert parse(("page", "7"), MAX_PAGE=7).page == 7
    with pytest.raises(ParameterError):
        parse(("page", "8"), MAX_PAGE=7)
    assert parse(DEFAULT_PER_PAGE=20).per_page == 20


def test_control_characters_become_spaces() -> None:
    assert parse(("q", "baku\x00forum\x1b")).query == "baku forum"


def test_request_args_round_trip() -> None:
    pairs = (
        ("q", "forum"),
        ("org", "sss"),
        ("lang", "de"),
        ("year", "2021"),
        ("month", "2021-03"),
        ("source", "Trend"),
        ("from", "2020-01-01"),
        ("to", "2021-12-31"),
        ("sort", "date"),
        ("page", "2"),
        ("per_page", "20"),
    )
    request = parse(*pairs)
    args = request_args(request, CONFIG["DEFAULT_PER_PAGE"])
    assert parse_search_request(args, CONFIG) == request
    assert request_args(parse(("q", "x")), CONFIG["DEFAULT_PER_PAGE"]) == MultiDict([("q", "x")])
