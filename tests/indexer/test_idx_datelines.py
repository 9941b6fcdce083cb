"""Dates inferred from the text: only the article's own dateline or publication line.

Each language's dateline and publication-line formats are read; dates that
merely occur in the text (kick-off times, birthdays, anniversaries, years in
headlines, a date broken over two lines) never become the publication date.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from indexer import SearchRequest, build_index
from indexer.ingest.dates import date_from_dateline


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # English: agency datelines, with the year, month abbreviated or not
        ("BAKU, Sept 22, 2025 (Reuters) - The service said.", "2025-09-22"),
        ("WASHINGTON, March 3, 2021 (Reuters) - Officials met.", "2021-03-03"),
        ("NEW YORK, Sept. 22, 2025 /PRNewswire/ -- The company said.", "2025-09-22"),
        ("JERUSALEM Aug. 23, 2004 - Israel announced plans.", "2004-08-23"),
        ("Rio de Janeiro, 22 September 2025 - The summit opened.", "2025-09-22"),
        ("LONDON, 22 September 2025 (AP) — The bank said.", "2025-09-22"),
        # German
        ("Baku, 22. September 2025 (dpa) - Der Dienst meldete.", "2025-09-22"),
        ("BERLIN, 22. September 2025. Der Dienst meldete Erfolge.", "2025-09-22"),
        ("Wien, 3. März 2020 — Die Konferenz begann.", "2020-03-03"),
        ("Frankfurt am Main, 22.09.2025 - Die Bank teilte mit.", "2025-09-22"),
        # Russian
        ("Баку, 22 сентября 2025 — Служба сообщила.", "2025-09-22"),
        ("МОСКВА, 22 сентября 2025 г. — Служба сообщила.", "2025-09-22"),
        ("Москва, 1 марта 2024 года (ТАСС) — Министр заявил.", "2024-03-01"),
        # Turkish
        ("Bakü, 22 Eylül 2025", "2025-09-22"),
        ("ANKARA, 29 EKİM 2024 — Cumhuriyet Bayramı kutlandı.", "2024-10-29"),
        ("İSTANBUL, 12 KASIM 2024 (AA) — Toplantı yapıldı.", "2024-11-12"),
        # Azerbaijani
        ("Bakı, 22 sentyabr 2025", "2025-09-22"),
        ("Bakı, 22 sentyabr 2025-ci il — Xidmət bildirib.", "2025-09-22"),
        ("Gəncə, 5 may 2024 (AZƏRTAC) — Tədbir keçirilib.", "2024-05-05"),
        # numeric forms after a place
        ("Baku, 22.09.2025. The service said.", "2025-09-22"),
        ("Baku (2024-05-01) - The service said.", "2024-05-01"),
    ],
)
def test_datelines_in_each_language(text: str, expected: str) -> None:
    assert date_from_dateline(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Published: 22 September 2025", "2025-09-22"),
        ("Headline\nBy Jane Doe | Published 22 September 2025 | 10:30 GMT\nBody.", "2025-09-22"),
        ("Posted on September 22, 2025 at 10:15 am\nBody.", "2025-09-22"),
        ("Veröffentlicht am 22.09.2025, 14:30 Uhr\nText.", "2025-09-22"),
        ("Опубликовано: 22 сентября 2025, 10:15\nТекст.", "2025-09-22"),
        ("Yayınlanma: 22 Eylül 2025 10:15\nMetin.", "2025-09-22"),
        ("Dərc olunub: 22 sentyabr 2025\nMətn.", "2025-09-22"),
        ("Monday, 22 September 2025\nThe text.", "2025-09-22"),
        # the publication line wins over an update line, whatever their order
        ("Updated: 23 September 2025\nPublished: 22 September 2025\nText.", "2025-09-22"),
        ("Last updated: 23 September 2025\nText.", "2025-09-23"),
    ],
)
def test_publication_lines_in_each_language(text: str, expected: str) -> None:
    assert date_from_dateline(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        # BBC kick-off time: the year is the clock, on the next line
        "Griffin Park\nTuesday, 1 March\n1945 GMT\nBrentford host Southampton.",
        "Kick-off 2000 GMT on Saturday.\nThe teams are unchanged.",
        "Wales v England\nSaturday, 5 February\n1430 GMT",
        # birth dates and life spans
        "Born in Leeds, 5 April 1920, he played for the club.",
        "Born 5 April 1920 in Leeds, the actor died on Monday.",
        "London, 5 April 1920 - 3 March 2001\nThe actor's life.",
        # anniversaries, and dates deep in a sentence
        "On Tuesday, 1 March 2005 - the anniversary - fans gathered.",
        "The club has won nothing since 1945.",
        "It is 60 years since 8 May 1945 when the war ended in Europe.",
        "Am 9. November 1989 fiel die Mauer.",
        # years in headlines
        "Oscars 2005: the winners\nThe ceremony was long.",
        "Euro 2004 draw made\nThe draw was made in Lisbon.",
        # a photo caption on a later line, a dateline without a year
        "Lead sentence.\n\nТулси Габбард, 12 февраля 2020 года\n\nТекст.",
        "Аделина Сотникова 12 декабря 2010 г.\nТекст.",
        "BAKU, Sept 22 (Reuters) - The service said.",
        "BAKU, Azerbaijan, September 22. The 3rd Baku Security Forum has been held.",
        # an impossible day
        "Baku, 31.02.2025. Not a real day.",
    ],
)
def test_dates_that_merely_occur_in_the_text_are_not_taken(text: str) -> None:
    assert date_from_dateline(text) is None


def test_a_dateline_past_the_first_lines_is_not_taken() -> None:
    text = "Headline\nFirst line.\nSecond line.\nThird line.\nBaku, 22 September 2025 - Late."
    assert date_from_dateline(text) is None


def test_kick_off_time_does_not_date_an_indexed_article(
    write_corpus: Callable[..., Path], jsonl: Callable[..., str], tmp_path: Path, open_service
) -> None:
    """The issue's reproduction: year:1945 must find nothing, the article stays undated."""
    body = "Griffin Park\nTuesday, 1 March\n1945 GMT\nText."
    record = {"id": "k", "title": "B v S", "body": body}
    root = write_corpus({"k.jsonl": jsonl(record)})
    build_index([root], tmp_path / "index")
    service = open_service(tmp_path / "index")
    assert service.search(SearchRequest(query="", years=("1945",))).total == 0
    view = service.document("k")
    assert (view.date, view.date_source) == (None, None)
    assert service.stats().undated == 1


def test_each_provenance_is_stored_in_the_index(
    write_corpus: Callable[..., Path], jsonl: Callable[..., str], tmp_path: Path, open_service
) -> None:
    records = [
        {"id": "rec", "body": "Harbour news from the record.", "date": "2024-05-01"},
        {"id": "line", "body": "Baku, 22 September 2025 - Harbour news from the dateline."},
        {"id": "none", "body": "Harbour news without any date."},
    ]
    root = write_corpus(
        {
            "records.jsonl": jsonl(*records),
            "head.txt": "date 2023-10-11\nHarbour headline\n\nHarbour news from the header.\n",
        }
    )
    build_index([root], tmp_path / "index")
    service = open_service(tmp_path / "index")
    views = {i: service.document(i) for i in ("rec", "line", "none", "head")}
    assert {i: (v.date, v.date_source) for i, v in views.items()} == {
        "rec": ("2024-05-01", "record"),
        "line": ("2025-09-22", "dateline"),
        "none": (None, None),
        "head": ("2023-10-11", "header"),
    }
    hits = service.search(SearchRequest(query="harbour")).hits
    assert {h.id: h.date_source for h in hits} == {
        "rec": "record",
        "line": "dateline",
        "none": None,
        "head": "header",
    }
    # an inferred date filters like any other
    assert [h.id for h in service.search(SearchRequest(query="", years=("2025",))).hits] == ["line"]


DATE_LINES_ABOVE_A_HEADLINE = [
    "22 September 2025",
    "Published: 22 September 2025",
    "BAKU, 22 September 2025",  # a dateline on a line of its own, in each language
    "Bakı, 22 sentyabr 2025",
    "МОСКВА, 22 сентября 2025 г.",
    "Berlin, 22. September 2025",
    "İstanbul, 22 Eylül 2025",
]


@pytest.mark.parametrize("date_line", DATE_LINES_ABOVE_A_HEADLINE)
def test_a_date_line_above_the_headline_dates_it_and_is_not_its_title(
    date_line: str,
    write_corpus: Callable[..., Path],
    jsonl: Callable[..., str],
    tmp_path: Path,
    open_service,
) -> None:
    text = f"{date_line}\nForum opens in Baku\n\nThe forum opened.\n"
    root = write_corpus({"dated.txt": text, "lines.jsonl": jsonl({"id": "line", "body": text})})
    build_index([root], tmp_path / "index")
    service = open_service(tmp_path / "index")
    for doc_id in ("dated", "line"):
        view = service.document(doc_id)
        assert view.title == "Forum opens in Baku", doc_id
        assert (view.date, view.date_source) == ("2025-09-22", "dateline"), doc_id


def test_a_date_alone_on_a_later_line_is_not_taken() -> None:
    """A match preview: the fixture's day under the ground's name is not the article's."""
    assert date_from_dateline("Griffin Park\nTuesday, 1 March 2005\n1945 GMT\nText.") is None
    assert date_from_dateline("Tuesday, 1 March 2005\nGriffin Park\nText.") == "2005-03-01"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # an agency makes it a dateline even when the story opens with a date or a number
        ("BAKU, 28 June 1996 (TASS) – 29 August 2016 the talks resumed.", "1996-06-28"),
        ("Москва /ТАСС/, 27 июля 2010 — 5 июня 2016 года в Москве скончался актёр.",
         "2010-07-27"),
        ("WIEN (dpa), 13. März 2025 — 1000 bei Protestzug in Freilassing.", "2025-03-13"),
        # a number that is no date opens the story: the dateline stands
        ("Berlin, 30.04.1996 – 46 Prozent der Befragten würden derzeit zustimmen.",
         "1996-04-30"),
        ("İzmir, 25 Şubat 2000 – 3 liradan tezgaha düştü.", "2000-02-25"),
        ("LONDON, May 8, 2022 - 2:0 win for the visitors.", "2022-05-08"),
        # a second date after the dash, no agency: a life span or a period
        ("London, 5 April 1920 - 3 March 2001\nThe actor's life.", None),
        ("Berlin, 9. November 1989 – 3. Oktober 1990: the road to unity.", None),
        ("Moscow, 12 June 1990 - 1991 saw the union end.", None),
    ],
)  # fmt: skip
def test_what_follows_the_dash_decides_between_dateline_and_span(
    text: str, expected: str | None
) -> None:
    assert date_from_dateline(text) == expected
