""" "Did you mean": the closest word first, frequency only among equally close ones,
never a stop word, never a guess between two, and only when it finds more."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from indexer import SearchRequest, build_index
from indexer.search.spelling import damerau_distance

# "but" and "for" are in every article: a frequency-first corrector offers them.
ARTICLES = [
    {"id": "budget", "title": "Budget talks", "body": "The budget for the ministry, but later."},
    {"id": "budget2", "title": "Budget vote", "body": "A budget vote, but for the new year."},
    {"id": "brown", "title": "Gordon Brown speaks", "body": "Gordon Brown spoke, but for once."},
    {"id": "food", "title": "Food prices", "body": "Food prices rose, but not for bread."},
    {"id": "ru", "title": "Бюджет", "body": "Они будут говорить, but for now in Moscow."},
    {"id": "mail", "title": "Mails and malls", "body": "Mails and malls, but for whom?"},
]  # fmt: skip


@pytest.fixture
def search(write_corpus, jsonl, tmp_path: Path, open_service) -> Callable[[str], object]:
    root = write_corpus({"spelling.jsonl": jsonl(*ARTICLES)})
    assert build_index([root], tmp_path / "index").ok
    service = open_service(tmp_path / "index")
    return lambda query: service.search(SearchRequest(query=query))


def test_damerau_distance_counts_a_swap_as_one_edit() -> None:
    assert damerau_distance("budget", "bugdet", 2) == 1
    assert damerau_distance("budgt", "budget", 2) == 1
    assert damerau_distance("budgt", "but", 2) == 2
    assert damerau_distance("abcdef", "badcfe", 2) == 3  # over the limit: limit + 1


def test_the_closest_word_wins_over_a_frequent_one(search) -> None:
    assert search("budgt").suggestion == "budget"  # not "but" (every article), two edits
    assert search("gordn bruwn budgt").suggestion is None  # no article has all three
    assert search("gordn bruwn").suggestion == "gordon brown"


def test_short_words_and_stop_words_are_not_guessed(search) -> None:
    assert search("foo").suggestion is None  # not "for", nor "food": three letters
    assert search("bfor").suggestion is None  # only a stop word is close


def test_a_latin_typo_is_not_corrected_into_cyrillic(search) -> None:
    """ "budut" is "будут" folded; typed in Latin letters it is offered only in Latin."""
    suggestion = search("budat").suggestion
    assert suggestion is None or suggestion.isascii()


def test_two_equally_close_words_are_a_guess_and_get_nothing(search) -> None:
    assert search("malis").suggestion is None  # "mails" and "malls": one edit each
