"""bench/serving.py: the percentile and tally both load harnesses report with.

Why: the web benchmark and the load test had two percentile formulas, each
off by a rank somewhere (96 as the p95 of 1…100 in one, 20 as the median of
10, 20, 30, 40, 50 in the other), so a "p95" meant different things in
bench/RESULTS.md and bench/LOAD_RESULTS.md. These pin the one left.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SERVING = Path(__file__).resolve().parents[2] / "bench" / "serving.py"
_spec = importlib.util.spec_from_file_location("bench_serving", SERVING)
assert _spec is not None and _spec.loader is not None
serving = importlib.util.module_from_spec(_spec)
sys.modules["bench_serving"] = serving  # dataclasses look their module up by name
_spec.loader.exec_module(serving)


@pytest.mark.parametrize(
    ("fraction", "expected"),
    [(0.50, 50.0), (0.95, 95.0), (0.99, 99.0), (1.0, 100.0), (0.001, 1.0), (0.0, 1.0)],
)
def test_nearest_rank_on_one_to_a_hundred(fraction: float, expected: float) -> None:
    values = [float(n) for n in range(1, 101)]
    assert serving.percentile(values, fraction) == expected


def test_nearest_rank_rounds_up_between_ranks() -> None:
    # 0.5 × 5 = 2.5: the smallest value with at least half the values at or below it is the 3rd.
    assert serving.percentile([10.0, 20.0, 30.0, 40.0, 50.0], 0.5) == 30.0
    assert serving.percentile([10.0, 20.0, 30.0, 40.0], 0.5) == 20.0
    assert serving.percentile([7.0], 0.99) == 7.0


def test_percentile_of_nothing_is_zero() -> None:
    assert serving.percentile([], 0.95) == 0.0


def test_tally_merges_responses_failures_and_unexpected_statuses() -> None:
    first, second = serving.Tally(), serving.Tally()
    first.response("word", "/api/search?q=a", 200, 0.010, expected=True)
    first.response("prefix", "/api/search?q=ab*", 400, 0.002, expected=False)
    second.response("word", "/api/search?q=b", 200, 0.030, expected=True)
    second.failure("/api/search?q=c", ConnectionResetError("reset"))
    total = serving.Tally.merged([first, second])
    assert total.sorted_latencies() == [0.002, 0.010, 0.030]
    assert dict(total.statuses) == {200: 2, 400: 1}
    assert dict(total.errors) == {"ConnectionResetError": 1}
    assert dict(total.unexpected) == {"prefix 400": 1}
    assert total.failed == 2
    assert any("reset" in example for example in total.examples)
