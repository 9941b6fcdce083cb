"""Highlighting marks what the query matched (stems, folded names, organizations);
snippets are escaped text whose only markup is <mark>."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from indexer import SearchRequest, build_index
from indexer.analysis.folding import name_key
from indexer.analysis.language import stem_word
from indexer.analysis.tokens import words

MARKED = re.compile(r"<mark>(.*?)</mark>")
TAG = re.compile(r"</?[A-Za-z][^>]*>")


def marked(fragment: str) -> list[str]:
    return [html.unescape(m) for m in MARKED.findall(fragment)]


def assert_only_mark_tags(fragment: str) -> None:
    assert set(TAG.findall(fragment)) <= {"<mark>", "</mark>"}, fragment
    assert fragment.count("<mark>") == fragment.count("</mark>")


def plain(fragment: str) -> str:
    return html.unescape(TAG.sub("", fragment))


def test_cyrillic_query_marks_every_latin_spelling(search, seeds) -> None:
    result = search("Нагиев")
    words_marked = {w for hit in result.hits for w in marked(hit.snippet)}
    assert {"Naghiyev", "Nagiyev"} <= words_marked
    assert {name_key(w) for w in words_marked} == {name_key("Нагиев")}
    by_seed = {seeds.number(h.id): marked(h.snippet) for h in result.hits}
    assert "Nagiyev" in by_seed["002"]  # the one article spelling it without h


def test_plural_query_marks_singular_word(search, seeds) -> None:
    result = search("services")
    by_seed = {seeds.number(h.id): h for h in result.hits}
    assert "Service" in marked(by_seed["000"].snippet)  # "State Security Service (SSS)"
    for hit in result.hits:
        assert {stem_word(w, "en") for w in marked(hit.snippet)} == {stem_word("services", "en")}
    assert "Services" in marked(by_seed["002"].title_html)


def test_german_stem_is_marked_in_the_german_article(search, seeds) -> None:
    hit = next(h for h in search("Staatssicherheitsdienst").hits if seeds.number(h.id) == "004")
    assert "Staatssicherheitsdienstes" in marked(hit.snippet)
    assert "Staatssicherheitsdienstes" in marked(hit.title_html)


def test_compound_head_query_marks_the_compound(search, seeds) -> None:
    hit = search("Sicherheitsdienst").hits[0]
    assert seeds.number(hit.id) == "004"
    assert "Staatssicherheitsdienstes" in marked(hit.snippet)


def test_organization_query_marks_the_name_in_another_language(search, seeds) -> None:
    hit = next(h for h in search("State Security Service").hits if seeds.number(h.id) == "004")
    assert "Staatssicherheitsdienstes" in marked(hit.snippet)


def test_prefix_and_fuzzy_expansions_are_marked(search, seeds) -> None:
    prefix = {seeds.number(h.id): marked(h.snippet) for h in search("Turk*").hits}
    assert "Turkic" in prefix["003"]
    assert any(w.startswith("türkisch") for w in prefix["004"])
    fuzzy = {w for h in search("Naghiyv~").hits for w in marked(h.snippet)}
    assert "Naghiyev" in fuzzy


def test_excluded_words_are_not_marked(search) -> None:
    for hit in search("forum -Trend").hits:
        assert "Trend" not in marked(hit.snippet)


def test_snippets_are_fragments_of_the_body(search, service) -> None:
    for hit in search("Naghiyev").hits:
        assert_only_mark_tags(hit.snippet)
        body = " ".join(plain(service.document(hit.id).body_html).split())
        pieces = [" ".join(p.split()) for p in plain(hit.snippet).split("…")]
        assert [p for p in pieces if p and p not in body] == []
        assert len(plain(hit.snippet)) <= 2 * 240 + 10


def test_snippets_can_be_turned_off(search) -> None:
    result = search("Naghiyev", snippets=False)
    assert result.hits and all(h.snippet == "" for h in result.hits)


def test_document_view_marks_every_occurrence(service, seeds) -> None:
    view = service.document(seeds.ids["002"], query="Нагиев")
    expected = [w for w in words(seeds.text("002")) if name_key(w) == name_key("Нагиев")]
    assert marked(view.body_html) + marked(view.title_html) == expected
    assert_only_mark_tags(view.body_html)


HOSTILE_BODY = (
    'Security services met. <script>alert("x")</script> & <b onclick=evil()>bold</b> '
    "<mark>fake</mark> security again."
)


@pytest.fixture
def hostile_service(
    write_corpus: Callable[..., Path], jsonl: Callable[..., str], tmp_path: Path, open_service
):
    record = {
        "id": "xss",
        "title": "<img src=x onerror=alert(1)> Security <script>t</script>",
        "body": HOSTILE_BODY,
        "lang": "en",
    }
    root = write_corpus({"hostile.jsonl": jsonl(record)})
    build_index([root], tmp_path / "index")
    return open_service(tmp_path / "index")


def test_snippets_and_titles_are_escaped(hostile_service) -> None:
    result = hostile_service.search(SearchRequest(query="security"))
    hit = result.hits[0]
    assert "&lt;script&gt;" in hit.snippet
    assert "<script" not in hit.snippet and "<b " not in hit.snippet
    assert_only_mark_tags(hit.snippet)
    assert marked(hit.snippet) == ["Security", "security"]  # the stored <mark> is text
    assert "&lt;mark&gt;fake&lt;/mark&gt;" in hit.snippet
    assert_only_mark_tags(hit.title_html)
    assert "&lt;img" in hit.title_html and marked(hit.title_html) == ["Security"]
    assert hit.title == "<img src=x onerror=alert(1)> Security <script>t</script>"  # raw


def test_document_view_is_escaped(hostile_service) -> None:
    view = hostile_service.document("xss", query="security")
    assert_only_mark_tags(view.body_html)
    assert_only_mark_tags(view.title_html)
    assert "&lt;script&gt;" in view.body_html
    assert plain(view.body_html) == HOSTILE_BODY
