"""The completion index itself: keys across scripts, caps on memory, ranking."""

from __future__ import annotations

from collections import Counter

import pytest

from indexer import SearchService
from indexer.ingest.organizations import Gazetteer
from indexer.model import ParameterError
from indexer.search import suggest
from indexer.search.suggest import build_completions, prefix_keys


@pytest.fixture(scope="module")
def completions(service: SearchService) -> suggest.CompletionIndex:
    with service.manager.acquire() as generation:
        return build_completions(generation.searcher(), service.gazetteer)


@pytest.mark.parametrize("typed", ["Nagi", "Naghi", "Naghiy", "Нагие", "Nağıy", "NAGHIYE"])
def test_a_partly_typed_name_keys_as_a_prefix_of_the_whole(typed: str) -> None:
    whole = suggest.name_key("Naghiyev")
    assert any(whole.startswith(key) for key in prefix_keys(typed)), prefix_keys(typed)


def test_every_kind_is_found_in_the_bundled_articles(completions) -> None:
    kinds = Counter(entry.kind for entry in completions.entries)
    assert set(kinds) == {"word", "name", "organization", "phrase"}, kinds
    names = {e.display for e in completions.entries if e.kind == "name"}
    assert {"Ali Naghiyev", "Ilham Aliyev", "Orkhan Sultanov"} <= names
    # Title words run together ("President Ilham" precedes "Aliyev") are not names.
    assert "President Ilham" not in names
    # Pairs inside an organization's name are the organization, not a name.
    assert "Security Service" not in names


def test_the_caps_keep_the_most_frequent(service: SearchService, monkeypatch) -> None:
    with service.manager.acquire() as generation:
        full = build_completions(generation.searcher(), service.gazetteer)
        monkeypatch.setattr(suggest, "MAX_WORDS", 5)
        monkeypatch.setattr(suggest, "MAX_NAMES", 2)
        capped = build_completions(generation.searcher(), Gazetteer.load())
    for kind, cap in (("word", 5), ("name", 2)):
        kept = sorted((e.count for e in capped.entries if e.kind == kind), reverse=True)
        every = sorted((e.count for e in full.entries if e.kind == kind), reverse=True)
        assert len(every) > cap
        assert kept == every[:cap]
    assert len(capped.starts.keys) < len(full.starts.keys)


def test_short_prefixes_hold_the_same_best_entries_as_a_full_scan(completions) -> None:
    for table in (completions.starts, completions.inner):
        for prefix in ("a", "ba", "sec", "n"):
            scanned = {table.ids[i] for i, key in enumerate(table.keys) if key.startswith(prefix)}
            best = sorted(scanned, key=lambda e: -completions.counts[e])[: suggest.CANDIDATES]
            precomputed = list(table.lookup(prefix))
            assert sorted(completions.counts[e] for e in precomputed) == sorted(
                completions.counts[e] for e in best
            ), prefix


@pytest.mark.parametrize(
    "query,lang,limit",
    [("", None, 8), ("  ", None, 8), ("x" * 201, None, 8), ("a", "xx", 8), ("a", None, 0),
     ("a", None, 21)],
)  # fmt: skip
def test_bad_requests_name_what_to_change(service: SearchService, query, lang, limit) -> None:
    with pytest.raises(ParameterError) as raised:
        service.complete(query, lang, limit)
    assert raised.value.parameter in {"q", "lang", "limit"}
    assert raised.value.status == (413 if len(query) > 200 else 400)
