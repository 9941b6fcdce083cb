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
