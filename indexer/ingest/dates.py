"""Publication dates: from the record, the ``date`` header, or a dateline.

A date is only inferred from the text when the article states it as its own
date: a dateline at the start of one of its first lines (a place name,
optionally an agency, then a date with a year: ``BAKU, Sept 22, 2025
(Reuters) -``, ``Baku, 22. September 2025 (dpa) -``, ``Баку, 22 сентября
2025 —``, ``Bakü, 22 Eylül 2025``), a publication line (``Published: 22
September 2025``) or a first line that is nothing but a full date. A date that
merely occurs in the text (a birthday, an anniversary, a kick-off time
"Tuesday, 1 March" with "1945 GMT" on the next line, "since 1945") is never
taken: no date is better than a wrong one. Lines are matched one by one, so
nothing spans a line break. A dateline without a year (``BAKU, Azerbaijan,
September 22.``) dates nothing: guessing the year would invent the date.
"""

from __future__ import annotations

import calendar
import re
from datetime import date

from indexer.analysis.folding import casefold_turkic

# Where a date came from, stored with it (``Document.date_source``).
DATE_FROM_RECORD = "record"
DATE_FROM_HEADER = "header"
DATE_FROM_DATELINE = "dateline"
DATE_SOURCES = (DATE_FROM_RECORD, DATE_FROM_HEADER, DATE_FROM_DATELINE)

DATELINE_LINES = 4  # a dateline or publication line stands in the article's first lines
LINE_PREFIX_CHARS = 200  # ...at the start of the line

_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    [
        "january jan januar jänner янв январь января ocak oca yanvar",
        "february feb februar feber февраль февраля фев şubat şub fevral",
        "march mar märz mär mrz марта март мар mart",
        "april apr апреля апрель апр nisan nis aprel",
        "may mai мая май mayıs may",
        "june jun juni июня июнь haziran haz iyun",
        "july jul juli июля июль temmuz tem iyul",
        "august aug августа август авг ağustos ağu avqust",
        "september sep sept сентября сентябрь сен сент eylül eyl sentyabr",
        "october oct oktober okt октября октябрь окт ekim eki oktyabr",
        "november nov ноября ноябрь ноя kasım kas noyabr",
        "december dec dezember dez декабря декабрь дек aralık ara dekabr",
    ],
    start=1,
):
    for _name in _names.split():
        _MONTHS[_name] = _number

_WEEKDAY_NAMES = (
    "monday mon tuesday tue tues wednesday wed thursday thu thur thurs friday fri saturday "
    "sat sunday sun montag dienstag mittwoch donnerstag freitag samstag sonnabend sonntag "
    "понедельник вторник среда среду четверг пятница пятницу суббота субботу воскресенье "
    "pazartesi salı çarşamba perşembe cuma cumartesi pazar "
    "bazar_ertəsi çərşənbə_axşamı çərşənbə cümə_axşamı cümə şənbə bazar"
)
_WEEKDAYS = _WEEKDAY_NAMES.split()
_LEAD_WORD_NAMES = (  # words that open a sentence, never a place name
    "on in at by from since until till born after before during as of for to the a an "
    "am im an seit bis von vom nach vor geboren der die das ein eine "
    "в во с со до от на по после родился родилась "
    "bu bir ve ile doğum"
)
_LEAD_WORDS = frozenset(_LEAD_WORD_NAMES.split())


def _alternation(words: list[str]) -> str:
    ordered = sorted({w.replace("_", " ") for w in words}, key=len, reverse=True)
    return "|".join(re.escape(w).replace(r"\ ", "[^\\S\\n]+") for w in ordered)


_MONTH_RE = _alternation(list(_MONTHS))
_SP = r"[^\S\n]+"  # spaces within a line: a date never continues on the next line
_OSP = r"[^\S\n]*"
_YEAR = r"(?P<year>(?:19|20)\d\d)(?!\d)"
_YEAR_SUFFIX = rf"(?:{_OSP}(?:г\.|года|г(?!\w)|yılı)|-(?:ci|cı|cu|cü){_SP}il(?:i)?)?"
_FORMATS = {
    "dmy": rf"(?P<day>\d{{1,2}})\.?{_SP}(?P<month>{_MONTH_RE})\.?,?{_SP}{_YEAR}{_YEAR_SUFFIX}",
    "mdy": rf"(?P<month>{_MONTH_RE})\.?{_SP}(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?{_SP}{_YEAR}",
    "iso": r"(?P<year>(?:19|20)\d\d)-(?P<month>\d\d)-(?P<day>\d\d)(?!\d)",
    "dotted": r"(?P<day>\d{1,2})\.(?P<month>\d{1,2})\.(?P<year>(?:19|20)\d\d)(?!\d)",
}
_WEEKDAY = rf"(?:(?:{_alternation(_WEEKDAYS)})\.?,?{_SP})?"
_TIME = (
    rf"(?:,?{_SP}(?:at{_SP}|um{_SP}|в{_SP}|saat{_SP})?\d{{1,2}}[:.]\d\d(?:[:.]\d\d)?"
    rf"(?:{_OSP}[ap]\.?m\.?)?(?:{_SP}(?:uhr|gmt|utc|msk|bst|cet|cest|edt|est|[a-z]{{2,4}}t))?)?"
)
_AGENCY = rf"(?:{_OSP}\([^()\n]{{1,40}}\)|{_OSP}/[^/\n]{{1,30}}/)?"
_END = rf"{_OSP}(?:(?P<term>[—–-]+|:|\.(?={_SP}|$))|$)"
_UPPER = "A-ZÀ-ÖØ-ÞĀ-ŽА-ЯЁÇĞİÖŞÜƏ"
_PLACE_WORD = rf"(?-i:[{_UPPER}])[^\W\d_]*(?:[.'’-][^\W\d_]+)*\.?"
_PARTICLE = r"(?:de|del|da|do|di|am|an|der|upon|on|sur|la|le|el|al|van|von|im)"
_PLACE = rf"(?P<place>{_PLACE_WORD}(?:{_SP}(?:{_PLACE_WORD}|{_PARTICLE})){{0,3}})"
_REGION = rf"(?:,{_SP}{_PLACE_WORD}(?:{_SP}{_PLACE_WORD}){{0,2}})?"
_PUBLISHED = (
    r"(?P<label>published|posted|first published|date|updated|last updated|"
    r"veröffentlicht|erschienen|aktualisiert|zuletzt aktualisiert|datum|stand|"
    r"опубликовано|дата публикации|дата|обновлено|"
    r"yayınlanma(?: tarihi)?|yayın tarihi|yayımlanma(?: tarihi)?|güncellenme(?: tarihi)?|"
    r"güncelleme(?: tarihi)?|tarih|dərc (?:olunub|edilib)|dərc tarixi|tarix|yenilənib)"
)
_PUBLICATION_END = rf"{_OSP}(?:[|·•,]|$)"


def _line_patterns() -> list[tuple[str, re.Pattern[str]]]:
    out = []
    for name, fmt in _FORMATS.items():
        date_part = rf"{_WEEKDAY}{fmt}{_TIME}"
        dateline = (
            rf"^{_PLACE}{_REGION}(?P<lead_agency>{_AGENCY})(?:(?P<comma>,{_SP}|{_OSP}\()|{_SP})"
            rf"{date_part}\)?(?P<agency>{_AGENCY}){_END}"
        )
        publication = (
            rf"(?:^|[|·•]{_OSP}){_PUBLISHED}{_OSP}:?{_OSP}(?:on{_SP}|am{_SP}|от{_SP}|в{_SP})?"
            rf"{date_part}{_PUBLICATION_END}"
        )
        bare = rf"^{date_part}{_OSP}$"
        for kind, pattern in (("dateline", dateline), ("publication", publication),
                              ("bare", bare)):  # fmt: skip
            out.append((f"{kind}-{name}", re.compile(pattern, re.IGNORECASE)))
    return out


_LINE_PATTERNS = _line_patterns()
# A second date right after the dash: a life span or a period ("5 April 1920 - 3 March
# 2001"), not a dateline. A number alone ("- 46 per cent", "- 2:0 win") is the story's.
_RANGE_AFTER = re.compile(
    rf"^{_OSP}(?:\d{{1,2}}\.?{_SP}(?:{_MONTH_RE})\b|(?:{_MONTH_RE})\b|\d{{1,2}}\.\d{{1,2}}\.\d|"
    rf"(?:19|20)\d\d(?!\d))",
    re.IGNORECASE,
)

_RECORD = re.compile(
    r"^(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})(?:[T ](?P<time>.*))?)?)?$", re.ASCII
)
# The time of day after a record's date (dropped, but checked: ``T25:00`` or a
# ``+99:00`` offset is not a timestamp, so the date before it is not trusted).
_RECORD_TIME = re.compile(
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


def _month_number(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    return _MONTHS.get(casefold_turkic(text)) or _MONTHS.get(text.lower())


def _time_problem(text: str) -> str | None:
    """What is wrong with the time of day of a record's timestamp, or None."""
    time = _RECORD_TIME.match(text)
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
    month = _month_number(match.group("month"))
    if month is None:
        return None
    try:
        return date(int(match.group("year")), month, int(match.group("day"))).isoformat()
    except ValueError:
        return None


_CALENDAR_WORDS = frozenset(set(_MONTHS) | {w.split("_")[0] for w in _WEEKDAYS})


def _is_place(place: str) -> bool:
    """Not a sentence's opening ("On Tuesday", "Born in Leeds") nor a day or month name."""
    words = [casefold_turkic(word.strip(".")) for word in place.split()]
    return words[0] not in _LEAD_WORDS and not any(w in _CALENDAR_WORDS for w in words)


def _is_dateline(match: re.Match[str], line: str, first: bool) -> bool:
    """Whether a dateline-shaped match is one, not a sentence, a caption or a life span.

    "On Tuesday, …" and "Born …" are sentences; "London, 5 April 1920 - 3 March
    2001" is a life span; a place written without a comma before the date must be
    in capitals ("JERUSALEM Aug. 23, 2004 -"), as agencies write it, not "Name 12
    May 2010"; and a line that ends with the date ("Tulsi Gabbard, 12 February
    2020", a photo caption) counts only as the article's first line.
    """
    place = match.group("place")
    agency = (match.group("lead_agency") + match.group("agency")).strip()
    if not _is_place(place) or (not agency and _RANGE_AFTER.match(line[match.end() :])):
        return False
    if match.group("comma") is None and place != place.upper():
        return False
    return first or bool(match.group("term") or agency)


def _line_match(line: str, *, first: bool = True) -> tuple[str, str, str] | None:
    """(date, kind, what follows the match) when ``line`` opens with a dateline or is
    a publication/date line."""
    line = line[:LINE_PREFIX_CHARS].strip()
    for name, pattern in _LINE_PATTERNS:
        match = pattern.search(line)
        if match is None:
            continue
        kind = name.split("-")[0]
        if kind == "dateline" and not _is_dateline(match, line, first):
            continue
        if kind == "bare" and not first:
            continue  # a date alone on a later line is a fixture's day, a caption's…
        value = _from_match(match)
        if value is None:
            continue
        if kind == "publication" and match.group("label").lower().startswith(
            ("updated", "last", "aktualisiert", "zuletzt", "обновлено", "güncel", "yenilənib")
        ):
            kind = "updated"
        return value, kind, line[match.end() :]
    return None


def _line_date(line: str, *, first: bool = True) -> tuple[str, str] | None:
    """(date, kind) when ``line`` opens with a dateline or is a publication/date line."""
    found = _line_match(line, first=first)
    return None if found is None else found[:2]


def is_date_line(line: str) -> bool:
    """A line that only dates the article, so no headline: "22 September 2025",
    "Published: …", or a dateline on a line of its own ("BAKU, 22 September 2025")."""
    found = _line_match(line)
    return found is not None and (found[1] != "dateline" or not found[2].strip(" .:—–-"))


def date_from_dateline(text: str) -> str | None:
    """The date an article states as its own in its first lines, if any (see module doc).

    A publication line wins over an "updated" line; otherwise the first line
    that gives a date decides.
    """
    lines = [line for line in text.split("\n") if line.strip()][:DATELINE_LINES]
    updated = None
    for number, line in enumerate(lines):
        found = _line_date(line, first=number == 0)
        if found is None:
            continue
        value, kind = found
        if kind != "updated":
            return value
        updated = updated or value
    return updated


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
