"""Any detected language is a valid filter, with its name, in the pages and the API."""

from __future__ import annotations

from flask.testing import FlaskClient


def test_any_known_language_code_is_accepted(client: FlaskClient, validate) -> None:
    for code in ("fr", "sw", "und"):
        response = client.get(f"/api/search?q=security&lang={code}")
        assert response.status_code == 200, code
        body = response.get_json()
        validate(body, "SearchResponse")
        assert body["total"] == 0  # the fixture index has no such article
    assert client.get("/api/search?q=security&lang=xx").status_code == 400


def test_a_tag_with_a_region_or_capitals_filters_as_its_language(client: FlaskClient) -> None:
    """Records say "de-AT" or "DE" and are recorded "de"; a filter written so means the same."""
    plain = client.get("/api/search?q=forum&lang=de").get_json()
    assert plain["total"] > 0
    for tag in ("de-AT", "DE", "de_CH"):
        body = client.get(f"/api/search?q=forum&lang={tag}").get_json()
        assert [h["id"] for h in body["hits"]] == [h["id"] for h in plain["hits"]], tag
        selected = [v["value"] for v in body["facets"]["lang"] if v["selected"]]
        assert selected == ["de"], tag
    both = client.get("/api/search?q=forum&lang=de&lang=de-AT").get_json()
    assert [v["value"] for v in both["facets"]["lang"] if v["selected"]] == ["de"]
    query = client.get("/api/search?q=forum+lang:de-AT").get_json()
    assert [h["id"] for h in query["hits"]] == [h["id"] for h in plain["hits"]]
    refused = client.get("/api/search?q=forum&lang=xx-YY")
    assert refused.status_code == 400
    assert "lang='xx-YY' is not a language code" in refused.get_json()["error"]["message"]
