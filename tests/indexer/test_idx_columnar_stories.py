"""The array search collapses and counts stories exactly as the term-at-a-time path does.

The index is the multilingual evaluation set plus copies of some of its
articles (exact copies with another source and date, undated copies, copies
under another title, so versions of one story score and date differently and
some tie), written in three commits with deletions in between: stories span
segments, and some of their versions are deleted, the first one included.
Every request is answered twice, with and without the columnar postings, with
one result per story and with every version.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from indexer import SearchRequest, SearchService, build_index, delete_documents
from indexer.model import FACETS
from indexer.search.collapse import story_codes
from indexer.search.vectorized import ColumnarCache

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "eval" / "multilingual" / "docs.jsonl"


def _copies(record: dict[str, Any], n: int) -> list[dict[str, Any]]:
    """Versions of one article: an exact copy elsewhere, one undated, one retitled."""
    exact = {**record, "id": f"{record['id']}-copy", "source": f"Copy desk {n % 3}"}
    exact["date"] = "2021-05-0" + str(1 + n % 4) if n % 2 else record.get("date")
    undated = {**record, "id": f"{record['id']}-undated", "source": "Undated wire"}
    undated.pop("date", None)
    retitled = {**record, "id": f"{record['id']}-retitled", "title": "Security forum news"}
    return [exact, undated, retitled][: 1 + n % 3]


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("columnar-stories")
    records = [json.loads(line) for line in DOCS.read_text(encoding="utf-8").splitlines()]
    originals = records[::3]
    copies = [c for n, r in enumerate(originals) for c in _copies(r, n)]
    parts = [records[: len(records) // 2] + copies[: len(copies) // 3],
             records[len(records) // 2 :] + copies[len(copies) // 3 : 2 * len(copies) // 3],
             copies[2 * len(copies) // 3 :]]  # fmt: skip
    index, corpus = base / "index", base / "corpus"
    corpus.mkdir()
    for number, chunk in enumerate(parts):
        (corpus / f"part{number}.jsonl").write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in chunk), encoding="utf-8"
        )
        assert build_index([corpus], index).errors == []
    # The first version of two stories (their copies keep its story id), and one copy.
    deleted = [originals[1]["id"], originals[4]["id"], copies[5]["id"]]
    assert delete_documents(deleted, index)[0] == 3
    return index


@pytest.fixture(scope="module")
def service(root: Path) -> Iterator[SearchService]:
    with SearchService(root) as service:
        yield service


@pytest.fixture(scope="module")
def reference(root: Path) -> Iterator[SearchService]:
    with SearchService(root) as reference:
        with reference.manager.acquire() as generation:
            generation.columnar_cache = ColumnarCache(None)  # no companions: term at a time
        yield reference


def _shared_story(service: SearchService) -> str:
    """The story id of a story with several live versions, one of them deleted."""
    with service.manager.acquire() as generation:
        searcher = generation.searcher()
        stories = story_codes(generation.facets, searcher)
        counts: dict[str, int] = {}
        for docnum in stories.shared:
            story = searcher.stored_fields(docnum)["story"]
            counts[story] = counts.get(story, 0) + 1
    return max(sorted(counts), key=counts.__getitem__)


def test_the_index_has_stories_across_segments_with_deleted_versions(
    service: SearchService,
) -> None:
    with service.manager.acquire() as generation:
        searcher = generation.searcher()
        stories = story_codes(generation.facets, searcher)
        assert len(stories.shared) > 40
        assert len(searcher.reader().leaf_readers()) > 1
        assert searcher.reader().has_deletions()
        columns = generation.columnar()
        assert columns is not None
        bounds = [offset for _, offset in searcher.leaf_searchers()]
        spans = {}
        for docnum in stories.shared:
            segment = sum(docnum >= b for b in bounds)
            spans.setdefault(stories.of(docnum), set()).add(segment)
        assert any(len(s) > 1 for s in spans.values())  # a story over several segments


REQUESTS = [
    SearchRequest(query="security"),
    SearchRequest(query="security", page=2, per_page=5),
    SearchRequest(query="security forum", sort="date"),
    SearchRequest(query="security forum", sort="date_asc", per_page=7),
    SearchRequest(query="oil OR gas", languages=("en",)),
    SearchRequest(query="forum -baku", per_page=3, page=3),
    SearchRequest(query='"security service"', sources=("Undated wire",)),
    SearchRequest(query="NOT forum", per_page=7, page=4),
    SearchRequest(query="Sicherheit", date_from=date(2010, 1, 1), date_to=date(2021, 12, 31)),
    SearchRequest(query="security", years=("2021",)),
    SearchRequest(query="security oil forum"),  # nothing has all: the relaxed query
    SearchRequest(query="", languages=("en",)),  # browsing: newest first
    SearchRequest(query="", languages=("ru", "de"), sort="date_asc", page=2),
    SearchRequest(query="", sources=("Copy desk 1", "Undated wire"), per_page=50),
    SearchRequest(query="secur*", organizations=("az-sss",)),
    SearchRequest(query="news", per_page=50),
    SearchRequest(query="security", page=40),  # past the last page
]


def _compare(service: SearchService, reference: SearchService, request: SearchRequest) -> None:
    expected = reference.search(request)
    with reference.manager.acquire() as generation:
        assert generation.columnar() is None  # the reference really ran term at a time
    result = service.search(request)
    assert result.total == expected.total
    assert result.relaxed == expected.relaxed
    assert [(h.id, h.score, h.rank, h.snippet, h.story, h.versions) for h in result.hits] == [
        (h.id, h.score, h.rank, h.snippet, h.story, h.versions) for h in expected.hits
    ]
    assert result.facets == expected.facets
    assert result.suggestion == expected.suggestion


@pytest.mark.parametrize("collapse", ["story", "none"])
@pytest.mark.parametrize("request_", REQUESTS, ids=lambda r: f"{r.query}|{r.page}|{r.sort}")
def test_array_results_are_the_reference_results(
    service: SearchService, reference: SearchService, request_: SearchRequest, collapse: str
) -> None:
    _compare(service, reference, replace(request_, collapse=collapse))


def test_collapsing_shows_fewer_results_and_counts_versions(
    service: SearchService, reference: SearchService
) -> None:
    """Not a vacuous comparison: the corpus makes collapsing change the answer."""
    request = SearchRequest(query="security", per_page=100)
    collapsed = service.search(request)
    every = service.search(replace(request, collapse="none"))
    assert collapsed.total < every.total
    assert any(h.versions > 1 for h in collapsed.hits)
    assert len({h.story for h in collapsed.hits}) == len(collapsed.hits)
    sources = collapsed.facets["source"].values
    every_sources = every.facets["source"].values
    assert sum(v.count for v in sources) < sum(v.count for v in every_sources)


@pytest.mark.parametrize("collapse", ["story", "none"])
@pytest.mark.parametrize("query", ["", "security", "forum OR news"])
@pytest.mark.parametrize("sort", ["relevance", "date", "date_asc"])
def test_one_storys_versions_are_the_reference_ones(
    service: SearchService, reference: SearchService, query: str, sort: str, collapse: str
) -> None:
    story = _shared_story(service)
    request = SearchRequest(query=query, story=story, sort=sort, collapse=collapse)
    _compare(service, reference, request)
    if not query:
        found = service.search(request)
        assert found.total == (1 if collapse == "story" else found.hits[0].versions) >= 1
        assert {h.story for h in found.hits} == {story}


def test_an_unknown_story_finds_nothing_on_both_paths(
    service: SearchService, reference: SearchService
) -> None:
    _compare(service, reference, SearchRequest(query="security", story="no-such-story"))
    assert service.search(SearchRequest(query="", story="no-such-story")).total == 0


def test_tables_from_companions_are_whooshs_facet_sets_and_stories(service: SearchService) -> None:
    """The generation's facet and story tables, gathered from the companions' postings,
    hold exactly what Whoosh's posting reads give (deleted documents left out)."""
    with service.manager.acquire() as generation:
        tables = generation.facet_columns()
        assert tables is not None
        live = tables.columns.live
        for facet in FACETS:
            expected = generation.facets.values(facet.index_field)
            assert expected, facet.name
            assert tables.values(facet.index_field) == {v: len(d) for v, d in expected.items()}
            for value, docs in expected.items():
                got = tables.mask(facet.index_field, (value,), tables.size) & live
                assert set(np.flatnonzero(got).tolist()) == docs, (facet.name, value)
        stories = story_codes(generation.facets, generation.searcher())
        columns = tables.stories()
        assert set(np.flatnonzero(columns.shared).tolist()) == stories.shared
        groups: dict[int, set[int]] = {}
        for docnum in stories.shared:
            groups.setdefault(stories.of(docnum), set()).add(int(columns.codes[docnum]))
        assert all(len(codes) == 1 for codes in groups.values())  # same partition
        assert len({next(iter(c)) for c in groups.values()}) == len(groups)


def test_organization_views_are_the_reference_ones(
    service: SearchService, reference: SearchService
) -> None:
    summaries = service.organizations()
    assert summaries == reference.organizations()
    assert len(summaries) > 3
    for summary in summaries:
        assert service.organization(summary.id) == reference.organization(summary.id)
    with reference.manager.acquire() as generation:
        assert generation.facet_columns() is None  # the reference really used Whoosh's sets
