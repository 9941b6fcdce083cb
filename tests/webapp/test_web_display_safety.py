"""Ids and text that could mislead a reader: ids with slashes and dot segments are
linked percent-encoded and open their own document; bidirectional controls in
titles, sources and snippets never reach a page, while the index still finds
the words around them. Real index, real app, pages parsed as HTML."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote_plus, unquote, urljoin, urlsplit

import pytest

from indexer import build_index
from webapp.safety import BIDI_CONTROLS

RLO, PDF, LRI, PDI, RLM, ALM = "\u202e", "\u202c", "\u2066", "\u2069", "\u200f", "\u061c"
ODD_IDS = (
    "../../etc/passwd",
    "a/b",
    "a//b",
    "/leading-slash",
    "question?mark#hash",
    "percent%2Fsign",
    "space and ünïcode",
)
BIDI_TITLE = f"Quarterly walrus report {RLO}fdp.exe{PDF} attached"
BIDI_SOURCE = f"{LRI}Walrus{PDI} Gazette{RLM}{ALM}"


@pytest.fixture(scope="module")
def odd_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    records = [
        {
            "id": doc_id,
            "title": f"Walrus dispatch {n}",
            "body": f"The walrus dispatch number {n} reached the archive.",
            "lang": "en",
            "source": "Walrus Wire",
        }
        for n, doc_id in enumerate(ODD_IDS)
    ]
    records.append(
        {
            "id": "bidi-title",
            "title": BIDI_TITLE,
            "body": f"The walrus report mentions {RLO}fdp.exe{PDF} in its body, "
            f"and {LRI}archive{PDI} tools.",
            "lang": "en",
            "source": BIDI_SOURCE,
            "url": "https://example.org/walrus",
        }
    )
    source = tmp_path_factory.mktemp("odd") / "odd.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    root = tmp_path_factory.mktemp("odd-index") / "index"
    report = build_index([source], root, rebuild=True)
    assert report.added == len(records), report.problems
    return root


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hits: list[str] = []
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "h3" and ("class", "hit-title") in attrs:
            self._in_title = True
        elif tag == "a" and self._in_title:
            self.hits.append(dict(attrs)["href"] or "")
            self._in_title = False


def hit_links(html: str) -> list[str]:
    parser = Links()
    parser.feed(html)
    return parser.hits


def test_odd_ids_are_linked_encoded_and_open_their_document(make_app, odd_index) -> None:
    client = make_app(INDEX_DIR=odd_index).test_client()
    page = client.get("/?q=dispatch&per_page=20")
    assert page.status_code == 200
    links = hit_links(page.get_data(as_text=True))
    assert len(links) == len(ODD_IDS)
    opened = set()
    for href in links:
        path = urlsplit(href).path
        encoded = path.removeprefix("/documents/")
        assert "/" not in encoded, f"{href}: the id must be one path segment"
        resolved = urlsplit(urljoin("http://archive.example/", href)).path
        assert resolved == path, f"{href}: a browser would ask for {resolved}"
        document = client.get(href)
        assert document.status_code == 200, href
        shown = document.get_data(as_text=True)
        doc_id = unquote(encoded)
        number = ODD_IDS.index(doc_id)
        assert f"Walrus dispatch {number}" in shown, href
        api = client.get("/api/documents/" + encoded)
        assert api.status_code == 200 and api.get_json()["id"] == doc_id
        opened.add(doc_id)
    assert opened == set(ODD_IDS)


def test_the_unencoded_traversal_link_does_not_reach_the_document(make_app, odd_index) -> None:
    """What the old link made a browser ask for: ``..`` resolved away."""
    client = make_app(INDEX_DIR=odd_index).test_client()
    assert client.get("/etc/passwd").status_code == 404


def _no_controls(text: str) -> None:
    found = sorted({f"U+{ord(ch):04X}" for ch in text if ch in BIDI_CONTROLS})
    assert not found, f"bidirectional controls reached the page: {found}"


def test_bidi_controls_never_reach_a_page(make_app, odd_index) -> None:
    client = make_app(INDEX_DIR=odd_index).test_client()
    results = client.get("/?q=walrus+report").get_data(as_text=True)
    assert "fdp.exe" in results, "the hit is listed"
    _no_controls(results)
    assert "Walrus Gazette" in results, "the source is shown, controls removed"
    document = client.get("/documents/bidi-title?q=fdp").get_data(as_text=True)
    assert "Quarterly walrus report fdp.exe attached" in document
    _no_controls(document)
    facet = client.get("/?source=" + BIDI_SOURCE).get_data(as_text=True)
    _no_controls(facet)


def test_searching_is_unchanged_by_the_display_rule(make_app, odd_index) -> None:
    client = make_app(INDEX_DIR=odd_index).test_client()
    for query in ("fdp.exe", "archive tools"):
        body = client.get("/api/search", query_string={"q": query}).get_json()
        assert [hit["id"] for hit in body["hits"]] == ["bidi-title"], query
    by_source = client.get("/api/search", query_string={"q": "walrus", "source": BIDI_SOURCE})
    assert [hit["id"] for hit in by_source.get_json()["hits"]] == ["bidi-title"]
    page = client.get("/?q=walrus").get_data(as_text=True)
    facet_links = [
        href
        for href in re.findall(r'href="([^"]+)"', page)
        if "source=" in href and "Gazette" in unquote(href)
    ]
    assert facet_links, "the source facet links its value"
    followed = client.get(facet_links[0].replace("&amp;", "&")).get_data(as_text=True)
    expected = "/documents/bidi-title?q=walrus&source=" + quote_plus(BIDI_SOURCE)
    assert hit_links(followed) == [expected], "the filter keeps the value as indexed"
    stored = client.get("/api/documents/bidi-title").get_json()
    assert stored["title"] == BIDI_TITLE, "the data keeps the text as written"
    assert stored["source"] == BIDI_SOURCE
