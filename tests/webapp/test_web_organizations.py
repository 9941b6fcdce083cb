"""Organization pages and their API over real indexes: the bundled corpus, and an
index whose gazetteer and articles carry hostile names and ids."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from flask.testing import FlaskClient


def _links(page: str) -> list[str]:
    return [unescape(href) for href in re.findall(r'href="([^"]+)"', page)]


# --- the list ---


def test_list_api_shape_and_order(views_client: FlaskClient, validate) -> None:
    response = views_client.get("/api/organizations")
    assert response.status_code == 200
    body = response.get_json()
    validate(body, "OrganizationList")
    counts = [org["count"] for org in body["organizations"]]
    assert counts == sorted(counts, reverse=True)
    by_id = {org["id"]: org for org in body["organizations"]}
    # 15 dispatches and two single articles name the hostile organization.
    assert by_id["evil-org"]["count"] == 17
    assert by_id["evil-org"]["names"]["en"] == "<script>alert(1)</script> Evil Org"
    assert by_id["harbour-board"]["count"] == 10
    # Named by no article: not listed (the list is of the index, not the gazetteer).
    assert "quiet-org" not in by_id
    # Ids the gazetteer lacks are listed under their id, invented nothing.
    for hostile in ("<script>alert(2)</script>", "a/b?c=d#e"):
        assert by_id[hostile]["name"] == hostile and by_id[hostile]["names"] == {}


def test_list_filter_matches_any_name(views_client: FlaskClient) -> None:
    body = views_client.get("/api/organizations?q=hafenbehörde").get_json()
    assert [org["id"] for org in body["organizations"]] == ["harbour-board"]
    assert views_client.get("/api/organizations?q=zzz-nothing").get_json()["total"] == 0


def test_list_pagination_links_and_header(views_client: FlaskClient) -> None:
    first = views_client.get("/api/organizations?per_page=2")
    body = first.get_json()
    assert body["pages"] == 2 and body["links"]["prev"] is None
    assert first.headers["Link"] == f'<{body["links"]["next"]}>; rel="next"'
    second = views_client.get(body["links"]["next"])
    assert second.status_code == 200
    page_two = second.get_json()
    assert page_two["page"] == 2 and page_two["links"]["next"] is None
    assert 'rel="prev"' in second.headers["Link"]
    seen = [o["id"] for o in body["organizations"] + page_two["organizations"]]
    assert len(seen) == len(set(seen)) == body["total"]


@pytest.mark.parametrize(
    "query",
    ["page=0", "page=abc", "per_page=501", "per_page=-1", "q=" + "x" * 201, "limit=5"],
)
def test_list_refuses_bad_parameters(views_client: FlaskClient, query: str) -> None:
    response = views_client.get(f"/api/organizations?{query}")
    assert response.status_code == 400
    assert response.get_json()["error"]["message"]


def test_list_page(views_client: FlaskClient, no_active_markup) -> None:
    response = views_client.get("/organizations")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    no_active_markup(page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Evil Org" in page
    assert "/organizations/evil-org" in _links(page)
    # The hostile id is a path segment, encoded, not markup or a query string.
    assert "/organizations/%3Cscript%3Ealert(2)%3C/script%3E" in _links(page)
    assert "/organizations/a/b%3Fc=d%23e" in _links(page)


def test_list_page_filter_and_bad_page(views_client: FlaskClient) -> None:
    page = views_client.get("/organizations?q=harbour").get_data(as_text=True)
    assert "Harbour Board" in page and "Evil Org" not in page
    assert 'value="harbour"' in page
    bad = views_client.get("/organizations?page=abc")
    assert bad.status_code == 400
    assert "page=" in bad.get_data(as_text=True)


# --- one organization ---


def test_profile_api(views_client: FlaskClient, validate, views_data) -> None:
    response = views_client.get("/api/organizations/evil-org")
    assert response.status_code == 200
    body = response.get_json()
    validate(body, "OrganizationProfile")
    assert body["count"] == 17 and body["undated"] == 1
    assert body["kind"] == "<b>security</b> service"
    dated = [a for a in views_data["articles"] if "evil-org" in a["organizations"] and "date" in a]
    assert sum(body["years"].values()) == len(dated)
    assert list(body["years"]) == sorted(body["years"])
    related = {r["value"]: r for r in body["related"]}
    assert related["harbour-board"]["count"] == 10
    assert "evil-org" not in related
    # The combined search finds exactly the articles naming both.
    both = views_client.get("/api/search?" + urlsplit(related["harbour-board"]["search_url"]).query)
    assert both.get_json()["total"] == 10
    assert {s["value"] for s in body["sources"]} >= {"<b>Evil</b> Press", "Port Ledger"}
    assert [lang["value"] for lang in body["languages"]] == ["en"]
    dates = [a["date"] for a in body["latest"] if a["date"]]
    assert len(body["latest"]) == 10 and dates == sorted(dates, reverse=True)
    assert body["latest"][0]["date"] == "2020-06"


def test_profile_links_lead_somewhere(views_client: FlaskClient) -> None:
    body = views_client.get("/api/organizations/evil-org").get_json()
    for key in ("url", "html_url", "search_url", "feed_url", "export_url"):
        assert views_client.get(body[key]).status_code == 200, key
    for entry in body["sources"] + body["languages"] + body["related"]:
        assert views_client.get(entry["search_url"]).status_code == 200


def test_profile_of_a_known_organization_no_article_names(views_client: FlaskClient) -> None:
    body = views_client.get("/api/organizations/quiet-org").get_json()
    assert body["count"] == 0 and body["years"] == {} and body["latest"] == []
    assert body["names"]["de"] == "Stiller Rat"


@pytest.mark.parametrize("org_id", ["<script>alert(2)</script>", "a/b?c=d#e"])
def test_profile_of_hostile_ids(views_client: FlaskClient, org_id: str) -> None:
    response = views_client.get("/api/organizations/" + quote(org_id, safe="/"))
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == org_id and body["name"] == org_id and body["count"] == 1


@pytest.mark.parametrize("org_id", ["nope", "evil-org/extra", "%00", "é" * 3, "x" * 600])
def test_unknown_organization_is_404_or_400(views_client: FlaskClient, org_id: str) -> None:
    response = views_client.get("/api/organizations/" + quote(org_id))
    assert response.status_code in (400, 404)
    assert response.get_json()["error"]["status"] == response.status_code
    page = views_client.get("/organizations/" + quote(org_id))
    assert page.status_code == 404
    assert page.mimetype == "text/html"


def test_profile_page(views_client: FlaskClient, no_active_markup) -> None:
    response = views_client.get("/organizations/evil-org")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    no_active_markup(page)
    assert "<h1>&lt;script&gt;alert(1)&lt;/script&gt; Evil Org</h1>" in page
    assert "Böse &lt;img src=x onerror=alert(1)&gt; Org" in page
    links = _links(page)
    # 1950–2020 is drawn by decade; each bar narrows the search to its decade.
    assert 'data-unit="decade"' in page
    decade = next(link for link in links if "from=1970-01-01" in link)
    assert parse_qs(urlsplit(decade).query) == {
        "org": ["evil-org"],
        "sort": ["date"],
        "from": ["1970-01-01"],
        "to": ["1979-12-31"],
    }
    assert "/search.atom?org=evil-org" in links
    assert "/api/export.csv?org=evil-org&sort=date" in links
    assert "/organizations/harbour-board" in links
    assert '<link rel="alternate" type="application/atom+xml"' in page
    assert "Undated: 1" in page


def test_profile_page_of_the_bundled_corpus(client: FlaskClient) -> None:
    page = client.get("/organizations/az-sss").get_data(as_text=True)
    assert "Служба государственной безопасности Азербайджана" in page
    assert 'lang="ru"' in page
    listing = client.get("/organizations").get_data(as_text=True)
    assert "/organizations/az-sss" in _links(listing)


def test_results_and_document_pages_link_to_organization_pages(client: FlaskClient) -> None:
    for query in ("/?q=security", "/?q=security&org=az-sss"):
        results = client.get(query).get_data(as_text=True)
        assert "/organizations/az-sss" in _links(results), query
    # Unfiltered, each organization also offers to narrow the results to it.
    assert "/?q=security&org=az-sss" in _links(client.get("/?q=security").get_data(as_text=True))
    document = client.get("/documents/de-forum").get_data(as_text=True)
    orgs = [link for link in _links(document) if link.startswith("/organizations/")]
    assert orgs, "the document page links its organizations to their pages"
    for link in orgs:
        assert client.get(link).status_code == 200


def test_results_page_with_hostile_organizations(
    views_client: FlaskClient, no_active_markup
) -> None:
    page = views_client.get("/?q=harbour&org=evil-org&per_page=50").get_data(as_text=True)
    no_active_markup(page)
    assert "About: " in page
    assert "/organizations/evil-org" in _links(page)
    assert "/organizations/%3Cscript%3Ealert(2)%3C/script%3E" in _links(page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Evil Org" in page
