"""Publication dates: from the record, the ``date`` header, or a dated dateline.

A date is only taken when the text gives a year with it. A dateline such as
``BAKU, Azerbaijan, September 22.`` has no year, and guessing one would
invent a date, so such articles stay undated (and are counted as such).
"""

from __future__ import annotations

import calendar
import re
from datetime import date

from indexer.analysis.folding import casefold_turkic

DATELINE_REGION = 240  # characters at the start of the body where a dateline may stand

_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    [
        "january jan januar jänner январь января ocak yanvar",
        "february feb februar февраль февраля şubat fevral",
        "march mar märz марта март mart",
        "april apr апреля апрель nisan aprel",
        "may mai мая май mayıs",
        "june jun juni июня июнь haziran iyun",
        "july jul juli июля июль temmuz iyul",
        "august aug августа август ağustos avqust",
        "september sep sept сентября сентябрь eylül sentyabr",
        "october oct oktober октября октябрь ekim oktyabr",
        "november nov ноября ноябрь kasım noyabr",
        "december dec dezember декабря декабрь aralık dekabr",
    ],
    start=1,
):
    for _name in _names.split():
        _MONTHS[_name] = _number

_MONTH_RE = "|".join(sorted((re.escape(m) for m in _MONTHS), key=len, reverse=True))
_DAY_MONTH_YEAR = re.compile(
    rf"\b(?P<day>\d{{1,2}})\.?\s+(?P<month>{_MONTH_RE})\.?,?\s+(?P<year>(?:19|20)\d\d)\b",
    re.IGNORECASE | re.UNICODE,
)
_MONTH_DAY_YEAR = re.compile(
    rf"\b(?P<month>{_MONTH_RE})\.?\s+(?P<day>\d{{1,2}}),?\s+(?P<year>(?:19|20)\d\d)\b",
    re.IGNORECASE,
)
_ISO = re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<month>\d\d)-(?P<day>\d\d)\b")
_DOTTED = re.compile(r"\b(?P<day>\d{1,2})\.(?P<month>\d{1,2})\.(?P<year>(?:19|20)\d\d)\b")

_RECORD = re.compile(
    r"^(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})(?:[T ](?P<time>.*))?)?)?$", re.ASCII
)
# The time of day after a record's date (dropped, but checked: ``T25:00`` or a
# ``+99:00`` offset is not a timestamp, so the date before it is not trusted).
_TIME = re.compile(
    r"^(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,]\d{1,9})?)?"
    r"\s*(?:Z|[A-Z]{1,5}|(?P<sign>[+-])(?P<zh>\d{2})(?::?(?P<zm>\d{2}))?)?$",
    re.ASCII | re.IGNORECASE,
)
MAX_OFFSET_MINUTES = 14 * 60  # real UTC offsets lie between -12:00 and +14:00


def normalize_record_date(value: object) -> str | None:
    """A record's ``date`` as ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``, keeping its precision.

    Raises ValueError with a readable reason for anything that is not a date.
    """
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"date must be a string like 2025-09-22, not {type(value).__name__}")
    match = _RECORD.match(value.strip())
    if not match:
        raise ValueError(f"date {value!r} is not of the form YYYY-MM-DD")
    year, month, day = match.group("year", "month", "day")
    try:
        date(int(year), int(month or 1), int(day or 1))
    except ValueError as exc:
        raise ValueError(f"date {value!r} is not a real date: {exc}") from None
    if match.group("time") is not None:
        problem = _time_problem(match.group("time").strip())
        if problem:
            raise ValueError(f"date {value!r} has {problem}")
    return "-".join(part for part in (year, month, day) if part)


def _time_problem(text: str) -> str | None:
    """What is wrong with the time of day of a record's timestamp, or None."""
    time = _TIME.match(text)
    if not time:
        return "a time that is not of the form HH:MM[:SS][Z|+HH:MM]"
    hour, minute, second = time.group("hour", "minute", "second")
    if int(hour) > 23 or int(minute) > 59 or int(second or 0) > 60:  # 60: a leap second
        return f"no such time of day ({text})"
    if time.group("sign"):
        offset = int(time.group("zh")) * 60 + int(time.group("zm") or 0)
        if int(time.group("zm") or 0) > 59 or offset > MAX_OFFSET_MINUTES:
            return f"an impossible UTC offset ({text})"
    return None


def _from_match(match: re.Match[str]) -> str | None:
    month_text = match.group("month")
    month = int(month_text) if month_text.isdigit() else _MONTHS.get(casefold_turkic(month_text))
    if month is None and not month_text.isdigit():
        month = _MONTHS.get(month_text.lower())
    if month is None:
        return None
    try:
        return date(int(match.group("year")), month, int(match.group("day"))).isoformat()
    except ValueError:
        return None


def date_from_dateline(body: str) -> str | None:
    """A full date (with year) written in the article's opening dateline, if any."""
    region = body[:DATELINE_REGION]
    found = []
    for pattern in (_ISO, _DAY_MONTH_YEAR, _MONTH_DAY_YEAR, _DOTTED):
        for match in pattern.finditer(region):
            if (value := _from_match(match)) is not None:
                found.append((match.start(), value))
    return min(found)[1] if found else None


def year_of(value: str | None) -> str | None:
    return value[:4] if value else None


def month_of(value: str | None) -> str | None:
    return value[:7] if value and len(value) >= 7 else None


def period_bounds(value: str | None) -> tuple[int, int]:
    """First and last day (YYYYMMDD integers) of the period a date names; (0, 0) if undated.

    ``2025-09`` spans 20250901–20250930 and ``2025`` 20250101–20251231, so a date
    range includes a partial date exactly when it covers the whole period.
    """
    if not value:
        return 0, 0
    parts = value.split("-")
    year = int(parts[0])
    if len(parts) == 1:
        return year * 10000 + 101, year * 10000 + 1231
    month = int(parts[1])
    if len(parts) == 2:
        last = calendar.monthrange(year, month)[1]
        return year * 10000 + month * 100 + 1, year * 10000 + month * 100 + last
    key = year * 10000 + month * 100 + int(parts[2])
    return key, key


def date_key(day: date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


def sort_key(value: str | None) -> int:
    """YYYYMMDD as an integer (missing month/day as 00); 0 for undated."""
    if not value:
        return 0
    parts = [*value.split("-"), "00", "00"]
    return int(parts[0] + parts[1] + parts[2])


def key_bounds(key: int) -> tuple[int, int]:
    """``period_bounds`` from a ``sort_key`` (YYYYMMDD, 00 for a missing month or day)."""
    if not key:
        return 0, 0
    year, month, day = key // 10000, key // 100 % 100, key % 100
    if not month:
        return period_bounds(f"{year:04d}")
    if not day:
        return period_bounds(f"{year:04d}-{month:02d}")
    return key, key
