"""Hostile markup in articles and queries never reaches a browser as markup."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

HOSTILE_SEARCHES = [
    "/?q=security+summit",
    "/?q=payloads",
    "/?q=alert",
    "/?q=script",
    "/?q=onerror",
    "/?q=javascript",
    "/?q=intelligence+report&sort=date",
    "/?source=%3Cb%3EEvil%3C%2Fb%3E+Press",
    "/?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "/?q=%22%3E%3Csvg+onload%3Dalert(1)%3E",
    "/?q=%22%3Cscript%3E",  # malformed and hostile: the error page echoes it
    "/?q=x&lang=%3Cscript%3E",  # a hostile parameter value in the error message
    "/documents/hostile-script?q=summit",
    "/documents/hostile-img?q=payloads",
    "/documents/hostile-script?q=%3Cscript%3E",
    "/documents/%3Cscript%3Ealert(1)%3C%2Fscript%3E",
]


@pytest.mark.parametrize("url", HOSTILE_SEARCHES)
def test_pages_carry_no_active_markup(client: FlaskClient, no_active_markup, url: str) -> None:
    response = client.get(url)
    assert response.status_code in {200, 400, 404}
    page = response.get_data(as_text=True)
    app_script = '<script src="/static/suggest.js" defer></script>'
    assert page.count(app_script) == 1
    assert "<script" not in page.replace(app_script, "").lower()
    no_active_markup(page)


def test_hostile_articles_are_found_and_shown_as_text(client: FlaskClient) -> None:
    page = client.get("/documents/hostile-script?q=summit").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, "shown as text, not dropped"
    assert "<mark>summit</mark>" in page
    assert 'href="javascript:' not in page
    assert '<span class="url-text">javascript:alert(1)</span>' in page
    results = client.get("/?q=payloads").get_data(as_text=True)
    assert "hostile-img" in results


def test_hostile_source_label_is_escaped(client: FlaskClient) -> None:
    page = client.get("/?q=security+summit").get_data(as_text=True)
    assert "&lt;b&gt;Evil&lt;/b&gt; Press" in page
    assert "<b>Evil</b>" not in page


@pytest.mark.parametrize("query", ["summit", "payloads", "alert", "script", "onerror", "iframe"])
def test_json_snippets_hold_only_marks(
    client: FlaskClient, only_plain_marks, no_active_markup, query: str
) -> None:
    body = client.get(f"/api/search?q={query}&per_page=50").get_json()
    for hit in body["hits"]:
        only_plain_marks(hit["snippet"])
        only_plain_marks(hit["title_html"])
    for doc_id in ("hostile-script", "hostile-img"):
        doc = client.get(f"/api/documents/{doc_id}?q={query}").get_json()
        only_plain_marks(doc["title_html"])
        only_plain_marks(doc["body_html"])
        no_active_markup(doc["body_html"])


def test_facet_and_title_markup_in_json_is_data(client: FlaskClient) -> None:
    body = client.get("/api/search?q=summit").get_json()
    sources = {v["label"] for v in body["facets"]["source"]}
    assert "<b>Evil</b> Press" in sources, "JSON carries the data; escaping is the client's"
    hit = next(h for h in body["hits"] if h["id"] == "hostile-script")
    assert "<script" not in hit["title_html"].lower()


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/?q=forum",
        "/documents/de-forum",
        "/api/search?q=forum",
        "/api/health",
        "/nothing",
        "/api/nothing",
        "/static/style.css",
        "/?q=%22baku",
    ],
)
def test_security_headers_on_every_response(client: FlaskClient, url: str) -> None:
    with client.get(url) as response:
        headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp  # the one script file (static/suggest.js), nothing inline
    assert "unsafe-inline" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] in {"no-referrer", "same-origin"}
