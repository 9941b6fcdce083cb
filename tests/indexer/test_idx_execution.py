"""Term-at-a-time query execution gives what Whoosh's matchers give.

``indexer.search.execution`` replaces Whoosh's document-at-a-time matchers for speed;
Whoosh stays the reference. The index here is the multilingual evaluation set
written in three commits with deletions and an update in between, so postings
span several segments and some documents are deleted: every query must find
exactly Whoosh's documents with Whoosh's scores, rank them in Whoosh's order,
and filter dates exactly as the stored dates say.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from whoosh import query as wq

from indexer import SearchRequest, SearchService, build_index, delete_documents
from indexer.ingest.dates import date_key, period_bounds
from indexer.search.execution import QueryExecution, newest_first, top_by_score
from indexer.search.scoring import TITLE_BOOST

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "eval" / "multilingual" / "docs.jsonl"

QUERIES = [
    "security",
    "Sicherheitsforum",
    "Nagiyev",
    "Нагиев",
    "security forum",
    "the security service",
    "oil OR gas",
    "forum -baku",
    "NOT forum",
    "security NOT baku",
    "(security NOT baku) OR oil",
    "NOT forum NOT baku",
    '"security service"',
    '"Europäische Union"',
    "title:forum",
    "body:terror",
    "lang:de Sicherheit",
    "secrity~",
    "international terrorism cooperation services forum",
    "SSS",
    "org:az-sss forum",
]


@dataclass
class Segmented:
    root: Path
    service: SearchService
    deleted: list[str]


@pytest.fixture(scope="module")
def segmented(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Segmented]:
    base = tmp_path_factory.mktemp("execution")
    records = [json.loads(line) for line in DOCS.read_text(encoding="utf-8").splitlines()]
    root = base / "index"
    corpus = base / "corpus"
    corpus.mkdir()
    third = len(records) // 3
    for part, chunk in enumerate(
        [records[:third], records[third : 2 * third], records[2 * third :]]
    ):
        (corpus / f"part{part}.jsonl").write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in chunk), encoding="utf-8"
        )
        assert build_index([corpus], root).errors == []
    deleted = [records[1]["id"], records[third + 2]["id"], records[-3]["id"]]
    assert delete_documents(deleted, root)[0] == 3
    with SearchService(root) as service:
        yield Segmented(root, service, deleted)


def _compiled(service: SearchService, text: str, searcher) -> wq.Query:
    return service.compiler.compile(text, searcher.reader()).query


def test_the_index_has_several_segments_and_deletions(segmented: Segmented) -> None:
    with segmented.service.manager.acquire() as generation:
        reader = generation.searcher().reader()
        assert len(reader.leaf_readers()) > 1
        assert reader.has_deletions()


@pytest.mark.parametrize("text", QUERIES)
def test_scores_are_whooshs(segmented: Segmented, text: str) -> None:
    with segmented.service.manager.acquire() as generation:
        searcher = generation.searcher()
        query = _compiled(segmented.service, text, searcher)
        ours = QueryExecution(searcher, generation.statistics).scores(query)
        reference = {hit.docnum: hit.score for hit in searcher.search(query, limit=None)}
        assert ours.keys() == reference.keys()
        for docnum, score in reference.items():
            assert ours[docnum] == pytest.approx(score, rel=1e-9)
        assert ours


@pytest.mark.parametrize("text", ["security forum", "Sicherheit", "oil OR gas", "forum -baku"])
def test_ranking_is_whooshs_including_ties(segmented: Segmented, text: str) -> None:
    with segmented.service.manager.acquire() as generation:
        searcher = generation.searcher()
        query = _compiled(segmented.service, text, searcher)
        scores = QueryExecution(searcher, generation.statistics).scores(query)
        reference = [hit.docnum for hit in searcher.search(query, limit=None)]
        assert top_by_score(scores, scores.keys(), len(scores)) == reference
        assert top_by_score(scores, scores.keys(), 3) == reference[:3]


def test_deleted_documents_are_never_matched(segmented: Segmented) -> None:
    for doc_id in segmented.deleted:
        result = segmented.service.search(SearchRequest(query=doc_id.split("-")[0] or "x"))
        assert doc_id not in {hit.id for hit in result.hits}
    with segmented.service.manager.acquire() as generation:
        searcher = generation.searcher()
        live = set(searcher.reader().all_doc_ids())
        for text in QUERIES:
            query = _compiled(segmented.service, text, searcher)
            assert set(QueryExecution(searcher, generation.statistics).scores(query)) <= live


def test_a_prefix_scores_as_the_sum_of_its_words_with_the_field_boost(
    segmented: Segmented,
) -> None:
    """Whoosh gives a prefix with several expansions a constant score and drops the
    boost of one with a single expansion; here it is BM25 summed over the words."""
    with segmented.service.manager.acquire() as generation:
        searcher = generation.searcher()
        reader = searcher.reader()
        execution = QueryExecution(searcher, generation.statistics)
        for field, prefix, boost in [("body_en", "secur", 1.0), ("title_en", "secur", TITLE_BOOST)]:
            words = list(reader.expand_prefix(field, prefix))
            assert words
            reference_query = wq.Or([wq.Term(field, w, boost=boost) for w in words])
            reference = {h.docnum: h.score for h in searcher.search(reference_query, limit=None)}
            ours = execution.scores(wq.Prefix(field, prefix, boost=boost))
            assert ours.keys() == reference.keys()
            assert all(ours[d] == pytest.approx(s) for d, s in reference.items())


@pytest.mark.parametrize(
    ("lower", "upper"),
    [
        (date(2000, 1, 1), None),
        (None, date(2015, 6, 30)),
        (date(2019, 1, 1), date(2023, 12, 31)),
        (date(2012, 5, 1), date(2012, 5, 31)),
        (date(2100, 1, 1), None),
    ],
)
def test_date_periods_match_the_stored_dates(
    segmented: Segmented, lower: date | None, upper: date | None
) -> None:
    """A document is in a from/to range when the whole period its stored date names is."""
    with segmented.service.manager.acquire() as generation:
        searcher = generation.searcher()
        low = date_key(lower) if lower else 1
        high = date_key(upper) if upper else None
        reference = set()
        for docnum in searcher.reader().all_doc_ids():
            start, end = period_bounds(searcher.stored_fields(docnum).get("date"))
            if start >= low and end >= 1 and (high is None or end <= high):
                reference.add(docnum)
        assert generation.statistics.in_period(searcher, low, high) == reference
        if lower is None or lower.year < 2100:
            assert reference, "the range should hold some of the set's dated articles"


def test_newest_first_is_whooshs_reversed_date_sort(segmented: Segmented) -> None:
    with segmented.service.manager.acquire() as generation:
        searcher = generation.searcher()
        query = _compiled(segmented.service, "security OR forum OR economy", searcher)
        matched = set(searcher.docs_for_query(query))
        reference = searcher.search(query, limit=None, sortedby="date_sort", reverse=True)
        keys = generation.statistics.date_keys(searcher)
        assert newest_first(keys, matched, len(matched)) == [hit.docnum for hit in reference]


def test_in_memory_lengths_answer_as_whoosh_does(segmented: Segmented) -> None:
    """The writer's and the scorer's column-at-a-time lengths equal Whoosh's per-document
    answers, including fields without lengths (ids, facets) and absent documents."""
    from whoosh.writing import SegmentWriter

    from indexer.index.whoosh_internals import InMemoryLengths, install_writer_lengths

    install_writer_lengths()
    assert SegmentWriter.per_document_reader.__module__ == "indexer.index.whoosh_internals"
    with segmented.service.manager.acquire() as generation:
        for reader, _ in generation.searcher().reader().leaf_readers():
            perdoc = reader._perdoc
            fast = InMemoryLengths(perdoc)
            for fieldname in ("body_en", "body_de", "title_folded", "folded", "id", "org"):
                for docnum in range(reader.doc_count_all()):
                    expected = perdoc.doc_field_length(docnum, fieldname, 7)
                    assert fast.doc_field_length(docnum, fieldname, 7) == expected


def test_top_and_newest_pages_of_a_filtered_set(segmented: Segmented) -> None:
    """Pages cut from a filtered match set equal sorting that set in full."""
    with segmented.service.manager.acquire() as generation:
        searcher = generation.searcher()
        query = _compiled(segmented.service, "security OR forum OR economy OR said", searcher)
        scores = QueryExecution(searcher, generation.statistics).scores(query)
        keys = generation.statistics.date_keys(searcher)
        everything = frozenset(scores)
        some = frozenset(d for d in scores if d % 3)
        for candidates in (everything, some):
            by_score = sorted(candidates, key=lambda d: (-scores[d], d))
            by_date = sorted(candidates, key=lambda d: (-keys[d], -d))
            for count in (1, 5, len(candidates), len(candidates) + 10):
                assert top_by_score(scores, candidates, count) == by_score[:count]
                assert newest_first(keys, candidates, count) == by_date[:count]
        assert top_by_score({}, frozenset({4, 2, 9}), 2) == [2, 4]  # browsing: no scores
        assert top_by_score(scores, everything, 0) == newest_first(keys, some, 0) == []


@pytest.mark.parametrize("fieldname", ["lang", "year", "month", "source", "org"])
def test_facet_counts_equal_set_intersections(segmented: Segmented, fieldname: str) -> None:
    with segmented.service.manager.acquire() as generation:
        searcher = generation.searcher()
        cache = generation.facets
        query = _compiled(segmented.service, "security OR forum OR Sicherheit", searcher)
        matches = frozenset(QueryExecution(searcher, generation.statistics).scores(query))
        for base in (matches, cache.all_docs(), frozenset()):
            reference = {value: len(docs & base) for value, docs in cache.values(fieldname).items()}
            reference = {value: n for value, n in reference.items() if n}
            assert cache.counts(fieldname, base) == reference
        assert cache.counts(fieldname, matches), "the query should match documents with values"


def test_date_keys_are_the_stored_dates(segmented: Segmented) -> None:
    """The date column is read in bulk (big-endian 32-bit values) and agrees with the
    stored date of every document; undated documents have key 0."""
    from indexer.ingest.dates import sort_key

    with segmented.service.manager.acquire() as generation:
        searcher = generation.searcher()
        keys = generation.statistics.date_keys(searcher)
        assert keys.itemsize == 4 and len(keys) == searcher.reader().doc_count_all()
        for docnum in searcher.reader().all_doc_ids():
            assert keys[docnum] == sort_key(searcher.stored_fields(docnum).get("date"))
        assert any(keys) and 0 in keys
