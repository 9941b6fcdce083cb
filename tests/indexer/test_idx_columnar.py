"""Columnar postings scored with numpy give exactly what term-at-a-time execution and Whoosh give.

The index is the multilingual evaluation set written in three commits with
deletions in between (as in test_idx_execution), so postings span several
segments, each with its companion, and some documents are deleted.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from whoosh import query as wq

from indexer import SearchRequest, SearchService, build_index, delete_documents
from indexer.index.columnar import PREFIX, TEMP_PREFIX, SegmentColumns
from indexer.search.execution import QueryExecution
from indexer.search.vectorized import ColumnarCache, VectorizedExecution

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "eval" / "multilingual" / "docs.jsonl"
# The queries of test_idx_execution, and a few that exercise prefixes and long descriptions.
QUERIES = [
    "security", "Sicherheitsforum", "Nagiyev", "Нагиев", "security forum",
    "the security service", "oil OR gas", "forum -baku", "NOT forum", "security NOT baku",
    "(security NOT baku) OR oil", "NOT forum NOT baku", '"security service"',
    '"Europäische Union"', "title:forum", "body:terror", "lang:de Sicherheit", "secrity~",
    "international terrorism cooperation services forum", "SSS", "org:az-sss forum",
]  # fmt: skip
MORE_QUERIES = [*QUERIES, "secur*", "Sicher*", "econom* OR oil", "security forum baku gas oil"]


@dataclass
class Built:
    root: Path
    corpus: Path
    records: list[dict]


def _build(base: Path) -> Built:
    records = [json.loads(line) for line in DOCS.read_text(encoding="utf-8").splitlines()]
    root, corpus = base / "index", base / "corpus"
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
    return Built(root, corpus, records)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return _build(tmp_path_factory.mktemp("columnar"))


@pytest.fixture(scope="module")
def service(built: Built) -> Iterator[SearchService]:
    with SearchService(built.root) as service:
        yield service


def _generation_dir(root: Path) -> Path:
    return root / os.readlink(root / "CURRENT")


def _companions(root: Path) -> set[str]:
    return {p.name for p in _generation_dir(root).iterdir() if p.name.startswith(PREFIX)}


def _segment_ids(service: SearchService) -> set[str]:
    with service.manager.acquire() as generation:
        leaves = generation.searcher().reader().leaf_readers()
        return {f"{PREFIX}{r.segment().segment_id()}" for r, _ in leaves}


def test_every_segment_has_its_companion_and_no_other(built: Built, service: SearchService) -> None:
    segments = _segment_ids(service)
    assert len(segments) > 1
    assert _companions(built.root) == segments
    hidden = [p for p in _generation_dir(built.root).iterdir() if p.name.startswith(TEMP_PREFIX)]
    assert hidden == []


@pytest.mark.parametrize("text", MORE_QUERIES)
def test_vectorized_scores_are_term_at_a_time_and_whooshs(
    service: SearchService, text: str
) -> None:
    with service.manager.acquire() as generation:
        searcher = generation.searcher()
        columns = generation.columnar()
        assert columns is not None
        query = service.compiler.compile(text, searcher.reader()).query
        reference = QueryExecution(searcher, generation.statistics).scores(query)
        execution = QueryExecution(searcher, generation.statistics)
        ours = VectorizedExecution(columns, execution).matches(query)
        assert np.all(np.diff(ours.docs) > 0)  # sorted, unique
        found = ours.as_dict()
        assert found.keys() == reference.keys()
        for docnum, score in reference.items():
            assert found[docnum] == pytest.approx(score, rel=1e-9)
        assert set(found) <= set(searcher.reader().all_doc_ids())  # deletions masked
        if "*" not in text:  # Whoosh scores prefixes differently (see execution)
            whoosh = {hit.docnum: hit.score for hit in searcher.search(query, limit=None)}
            assert found.keys() == whoosh.keys()
        assert found


REQUESTS = [
    SearchRequest(query="security"),
    SearchRequest(query="security", page=2, per_page=5),
    SearchRequest(query="security", sort="date"),
    SearchRequest(query="oil OR gas", languages=("en",)),
    SearchRequest(query="forum -baku", per_page=3, page=3),
    SearchRequest(query='"security service"'),
    SearchRequest(query="NOT forum", per_page=7, page=4),
    SearchRequest(query="security forum baku gas oil", sort="date", page=2, per_page=4),
    SearchRequest(query="Sicherheit", date_from=date(2010, 1, 1), date_to=date(2020, 12, 31)),
    SearchRequest(query="security", date_from=date(2000, 1, 1)),
    SearchRequest(query="security oil forum"),  # nothing has all: the relaxed query
    SearchRequest(query="", languages=("de",)),  # browsing
    SearchRequest(query="", languages=("en",), page=3),
    SearchRequest(query="secur*", organizations=("az-sss",)),
    SearchRequest(query="security", page=40),  # past the last page
]


@pytest.mark.parametrize("request_", REQUESTS, ids=lambda r: f"{r.query}|{r.page}|{r.sort}")
def test_service_results_are_those_without_columnar_postings(
    built: Built, service: SearchService, request_: SearchRequest
) -> None:
    with SearchService(built.root) as reference:
        with reference.manager.acquire() as generation:
            generation.columnar_cache = ColumnarCache(None)  # no companions: term at a time
        expected = reference.search(request_)
        with reference.manager.acquire() as generation:
            assert generation.columnar() is None  # the reference really ran term at a time
    result = service.search(request_)
    assert result.total == expected.total
    assert result.relaxed == expected.relaxed
    assert [(h.id, h.score, h.rank, h.snippet) for h in result.hits] == [
        (h.id, h.score, h.rank, h.snippet) for h in expected.hits
    ]
    assert result.facets == expected.facets
    assert result.suggestion == expected.suggestion


def test_an_index_without_companions_gets_them_on_open(tmp_path: Path) -> None:
    """An index written by the previous version has no companions: the first reader
    builds them (atomically) and answers exactly as before."""
    built = _build(tmp_path)
    requests = [SearchRequest(query=q, per_page=50) for q in ("security", '"security service"')]
    with SearchService(built.root) as service:
        before = [service.search(r) for r in requests]
    for name in _companions(built.root):
        shutil.rmtree(_generation_dir(built.root) / name)
    with SearchService(built.root) as service:
        after = [service.search(r) for r in requests]  # the phrase: positions from Whoosh
        assert _companions(built.root) == _segment_ids(service)
        with service.manager.acquire() as generation:
            columns = generation.columnar()
            assert columns is not None and not columns.segments[0][0].has_positions
    for old, new in zip(before, after, strict=True):
        assert new.total == old.total > 0
        assert [(h.id, h.score) for h in new.hits] == [(h.id, h.score) for h in old.hits]
    for name in _companions(built.root):
        assert SegmentColumns(_generation_dir(built.root) / name).doccount > 0
    # `dossier index` over such an index upgrades it too, and says so.
    segments = _companions(built.root)
    for name in segments:
        shutil.rmtree(_generation_dir(built.root) / name)
    report = build_index([built.corpus], built.root)
    assert report.errors == []
    notes = [p.reason for p in report.problems if "columnar postings" in p.reason]
    assert notes == [f"built columnar postings for {len(segments)} segment(s) written by an "
                     "earlier version (a one-time upgrade)"]  # fmt: skip
    with SearchService(built.root) as service:  # (the deleted articles were added back)
        assert segments <= _companions(built.root) == _segment_ids(service)


def test_companions_follow_merges_and_leftovers_of_a_killed_writer_go(tmp_path: Path) -> None:
    built = _build(tmp_path)
    generation = _generation_dir(built.root)
    # A writer killed while writing a companion leaves its hidden temporary directory.
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    child.send_signal(signal.SIGKILL)
    child.wait()
    orphan = generation / f"{TEMP_PREFIX}MAIN_gone.{child.pid}.tmp"
    orphan.mkdir()
    (orphan / "docs.bin").write_bytes(b"\0" * 8)
    # Rewriting every document makes Whoosh merge segments away.
    extra = built.corpus / "part0.jsonl"
    lines = extra.read_text(encoding="utf-8").splitlines()
    changed = [json.loads(line) | {"title": json.loads(line)["title"] + " X"} for line in lines]
    extra.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in changed))
    assert build_index([built.corpus], built.root).errors == []
    assert not orphan.exists()
    with SearchService(built.root) as service:
        assert _companions(built.root) == _segment_ids(service)
        result = service.search(SearchRequest(query="security"))
        with service.manager.acquire() as gen:
            searcher = gen.searcher()
            query = service.compiler.compile("security", searcher.reader()).query
            whoosh = {hit.docnum for hit in searcher.search(query, limit=None)}
    assert result.total == len(whoosh) > 0


def test_term_lookup_checks_the_term_not_only_its_hash(service: SearchService) -> None:
    with service.manager.acquire() as generation:
        columns = generation.columnar()
        assert columns is not None
        segment = columns.segments[0][0]
        assert segment.term("folded", b"security") is not None
        assert segment.term("folded", b"no-such-term-anywhere") is None
        assert segment.term("no_such_field", b"security") is None
        docs, weights = segment.term("folded", b"security")
        assert len(docs) == len(weights) and np.all(np.diff(docs) > 0)
    assert isinstance(wq.Term("folded", "x"), wq.Term)


def test_positions_are_whooshs(service: SearchService) -> None:
    """The companions written with the segments hold every phrase field's positions,
    equal to those Whoosh decodes from its own postings."""
    with service.manager.acquire() as generation:
        columns = generation.columnar()
        assert columns is not None
        checked = 0
        for (segment, _, _), (reader, _) in zip(
            columns.segments, generation.searcher().reader().leaf_readers(), strict=True
        ):
            assert segment.has_positions
            for fieldname, word in [("body_en", "secur"), ("folded", "forum"), ("title_de", "eu")]:
                at = segment.row(fieldname, word.encode())
                if at is None:
                    continue
                docs, _ = segment.term(fieldname, word.encode())
                found_docs, positions = segment.positions(at, np.asarray(docs))
                ours: dict[int, list[int]] = {}
                for d, p in zip(found_docs.tolist(), positions.tolist(), strict=True):
                    ours.setdefault(d, []).append(p)
                matcher = reader.postings(fieldname, word)
                theirs = {}
                while matcher.is_active():
                    theirs[matcher.id()] = list(matcher.value_as("positions"))
                    matcher.next()
                live = {d: ps for d, ps in ours.items() if not reader.is_deleted(d)}
                assert live == theirs
                checked += 1
        assert checked >= 2


def test_readers_building_the_same_companions_at_once_all_answer(tmp_path: Path) -> None:
    """Three processes open an index without companions at the same moment: each builds
    them (or takes another's copy), all answer alike, and one whole copy remains."""
    built = _build(tmp_path)
    with SearchService(built.root) as service:
        expected = service.search(SearchRequest(query="security")).total
    for name in _companions(built.root):
        shutil.rmtree(_generation_dir(built.root) / name)
    script = (
        "import sys\n"
        "from indexer import SearchRequest, SearchService\n"
        "with SearchService(sys.argv[1]) as s:\n"
        "    print(s.search(SearchRequest(query='security')).total)\n"
    )
    children = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(built.root)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        for _ in range(3)
    ]
    totals = [int(child.communicate(timeout=120)[0].strip()) for child in children]
    assert totals == [expected] * 3
    with SearchService(built.root) as service:
        assert _companions(built.root) == _segment_ids(service)
    leftovers = [p for p in _generation_dir(built.root).iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_stats_and_health_from_the_tables_are_whooshs(built: Built, service: SearchService) -> None:
    """``stats`` and ``health`` read the generation's tables (no Whoosh query per facet
    value after each commit) and give what Whoosh's postings give, deletions included."""
    with SearchService(built.root) as reference:
        with reference.manager.acquire() as generation:
            generation.columnar_cache = ColumnarCache(None)  # no companions: Whoosh
        expected, theirs = reference.stats(), reference.health()
    with service.manager.acquire() as generation:
        assert generation.facet_columns() is not None
    ours = service.stats()
    assert ours == expected
    assert ours.documents == len(built.records) - 3
    assert ours.languages and ours.years and ours.date_min
    assert service.health() == theirs
