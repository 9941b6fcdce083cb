"""Snippets from the index's word starts are exactly the snippets read from the text.

Text fields keep, with each position, the first character of its word
(``schema.PositionsAndStarts``); each segment's companion copies them, and a
result page's snippets take the matched words' places from there instead of
splitting and analysing every hit's text. This file checks the format, that the
companion's starts are the words' real places, that the service uses them, and
that every snippet equals the one the highlighter makes by reading the text:
paragraph breaks (which the snippet widens), compound words (several terms at
one place), a word cut by the scan limit, a prefix with more expansions than
are looked up, and a segment whose companion has no starts (built from
Whoosh's postings, as for an index written by an earlier version).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from indexer import SearchRequest, SearchService, build_index, delete_documents
from indexer.analysis.tokens import WORD_PATTERN
from indexer.index.columnar import SegmentColumns, write_companion
from indexer.index.schema import PositionsAndStarts, build_schema
from indexer.search import service as service_module
from indexer.search.highlight import SNIPPET_SCAN_CHARS, MatchTerms
from indexer.search.vectorized import PLACED_WORDS, VectorizedExecution

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "eval" / "multilingual" / "docs.jsonl"
LONG_TAIL = "Sicherheit"  # cut by the scan limit in the long article
QUERIES = [
    "security", "security service", "Sicherheitsforum", "Sicherheit", "forum baku",
    "Нагиев", "Nagiyev", '"security service"', "oil OR gas", "secur*", "Sicher*",
    "org:az-sss forum", "international terrorism cooperation services forum", "paragraph",
    "Bundessicherheitsrat", "Rat", "econom*", "o'clock",
]  # fmt: skip


def _extra_records() -> list[dict]:
    """Articles made for the edge cases: breaks, compounds, a word cut by the scan limit."""
    breaks = "\n\n".join(
        f"Paragraph {n} of the security report.\n\nThe security service met again."
        for n in range(8)
    )
    filler = "Wort " * ((SNIPPET_SCAN_CHARS - 3) // 5)
    cut = filler[: SNIPPET_SCAN_CHARS - 3] + LONG_TAIL + " und danach noch mehr Sicherheit."
    clock = "At six it began. " + "word " * 19_990
    clock += "x" * (SNIPPET_SCAN_CHARS - 3 - len(clock)) + " o'clock and more."
    assert clock[SNIPPET_SCAN_CHARS - 2 : SNIPPET_SCAN_CHARS] == "o'"  # cut after "o'"
    # "bankruptcy" cut to "bank": what is left matches `bank`, the whole word does not.
    bank = "It began. " + "word " * 19_995
    bank += "y" * (SNIPPET_SCAN_CHARS - 5 - len(bank)) + " bankruptcy and a bank."
    assert bank[SNIPPET_SCAN_CHARS - 4 : SNIPPET_SCAN_CHARS] == "bank"
    return [
        {"id": "breaks", "title": "Security report", "body": breaks, "lang": "en"},
        {"id": "clock", "title": "Clock", "body": clock, "lang": "en"},
        {"id": "bank", "title": "Ruin", "body": bank, "lang": "en"},
        {"id": "compound", "title": "Bundessicherheitsrat tagt", "lang": "de",
         "body": "Der Bundessicherheitsrat tagte. Der Rat und das Sicherheitsforum berieten "
                 "über Sicherheit.\n\nDer Sicherheitsrat schwieg."},
        {"id": "cut", "title": "Lang", "body": cut, "lang": "de"},
    ]  # fmt: skip


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("places")
    records = [json.loads(line) for line in DOCS.read_text(encoding="utf-8").splitlines()]
    records += _extra_records()
    index, corpus = base / "index", base / "corpus"
    corpus.mkdir()
    half = len(records) // 2
    for number, chunk in enumerate([records[:half], records[half:]]):
        (corpus / f"part{number}.jsonl").write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in chunk), encoding="utf-8"
        )
        assert build_index([corpus], index).errors == []
    assert delete_documents([records[2]["id"]], index)[0] == 1
    return index


@pytest.fixture(scope="module")
def service(root: Path) -> Iterator[SearchService]:
    with SearchService(root) as service:
        yield service


def test_format_keeps_positions_starts_and_counts() -> None:
    fmt = PositionsAndStarts()
    field = build_schema()["body_en"]
    text = "Security services said the security of services."
    values = {word: value for word, _, _, value in fmt.word_values(text, field.analyzer)}
    assert fmt.decode_positions(values["secur"]) == [0, 3]
    assert fmt.decode_starts(values["secur"]) == [0, 27]
    assert [text[s : s + 8] for s in fmt.decode_starts(values["servic"])] == ["services"] * 2
    assert fmt.decode_frequency(values["servic"]) == 2
    assert fmt.decode_weight(values["said"]) == 1.0
    both = fmt.combine([values["secur"], values["said"]])
    assert fmt.decode_positions(both) == [0, 2, 3]
    assert fmt.decode_starts(both) == [0, 18, 27]
    assert isinstance(build_schema()["folded"].format, PositionsAndStarts)


def test_index_time_analysis_is_the_analyzers_own() -> None:
    """The format splits each text once for all its fields and runs the filters'
    ``places`` (no Token objects); what it indexes is what the Whoosh analyzer chain
    gives: terms, counts, positions and starts, for every language's field."""
    schema = build_schema()
    fmt = PositionsAndStarts()
    records = [json.loads(line) for line in DOCS.read_text(encoding="utf-8").splitlines()]
    texts = [r["body"] for r in records] + [r.get("title") or "" for r in records]
    texts += [r["body"] for r in _extra_records() if r["id"] in ("breaks", "compound")]
    texts += ["", "the of and", "Servisi'nin l'économie d’Italia Staatssicherheitsdienstes"]
    fields = ["body_en", "body_de", "body_ru", "body_tr", "body_az", "body_fr", "folded"]
    checked = 0
    for text in texts:
        for name in fields:
            analyzer = schema[name].analyzer
            direct = list(fmt.word_values(text, analyzer))
            # The same analyzer behind a wrapper the format does not know: Whoosh's tokens.
            wrapped = list(fmt.word_values(text, _Opaque(analyzer)))
            assert direct == wrapped, (name, text[:60])
            checked += len(direct)
    assert checked > 10_000


class _Opaque:
    """An analyzer that is not one of Dossier's own (so the format takes Whoosh's path)."""

    def __init__(self, inner: object):
        self.inner = inner

    def __call__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return self.inner(*args, **kwargs)  # type: ignore[operator]


def _stored(service: SearchService) -> dict[int, dict]:
    with service.manager.acquire() as generation:
        searcher = generation.searcher()
        return {d: searcher.stored_fields(d) for d in range(searcher.doc_count_all())
                if not searcher.reader().is_deleted(d)}  # fmt: skip


def test_companion_starts_are_where_the_words_are(service: SearchService) -> None:
    """Every start the companion keeps for a body term is the start of a word of the
    stored body that analyses to that term, and every such word is there."""
    stored = _stored(service)
    schema = build_schema()
    checked = 0
    with service.manager.acquire() as generation:
        columns = generation.columnar()
        assert columns is not None
        for segment, offset, _ in columns.segments:
            assert isinstance(segment, SegmentColumns)
            for doc in range(segment.doccount):
                fields = stored.get(doc + offset)
                if fields is None or fields["lang"] not in ("en", "de"):
                    continue
                body = fields["body"]
                fieldname = f"body_{fields['lang']}"
                expected: dict[str, list[int]] = {}
                for token in schema[fieldname].analyzer(body, chars=True, positions=True):
                    expected.setdefault(token.text, []).append(token.startchar)
                for term, starts in list(expected.items())[:6]:
                    at = segment.row(fieldname, term.encode())
                    assert at is not None
                    found = segment.starts(at, [doc])
                    assert found == [(doc, starts)]
                    assert all(WORD_PATTERN.match(body, s) for s in starts)
                    checked += 1
    assert checked > 200


def _read_snippets(service: SearchService, request: SearchRequest) -> list[str]:
    """The page's snippets as the highlighter makes them by reading each text."""
    result = service.search(request)
    with service.manager.acquire() as generation:
        searcher = generation.searcher()
        compiled = service.compiler.compile(request.query, searcher.reader())
        execution = service_module.QueryExecution(searcher, generation.statistics)
        terms = service_module.match_terms(execution, compiled.query, compiled)
        snippets = []
        for hit in result.hits:
            fields = searcher.stored_fields(searcher.document_number(id=hit.id))
            snippets.append(service.highlighter.snippet(fields["body"], hit.lang, terms))
    return snippets


@pytest.mark.parametrize("text", QUERIES)
@pytest.mark.parametrize("page", [1, 2])
def test_snippets_from_starts_are_those_read_from_the_text(
    service: SearchService, text: str, page: int
) -> None:
    request = SearchRequest(query=text, page=page, per_page=10)
    result = service.search(request)
    assert [h.snippet for h in result.hits] == _read_snippets(service, request)


def test_the_page_takes_its_places_from_the_index(service: SearchService) -> None:
    """Not a silent fallback: the documents of a page get their places from the starts,
    and a paragraph break and a compound are marked where they are."""
    calls: list[int] = []
    original = service_module.page_places

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        found = original(*args, **kwargs)
        calls.append(len(found))
        return found

    service_module.page_places = counting
    try:
        breaks = service.search(SearchRequest(query="paragraph security", per_page=50))
        compound = service.search(SearchRequest(query="Sicherheitsforum Rat", per_page=50))
    finally:
        service_module.page_places = original
    assert calls and all(n > 0 for n in calls)
    hit = next(h for h in breaks.hits if h.id == "breaks")
    assert "<mark>Paragraph</mark>" in hit.snippet and "<mark>security</mark>" in hit.snippet
    hit = next(h for h in compound.hits if h.id == "compound")
    assert "<mark>Rat</mark>" in hit.snippet and "<mark>Sicherheitsforum</mark>" in hit.snippet


@pytest.mark.parametrize(
    ("text", "lang", "doc"),
    [(LONG_TAIL[:6] + "*", "de", "cut"), ("o'clock", "en", "clock"), ("bank", "en", "bank")],
)
def test_a_word_cut_by_the_scan_limit_is_judged_as_cut(
    service: SearchService, text: str, lang: str, doc: str
) -> None:
    request = SearchRequest(query=text, languages=(lang,), per_page=50)
    result = service.search(request)
    hit = next(h for h in result.hits if h.id == doc)
    assert hit.snippet == _read_snippets(service, request)[result.hits.index(hit)]


def test_many_expansions_read_the_text(service: SearchService) -> None:
    """Above PLACED_WORDS terms in a field, no lookups: the texts are read."""
    with service.manager.acquire() as generation:
        columns = generation.columnar()
        assert columns is not None
        words = [f"w{n}" for n in range(PLACED_WORDS + 1)]
        assert columns.word_starts("folded", words, [0, 1]) == {}
        assert columns.word_starts("folded", words[:1], [0, 1]) == {0: {}, 1: {}}


def test_a_segment_without_starts_reads_its_texts(root: Path, tmp_path: Path) -> None:
    """A companion built from Whoosh's postings (an index of an earlier version) has no
    starts: its documents' snippets are read from the text, and are the same."""
    copy = tmp_path / "index"
    shutil.copytree(root, copy, symlinks=True)
    generation = copy / os.readlink(copy / "CURRENT")
    with SearchService(copy) as service, service.manager.acquire() as current:
        reader = current.searcher().reader()
        first = next(iter(reader.leaf_readers()))[0]
        write_companion(generation, first)  # replaces the companion, without starts
    with SearchService(copy) as service:
        with service.manager.acquire() as current:
            columns = current.columnar()
            assert columns is not None
            execution = VectorizedExecution(
                columns, service_module.QueryExecution(current.searcher(), current.statistics)
            )
            segment, offset, _ = columns.segments[0]
            assert not segment.has_positions
            terms = MatchTerms()
            terms.add("folded", "security")
            docs = [offset, offset + 1, columns.segments[1][1]]
            placed = service_module.page_places(execution, docs, ["en"] * 3, terms)
            assert set(placed) == {columns.segments[1][1]}
        for text in QUERIES[:6]:
            request = SearchRequest(query=text, per_page=20)
            assert [h.snippet for h in service.search(request).hits] == _read_snippets(
                service, request
            )
