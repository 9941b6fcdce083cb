"""Datelines and publication lines as each language writes them, for eval/dates.py.

The corpora of ../shared/data in German, Turkish and Russian carry no dates, and
the multilingual fixtures few, so the reader of their datelines could not be
measured on real ones. This counterfactual prints a date in front of each real
article, in the forms the press of that language uses (a dateline with its
place and agency, a dateline on a line of its own, a publication line, numeric
dates where they are usual), rotated from article to article, and asks the
pipeline for it back. The month names and labels are written out here, apart
from ``indexer/ingest/dates.py``, so a gap in the reader's tables shows as a
missed date instead of being copied into the measurement.

The article's own text follows unchanged, so a date inside it (a birthday, a
kick-off) must not win over the printed one: that is the precision measured.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable

# Month names as a date writes them: Russian in the genitive, as after a day number.
MONTHS = {
    "en": "January February March April May June July August September October November December",
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "ru": "января февраля марта апреля мая июня июля августа сентября октября ноября декабря",
    "tr": "Ocak Şubat Mart Nisan Mayıs Haziran Temmuz Ağustos Eylül Ekim Kasım Aralık",
    "az": "yanvar fevral mart aprel may iyun iyul avqust sentyabr oktyabr noyabr dekabr",
}
PLACES = {
    "en": ["LONDON", "Washington", "NEW YORK", "Brussels"],
    "de": ["Berlin", "WIEN", "Frankfurt am Main", "Zürich"],
    "ru": ["Москва", "БАКУ", "Санкт-Петербург", "Казань"],
    "tr": ["İstanbul", "ANKARA", "İzmir", "Bakü"],
    "az": ["Bakı", "Gəncə", "Sumqayıt", "BAKI"],
}
AGENCIES = {
    "en": ["(Reuters)", "(AP)", "(AFP)"],
    "de": ["(dpa)", "(APA)", "(AFP)"],
    "ru": ["(ТАСС)", "/ТАСС/", "(РИА Новости)"],
    "tr": ["(AA)", "(DHA)", "(İHA)"],
    "az": ["(APA)", "(Trend)", "(AZƏRTAC)"],
}
PUBLISHED = {  # the publication line's label, as news sites print it
    "en": ["Published:", "Posted on", "First published:"],
    "de": ["Veröffentlicht am", "Erschienen:", "Datum:"],
    "ru": ["Опубликовано:", "Дата публикации:", "Опубликовано"],
    "tr": ["Yayınlanma tarihi:", "Yayın tarihi:", "Tarih:"],
    "az": ["Dərc olunub:", "Dərc tarixi:", "Tarix:"],
}
FIRST_YEAR, LAST_YEAR = 1995, 2025


def _turkic_upper(text: str) -> str:
    return text.replace("i", "İ").replace("ı", "I").upper()


def written(lang: str, day: dt.date, variant: int) -> str:
    """``day`` as ``lang`` writes it in a dateline: day month year, or (English)
    month day, year; numeric (``22.09.2025``) in German and Russian one time in three;
    the Turkish month in capitals one time in four, as headlines set it."""
    month = MONTHS[lang].split()[day.month - 1]
    if lang in ("de", "ru") and variant % 3 == 2:
        return f"{day.day:02d}.{day.month:02d}.{day.year}"
    if lang == "en":
        return f"{month} {day.day}, {day.year}"
    if lang == "de":
        return f"{day.day}. {month} {day.year}"
    if lang == "tr" and variant % 4 == 3:
        month = _turkic_upper(month)
    if lang == "ru" and variant % 2:
        return f"{day.day} {month} {day.year} г."
    return f"{day.day} {month} {day.year}"


# What goes before the article's text, from (place, written date, agency, label):
SHAPES: list[tuple[str, Callable[[str, str, str, str], str]]] = [
    ("dateline", lambda place, date, agency, label: f"{place}, {date} {agency} – "),
    ("dateline on its own line", lambda place, date, agency, label: f"{place}, {date}\n"),
    ("dateline, agency first", lambda place, date, agency, label: f"{place} {agency}, {date} — "),
    ("publication line", lambda place, date, agency, label: f"{label} {date}\n"),
]


def printed_date(article_id: str) -> dt.date:
    """A date for the article, the same every run: a hash of its id picks the day."""
    digest = int.from_bytes(hashlib.sha256(article_id.encode()).digest()[:8], "big")
    first = dt.date(FIRST_YEAR, 1, 1)
    span = (dt.date(LAST_YEAR, 12, 31) - first).days + 1
    return first + dt.timedelta(days=digest % span)


def stamp(lang: str, article_id: str, text: str, number: int) -> tuple[str, str, str]:
    """(text with a date printed before it, the date as ISO, the shape's name); the
    shape, place, agency and label rotate with ``number`` (the article's position)."""
    day = printed_date(article_id)
    shape, make = SHAPES[number % len(SHAPES)]
    variant = number // len(SHAPES)
    date = written(lang, day, variant)
    place = PLACES[lang][variant % len(PLACES[lang])]
    agency = AGENCIES[lang][variant % len(AGENCIES[lang])]
    label = PUBLISHED[lang][variant % len(PUBLISHED[lang])]
    lead = make(place, date, agency, label)
    return lead + text, day.isoformat(), shape
