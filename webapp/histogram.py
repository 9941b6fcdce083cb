"""Hits per year as bars drawn with HTML and CSS only.

The bars come from the year facet's counts (over all matches, not the page
shown). Heights are CSS classes in 5 % steps because the Content-Security-
Policy forbids inline ``style`` attributes.
"""

from __future__ import annotations

from dataclasses import dataclass

from indexer.model import UNDATED, Facet, FacetValue

MAX_GAP_FILL = 60  # years; a wider span is drawn without the empty years between


@dataclass(frozen=True, slots=True)
class Bar:
    value: str
    label: str
    count: int
    selected: bool
    step: int  # height in 5 % steps, 0–20


def year_bars(facet: Facet | None) -> list[Bar]:
    """One bar per year from the first to the last with hits.

    Undated articles get no bar (they belong to no point on the time axis);
    the page shows their count beside the chart.
    """
    if facet is None:
        return []
    dated = {v.value: v for v in facet.values if v.value != UNDATED and v.value.isdigit()}
    if not dated:
        return []
    peak = max(v.count for v in dated.values()) or 1
    years = sorted(dated, key=int)
    if int(years[-1]) - int(years[0]) <= MAX_GAP_FILL:
        years = [str(y) for y in range(int(years[0]), int(years[-1]) + 1)]
    bars = []
    for year in years:
        value = dated.get(year)
        count = value.count if value else 0
        bars.append(Bar(year, year, count, bool(value and value.selected), _step(count, peak)))
    return bars


def undated_value(facet: Facet | None) -> FacetValue | None:
    """The year facet's "undated" entry, when some matches have no date."""
    if facet is None:
        return None
    return next((v for v in facet.values if v.value == UNDATED and v.count), None)


def _step(count: int, peak: int) -> int:
    if count <= 0:
        return 0
    return max(1, round(20 * count / peak))
