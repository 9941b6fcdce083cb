"""A query over the cost budget is a 400 saying what to change; a search past
SEARCH_TIMEOUT_MS is a 503, as JSON under /api/ and as the error page elsewhere."""

from __future__ import annotations

from webapp.safety import SECURITY_HEADERS


def _error(response, status: int, validate) -> str:
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    validate(body, "Error")
    assert body["error"]["status"] == status
    return body["error"]["message"]


def test_budget_refusal_is_400_with_what_to_change(make_app, validate) -> None:
    assert make_app().test_client().get("/api/search?q=se*").status_code == 200
    client = make_app(MAX_EXPANDED_POSTINGS=5).test_client()
    message = _error(client.get("/api/search?q=se*"), 400, validate)
    assert "more than 5 times" in message and "type more letters" in message
    page = client.get("/?q=se*")
    assert page.status_code == 400
    assert "type more letters" in page.get_data(as_text=True)


def test_search_past_the_deadline_is_503_json(make_app, validate) -> None:
    client = make_app(SEARCH_TIMEOUT_MS=0.001).test_client()
    response = client.get("/api/search?q=security&sort=date&per_page=100")
    message = _error(response, 503, validate)
    assert "ran longer than 0.001 ms" in message
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    assert client.get("/api/health").status_code == 200, "the index itself is fine"


def test_search_page_past_the_deadline_is_the_503_page(make_app) -> None:
    client = make_app(SEARCH_TIMEOUT_MS=0.001).test_client()
    response = client.get("/?q=security")
    assert response.status_code == 503
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "(503)" in page and "ran longer than" in page
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
