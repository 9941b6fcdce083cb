"""Limits that keep one request from taking the service down, each refused with
a clear 400/413 naming the limit: query length, number of terms, wildcard and
fuzzy expansion (on an index with thousands of distinct words), page depth,
per-page size, filter values, request body and request-line size; and the
README documents them.
"""

from __future__ import annotations

import http.client
import json
import re
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from indexer import build_index
from webapp import create_app
from webapp.settings import SETTINGS

DEFAULTS = {setting.name: setting.default for setting in SETTINGS}
VOCABULARY = 4000  # distinct made-up words starting with "ab"


@pytest.fixture(scope="module")
def big_vocabulary_index(tmp_path_factory: pytest.TempPathFactory, session_kit) -> Path:
    """300 articles over 4,000 distinct "ab…" words: prefixes expand to thousands."""
    root = tmp_path_factory.mktemp("vocabulary")
    words = session_kit.pseudo_words(VOCABULARY, seed=11, prefix="ab")
    session_kit.write_articles(root / "v.jsonl", 300, seed=12, id_prefix="v", vocabulary=words)
    report = build_index([root / "v.jsonl"], root / "index", rebuild=True)
    assert report.ok
    return root / "index"


@pytest.fixture(scope="module")
def app(big_vocabulary_index: Path) -> Iterator[Flask]:
    application = create_app({**DEFAULTS, "TESTING": True, "INDEX_DIR": big_vocabulary_index})
    yield application
    from webapp.service import close_service

    close_service(application)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _refused(client: FlaskClient, params: dict, status: int, *phrases: str) -> str:
    """The API and the page both refuse with ``status`` and a message with ``phrases``."""
    query = urllib.parse.urlencode(params, doseq=True)
    response = client.get(f"/api/search?{query}")
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    error = response.get_json()["error"]
    assert error["status"] == status
    message = error["message"]
    for phrase in phrases:
        assert phrase in message, message
    page = client.get(f"/?{query}")
    assert page.status_code == status
    return message


def test_query_length(client: FlaskClient, session_kit) -> None:
    """Up to MAX_QUERY_CHARS (10,000) is a query; over GET the address (8,000 bytes)
    is the tighter bound, refused with 414 and a message saying so."""
    limit = DEFAULTS["MAX_QUERY_CHARS"]
    pasted = " ".join(session_kit.pseudo_words(2_000, seed=14))[:7_800]
    response = client.get("/api/search?" + urllib.parse.urlencode({"q": pasted}))
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.get_json()["query_words_used"]
    _refused(client, {"q": "a" * (limit + 1)}, 414, "8,000")
    response = client.get("/api/documents/v-00001?" + urllib.parse.urlencode({"q": "x" * 600}))
    assert response.status_code == 200


def test_number_of_terms(client: FlaskClient, session_kit) -> None:
    """MAX_TERMS words (AND, OR, NOT aside) keep their syntax; more are a description."""
    limit = DEFAULTS["MAX_TERMS"]
    words = session_kit.pseudo_words(limit + 1, seed=13)  # distinct: repeats are merged
    typed = client.get("/api/search?" + urllib.parse.urlencode({"q": " OR ".join(words[:limit])}))
    assert typed.status_code == 200 and typed.get_json()["query_words_used"] == []
    for query in (" ".join(words), " OR ".join(words)):
        response = client.get("/api/search?" + urllib.parse.urlencode({"q": query}))
        assert response.status_code == 200
        assert set(response.get_json()["query_words_used"]) <= set(words)


@pytest.mark.parametrize(
    ("query", "phrase"),
    [
        ("*", "no words"),
        ("a*", "at least 2 letters"),
        ("*ab", "starts with a wildcard"),
        ("?b*", "starts with a wildcard"),
        ("ab*", "more than 512 different words"),
        ("ab*a", "more than 512 different words"),
        ("ab??*", "more than 512 different words"),
        ("title:ab*", "more than 512 different words"),
        ("ab~", "too short"),
    ],
)
def test_wildcard_and_fuzzy_expansion(client: FlaskClient, query: str, phrase: str) -> None:
    _refused(client, {"q": query}, 400, phrase)


def test_specific_prefixes_and_fuzzy_words_still_work(client: FlaskClient) -> None:
    for query in ("abkalo*", "minis*", "abkalo~", "minister~2", "ab*kalo OR minister"):
        response = client.get("/api/search?" + urllib.parse.urlencode({"q": query}))
        assert response.status_code in (200, 400), query
        if response.status_code == 400:
            assert "different words" in response.get_json()["error"]["message"], query
    assert client.get("/api/search?q=minis*").get_json()["total"] > 0


@pytest.mark.parametrize(
    ("params", "phrase"),
    [
        ({"q": "city", "page": DEFAULTS["MAX_PAGE"] + 1}, f"1 to {DEFAULTS['MAX_PAGE']}"),
        ({"q": "city", "page": "9" * 40}, f"1 to {DEFAULTS['MAX_PAGE']}"),
        ({"q": "city", "page": "0"}, "out of range"),
        ({"q": "city", "page": "-1"}, "not a whole number"),
        ({"q": "city", "per_page": DEFAULTS["MAX_PER_PAGE"] + 1}, str(DEFAULTS["MAX_PER_PAGE"])),
        ({"q": "city", "per_page": "1e9"}, "not a whole number"),
        ({"q": "city", "source": [f"s{n}" for n in range(51)]}, "at most 50"),
        ({"q": "city", "source": "s" * 201}, "longer than 200"),
    ],
)
def test_paging_and_filters(client: FlaskClient, params: dict, phrase: str) -> None:
    _refused(client, params, 400, phrase)


def test_deepest_page_is_answered(client: FlaskClient) -> None:
    params = {"q": "city", "page": DEFAULTS["MAX_PAGE"], "per_page": DEFAULTS["MAX_PER_PAGE"]}
    response = client.get("/api/search?" + urllib.parse.urlencode(params))
    assert response.status_code == 200
    assert response.get_json()["hits"] == []


def test_request_body(client: FlaskClient) -> None:
    size = DEFAULTS["MAX_CONTENT_LENGTH"] + 1
    response = client.get("/api/search?q=city", data=b"x" * size)
    assert response.status_code == 413
    assert response.get_json()["error"]["status"] == 413
    assert client.get("/api/search?q=city", data=b"x" * 100).status_code == 200


def _raw(port: int, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body or None)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_expensive_queries_do_not_take_a_real_server_down(kit, big_vocabulary_index) -> None:
    """A burst of refused and expensive queries (1 worker, 1 thread) is answered,
    and the server stays healthy; oversized requests get their 4xx from gunicorn
    or the app."""
    server = kit.server(big_vocabulary_index, workers=1)
    port = int(server.url.rsplit(":", 1)[1])
    queries = ["*", "a*", "ab*", "ab?*", "*ab", "ab~2", "abka~2", "abkalo*", "minister", "city~2"]
    results: list[tuple[str, int]] = []

    def client_thread(offset: int) -> None:
        for n in range(6):
            query = queries[(offset + n) % len(queries)]
            status, _ = _raw(port, "GET", "/api/search?" + urllib.parse.urlencode({"q": query}))
            results.append((query, status))

    threads = [threading.Thread(target=client_thread, args=(k,)) for k in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(results) == 72
    assert all(status in (200, 400) for _, status in results), results
    assert {s for q, s in results if q in ("*", "a*", "ab*", "*ab")} == {400}

    assert _raw(port, "GET", "/api/search?q=" + "a" * 9000)[0] in (400, 414)
    over = b"x" * (DEFAULTS["MAX_CONTENT_LENGTH"] + 1)
    status, body = _raw(port, "GET", "/api/search?q=city", over)
    assert status == 413, body[:200]
    status, body = _raw(port, "POST", "/api/search", over)
    assert status == 413, body[:200]
    status, body = _raw(port, "POST", "/api/search?q=city", b"q=city")  # not JSON
    assert status == 415 and json.loads(body)["error"]["status"] == 415
    status, body = _raw(port, "PUT", "/api/search?q=city", b"q=city")
    assert status == 405 and json.loads(body)["error"]["status"] == 405
    status, body = _raw(port, "GET", "/api/health")
    assert status == 200 and json.loads(body)["status"] == "ok"
    assert server.server_errors() == []


def test_readme_documents_the_limits(repo_readme: str) -> None:
    configuration = repo_readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    for name in ("MAX_QUERY_CHARS", "MAX_TERMS", "MAX_PAGE", "MAX_PER_PAGE", "MAX_CONTENT_LENGTH"):
        row = next(line for line in configuration.splitlines() if f"`{name}`" in line)
        assert f"`{DEFAULTS[name]}`" in row, row
    assert re.search(r"`RATE_LIMIT`.*429|429.*Retry-After", repo_readme)
    syntax = repo_readme.split("### Query syntax", 1)[1].split("\n## ", 1)[0]
    assert "at least 2 letters before `*`" in syntax
    assert "a lone `*`" in syntax
    assert "413" in repo_readme and "MAX_QUERY_CHARS" in repo_readme


@pytest.fixture(scope="module")
def repo_readme(session_kit) -> str:
    return (session_kit.repo / "README.md").read_text(encoding="utf-8")
