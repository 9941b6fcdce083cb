"""CSV and JSON Lines export of whole result sets, over real indexes."""

from __future__ import annotations

import csv
import gzip
import io
import json

import pytest
from flask.testing import FlaskClient

from webapp.exports import COLUMNS, spreadsheet_safe


def _csv(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def _api_ids(client: FlaskClient, query: str) -> list[str]:
    """Every hit id of a search, page by page through the API."""
    ids: list[str] = []
    url = f"/api/search?{query}&per_page=10"
    while url:
        body = client.get(url).get_json()
        ids += [hit["id"] for hit in body["hits"]]
        url = body["links"]["next"]
    return ids


@pytest.mark.parametrize("query", ["q=bulletin&sort=date", "q=bulletin", "lang=en&sort=date"])
def test_csv_holds_the_whole_result_set_in_order(client: FlaskClient, query: str) -> None:
    response = client.get(f"/api/export.csv?{query}")
    rows = _csv(response)
    assert list(rows[0]) == list(COLUMNS)
    expected = _api_ids(client, query)
    assert len(expected) > 10  # more than one result page
    assert [row["id"] for row in rows] == expected
    assert response.headers["X-Total-Count"] == str(len(expected))
    assert response.headers["X-Export-Rows"] == str(len(expected))
    assert "attachment" in response.headers["Content-Disposition"]


def test_csv_columns_carry_the_article(client: FlaskClient) -> None:
    rows = {row["id"]: row for row in _csv(client.get("/api/export.csv?q=Баку&lang=ru"))}
    row = rows["ru-forum"]
    assert row["date"] == "2020-11-05" and row["language"] == "ru"
    assert row["source"] == "Московский вестник"
    assert row["url"] == "https://example.ru/forum"
    assert row["title"] == "Форум безопасности прошёл в Баку"
    assert float(row["score"]) > 0


def test_jsonl_matches_the_csv(client: FlaskClient) -> None:
    response = client.get("/api/export.jsonl?q=forum")
    assert response.status_code == 200
    assert response.mimetype == "application/x-ndjson"
    lines = response.get_data(as_text=True).splitlines()
    records = [json.loads(line) for line in lines]
    assert records and all(set(r) == set(COLUMNS) for r in records)
    rows = _csv(client.get("/api/export.csv?q=forum"))
    assert [r["id"] for r in records] == [row["id"] for row in rows]
    for record in records:
        assert all({"id", "name"} == set(org) for org in record["organizations"])


def test_export_is_capped_by_the_setting(make_app) -> None:
    client = make_app(EXPORT_MAX_ROWS=5).test_client()
    response = client.get("/api/export.csv?q=bulletin&sort=date")
    rows = _csv(response)
    assert len(rows) == 5
    assert response.headers["X-Export-Rows"] == "5"
    assert int(response.headers["X-Total-Count"]) == 25
    assert [row["id"] for row in rows] == _api_ids(client, "q=bulletin&sort=date")[:5]
    lines = client.get("/api/export.jsonl?q=bulletin").get_data(as_text=True).splitlines()
    assert len(lines) == 5


def test_export_is_streamed(client: FlaskClient) -> None:
    response = client.get("/api/export.csv?q=bulletin", buffered=False)
    try:
        assert response.is_streamed
        assert "Content-Length" not in response.headers
        first = next(response.response)
        assert first.startswith(b"id,date,date_source,title")
    finally:
        response.close()


def test_gzip_export_streams_compressed(client: FlaskClient) -> None:
    plain = client.get("/api/export.csv?q=bulletin").get_data()
    packed = client.get("/api/export.csv?q=bulletin", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.get_data()) == plain


def test_formulas_cannot_run_in_a_spreadsheet(views_client: FlaskClient, views_data) -> None:
    rows = _csv(views_client.get("/api/export.csv?q=harbour"))
    assert rows
    for row in rows:
        for column in ("title", "source", "organizations", "id", "url"):
            assert not row[column].startswith(("=", "+", "-", "@")), (column, row[column])
    titles = {row["title"] for row in rows}
    assert any(t.startswith("'=cmd|") for t in titles)
    assert any(t.startswith("'@SUM") for t in titles)
    assert any(row["source"] == "'=Formula Source" for row in rows)
    hostile = next(row for row in rows if row["id"] == "views-hostile-ids")
    assert "<script>alert(2)</script>" in hostile["organizations"]
    # JSON Lines is data, not a spreadsheet: the text stays exactly as written.
    records = views_client.get("/api/export.jsonl?q=harbour").get_data(as_text=True).splitlines()
    assert any(json.loads(r)["title"].startswith("=cmd|") for r in records)


@pytest.mark.parametrize(
    ("value", "safe"),
    [("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@A1", "'@A1"), ("\t=1", "'\t=1"),
     ("plain", "plain"), ("", ""), ("a=b", "a=b")],
)  # fmt: skip
def test_spreadsheet_safe(value: str, safe: str) -> None:
    assert spreadsheet_safe(value) == safe


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("", 400),
        ("?lang=xx", 400),
        ("?q=forum&page=2", 400),  # an export is not paged
        ("?q=forum&limit=5", 400),
        ("?q=" + "x" * 501, 413),
        ("?q=%22unclosed", 400),  # a query error, before the first byte
    ],
)
def test_export_refusals(client: FlaskClient, query: str, status: int) -> None:
    for kind in ("csv", "jsonl"):
        response = client.get(f"/api/export.{kind}{query}")
        assert response.status_code == status, response.get_data(as_text=True)[:200]
        if status >= 400:
            assert response.get_json()["error"]["status"] == status


def test_results_page_links_its_exports(client: FlaskClient) -> None:
    page = client.get("/?q=bulletin&page=2").get_data(as_text=True)
    assert 'href="/api/export.csv?q=bulletin"' in page
    assert 'href="/api/export.jsonl?q=bulletin"' in page
