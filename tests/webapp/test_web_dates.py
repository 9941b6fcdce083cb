"""Date provenance in the API's JSON and on the pages ("date from the dateline")."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from indexer import build_index
from webapp import create_app

RECORDS = [
    {"id": "rec", "title": "Harbour record", "body": "Harbour news.", "date": "2024-05-01"},
    {"id": "line", "title": "Harbour dateline", "body": "Baku, 22 September 2025 - Harbour news."},
    {"id": "none", "title": "Harbour undated", "body": "Harbour news without a date."},
]


@pytest.fixture(scope="module")
def dated_app(tmp_path_factory: pytest.TempPathFactory, config_for) -> Iterator[Flask]:
    root = tmp_path_factory.mktemp("dated")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "records.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in RECORDS), encoding="utf-8"
    )
    (corpus / "head.txt").write_text(
        "date 2023-10-11\nHarbour header\n\nHarbour news from the header.\n", encoding="utf-8"
    )
    build_index([corpus], root / "index")
    app = create_app(config_for(root / "index"))
    yield app
    from webapp.service import close_service

    close_service(app)


def test_api_gives_each_dates_provenance(
    dated_app: Flask, validate: Callable[[Any, str], None]
) -> None:
    client = dated_app.test_client()
    body = client.get("/api/search?q=harbour").get_json()
    validate(body, "SearchResponse")
    assert {h["id"]: (h["date"], h["date_source"]) for h in body["hits"]} == {
        "rec": ("2024-05-01", "record"),
        "line": ("2025-09-22", "dateline"),
        "none": (None, None),
        "head": ("2023-10-11", "header"),
    }
    for doc_id, source in (("line", "dateline"), ("rec", "record"), ("none", None)):
        document = client.get(f"/api/documents/{doc_id}").get_json()
        validate(document, "DocumentResponse")
        assert document["date_source"] == source


def test_pages_say_when_a_date_is_not_the_records(dated_app: Flask) -> None:
    client = dated_app.test_client()
    results = client.get("/?q=harbour").get_data(as_text=True)
    assert results.count("date from the dateline") == 1
    assert results.count("date from the file") == 1
    assert "date from the dateline" in client.get("/documents/line").get_data(as_text=True)
    for doc_id in ("rec", "none"):
        page = client.get(f"/documents/{doc_id}").get_data(as_text=True)
        assert "date from the" not in page


def test_oldest_first_in_the_api_and_on_the_page_puts_undated_last(
    dated_app: Flask, validate: Callable[[Any, str], None]
) -> None:
    """sort=date_asc reads a story from its start; articles without a date come last in
    both date orders, never first as a zero key would put them."""
    client = dated_app.test_client()
    oldest = client.get("/api/search?q=harbour&sort=date_asc").get_json()
    validate(oldest, "SearchResponse")
    assert [h["id"] for h in oldest["hits"]] == ["head", "rec", "line", "none"]
    newest = client.get("/api/search?q=harbour&sort=date").get_json()
    assert [h["id"] for h in newest["hits"]] == ["line", "rec", "head", "none"]
    browsing = client.get("/api/search?year=2023&year=2024&year=undated&sort=date_asc")
    assert [h["id"] for h in browsing.get_json()["hits"]] == ["head", "rec", "none"]

    page = client.get("/?q=harbour").get_data(as_text=True)
    assert "date, oldest first" in page and "sort=date_asc" in page  # a link to the order
    page = client.get("/?q=harbour&sort=date_asc").get_data(as_text=True)
    assert '<strong aria-current="true">date, oldest first</strong>' in page
    order = [page.index(f"/documents/{doc_id}") for doc_id in ("head", "rec", "line", "none")]
    assert order == sorted(order)
