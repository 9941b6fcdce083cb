"""Hostile text through every stage: loaders, cleaning, analyzers, dates,
organizations and the query parser never crash; each either gives a result or
says clearly what is wrong (LoadProblem for files, QueryError/ParameterError
for queries).

"Hostile" means arbitrary Unicode plus the pieces that break text pipelines:
combining marks, right-to-left and zero-width characters, NUL and other
controls, lone surrogates (JSON lets a file spell them "\\ud800"), huge
tokens and empty fields.
"""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from indexer import (
    ParameterError,
    QueryError,
    SearchRequest,
    SearchResult,
    SearchService,
    build_index,
)
from indexer.analysis.folding import fold, name_key
from indexer.analysis.language import (
    analyze_words,
    detect_language,
    fold_words,
    folded_analyzer,
    index_terms,
    language_analyzer,
)
from indexer.analysis.tokens import words
from indexer.ingest.cleaning import clean, split_title
from indexer.ingest.dates import date_from_dateline, normalize_record_date
from indexer.ingest.documents import DocumentBuilder, LoadProblem, Unchanged, load_documents
from indexer.ingest.organizations import Gazetteer
from indexer.model import LANGUAGE_NAMES, SUPPORTED_LANGUAGES, Document

SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

PIECES = (
    "\u0301", "e\u0301\u0308\u0323", "\u202e", "\u200f", "\u202d", "\u2067", "مرحبا", "שלום",
    "\u200b", "\u200c", "\u200d", "\ufeff", "\u2060", "\x00", "\x07", "\x1b[31m", "\r\n", "\u2028",
    "\ud800", "\udfff", "\udbff\udc00", "İ", "ı", "ß", "ǅ", "ﬁ", "Ⅻ", "٣", "𝔘𝔫𝔦", "😀", "👩‍👩‍👧",
    "Нагиев", "Nağıyev", "Staatssicherheitsdienstes", "Dövlət", "BAKU, Sept. 22 —", "2025-09-22",
    "31.02.2025", "<script>", "&amp;", "News.Az", "Tags: a, b", "+ ↺ − 16 px", "\t", "   ",
)  # fmt: skip
HUGE = st.integers(min_value=1_000, max_value=120_000).map(lambda n: "x" * n)
hostile_text = st.lists(
    st.one_of(st.text(max_size=40), st.sampled_from(PIECES), HUGE), max_size=8
).map("".join)
languages = st.sampled_from(SUPPORTED_LANGUAGES)
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff]")


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.load(None)


def _utf8(text: str | None) -> bool:
    try:
        (text or "").encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# --- text pipeline ---


@SETTINGS
@given(text=hostile_text)
def test_cleaning_gives_clean_paragraphs(text: str, gazetteer: Gazetteer) -> None:
    cleaned = clean(text, gazetteer.news_agencies())
    for paragraph in cleaned.paragraphs:
        assert paragraph and paragraph == paragraph.strip()
        assert not _CONTROLS.search(paragraph), repr(paragraph[:80])
        assert "\n" not in paragraph
    title, body = split_title(cleaned.paragraphs)
    assert isinstance(title, str) and all(isinstance(p, str) for p in body)


@SETTINGS
@given(text=hostile_text, lang=languages)
def test_analyzers_give_indexable_terms(text: str, lang: str) -> None:
    """Every term the index would store can be written (UTF-8) and is non-empty."""
    terms = [
        *analyze_words(text, lang),
        *fold_words(text),
        *(token.text for token in language_analyzer(lang)(text)),
        *(token.text for token in folded_analyzer()(text)),
    ]
    for word in words(text)[:50]:  # the words the tokenizer hands to the analyzers
        terms.extend(index_terms(word, lang))
        terms.append(name_key(word))
    for term in terms:
        assert isinstance(term, str)
        assert _utf8(term), repr(term)
    assert all(terms[: len(analyze_words(text, lang))])
    assert isinstance(fold(text), str)


@settings(max_examples=100, deadline=None)
@given(text=hostile_text)
def test_language_detection_always_answers_a_supported_language(text: str) -> None:
    assert detect_language(text) in LANGUAGE_NAMES


@SETTINGS
@given(value=st.one_of(hostile_text, st.none(), st.integers(), st.floats(), st.booleans()))
@example("2025-02-30")
@example("2025-13")
@example("\ud800")
@example("0000")
def test_record_dates_are_normalized_or_refused(value: object) -> None:
    try:
        normalized = normalize_record_date(value)
    except ValueError as error:
        assert str(error)
        return
    assert normalized is None or re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", normalized)


@SETTINGS
@given(text=hostile_text)
@example("BAKU, September 31, 2025 — text")
@example("29.02.2023 and 29.02.2024")
def test_dateline_dates_are_real_dates_or_none(text: str) -> None:
    from datetime import date

    found = date_from_dateline(text)
    assert found is None or date.fromisoformat(found)


@SETTINGS
@given(text=hostile_text, lang=languages)
def test_organizations_found_are_gazetteer_ids(text: str, lang: str, gazetteer) -> None:
    for org_id in gazetteer.extract(text, lang):
        assert gazetteer.resolve(org_id) == org_id
    resolved = gazetteer.resolve(text)
    assert resolved is None or gazetteer.resolve(resolved) == resolved


# --- loaders ---

json_value = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), hostile_text),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(), inner)),
    max_leaves=6,
)
FIELDS = ("id", "title", "body", "date", "lang", "source", "url", "organizations")
record = st.dictionaries(st.sampled_from(FIELDS), json_value) | st.fixed_dictionaries(
    {"id": hostile_text, "title": hostile_text, "body": hostile_text},
    optional={"date": hostile_text, "lang": languages, "source": hostile_text},
)
jsonl_line = st.one_of(
    record.map(json.dumps),  # ensure_ascii: lone surrogates become "\ud800" escapes
    json_value.map(json.dumps),
    hostile_text.map(lambda t: t.encode("utf-8", "surrogatepass").decode("utf-8", "replace")),
)


def _load(path: Path, gazetteer: Gazetteer) -> list:
    return list(load_documents([path], DocumentBuilder(gazetteer)))


def _check_loaded(items: list) -> list[Document]:
    documents = []
    for item in items:
        assert isinstance(item, Document | LoadProblem | Unchanged), item
        if isinstance(item, LoadProblem):
            assert item.reason and item.severity in ("error", "warning")
            assert str(item).startswith(item.path)
        elif isinstance(item, Document):
            assert item.id and (item.title or item.body)
            assert item.lang in LANGUAGE_NAMES
            documents.append(item)
    return documents


@SETTINGS
@given(lines=st.lists(jsonl_line, max_size=6))
def test_jsonl_loader_gives_documents_or_problems(lines, tmp_path: Path, gazetteer) -> None:
    path = tmp_path / "hostile.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8", errors="surrogatepass")
    _check_loaded(_load(path, gazetteer))


@SETTINGS
@given(data=st.one_of(st.binary(max_size=2000), hostile_text.map(
    lambda t: t.encode("utf-8", "surrogatepass"))))  # fmt: skip
def test_text_loader_gives_a_document_or_a_problem(data: bytes, tmp_path: Path, gazetteer) -> None:
    path = tmp_path / "hostile article.txt"
    path.write_bytes(data)
    items = _check_loaded(_load(path, gazetteer))
    assert len(items) <= 1


SURROGATE_FIELDS = st.sampled_from(("id", "source", "url", "title", "body"))


@settings(max_examples=20, deadline=None)
@given(field=SURROGATE_FIELDS)
@example(field="id")
@example(field="source")
def test_documents_from_jsonl_are_utf8_encodable(field: str, tmp_path_factory) -> None:
    """What the loader hands to the index can be written; else it is a LoadProblem."""
    path = tmp_path_factory.mktemp("surrogate") / "s.jsonl"
    fields = {
        "id": "doc-1", "title": "A title", "body": "Some body text.", "url": "https://x.org",
        "source": "Agency",
    }  # fmt: skip
    fields[field] = fields[field] + " \ud800 "
    path.write_text(json.dumps(fields), encoding="utf-8")
    report = build_index([path], path.parent / "index")
    assert report.added + len(report.errors) == 1


# --- indexing end to end, and the query parser on a real index ---

safe_text = hostile_text.map(lambda t: re.sub(r"[\ud800-\udfff]", "", t))


@settings(max_examples=25, deadline=None)
@given(
    records=st.lists(
        st.fixed_dictionaries(
            {
                "id": st.text(
                    alphabet=string.ascii_letters + string.digits, min_size=1, max_size=8
                ),
                "title": hostile_text,
                "body": hostile_text,
            },
            optional={
                "date": hostile_text,
                "lang": languages,
                "source": safe_text,
                "url": safe_text,
            },
        ),
        max_size=5,
    )
)
def test_build_index_takes_hostile_articles(records, tmp_path_factory) -> None:
    root = tmp_path_factory.mktemp("hostile")
    path = root / "h.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    report = build_index([path], root / "index", rebuild=True)
    with SearchService(root / "index") as service:
        health = service.health()
    assert health["status"] == "ok"
    assert health["documents"] == report.added  # stats() fails on an empty index: reported


query_syntax = st.sampled_from(
    ('"', "(", ")", "*", "?", "~", "~2", ":", "AND", "OR", "NOT", "-", "+", "title:",
     "body:", "org:", "lang:", "year:", "month:", "source:", "foo:", "^2", "[a TO b]", "{",
     "}", "\\", "/", "'", "’", " ", "Baku", "forum", "security", "Нагиев", "secur*", "ab*",
     "a*", "*x", "Naghiev~", "x~", '"security forum"', "org:sss", "lang:de", "year:undated")
)  # fmt: skip
query_text = st.lists(st.one_of(query_syntax, hostile_text), max_size=10).map(" ".join)


@pytest.fixture(scope="module")
def service(bundled_index: Path):
    with SearchService(bundled_index) as opened:
        yield opened


def _search(service: SearchService, request: SearchRequest) -> SearchResult | None:
    try:
        result = service.search(request)
    except (QueryError, ParameterError) as error:
        assert str(error), "an error without a message"
        return None
    assert result.total >= len(result.hits)
    assert result.total == 0 or result.pages >= 1
    return result


@settings(max_examples=200, deadline=None)
@given(query=query_text)
@example("*")
@example("a" * 10_000)
@example("\x00")
@example('"' + "\ud800" * 3 + '"')
@example("org:" + "x" * 300)
@example("(" * 40 + "baku" + ")" * 40)
def test_any_query_gives_results_or_a_clear_error(service: SearchService, query: str) -> None:
    _search(service, SearchRequest(query=query))


@settings(max_examples=150, deadline=None)
@given(
    query=st.one_of(st.just(""), query_text),
    filters=st.dictionaries(
        st.sampled_from(("organizations", "languages", "years", "months", "sources")),
        st.lists(
            st.one_of(hostile_text, st.sampled_from(("en", "2025", "undated", "az-sss"))),
            min_size=1,
            max_size=3,
        ).map(tuple),
    ),
    page=st.integers(min_value=-5, max_value=10**12),
    per_page=st.integers(min_value=-5, max_value=10**6),
    sort=st.one_of(st.sampled_from(("relevance", "date")), hostile_text),
)
def test_any_request_gives_results_or_a_clear_error(
    service: SearchService, query: str, filters, page: int, per_page: int, sort: str
) -> None:
    request = SearchRequest(query=query, page=page, per_page=per_page, sort=sort, **filters)
    _search(service, request)


@settings(max_examples=100, deadline=None)
@given(doc_id=safe_text, query=query_text)
def test_any_document_lookup_gives_the_document_or_not_found(
    service: SearchService, doc_id: str, query: str
) -> None:
    from indexer import DocumentNotFoundError

    try:
        view = service.document(doc_id, query)
    except DocumentNotFoundError as error:
        assert str(error)
        return
    assert view.id == doc_id


def test_document_lookup_of_a_lone_surrogate_is_not_found(service: SearchService) -> None:
    from indexer import DocumentNotFoundError

    with pytest.raises(DocumentNotFoundError):
        service.document("\ud800")
