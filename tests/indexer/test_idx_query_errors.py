"""Malformed queries and parameters are refused with a message a person can act on."""

from __future__ import annotations

import pytest

from indexer import ParameterError, QueryError, SearchLimits, SearchRequest


@pytest.mark.parametrize(
    ("query", "advice"),
    [
        ('"security forum', r"unbalanced quote.*close the phrase"),
        ('security "forum" "baku', r"unbalanced quote"),
        ("(security forum", r"unbalanced parenthesis.*'\('"),
        ("security forum)", r"unbalanced parenthesis.*'\)'"),
        ("foo:bar", r"unknown field 'foo'; use one of .*title:.*org:.*lang:.*year:"),
        ("security Foo:bar", r"unknown field 'Foo'"),
        ("*", r"no words|lone \*"),
        ("a*", r"a\* is too short: type at least 2 letters"),
        ("*curity", r"starts with a wildcard"),
        ("AND", r"AND needs a word on both sides"),
        ("security AND", r"AND needs a word on both sides"),
        ("OR forum", r"OR needs a word on both sides"),
        ("security NOT", r"NOT needs a word on both sides"),
        ("ab~", r"too short for a fuzzy search"),
        ("lang:xx", r"unknown language 'xx'; use a code such as en, de"),
        ("org:nonexistent-body", r"unknown organization 'nonexistent-body'"),
        ("!!! ???", r"no words|no searchable words"),
    ],
)
def test_malformed_query_raises_query_error_with_advice(search, query: str, advice: str) -> None:
    with pytest.raises(QueryError, match=advice):
        search(query)


def test_more_words_than_max_terms_are_a_description_not_an_error(search) -> None:
    """Beyond max_terms words a query is pasted text: no refusal, operators are words."""
    result = search(" ".join(f"word{i}" for i in range(40)))
    assert result.total == 0 and len(result.query_words_used) == 32  # none indexed: kept
    assert "OR" not in search(" OR ".join(f"w{i}x" for i in range(33))).query_words_used
    assert search(" ".join(f"word{i}" for i in range(32))).query_words_used == []  # typed


@pytest.mark.parametrize(
    "query",
    [
        "security and forum",  # lower-case operators are words
        "http://example.org forum",  # a colon in a URL is not a field
        '"note: security"',  # nor one inside a phrase
        "Turkic-speaking",
        "Azerbaijan's",
        "Servisi'nin",
    ],
)
def test_ordinary_queries_are_accepted(search, query: str) -> None:
    assert search(query).total >= 0


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"page": 0}, "page"),
        ({"page": -1}, "page"),
        ({"page": 101}, "page"),
        ({"per_page": 0}, "per_page"),
        ({"per_page": 101}, "per_page"),
        ({"sort": "popularity"}, "sort"),
    ],
)
def test_invalid_parameters_raise_parameter_error(search, params, parameter: str) -> None:
    with pytest.raises(ParameterError) as excinfo:
        search("security", **params)
    assert excinfo.value.parameter == parameter
    assert excinfo.value.status == 400
    assert parameter in str(excinfo.value)


def test_limits_are_inclusive(search) -> None:
    assert search("security", page=100).hits == []
    assert search("security", per_page=100).total == len(search("security", per_page=100).hits)


def test_too_long_query_is_413(search) -> None:
    with pytest.raises(ParameterError) as excinfo:
        search("x" * 10_001)
    assert excinfo.value.status == 413
    assert excinfo.value.parameter == "q"
    assert "10001 characters" in str(excinfo.value) and "10000" in str(excinfo.value)
    search("security " + "x" * 9_991)  # exactly 10,000: accepted


def test_limits_come_from_configuration(corpus_index, open_service) -> None:
    limits = SearchLimits(
        max_query_chars=20, max_terms=3, max_page=2, max_per_page=5, max_expansions=2
    )
    service = open_service(corpus_index.root, limits=limits)

    def run(query: str, **params):
        params.setdefault("per_page", 5)
        return service.search(SearchRequest(query=query, **params))

    with pytest.raises(ParameterError, match="limit is 20"):
        run("security forum in baku today")
    assert run("baku forum x y").query_words_used  # over max_terms words: a description
    with pytest.raises(ParameterError, match="between 1 and 2"):
        run("security", page=3)
    with pytest.raises(ParameterError, match="between 1 and 5"):
        run("security", per_page=6)
    with pytest.raises(QueryError, match=r"Se\* matches more than 2 different words"):
        run("Se*")
    assert run("security").total == 4
