"""timeline.py: buckets that suit the span, readable axis labels, bars as links."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

from flask.testing import FlaskClient

from webapp.timeline import build_timeline, decade_bounds


def _link(unit: str, value: str) -> str:
    return f"{unit}:{value}"


def test_two_years_are_drawn_by_month() -> None:
    timeline = build_timeline(
        {"2024": 3, "2025": 2}, {"2024-11": 3, "2025-02": 2, "undated": 4}, _link
    )
    assert timeline.unit == "month"
    assert [b.value for b in timeline.buckets] == ["2024-11", "2024-12", "2025-01", "2025-02"]
    assert [b.count for b in timeline.buckets] == [3, 0, 0, 2]
    assert [b.href for b in timeline.buckets] == ["month:2024-11", None, None, "month:2025-02"]
    # The axis starts readable and marks the new year.
    assert [b.axis for b in timeline.buckets] == ["Nov 2024", "", "2025", ""]
    assert timeline.buckets[0].label == "Nov 2024"


def test_without_months_a_short_span_is_drawn_by_year() -> None:
    timeline = build_timeline({"2024": 3, "2025": 2}, None, _link)
    assert timeline.unit == "year"
    assert [b.axis for b in timeline.buckets] == ["2024", "2025"]


def test_thirty_years_are_labelled_every_five() -> None:
    years = {str(y): 1 for y in range(1991, 2021, 2)}
    timeline = build_timeline(years, None, _link)
    assert timeline.unit == "year"
    assert len(timeline.buckets) == 2019 - 1991 + 1  # empty years are drawn too
    labelled = [b.axis for b in timeline.buckets if b.axis]
    assert labelled == ["1995", "2000", "2005", "2010", "2015"]
    assert all((b.href is None) == (b.count == 0) for b in timeline.buckets)


def test_sixty_years_and_more_are_drawn_by_decade() -> None:
    years = {"1950": 2, "1958": 1, "1985": 4, "2020": 1, "undated": 7}
    timeline = build_timeline(years, None, _link)
    assert timeline.unit == "decade"
    assert [b.value for b in timeline.buckets] == [f"{d}s" for d in range(1950, 2030, 10)]
    assert [b.count for b in timeline.buckets] == [3, 0, 0, 4, 0, 0, 0, 1]
    assert max(b.step for b in timeline.buckets) == 20
    assert all(b.axis == b.label for b in timeline.buckets)  # eight decades: all labelled
    assert timeline.buckets[0].href == "decade:1950s"
    assert decade_bounds("1950s") == ("1950-01-01", "1959-12-31")


def test_centuries_label_every_other_decade() -> None:
    timeline = build_timeline({"1800": 1, "2020": 1}, None, _link)
    labelled = [b.axis for b in timeline.buckets if b.axis]
    assert len(timeline.buckets) == 23
    assert labelled == ["1800s", "1850s", "1900s", "1950s", "2000s"]


def test_nothing_dated_draws_nothing() -> None:
    assert build_timeline({}, None, _link).buckets == []
    assert build_timeline({"undated": 3}, None, _link).buckets == []


def _bars(page: str) -> list[str]:
    return [unescape(h) for h in re.findall(r'<a class="bar-link" href="([^"]+)"', page)]


def test_results_page_draws_decades_that_narrow_the_search(views_client: FlaskClient) -> None:
    page = views_client.get("/?q=harbour").get_data(as_text=True)
    assert 'data-unit="decade"' in page
    bars = _bars(page)
    assert bars
    args = parse_qs(urlsplit(bars[0]).query)
    assert args["q"] == ["harbour"] and args["from"] == ["1950-01-01"]
    narrowed = views_client.get(bars[0]).get_data(as_text=True)
    assert 'data-unit="year"' in narrowed or 'data-unit="month"' in narrowed


def test_results_page_draws_months_inside_a_chosen_year(client: FlaskClient) -> None:
    # Bulletins 5 and 20 are from June and September 2015.
    page = client.get("/?q=bulletin&year=2015").get_data(as_text=True)
    assert 'data-unit="month"' in page
    assert _bars(page) == ["/?q=bulletin&year=2015&month=2015-06",
                           "/?q=bulletin&year=2015&month=2015-09"]  # fmt: skip
    assert page.count('<li class="bar-column') == 4  # June to September


def test_results_page_draws_years_for_the_fixture_span(client: FlaskClient) -> None:
    page = client.get("/?q=bulletin").get_data(as_text=True)
    assert 'data-unit="year"' in page
    assert re.search(r'class="bar-link" href="/\?q=bulletin&amp;year=\d{4}"', page)
    labels = re.findall(r'<span class="bar-label" aria-hidden="true">(\d{4})</span>', page)
    assert len(labels) >= 3  # labelled along the axis, not only at its two ends
