"""One error shape for the whole API, and the matching pages, for every status."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient


def assert_error(response, status: int, validate) -> str:
    """The pinned shape: {"error": {"status": <int>, "message": <str>}} and nothing else."""
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert list(body) == ["error"]
    assert list(body["error"]) == ["status", "message"]
    assert body["error"]["status"] == status
    assert body["error"]["message"].strip()
    validate(body, "Error")
    return body["error"]["message"]


@pytest.mark.parametrize(
    ("method", "url", "status", "fragment"),
    [
        ("get", "/api/search?q=baku&page=abc", 400, "page"),
        ("get", "/api/search?q=baku&page=101", 400, "page=101"),
        ("get", "/api/search?q=baku&per_page=101", 400, "per_page"),
        ("get", "/api/search?q=baku&from=yesterday", 400, "from"),
        ("get", "/api/search?q=%22security", 400, ""),
        ("get", "/api/search?q=%28baku", 400, ""),
        ("get", "/api/documents/no-such-article", 404, ""),
        ("get", "/api/nothing-here", 404, ""),
        ("get", "/api", 404, ""),
        ("put", "/api/search?q=baku", 405, "GET"),
        ("post", "/api/search", 415, "application/json"),
        ("delete", "/api/documents/de-forum", 405, "GET"),
        ("get", "/api/search?q=" + "a" * 501, 413, "500"),
        ("get", "/api/documents/de-forum?q=" + "a" * 501, 413, "500"),
    ],
)
def test_api_errors(client: FlaskClient, validate, method, url, status, fragment) -> None:
    message = assert_error(getattr(client, method)(url), status, validate)
    assert fragment in message


def test_405_names_allowed_methods(client: FlaskClient) -> None:
    response = client.put("/api/search")
    assert {"GET", "POST"} <= set(response.headers["Allow"].split(", "))


def test_request_body_over_limit_is_413(make_app, validate) -> None:
    client = make_app(MAX_CONTENT_LENGTH=100).test_client()
    response = client.get("/api/search?q=baku", data="x" * 101)
    assert_error(response, 413, validate)


def test_html_errors_are_pages(client: FlaskClient) -> None:
    for method, url, status in [
        ("get", "/nothing-here", 404),
        ("put", "/", 405),
        ("post", "/documents/de-forum", 405),
        ("get", "/documents/no-such-article", 404),
    ]:
        response = getattr(client, method)(url)
        assert response.status_code == status
        assert response.mimetype == "text/html"
        page = response.get_data(as_text=True)
        assert f"({status})" in page
        assert 'role="alert"' in page


def test_rate_limit_429_with_retry_after(make_app, validate) -> None:
    client = make_app(RATE_LIMIT=2).test_client()
    assert client.get("/api/search?q=baku").status_code == 200
    assert client.get("/?q=baku").status_code == 200
    response = client.get("/api/search?q=baku")
    assert_error(response, 429, validate)
    assert int(response.headers["Retry-After"]) >= 1
    page = client.get("/?q=baku")
    assert page.status_code == 429
    assert page.mimetype == "text/html"
    assert "Retry-After" in page.headers
    assert client.get("/api/health").status_code == 200, "health checks are not limited"
    other = client.get("/api/search?q=baku", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other.status_code == 200, "the limit is per client address"


def test_rate_limit_off_by_default(client: FlaskClient) -> None:
    assert all(client.get("/api/health").status_code == 200 for _ in range(30))
    assert all(client.get("/api/search?q=baku").status_code == 200 for _ in range(5))


def test_unexpected_error_is_500_without_details(make_app, validate) -> None:
    app = make_app()

    def boom() -> str:
        raise RuntimeError("secret detail")

    app.add_url_rule("/api/boom", "api_boom", boom)
    app.add_url_rule("/boom", "boom", boom)
    client = app.test_client()
    message = assert_error(client.get("/api/boom"), 500, validate)
    assert "secret" not in message
    response = client.get("/boom")
    assert response.status_code == 500
    assert response.mimetype == "text/html"
    assert "secret" not in response.get_data(as_text=True)


def test_503_until_the_index_exists_then_200_without_restart(
    make_app, build, tmp_path: Path, validate
) -> None:
    index_dir = tmp_path / "later"
    client = make_app(INDEX_DIR=index_dir).test_client()

    health = client.get("/api/health")
    assert health.status_code == 503
    validate(health.get_json(), "HealthResponse")
    assert health.get_json()["status"] == "unavailable"
    assert_error(client.get("/api/search?q=baku"), 503, validate)
    assert_error(client.get("/api/stats"), 503, validate)
    assert_error(client.get("/api/documents/de-forum"), 503, validate)
    for url in ["/", "/?q=baku", "/documents/de-forum"]:
        response = client.get(url)
        assert response.status_code == 503, url
        assert "Search is unavailable" in response.get_data(as_text=True)

    build(index_dir)

    assert client.get("/api/health").status_code == 200
    assert client.get("/api/search?q=baku").get_json()["total"] > 0
    assert client.get("/?q=baku").status_code == 200
    assert client.get("/documents/de-forum").status_code == 200
