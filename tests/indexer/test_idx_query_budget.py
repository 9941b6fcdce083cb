"""The cost budget of a query: words with *, ? and ~ may expand only to so many
words and occurrences, and a search stops at its deadline.

Budgets and deadlines are set small on the real bundled-corpus index, so the
refusals happen on queries that the default limits answer; nothing is timed.
"""

from __future__ import annotations

import pytest

from indexer import QueryError, SearchLimits, SearchRequest, SearchTimeoutError


def test_expanded_occurrences_over_the_budget_are_refused(corpus_index, open_service) -> None:
    request = SearchRequest(query="se*", per_page=100)
    answered = open_service(corpus_index.root).search(request)
    assert answered.total > 0, "the default budget answers the query"
    tight = open_service(corpus_index.root, limits=SearchLimits(max_expanded_postings=5))
    with pytest.raises(QueryError) as refused:
        tight.search(request)
    message = str(refused.value)
    assert "se*" in message and "more than 5 times" in message
    assert "type more letters before * or ?" in message


def test_expanded_words_over_the_budget_are_refused(corpus_index, open_service) -> None:
    tight = open_service(corpus_index.root, limits=SearchLimits(max_expanded_words=3))
    with pytest.raises(QueryError, match=r"more than 3 words in all fields.*fewer of them"):
        tight.search(SearchRequest(query="security se*"))
    assert tight.search(SearchRequest(query="security")).total > 0, "plain words are free"


def test_negated_expansions_count_too(corpus_index, open_service) -> None:
    """Excluding a prefix reads its postings all the same (the issue's sp* -(bu* OR …))."""
    tight = open_service(corpus_index.root, limits=SearchLimits(max_expanded_postings=5))
    with pytest.raises(QueryError, match="se\\*"):
        tight.search(SearchRequest(query="baku -(se* OR fo*)"))


@pytest.mark.parametrize(
    ("limits", "query", "fragment"),
    [
        (SearchLimits(max_wildcard_terms=1), "secur* forum*", "at most 1 words with * or ?"),
        (SearchLimits(max_fuzzy_words=1), "Naghiev~ security~", "at most 1 words with ~"),
    ],
)
def test_counts_of_wildcard_and_fuzzy_words(corpus_index, open_service, limits, query, fragment):
    with pytest.raises(QueryError) as refused:
        open_service(corpus_index.root, limits=limits).search(SearchRequest(query=query))
    assert fragment in str(refused.value)


def test_a_search_past_its_deadline_stops(corpus_index, open_service) -> None:
    """A deadline of a microsecond has passed by the first term read."""
    late = open_service(corpus_index.root, limits=SearchLimits(timeout_ms=0.001))
    with pytest.raises(SearchTimeoutError, match=r"longer than 0\.001 ms.*add words or filters"):
        late.search(SearchRequest(query="security"))
    on_time = open_service(corpus_index.root, limits=SearchLimits(timeout_ms=0))
    assert on_time.search(SearchRequest(query="security")).total > 0
