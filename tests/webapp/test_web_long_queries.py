"""A pasted paragraph on the page and in the API: accepted, and the words it was
searched for are said (the engine's own tests cover the choice of words)."""

from __future__ import annotations

from html import escape

from flask import Flask
from flask.testing import FlaskClient

PARAGRAPH = (
    "The security forum in Baku brought together officials, analysts and reporters; "
    "they discussed the reform of the state security service, its budget, its oversight "
    "by parliament, and cooperation with neighbouring countries on border questions, "
    "energy pipelines and cyber incidents over the coming years, in sessions that ran late."
)


def test_a_pasted_paragraph_is_searched_for_its_telling_words(client: FlaskClient, validate):
    assert len(PARAGRAPH.split()) > 32
    body = client.get("/api/search", query_string={"q": PARAGRAPH}).get_json()
    validate(body, "SearchResponse")
    used = body["query_words_used"]
    assert "forum" in used and "the" not in used and body["hits"]
    page = client.get("/", query_string={"q": PARAGRAPH}).get_data(as_text=True)
    assert "Searched for the most telling words: " + escape(", ".join(used)) in page


def test_a_typed_query_says_nothing_about_telling_words(client: FlaskClient) -> None:
    assert client.get("/api/search?q=security+forum").get_json()["query_words_used"] == []
    assert "most telling words" not in client.get("/?q=security+forum").get_data(as_text=True)


def test_the_default_query_limit_is_the_engines(make_app) -> None:
    from indexer.model import SearchLimits

    app: Flask = make_app(MAX_QUERY_CHARS=SearchLimits().max_query_chars)
    assert app.config["MAX_QUERY_CHARS"] == 10_000
    query = ("forum security Baku. " * 400)[: 7_900 - 40]  # as long as an address may be
    response = app.test_client().get("/api/search", query_string={"q": query})
    assert response.status_code == 200, response.get_data(as_text=True)[:200]
    assert response.get_json()["query_words_used"]
