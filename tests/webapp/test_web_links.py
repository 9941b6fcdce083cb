"""links.py and histogram.py: URL state and the year bars, without an index."""

from __future__ import annotations

from indexer.model import UNDATED, Facet, FacetValue
from webapp.histogram import undated_value, year_bars
from webapp.links import page_numbers


def test_page_numbers_window() -> None:
    assert page_numbers(1, 1) == [1]
    assert page_numbers(1, 0) == []
    assert page_numbers(1, 5) == [1, 2, 3, 4, 5]
    assert page_numbers(1, 20) == [1, 2, 3, None, 20]
    assert page_numbers(10, 20) == [1, None, 8, 9, 10, 11, 12, None, 20]
    assert page_numbers(20, 20) == [1, None, 18, 19, 20]
    assert page_numbers(4, 20) == [1, 2, 3, 4, 5, 6, None, 20]


def _facet(*values: tuple[str, int, bool]) -> Facet:
    return Facet("year", "Year", [FacetValue(v, v, c, s) for v, c, s in values])


def test_year_bars_fill_gaps_and_scale() -> None:
    bars = year_bars(_facet(("2021", 4, False), ("2019", 2, True), (UNDATED, 1, False)))
    assert [b.value for b in bars] == ["2019", "2020", "2021"]
    assert [b.count for b in bars] == [2, 0, 4]
    assert [b.step for b in bars] == [10, 0, 20]
    assert bars[0].selected and not bars[2].selected


def test_year_bars_wide_span_not_filled() -> None:
    bars = year_bars(_facet(("1900", 1, False), ("2020", 1, False)))
    assert [b.value for b in bars] == ["1900", "2020"]


def test_year_bars_empty() -> None:
    assert year_bars(None) == []
    assert year_bars(_facet()) == []
    assert year_bars(_facet((UNDATED, 3, False))) == []


def test_undated_value() -> None:
    assert undated_value(None) is None
    assert undated_value(_facet(("2020", 1, False))) is None
    assert undated_value(_facet((UNDATED, 0, False))) is None
    value = undated_value(_facet(("2020", 1, False), (UNDATED, 2, True)))
    assert value is not None and value.count == 2 and value.selected
