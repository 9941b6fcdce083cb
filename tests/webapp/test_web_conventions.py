"""The API's HTTP conventions: pagination links, unknown parameters, validators
and 304, Cache-Control, gzip, CORS and robots.txt, over real indexes."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from webapp.settings import load_settings

# --- pagination ---


def test_search_pagination_links(client: FlaskClient) -> None:
    first = client.get("/api/search?q=bulletin&per_page=10")
    body = first.get_json()
    assert body["pages"] == 3
    assert body["links"]["prev"] is None
    assert body["links"]["self"] == "/api/search?q=bulletin"
    assert body["links"]["next"] == "/api/search?q=bulletin&page=2"
    assert first.headers["Link"] == '</api/search?q=bulletin&page=2>; rel="next"'
    last = client.get("/api/search?q=bulletin&page=3")
    links = last.get_json()["links"]
    assert links["next"] is None and links["prev"] == "/api/search?q=bulletin&page=2"
    assert last.headers["Link"] == '</api/search?q=bulletin&page=2>; rel="prev"'
    # Followed, the links walk every hit once.
    seen, url = [], "/api/search?q=bulletin&per_page=7&lang=en"
    while url:
        page = client.get(url).get_json()
        seen += [hit["id"] for hit in page["hits"]]
        url = page["links"]["next"]
    assert len(seen) == len(set(seen)) == 25


def test_pagination_stops_at_max_page(make_app) -> None:
    client = make_app(MAX_PAGE=2).test_client()
    body = client.get("/api/search?q=bulletin&page=2").get_json()
    assert body["pages"] == 3 and body["links"]["next"] is None


def test_past_the_last_page_points_back(client: FlaskClient) -> None:
    links = client.get("/api/search?q=bulletin&page=9").get_json()["links"]
    assert links["next"] is None and links["prev"] == "/api/search?q=bulletin&page=3"


# --- unknown parameters ---


@pytest.mark.parametrize(
    ("path", "unknown"),
    [
        ("/api/search?q=forum&limit=5", "limit"),
        ("/api/search?q=forum&offset=5&hitsPerPage=3", "hitsPerPage, offset"),
        ("/api/documents/de-forum?highlight=1", "highlight"),
        ("/api/stats?verbose=1", "verbose"),
        ("/api/organizations?sort=name", "sort"),
    ],
)
def test_unknown_parameters_are_refused_with_the_known_ones(
    client: FlaskClient, path: str, unknown: str
) -> None:
    response = client.get(path)
    assert response.status_code == 400
    message = response.get_json()["error"]["message"]
    assert f": {unknown}." in message
    assert "This address takes:" in message


def test_search_message_lists_per_page(client: FlaskClient) -> None:
    message = client.get("/api/search?q=forum&limit=5").get_json()["error"]["message"]
    assert "per_page" in message and "q" in message


def test_pages_keep_ignoring_unknown_parameters(client: FlaskClient) -> None:
    """Shared links with tracking parameters (utm_…) still open in a browser."""
    assert client.get("/?q=forum&utm_source=mail").status_code == 200


# --- validators, 304 and Cache-Control ---


@pytest.mark.parametrize(
    "path",
    [
        "/api/search?q=forum",
        "/api/documents/de-forum",
        "/api/stats",
        "/api/organizations",
        "/api/organizations/az-sss",
        "/?q=forum",
        "/organizations/az-sss",
        "/search.atom?q=forum",
    ],
)
def test_revalidation_answers_304(client: FlaskClient, path: str) -> None:
    first = client.get(path)
    assert first.status_code == 200
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert etag.startswith('W/"')
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == etag
    by_date = client.get(path, headers={"If-Modified-Since": modified})
    assert by_date.status_code == 304
    stale = client.get(path, headers={"If-None-Match": 'W/"something-else"'})
    assert stale.status_code == 200


def test_etag_differs_per_url(client: FlaskClient) -> None:
    one = client.get("/api/search?q=forum").headers["ETag"]
    two = client.get("/api/search?q=forum&lang=de").headers["ETag"]
    assert one != two


def test_etag_follows_the_index_generation(tmp_path: Path, build, make_app) -> None:
    index = tmp_path / "index"
    build(index)
    client = make_app(INDEX_DIR=index).test_client()
    etag = client.get("/api/search?q=forum").headers["ETag"]
    assert client.get("/api/search?q=forum", headers={"If-None-Match": etag}).status_code == 304
    build(index)  # a rebuild: a new generation
    fresh = client.get("/api/search?q=forum", headers={"If-None-Match": etag})
    assert fresh.status_code == 200
    assert fresh.headers["ETag"] != etag


def test_no_validators_without_an_index(tmp_path: Path, make_app) -> None:
    client = make_app(INDEX_DIR=tmp_path / "missing").test_client()
    response = client.get("/api/search?q=forum")
    assert response.status_code == 503
    assert "ETag" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/api/health", "no-store"),
        ("/api/search?q=forum", "public, max-age=60"),
        ("/api/openapi.json", "public, max-age=3600"),
        ("/?q=forum", "no-cache"),
        ("/search.atom?q=forum", "public, max-age=300"),
        ("/opensearch.xml", "public, max-age=86400"),
        ("/robots.txt", "public, max-age=86400"),
        ("/api/export.csv?q=forum", "no-cache"),
        ("/api/search", "no-store"),  # an error
        ("/no/such/page", "no-store"),
    ],
)
def test_cache_control_per_route(client: FlaskClient, path: str, expected: str) -> None:
    assert client.get(path).headers["Cache-Control"] == expected


# --- compression ---


def test_gzip_when_accepted(client: FlaskClient) -> None:
    plain = client.get("/api/search?q=forum")
    assert "Content-Encoding" not in plain.headers
    assert "Accept-Encoding" in plain.headers["Vary"]
    packed = client.get("/api/search?q=forum", headers={"Accept-Encoding": "gzip, br"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert int(packed.headers["Content-Length"]) == len(packed.get_data())
    assert len(packed.get_data()) < len(plain.get_data())
    unpacked = gzip.decompress(packed.get_data()).decode("utf-8")
    assert unpacked.startswith('{"query":"forum"')


def test_no_gzip_when_refused_or_small(client: FlaskClient) -> None:
    refused = client.get("/?q=forum", headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in refused.headers
    small = client.get("/api/health", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in small.headers
    static = client.get("/static/style.css", headers={"Accept-Encoding": "gzip"})
    assert static.status_code == 200
    static.close()


def test_304_is_not_compressed(client: FlaskClient) -> None:
    etag = client.get("/api/stats").headers["ETag"]
    again = client.get("/api/stats", headers={"If-None-Match": etag, "Accept-Encoding": "gzip"})
    assert again.status_code == 304 and "Content-Encoding" not in again.headers


# --- CORS ---


def test_cors_is_off_by_default(client: FlaskClient) -> None:
    response = client.get("/api/search?q=forum", headers={"Origin": "https://elsewhere.example"})
    assert "Access-Control-Allow-Origin" not in response.headers
    assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin"


def test_cors_for_listed_origins_only(make_app) -> None:
    client = make_app(CORS_ORIGINS=("https://desk.example",)).test_client()
    allowed = client.get("/api/search?q=forum", headers={"Origin": "https://desk.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://desk.example"
    assert "Link" in allowed.headers["Access-Control-Expose-Headers"]
    assert "Origin" in allowed.headers["Vary"]
    other = client.get("/api/search?q=forum", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    preflight = client.options(
        "/api/search",
        headers={"Origin": "https://desk.example", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status_code == 204  # OPTIONS answers with no body, CORS or not
    assert "GET" in preflight.headers["Allow"]
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://desk.example"


def test_cors_wildcard(make_app) -> None:
    client = make_app(CORS_ORIGINS=("*",)).test_client()
    response = client.get("/api/stats", headers={"Origin": "https://any.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_cors_setting_is_checked() -> None:
    settings = load_settings({"DOSSIER_CORS_ORIGINS": "https://a.example, http://b.example/"})
    assert settings["CORS_ORIGINS"] == ("https://a.example", "http://b.example")
    with pytest.raises(ValueError, match="DOSSIER_CORS_ORIGINS"):
        load_settings({"DOSSIER_CORS_ORIGINS": "a.example"})


# --- robots.txt ---


def test_robots_txt(client: FlaskClient) -> None:
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    lines = response.get_data(as_text=True).splitlines()
    assert "User-agent: *" in lines
    assert "Disallow: /api/" in lines and "Disallow: /search.atom" in lines
