"""Atom feeds of searches and the OpenSearch description, read by real parsers."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html import unescape
from urllib.parse import urlsplit

import feedparser
import pytest
from flask.testing import FlaskClient

ATOM = "{http://www.w3.org/2005/Atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"


def _feed(client: FlaskClient, url: str) -> tuple[feedparser.FeedParserDict, ET.Element]:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/atom+xml"
    body = response.get_data()
    return feedparser.parse(body), ET.fromstring(body)


def test_search_feed_is_valid_atom_newest_first(client: FlaskClient) -> None:
    parsed, root = _feed(client, "/search.atom?q=bulletin")
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.title == "Dossier: “bulletin”"
    assert parsed.feed.id.startswith("http://localhost/search.atom?q=bulletin")
    entries = parsed.entries
    assert len(entries) == 25  # every bulletin; a feed is not paged like the results
    updated = [e.updated_parsed for e in entries]
    assert updated == sorted(updated, reverse=True)
    first = entries[0]
    assert first.link.startswith("http://localhost/documents/bulletin-")
    assert first.author in {"Bulletin Weekly", "Daily Courier"}
    assert "bulletin" in first.summary.lower()
    raw = root.find(f"{ATOM}entry").findtext(f"{ATOM}summary")
    assert "<mark>bulletin</mark>" in raw  # the snippet's marks travel as HTML
    # Every entry has what RFC 4287 requires.
    for entry in root.iter(f"{ATOM}entry"):
        for required in ("id", "title", "updated"):
            assert entry.find(f"{ATOM}{required}") is not None


def test_feed_of_an_organization_carries_categories(client: FlaskClient) -> None:
    parsed, _ = _feed(client, "/search.atom?org=az-sss&lang=en")
    assert parsed.feed.title == "Dossier: naming State Security Service of Azerbaijan, in English"
    assert parsed.entries
    for entry in parsed.entries:
        assert "az-sss" in [tag.term for tag in entry.tags]


def test_feed_of_hostile_articles_stays_text(views_client: FlaskClient) -> None:
    parsed, root = _feed(views_client, "/search.atom?q=harbour")
    assert not parsed.bozo, parsed.get("bozo_exception")
    titles = [e.findtext(f"{ATOM}title") for e in root.iter(f"{ATOM}entry")]
    assert any(t.startswith("=cmd|") for t in titles)
    assert all("\x0b" not in t for t in titles)  # not even escaped can XML carry it
    summaries = " ".join(e.findtext(f"{ATOM}summary") for e in root.iter(f"{ATOM}entry"))
    assert "<script" not in summaries and "onerror=" not in summaries.replace("onerror=alert", "")
    tags = {tag.term for entry in parsed.entries for tag in entry.get("tags", [])}
    assert "<script>alert(2)</script>" in tags  # a hostile id is an attribute value, escaped


def test_feed_undated_articles_take_the_index_time(client: FlaskClient) -> None:
    parsed, _ = _feed(client, "/search.atom?year=undated")
    assert parsed.entries and not parsed.bozo
    assert all(e.updated_parsed for e in parsed.entries)
    assert all("published" not in e for e in parsed.entries)


@pytest.mark.parametrize(
    ("query", "status"),
    [("", 400), ("?year=20x5", 400), ("?from=2020-02-31", 400), ("?q=" + "x" * 501, 413)],
)
def test_feed_refusals(client: FlaskClient, query: str, status: int) -> None:
    response = client.get(f"/search.atom{query}")
    assert response.status_code == status
    assert response.mimetype == "text/html"


def test_results_page_links_its_feed(client: FlaskClient) -> None:
    page = client.get("/?q=bulletin&lang=en&page=2").get_data(as_text=True)
    alternate = re.search(
        r'<link rel="alternate" type="application/atom\+xml" title="[^"]*" href="([^"]+)"', page
    )
    assert alternate, "the results page announces its feed in <head>"
    href = unescape(alternate.group(1))
    assert urlsplit(href).path == "/search.atom"
    assert "page=" not in href and "lang=en" in href
    assert f'href="{alternate.group(1)}"' in page.split("<body>", 1)[1]  # and a visible link
    parsed, _ = _feed(client, href)
    assert len(parsed.entries) == 25


def test_opensearch_description(client: FlaskClient) -> None:
    response = client.get("/opensearch.xml")
    assert response.status_code == 200
    assert response.mimetype == "application/opensearchdescription+xml"
    root = ET.fromstring(response.get_data())
    assert root.tag == f"{OPENSEARCH}OpenSearchDescription"
    assert root.findtext(f"{OPENSEARCH}ShortName") == "Dossier"
    templates = {u.get("type"): u.get("template") for u in root.iter(f"{OPENSEARCH}Url")}
    assert templates["text/html"] == "http://localhost/?q={searchTerms}"
    assert templates["application/x-suggestions+json"].endswith(
        "/api/suggest?q={searchTerms}&format=opensearch"
    )
    for template in templates.values():
        path = template.replace("http://localhost", "").replace("{searchTerms}", "forum")
        assert client.get(path).status_code == 200, path


@pytest.mark.parametrize("path", ["/", "/?q=forum", "/documents/de-forum", "/organizations"])
def test_every_page_links_the_opensearch_description(client: FlaskClient, path: str) -> None:
    page = client.get(path).get_data(as_text=True)
    assert (
        '<link rel="search" type="application/opensearchdescription+xml" title="Dossier" '
        'href="/opensearch.xml">' in page
    )
