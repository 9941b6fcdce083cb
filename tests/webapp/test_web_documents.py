"""The document page: full text, marks, metadata, links out and back."""

from __future__ import annotations

from flask.testing import FlaskClient


def test_document_with_marks_and_way_back(client: FlaskClient) -> None:
    response = client.get("/documents/de-forum?q=Sicherheitsforum&lang=de&page=1")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<article class="document" lang="de">' in page
    assert "<mark>Sicherheitsforum</mark>" in page
    assert "<title>Sicherheitsforum in Baku eröffnet – Dossier</title>" in page
    assert '<a href="/?q=Sicherheitsforum&amp;lang=de&amp;page=1">‹ Back to results</a>' in page
    assert '<time datetime="2021-03-15">2021-03-15</time>' in page
    assert 'href="https://example.de/forum" rel="noopener noreferrer nofollow"' in page
    assert "Matches of “Sicherheitsforum” are marked." in page


def test_organizations_link_to_a_filtered_search(client: FlaskClient) -> None:
    page = client.get("/documents/000_6bd0586f863e6f1a").get_data(as_text=True)
    assert 'href="/?org=az-sss"' in page
    assert '<a href="/">‹ Search the archive</a>' in page


def test_paragraphs(client: FlaskClient) -> None:
    page = client.get("/documents/000_6bd0586f863e6f1a?q=forum").get_data(as_text=True)
    body = page[page.index('<div class="doc-body">') :]
    assert body.count("<p>") >= 3
    assert "<mark>" in body


def test_unknown_document_is_404_page(client: FlaskClient) -> None:
    response = client.get("/documents/no-such-article")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "Not found" in response.get_data(as_text=True)


def test_malformed_query_marks_nothing_but_shows_the_document(client: FlaskClient) -> None:
    response = client.get("/documents/de-forum", query_string={"q": '"Baku'})
    assert response.status_code == 200
    assert "Sicherheitsforum in Baku" in response.get_data(as_text=True)
