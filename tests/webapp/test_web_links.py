"""links.py: URL state, without an index."""

from __future__ import annotations

from webapp.links import page_numbers


def test_page_numbers_window() -> None:
    assert page_numbers(1, 1) == [1]
    assert page_numbers(1, 0) == []
    assert page_numbers(1, 5) == [1, 2, 3, 4, 5]
    assert page_numbers(1, 20) == [1, 2, 3, None, 20]
    assert page_numbers(10, 20) == [1, None, 8, 9, 10, 11, 12, None, 20]
    assert page_numbers(20, 20) == [1, None, 18, 19, 20]
    assert page_numbers(4, 20) == [1, 2, 3, 4, 5, 6, None, 20]
