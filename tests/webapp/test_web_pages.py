"""The search page: results, facets, dates, sort, paging, errors; no JavaScript."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient
from markupsafe import escape

FACET_LINK = re.compile(
    r'<a class="facet-link( is-selected)?" href="([^"]+)"[^>]*>\s*'
    r'<span class="check" aria-hidden="true"></span>\s*'
    r'<span class="facet-label">([^<]*)</span>\s*'
    r'<span class="count">(\d+)</span>'
)


def facet_links(page: str) -> list[tuple[bool, dict[str, list[str]], str, int]]:
    """(selected, target URL's parameters, label, count) of every facet link."""
    return [
        (bool(sel), parse_qs(urlsplit(html.unescape(href)).query), html.unescape(label), int(n))
        for sel, href, label, n in FACET_LINK.findall(page)
    ]


def get(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def test_landing_page_shows_box_and_stats(client: FlaskClient) -> None:
    page = get(client, "/")
    assert '<input id="q" type="search" name="q" value=""' in page
    assert "<title>Dossier – news archive search</title>" in page
    assert "In the archive" in page
    assert "Browse by language" in page
    assert 'class="hits"' not in page
    assert "Search tips" in page


def test_results_have_marks_and_the_query_stays(client: FlaskClient, hit_ids) -> None:
    page = get(client, "/?q=security")
    assert "<title>“security” – Dossier search</title>" in page
    assert 'name="q" value="security"' in page
    assert "<mark>" in page.lower() or "<mark>" in page
    ids = hit_ids(page)
    assert ids and "hit-title" in page
    assert re.search(r'href="/documents/[^"]+\?q=security"', page), "document link carries q"
    assert re.search(r"\d+ results? for “<span class=\"query-echo\">security</span>”", page)
    assert re.search(r'<span class="took">\(\d+ ms\)</span>', page)


def test_query_with_quotes_is_escaped_in_box(client: FlaskClient) -> None:
    page = get(client, "/?q=%22state+security%22+%3Cb%3E")
    assert 'value="&#34;state security&#34; &lt;b&gt;"' in page
    assert "<title>“&#34;state security&#34; &lt;b&gt;” – Dossier search</title>" in page


def test_each_hit_shows_its_metadata(client: FlaskClient) -> None:
    page = get(client, "/?q=Sicherheitsforum")
    hit = page[page.index('<li class="hit"') :]
    assert hit.startswith('<li class="hit" lang="de">')
    assert '<time datetime="2021-03-15">2021-03-15</time>' in hit
    assert "<span>German</span>" in hit
    assert "<span>Deutsche Rundschau</span>" in hit


def test_facets_have_counts_and_selected_state(client: FlaskClient) -> None:
    links = facet_links(get(client, "/?q=forum"))
    langs = {
        label: (sel, count)
        for sel, _, label, count in links
        if label in {"English", "German", "Russian", "Turkish"}
    }
    assert {"English", "German", "Russian", "Turkish"} <= langs.keys()
    assert not any(sel for sel, _ in langs.values())
    assert all(count > 0 for _, count in langs.values())

    selected = facet_links(get(client, "/?q=forum&lang=de"))
    by_label = {label: (sel, params, count) for sel, params, label, count in selected}
    assert by_label["German"][0] is True
    assert "lang" not in by_label["German"][1], "the selected value's link removes it"
    # multi-select: the other languages keep their counts and add to the selection
    assert by_label["Russian"][0] is False
    assert by_label["Russian"][2] == langs["Russian"][1]
    assert by_label["Russian"][1]["lang"] == ["de", "ru"]
    assert by_label["Russian"][1]["q"] == ["forum"]


def test_multi_select_filters_hits(client: FlaskClient, hit_ids) -> None:
    page = get(client, "/?q=forum&lang=de&lang=ru")
    ids = hit_ids(page)
    assert "de-forum" in ids and "ru-forum" in ids
    assert "tr-forum" not in ids
    assert set(re.findall(r'<li class="hit" lang="(\w+)"', page)) <= {"de", "ru"}
    assert "Filtered by:" in page
    assert "Clear all filters" in page


def test_selecting_a_year_resets_page_and_months(client: FlaskClient) -> None:
    links = facet_links(get(client, "/?q=bulletin&page=2&year=2015&month=2015-04"))
    for _, params, _, _ in links:
        assert "page" not in params
    year_links = [params for _, params, label, _ in links if label.isdigit()]
    assert year_links and all("month" not in params for params in year_links)


def test_date_range(client: FlaskClient) -> None:
    page = get(client, "/?q=bulletin&from=2015-01-01&to=2016-12-31&per_page=50")
    dates = re.findall(r'<li class="hit".*?<time datetime="([^"]+)"', page, re.S)
    assert dates
    assert all("2015-01-01" <= d <= "2016-12-31" for d in dates)
    assert 'name="from" value="2015-01-01"' in page
    assert 'name="to" value="2016-12-31"' in page
    assert "Clear dates" in page


def test_bad_date_is_400_in_page(client: FlaskClient) -> None:
    page = get(client, "/?q=bulletin&from=2015-13-01", status=400)
    assert "from=&#39;2015-13-01&#39; is not a date" in page
    assert 'value="bulletin"' in page


def test_sort_by_date(client: FlaskClient) -> None:
    page = get(client, "/?q=bulletin&sort=date&per_page=30")
    dates = re.findall(r'<li class="hit".*?<time datetime="([^"]+)"', page, re.S)
    assert len(dates) >= 20
    assert dates == sorted(dates, reverse=True)
    assert '<strong aria-current="true">date, newest first</strong>' in page
    assert re.search(r'<a href="/\?q=bulletin&amp;per_page=30">relevance</a>', page)


def test_histogram_from_year_counts(client: FlaskClient) -> None:
    page = get(client, "/?q=bulletin")
    assert '<figure class="histogram"' in page
    bars = re.findall(r'<span class="bar h(\d+)"></span>', page)
    assert len(bars) >= 10
    assert "20" in bars, "the tallest year fills the chart"
    assert re.search(r'class="bar-link" href="/\?q=bulletin&amp;year=\d{4}"', page)


def test_pagination(client: FlaskClient, hit_ids) -> None:
    first = get(client, "/?q=bulletin")
    assert len(hit_ids(first)) == 10
    assert '<span aria-current="page" class="current">1</span>' in first
    assert '<a href="/?q=bulletin&amp;page=2" rel="next">' in first
    assert '<span class="disabled">‹ Previous</span>' in first
    assert "1–10 of" in first

    second = get(client, "/?q=bulletin&page=2")
    assert '<a href="/?q=bulletin" rel="prev">' in second
    assert not set(hit_ids(first)) & set(hit_ids(second))
    assert "11–20 of" in second


def test_last_page_has_no_next(client: FlaskClient) -> None:
    first = get(client, "/?q=bulletin")
    last = max(int(n) for n in re.findall(r'href="/\?q=bulletin&amp;page=(\d+)"', first))
    page = get(client, f"/?q=bulletin&page={last}")
    assert '<span class="disabled">Next ›</span>' in page


def test_page_beyond_last_is_empty_with_a_way_back(client: FlaskClient, hit_ids) -> None:
    page = get(client, "/?q=bulletin&page=90")
    assert hit_ids(page) == []
    assert "Page 90 is past the last page of results" in page
    assert "Go to the last page" in page


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/?q=bulletin&page=101", "page=101 is out of range; use 1 to 100."),
        ("/?q=bulletin&per_page=1000", "per_page=1000 is out of range; use 1 to 100."),
        ("/?q=bulletin&page=abc", "page=&#39;abc&#39; is not a whole number."),
        ("/?q=bulletin&lang=xx", "lang=&#39;xx&#39; is not a language code"),
        ("/?q=bulletin&sort=best", "sort=&#39;best&#39; is not one of relevance, date, date_asc."),
    ],
)
def test_bad_parameters_answer_400_with_the_message(
    client: FlaskClient, url: str, message: str
) -> None:
    page = get(client, url, status=400)
    assert message in page
    assert 'role="alert"' in page
    assert "Traceback" not in page


def test_query_too_long_is_413(client: FlaskClient, app) -> None:
    limit = app.config["MAX_QUERY_CHARS"]
    page = get(client, "/?q=" + "a" * (limit + 1), status=413)
    assert "Query too long:" in page
    assert f"the limit is {limit}" in page


@pytest.mark.parametrize("query", ['"security', "(baku", "security AND", "baku)"])
def test_malformed_query_is_400_with_the_message(client: FlaskClient, query: str) -> None:
    response = client.get("/", query_string={"q": query})
    page = response.get_data(as_text=True)
    assert response.status_code == 400, page[:2000]
    assert "Cannot search for this:" in page
    assert 'role="alert"' in page
    assert f'value="{escape(query)}"' in page, "the query stays in the box to be fixed"
    assert "Traceback" not in page


def test_suggestion_link(client: FlaskClient) -> None:
    page = get(client, "/?q=bulletni&lang=en")
    match = re.search(r'Did you mean <a href="([^"]+)" rel="nofollow">([^<]+)</a>\?', page)
    assert match, "no suggestion offered for a misspelt word"
    assert match.group(2) == "bulletin"
    params = parse_qs(urlsplit(html.unescape(match.group(1))).query)
    assert params == {"q": ["bulletin"], "lang": ["en"]}, "the filters are kept"


def test_relaxed_notice(client: FlaskClient, hit_ids) -> None:
    page = get(client, "/?q=bulletin+harbours+xylophone")
    assert hit_ids(page)
    assert "No article contains all of your words" in page


def test_no_results_offers_help(client: FlaskClient, hit_ids) -> None:
    page = get(client, "/?q=qwxzvbnmkj")
    assert hit_ids(page) == []
    assert "Nothing matches “qwxzvbnmkj”" in page
    assert "Search tips" in page


def test_browse_mode_with_filter_only(client: FlaskClient, hit_ids) -> None:
    page = get(client, "/?lang=ru")
    assert "<title>Browse – Dossier search</title>" in page
    assert "ru-forum" in hit_ids(page)


def test_undated_can_be_selected(client: FlaskClient, hit_ids) -> None:
    links = facet_links(get(client, "/?q=security+archive"))
    assert any(params.get("year") == ["undated"] for _, params, _, _ in links)
    page = get(client, "/?q=security+archive&year=undated")
    assert "undated-memo" in hit_ids(page)
    assert "<time" not in page[page.index('<ol class="hits"') :]
    assert "<span>Undated</span>" in page


def test_page_is_accessible_html(client: FlaskClient) -> None:
    page = get(client, "/?q=forum")
    assert page.startswith('<!doctype html>\n<html lang="en">')
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert '<label class="visually-hidden" for="q">Search the archive</label>' in page
    assert '<label for="from">From</label>' in page
    assert 'aria-label="Filters"' in page
    assert '<link rel="stylesheet" href="/static/style.css">' in page


def test_pagination_stops_at_max_page(make_app, hit_ids) -> None:
    client = make_app(MAX_PAGE=2, DEFAULT_PER_PAGE=5).test_client()
    page = get(client, "/?q=bulletin&page=2")
    assert len(hit_ids(page)) == 5
    assert '<span class="disabled">Next ›</span>' in page
    assert "page=3" not in page
    assert "Only the first 2 pages can be shown" in page
    get(client, "/?q=bulletin&page=3", status=400)
