"""The JSON API, checked against its own OpenAPI document."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient


def test_search_shape(client: FlaskClient, validate) -> None:
    response = client.get("/api/search?q=forum&per_page=5")
    assert response.status_code == 200
    body = response.get_json()
    validate(body, "SearchResponse")
    assert list(body) == [
        "query",
        "total",
        "page",
        "per_page",
        "pages",
        "took_ms",
        "hits",
        "facets",
        "suggestion",
        "relaxed",
        "query_words_used",
        "backend",
        "not_honoured",
        "links",
    ]
    assert (body["backend"], body["not_honoured"]) == ("whoosh", [])
    assert body["query"] == "forum"
    assert body["page"] == 1 and body["per_page"] == 5
    assert 0 < len(body["hits"]) <= 5
    assert body["total"] >= len(body["hits"])
    assert body["pages"] == -(-body["total"] // 5)
    assert {"organization", "lang", "year", "source"} <= body["facets"].keys()
    assert any("<mark>" in hit["snippet"] for hit in body["hits"])


def test_search_filters_and_facets(client: FlaskClient, validate) -> None:
    body = client.get("/api/search?q=forum&lang=de&lang=ru").get_json()
    validate(body, "SearchResponse")
    assert {hit["lang"] for hit in body["hits"]} <= {"de", "ru"}
    selected = {v["value"] for v in body["facets"]["lang"] if v["selected"]}
    assert selected == {"de", "ru"}


def test_search_organizations(client: FlaskClient) -> None:
    body = client.get("/api/search?q=security&org=az-sss").get_json()
    assert body["hits"]
    for hit in body["hits"]:
        assert "az-sss" in {org["id"] for org in hit["organizations"]}


def test_browse_without_query(client: FlaskClient, validate) -> None:
    body = client.get("/api/search?year=undated").get_json()
    validate(body, "SearchResponse")
    assert "undated-memo" in [hit["id"] for hit in body["hits"]]
    assert all(hit["date"] is None for hit in body["hits"])


def test_search_needs_a_query_or_a_filter(client: FlaskClient) -> None:
    response = client.get("/api/search")
    assert response.status_code == 400
    assert "q" in response.get_json()["error"]["message"]


def test_document(client: FlaskClient, validate) -> None:
    response = client.get("/api/documents/ru-forum?q=Баку")
    assert response.status_code == 200
    body = response.get_json()
    validate(body, "DocumentResponse")
    assert body["id"] == "ru-forum"
    assert body["lang"] == "ru"
    assert "<mark>" in body["body_html"]
    assert "path" not in body


def test_health(client: FlaskClient, validate) -> None:
    response = client.get("/api/health")
    assert response.status_code == 200
    body = response.get_json()
    validate(body, "HealthResponse")
    assert body["status"] == "ok"
    assert body["documents"] >= 30


def test_stats(client: FlaskClient, validate) -> None:
    response = client.get("/api/stats")
    assert response.status_code == 200
    body = response.get_json()
    validate(body, "StatsResponse")
    assert body["undated"] >= 1
    assert {"en", "de", "ru", "tr"} <= body["languages"].keys()


def test_an_index_of_an_older_layout_says_it_wants_a_rebuild(
    tmp_path: Path, make_app, validate
) -> None:
    """Health, stats and the landing page say so, not only `dossier index`."""
    from whoosh import index as whoosh_index

    from indexer.index.schema import build_schema
    from indexer.index.store import GENERATION_PREFIX, IndexStore

    root = tmp_path / "old-index"
    old = root / f"{GENERATION_PREFIX}1"
    old.mkdir(parents=True)
    schema = build_schema()
    schema.remove("date_source")  # as indexes before date provenance
    whoosh_index.create_in(str(old), schema)
    IndexStore(root).swap(old)
    client = make_app(INDEX_DIR=root).test_client()
    health = client.get("/api/health")
    assert health.status_code == 200
    validate(health.get_json(), "HealthResponse")
    assert "dossier index --rebuild" in health.get_json()["notice"]
    stats = client.get("/api/stats").get_json()
    validate(stats, "StatsResponse")
    assert stats["notice"] == health.get_json()["notice"]
    page = client.get("/").get_data(as_text=True)
    assert "needs a rebuild" in page and "dossier index --rebuild" in page


def test_a_current_index_has_no_notice(client: FlaskClient) -> None:
    assert "notice" not in client.get("/api/health").get_json()
    assert client.get("/api/stats").get_json()["notice"] is None
    assert "needs a rebuild" not in client.get("/").get_data(as_text=True)


def test_openapi_document_is_valid(openapi: dict) -> None:
    from openapi_spec_validator import validate as validate_spec

    validate_spec(openapi)
    assert openapi["openapi"].startswith("3.1")


def test_openapi_describes_every_api_route(app: Flask, openapi: dict) -> None:
    routes = {
        re.sub(r"<(?:\w+:)?\w+>", "{id}", rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
    }
    assert routes == {path for path in openapi["paths"] if path.startswith("/api/")}


def test_openapi_limits_follow_config(make_app) -> None:
    doc = make_app(MAX_PAGE=7).test_client().get("/api/openapi.json").get_json()
    assert doc["components"]["parameters"]["page"]["schema"]["maximum"] == 7


@pytest.mark.parametrize("path", ["/api/search?q=forum", "/api/health", "/api/openapi.json"])
def test_json_content_type(client: FlaskClient, path: str) -> None:
    assert client.get(path).mimetype == "application/json"


def test_json_is_utf8_not_escaped(client: FlaskClient) -> None:
    body = client.get("/api/search?q=Баку&lang=ru").get_data(as_text=True)
    assert "Баку" in body
