"""Hits over time as bars whose width suits the span: months, years or decades.

A chart of one or two years draws months; up to sixty years draws every year
(empty ones too, so the axis is true to scale); a longer span draws decades.
The axis is labelled at round intervals (every January; every 1, 2, 5, 10 or
20 years; every decade or second decade) rather than only at its ends, and
every bar with hits is a link that narrows the search to its period. It is
HTML and CSS only: heights are classes in 5 % steps.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from flask import url_for

from indexer.model import MONTH_FACET, UNDATED, YEAR_FACET, OrganizationProfile, SearchResult

from .links import SearchLinks

# Bars of a year or a month narrow the search by that facet; a decade by a date range.
YEAR, MONTH = YEAR_FACET.name, MONTH_FACET.name
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
MONTHS_UP_TO = 2  # years of span drawn month by month
YEARS_UP_TO = 60  # years of span drawn year by year; longer spans by decade
MAX_LABELS = 10
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun",
               "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")  # fmt: skip


@dataclass(frozen=True, slots=True)
class Bucket:
    value: str  # "2025-09", "2025" or "1960s"
    label: str  # "Sep 2025", "2025", "1960s"
    count: int
    step: int  # height in 5 % steps, 0–20
    selected: bool
    axis: str  # drawn under the axis ("" for none): "2025", or "Apr" inside a year
    href: str | None  # narrows the search to this period; None for an empty bar


@dataclass(frozen=True, slots=True)
class Timeline:
    unit: str  # MONTH, YEAR or "decade"
    buckets: list[Bucket]
    undated: int = 0
    undated_href: str | None = None
    undated_selected: bool = False

    @property
    def caption(self) -> str:
        return f"Matches by {self.unit}"


# A link for one period: (unit, value) -> URL.
Linker = Callable[[str, str], str]
Selected = Callable[[str, str], bool]


def build_timeline(
    years: Mapping[str, int],
    months: Mapping[str, int] | None,
    link: Linker,
    selected: Callable[[str, str], bool] = lambda unit, value: False,
) -> Timeline:
    """Buckets for the counts per year (and per month, when known)."""
    dated = sorted(int(y) for y, n in years.items() if y.isdigit() and n > 0)
    if not dated:
        return Timeline(YEAR, [])
    first, last = dated[0], dated[-1]
    span = last - first + 1
    month_counts = {m: n for m, n in (months or {}).items() if n > 0 and _MONTH.fullmatch(m)}
    if span <= MONTHS_UP_TO and month_counts:
        return Timeline(MONTH, _months(month_counts, link, selected))
    if span <= YEARS_UP_TO:
        every = _interval(span, (1, 2, 5, 10, 20))
        counts = {int(y): n for y, n in years.items() if y.isdigit()}
        periods = [
            (str(y), str(y), counts.get(y, 0), str(y) if y % every == 0 else "")
            for y in range(first, last + 1)
        ]
        return Timeline(YEAR, _buckets(YEAR, periods, link, selected))
    decades: dict[int, int] = {}
    for year, count in years.items():
        if year.isdigit():
            decades[int(year) // 10 * 10] = decades.get(int(year) // 10 * 10, 0) + count
    low, high = min(decades), max(decades)
    every = _interval((high - low) // 10 + 1, (1, 2, 5, 10))
    periods = [
        (f"{d}s", f"{d}s", decades.get(d, 0), f"{d}s" if (d // 10) % every == 0 else "")
        for d in range(low, high + 10, 10)
    ]
    return Timeline("decade", _buckets("decade", periods, link, selected))


def _months(counts: Mapping[str, int], link: Linker, selected: Selected) -> list[Bucket]:
    keys = sorted(counts)
    year, month = int(keys[0][:4]), int(keys[0][5:])
    end = (int(keys[-1][:4]), int(keys[-1][5:]))
    periods = []
    while (year, month) <= end:
        value = f"{year:04d}-{month:02d}"
        label = f"{MONTH_NAMES[month - 1]} {year}"
        axis = str(year) if month == 1 else MONTH_NAMES[month - 1] if month in (4, 7, 10) else ""
        periods.append((value, label, counts.get(value, 0), axis))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return _buckets(MONTH, periods, link, selected)


def _buckets(
    unit: str, periods: list[tuple[str, str, int, str]], link: Linker, selected: Selected
) -> list[Bucket]:
    peak = max((count for _, _, count, _ in periods), default=0) or 1
    buckets = []
    unlabelled = not any(axis for *_, axis in periods)
    for index, (value, label, count, axis) in enumerate(periods):
        if index == 0 and (unlabelled or (unit == MONTH and not axis)):
            axis = label  # the axis starts somewhere readable
        buckets.append(
            Bucket(
                value=value,
                label=label,
                count=count,
                step=max(1, round(20 * count / peak)) if count > 0 else 0,
                selected=selected(unit, value),
                axis=axis,
                href=link(unit, value) if count else None,
            )
        )
    return buckets


def _interval(span: int, choices: tuple[int, ...]) -> int:
    """The smallest round step that keeps the labels to about ``MAX_LABELS``."""
    return next((step for step in choices if span / step <= MAX_LABELS), choices[-1])


def decade_bounds(value: str) -> tuple[str, str]:
    """ "1960s" -> ("1960-01-01", "1969-12-31")."""
    start = int(value[:4])
    return f"{start:04d}-01-01", f"{start + 9:04d}-12-31"


# --- the two charts: the results page and the organization page ---


def search_timeline(result: SearchResult, links: SearchLinks) -> Timeline:
    """The results page's chart, from the year (and month) facets over all matches."""
    request = result.request
    years = {v.value: v.count for v in result.facets[YEAR].values} if YEAR in result.facets else {}
    month_facet = result.facets.get(MONTH)
    months = {v.value: v.count for v in month_facet.values} if month_facet else None

    def link(unit: str, value: str) -> str:
        if unit == YEAR:
            return links.toggle(YEAR, value)
        if unit == MONTH:
            return links.toggle(MONTH, value)
        start, end = decade_bounds(value)
        pairs = [*links.link_fields("from", "to", YEAR, MONTH), ("from", start), ("to", end)]
        return f"{url_for('pages.search')}?{urlencode(pairs)}"

    def chosen(unit: str, value: str) -> bool:
        if unit == "decade":
            start, end = decade_bounds(value)
            return (str(request.date_from), str(request.date_to)) == (start, end)
        return value in (request.years if unit == YEAR else request.months)

    single_year = [y for y in request.years if y != UNDATED]
    if months is not None and len(single_year) == 1:
        # One year chosen: its months (the other years stay in the year facet).
        timeline = build_timeline(
            {single_year[0]: years.get(single_year[0], 0)}, months, link, chosen
        )
    else:
        timeline = build_timeline(years, None, link, chosen)
    undated = years.get(UNDATED, 0)
    if not undated and UNDATED not in request.years:
        return timeline
    return Timeline(
        timeline.unit,
        timeline.buckets,
        undated,
        links.toggle(YEAR, UNDATED),
        UNDATED in request.years,
    )


def organization_timeline(profile: OrganizationProfile) -> Timeline:
    """The organization page's chart: each bar opens the search for its period."""
    org_id = profile.summary.id

    def link(unit: str, value: str) -> str:
        if unit == "decade":
            start, end = decade_bounds(value)
            period: dict[str, Any] = {"from": start, "to": end}
        else:
            period = {unit: value}
        return url_for("pages.search", org=org_id, sort="date", **period)

    timeline = build_timeline(profile.years, profile.months, link)
    if not profile.undated:
        return timeline
    undated_href = url_for("pages.search", org=org_id, year=UNDATED)
    return Timeline(timeline.unit, timeline.buckets, profile.undated, undated_href)
