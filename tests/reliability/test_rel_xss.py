"""XSS payloads in articles' titles, bodies, sources, URLs and ids, and in
queries and filters: nothing executable reaches the HTML, and the JSON's
marked-up strings hold only bare <mark> tags.

Pages are parsed with html5lib, which builds the tree the way a browser does
(so broken and nested markup is judged as a browser would run it). Each
payload sits in its own article with a marker word, so each one is searched,
listed, faceted and shown on its own document page.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Iterator

import html5lib
import pytest
from flask import Flask
from flask.testing import FlaskClient

from indexer import build_index
from webapp import create_app
from webapp.settings import SETTINGS

PAYLOADS = (
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<a href="javascript:alert(1)">click</a>',
    '<a href="JaVaScRiPt:alert(1)">click</a>',
    '<a href="jav&#x09;ascript:alert(1)">click</a>',
    '<a href="&#106;avascript:alert(1)">click</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">click</a>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="data:image/svg+xml,<svg onload=alert(1)>">',
    "<body onload=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    "</title><script>alert(1)</script>",
    "</textarea><script>alert(1)</script>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "<mark onclick=alert(1)>marked</mark>",
    "<mark><script>alert(1)</script></mark>",
    "<!--<script>alert(1)//-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<style>@import 'javascript:alert(1)';</style>",
    '<div style="background:url(javascript:alert(1))">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e",
    "javascript:alert(1)",
)
HOSTILE_URLS = (
    "javascript:alert(1)",
    " JavaScript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    'https://example.org/"onmouseover="alert(1)',
    "https://example.org/<script>alert(1)</script>",
    "http://example.org/?a=<svg/onload=alert(1)>",
)

# Elements a payload could add; the app's own pages use none of them but its one script
# file (_is_app_script). (They do use
# <form>, <input> and <details>: those are judged by their attributes.)
FORBIDDEN_ELEMENTS = {
    "script", "iframe", "frame", "frameset", "object", "embed", "applet", "svg", "math",
    "base", "style", "noscript", "template", "img", "video", "audio",
}  # fmt: skip
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "xlink:href", "srcdoc", "poster"}
_SCHEME_NOISE = re.compile(r"[\x00-\x20]+")


def marker(n: int) -> str:
    """A word unique to payload ``n`` (letters only, so no tokenizer splits it)."""
    return "xsscase" + "".join(chr(ord("a") + int(d)) for d in f"{n:02d}")


def article_id(n: int) -> str:
    return f"xss-{n:02d}"


def _records() -> list[dict]:
    records = []
    for n, payload in enumerate(PAYLOADS):
        records.append(
            {
                "id": article_id(n),
                "title": f"{payload} headline {marker(n)}",
                "body": f"Report {marker(n)} quotes {payload} verbatim.\n\n{payload} {marker(n)}",
                "date": "2024-01-01",
                "lang": "en",
                "source": f"{payload} Press",
                "url": HOSTILE_URLS[n % len(HOSTILE_URLS)],
            }
        )
    for n, payload in enumerate(PAYLOADS[:8]):  # payloads as document ids, too
        records.append(
            {
                "id": payload,
                "title": f"Id payload {marker(90 + n)}",
                "body": f"An article whose id is markup {marker(90 + n)}.",
                "lang": "en",
            }
        )
    return records


def _local_name(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1].lower()


def _is_app_script(element) -> bool:
    """The app's own script file (base.html): same origin, deferred, nothing inline."""
    return (
        dict(element.attrib) == {"src": "/static/suggest.js", "defer": ""}
        and not (element.text or "").strip()
    )


def active_markup(html: str) -> list[str]:
    """What a browser would run or load from ``html`` beyond the app's own markup."""
    found = []
    for element in html5lib.parse(html, namespaceHTMLElements=False).iter():
        if not isinstance(element.tag, str):
            continue  # comments
        name = _local_name(element.tag)
        if name == "script" and _is_app_script(element):
            continue
        if name in FORBIDDEN_ELEMENTS:
            found.append(f"<{name}> element")
        if name == "meta" and "http-equiv" in element.attrib:
            found.append("<meta http-equiv>")
        for attribute, value in element.attrib.items():
            attribute = _local_name(attribute)
            if attribute.startswith("on"):
                found.append(f"<{name} {attribute}=…>")
            if attribute == "style" or "javascript" in attribute:
                found.append(f"<{name} {attribute}={value!r}>")
            if attribute in URL_ATTRIBUTES:
                scheme = _SCHEME_NOISE.sub("", value).lower()
                if scheme.startswith(("javascript:", "data:", "vbscript:")):
                    found.append(f"<{name} {attribute}={value!r}>")
    return found


def only_bare_marks(fragment: str) -> list[str]:
    """Elements other than an attribute-free <mark> in a JSON string's markup."""
    found = []
    for element in html5lib.parseFragment(fragment, namespaceHTMLElements=False).iter():
        if not isinstance(element.tag, str) or element.tag == "DOCUMENT_FRAGMENT":
            continue
        if _local_name(element.tag) != "mark" or element.attrib:
            found.append(f"<{element.tag} {dict(element.attrib)}>")
    return found


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    root = tmp_path_factory.mktemp("xss")
    corpus = root / "xss.jsonl"
    corpus.write_text("\n".join(json.dumps(r) for r in _records()), encoding="utf-8")
    report = build_index([corpus], root / "index", rebuild=True)
    assert report.ok, [str(p) for p in report.problems]
    config = {setting.name: setting.default for setting in SETTINGS}
    config.update(TESTING=True, INDEX_DIR=root / "index")
    application = create_app(config)
    yield application
    from webapp.service import close_service

    close_service(application)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _page(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code in (200, 400, 404), (url, response.status_code)
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert active_markup(html) == [], url
    return html


def _q(**params: str) -> str:
    return urllib.parse.urlencode(params)


@pytest.mark.parametrize("n", range(len(PAYLOADS)))
def test_payload_in_an_article_is_only_text(client: FlaskClient, n: int) -> None:
    word = marker(n)
    results = _page(client, "/?" + _q(q=word))
    assert article_id(n) in results, "the hostile article is found and listed"
    _page(client, "/?" + _q(q=word, source=f"{PAYLOADS[n]} Press"))
    _page(client, "/?" + _q(lang="en", sort="date"))
    document = _page(client, f"/documents/{article_id(n)}?" + _q(q=word))
    assert f"<mark>{word}</mark>" in document

    body = client.get("/api/search?" + _q(q=word)).get_json()
    assert [hit["id"] for hit in body["hits"]] == [article_id(n)]
    for hit in body["hits"]:
        assert only_bare_marks(hit["snippet"]) == []
        assert only_bare_marks(hit["title_html"]) == []
    view = client.get(f"/api/documents/{article_id(n)}?" + _q(q=word)).get_json()
    assert only_bare_marks(view["body_html"]) == []
    assert only_bare_marks(view["title_html"]) == []
    assert PAYLOADS[n] in view["title"], "the JSON keeps the raw title as data"


@pytest.mark.parametrize("n", range(len(PAYLOADS)))
def test_payload_in_a_query_is_only_text(client: FlaskClient, n: int) -> None:
    payload = PAYLOADS[n]
    _page(client, "/?" + _q(q=payload))
    _page(client, "/?" + _q(q=f"{marker(n)} {payload}", sort="date"))
    _page(client, "/?" + _q(q=marker(n), source=payload, lang="en"))
    _page(client, "/?" + _q(q=marker(n), page=payload))
    _page(client, f"/documents/{article_id(n)}?" + _q(q=payload))
    _page(client, "/documents/" + urllib.parse.quote(payload, safe=""))
    _page(client, "/" + urllib.parse.quote(payload, safe=""))

    response = client.get("/api/search?" + _q(q=payload))
    assert response.status_code in (200, 400)
    assert response.mimetype == "application/json"
    for hit in response.get_json().get("hits", []):
        assert only_bare_marks(hit["snippet"]) == []
        assert only_bare_marks(hit["title_html"]) == []
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("n", range(8))
def test_payload_as_a_document_id_is_only_text(client: FlaskClient, n: int) -> None:
    results = _page(client, "/?" + _q(q=marker(90 + n)))
    assert "Id payload" in results
    response = client.get("/api/search?" + _q(q=marker(90 + n)))
    (hit,) = response.get_json()["hits"]
    assert hit["id"] == PAYLOADS[n]
    _page(client, "/documents/" + urllib.parse.quote(PAYLOADS[n], safe=""))


def test_the_checker_sees_active_markup() -> None:
    """The audit itself must catch what it is looking for (else every test is vacuous)."""
    for payload in PAYLOADS[:21]:
        if payload.startswith("&"):
            continue
        assert active_markup(f"<p>{payload}</p>") or only_bare_marks(payload), payload
    assert only_bare_marks("a <mark>b</mark> c") == []
    assert only_bare_marks("<mark class=x>b</mark>")
