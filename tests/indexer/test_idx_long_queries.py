"""Long queries: pasted paragraphs and whole articles are read as descriptions of
their most telling words, never refused for their length; short queries keep
their syntax and their errors. A real index of the judged multilingual set."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from indexer import ParameterError, SearchLimits, SearchRequest, SearchService, build_index
from indexer.analysis.tokens import words
from indexer.search.parsing import TELLING_WORDS

DOCS = Path(__file__).resolve().parents[2] / "eval" / "multilingual" / "docs.jsonl"
PASTE_CHARS = SearchLimits().max_query_chars


@pytest.fixture(scope="module")
def articles() -> list[dict[str, Any]]:
    return [json.loads(line) for line in DOCS.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchService]:
    root = tmp_path_factory.mktemp("long-queries") / "index"
    assert build_index([DOCS], root).ok
    with SearchService(root) as shared:
        yield shared


def _longest(articles: list[dict[str, Any]], lang: str) -> dict[str, Any]:
    return max((a for a in articles if a["lang"] == lang), key=lambda a: len(a["body"]))


def test_a_pasted_article_of_the_full_size_finds_itself_first(service, articles) -> None:
    article = _longest(articles, "en")
    body = article["body"]
    pasted = (body + "\n\n") * (PASTE_CHARS // len(body) + 1)
    pasted = pasted[:PASTE_CHARS]  # exactly the limit: a whole article and then some
    assert len(pasted) == PASTE_CHARS == 10_000
    result = service.search(SearchRequest(query=pasted))
    assert result.hits[0].id == article["id"]
    used = result.query_words_used
    assert used and set(used) <= set(words(pasted))
    assert result.suggestion is None  # a pasted text's words were not typed
    with pytest.raises(ParameterError, match="10001 characters long; the limit is 10000"):
        service.search(SearchRequest(query=pasted + "x"))


@pytest.mark.parametrize("lang", ["en", "de", "ru", "tr", "az"])
def test_an_article_body_finds_its_own_story_first_in_every_language(
    service, articles, lang: str
) -> None:
    article = _longest(articles, lang)
    assert len(words(article["body"])) > SearchLimits().max_terms  # read as a description
    result = service.search(SearchRequest(query=article["body"]))
    assert result.hits[0].id == article["id"]
    assert result.query_words_used


def test_operators_in_pasted_text_are_words_and_cost_nothing(service, articles) -> None:
    """Quotes, parentheses, *, ~ and NOT in a long text would be errors or expensive
    expansions in a typed query; in pasted text they are punctuation."""
    body = _longest(articles, "ru")["body"]
    hostile = '"unbalanced ( a* ?b ~ -x NOT OR ' + body + " field:x AND"
    result = service.search(SearchRequest(query=hostile))
    assert result.hits  # no QueryError
    assert not {"AND", "OR", "NOT"} & set(result.query_words_used)


def test_the_number_of_telling_words_is_bounded(service, articles) -> None:
    """Every stem of a long text is a lookup in every field: a bounded number is kept,
    the rarest ones (here the text is every English article's title)."""
    titles = ". ".join(a["title"] for a in articles if a["lang"] == "en")
    used = service.search(SearchRequest(query=titles)).query_words_used
    distinct = {w.lower() for w in words(titles)}
    assert TELLING_WORDS <= len(set(used)) <= 3 * TELLING_WORDS < len(distinct)
    assert "the" not in used and "The" not in used


def test_short_queries_keep_their_syntax_and_their_errors(service) -> None:
    assert service.search(SearchRequest(query="security forum")).query_words_used == []
    typed = service.search(SearchRequest(query="Naghiyev -Georgia, Baku security news today"))
    assert typed.query_words_used == []  # an operator: the query's syntax is meant


def test_prose_punctuation_makes_a_short_text_a_description(service) -> None:
    """A sentence with commas and a full stop, no operators: its hyphen and parentheses
    are prose too, so "(the ?slip? effect)" is not a wildcard that starts with ?."""
    prose = "Security services (the ?state? kind), their reforms and budgets."
    result = service.search(SearchRequest(query=prose))
    assert "Security" in result.query_words_used and "and" not in result.query_words_used
