"""A record's timestamp is checked, not just its date: an hour 25 or a +99:00
offset means the value is not a timestamp, so its date is not trusted either."""

from __future__ import annotations

import pytest

from indexer.ingest.dates import normalize_record_date


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2012-05-01T19:05:31Z", "2012-05-01"),
        ("1987-02-26T15:01:01", "1987-02-26"),
        ("2025-01-01 00:00", "2025-01-01"),
        ("2025-01-01T23:59:60Z", "2025-01-01"),  # a leap second
        ("2025-01-01T10:00:00.123456+02:00", "2025-01-01"),
        ("2025-01-01T10:00:00-0500", "2025-01-01"),
        ("2025-01-01T10:00:00+14:00", "2025-01-01"),
        ("2025-01-01T10:00:00 GMT", "2025-01-01"),
    ],
)
def test_real_timestamps_give_their_date(value: str, expected: str) -> None:
    assert normalize_record_date(value) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2025-01-01T25:00:00", "no such time of day"),
        ("2025-01-01T10:60:00", "no such time of day"),
        ("2025-01-01T10:00:61", "no such time of day"),
        ("2025-01-01T10:00:00+99:00", "impossible UTC offset"),
        ("2025-01-01T10:00:00+15:00", "impossible UTC offset"),
        ("2025-01-01T10:00:00+02:75", "impossible UTC offset"),
        ("2025-01-01Tnoon", "not of the form HH:MM"),
        ("2025-01-01T10:00:00+02:00 and more", "not of the form HH:MM"),
        ("2025T10:00", "not of the form YYYY-MM-DD"),
    ],
)
def test_impossible_timestamps_are_refused_with_the_reason(value: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        normalize_record_date(value)
