"""Publication dates: record dates keep their precision, datelines need a year."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from indexer import SearchRequest, build_index
from indexer.ingest.dates import (
    date_from_dateline,
    month_of,
    normalize_record_date,
    sort_key,
    year_of,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-09-22", "2025-09-22"),
        ("2025-09", "2025-09"),
        ("2025", "2025"),
        ("1987-02-26T15:01:01", "1987-02-26"),  # Reuters-style timestamp
        ("1987-02-26 15:01:01", "1987-02-26"),
        ("  2020-02-29  ", "2020-02-29"),
        (None, None),
        ("", None),
    ],
)
def test_record_dates_keep_their_precision(value: str | None, expected: str | None) -> None:
    assert normalize_record_date(value) == expected


@pytest.mark.parametrize(
    "value", ["2023-02-30", "2023-13", "22.09.2025", "yesterday", "2025/09/22", "25-09-22"]
)
def test_invalid_record_dates_raise_a_readable_value_error(value: str) -> None:
    with pytest.raises(ValueError, match=re.escape(repr(value))):
        normalize_record_date(value)


@pytest.mark.parametrize("value", [2025.5, ["2025"], {"y": 2025}, True])
def test_record_date_of_the_wrong_type_raises(value: object) -> None:
    with pytest.raises(ValueError, match="must be a string"):
        normalize_record_date(value)


@pytest.mark.parametrize(
    "value", ["２０２３-１０-１１", "٢٠٢٣-١٠-١١"], ids=["fullwidth", "arabic-indic"]
)
def test_record_date_with_non_ascii_digits_is_normalized_or_refused(value: str) -> None:
    """The result is documented as ``YYYY-MM-DD``; a year facet "２０２３" would never
    match ``year:2023``. Either convert the digits or refuse the date."""
    try:
        result = normalize_record_date(value)
    except ValueError:
        return
    assert result == "2023-10-11"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("WASHINGTON, March 3, 2021 (Reuters) - Officials met.", "2021-03-03"),
        ("BERLIN, 22. September 2025. Der Dienst meldete Erfolge.", "2025-09-22"),
        ("МОСКВА, 22 сентября 2025 г. — Служба сообщила.", "2025-09-22"),
        ("ANKARA, 22 Eylül 2025 — Servis açıkladı.", "2025-09-22"),
        ("Bakı, 22 sentyabr 2025 — Xidmət bildirib.", "2025-09-22"),
        ("Baku, 22.09.2025. The service said.", "2025-09-22"),
        ("Baku (2024-05-01) - The service said.", "2024-05-01"),
        ("Wien, 3. März 2020 — Die Konferenz begann.", "2020-03-03"),
    ],
)
def test_dateline_with_a_year_is_taken(body: str, expected: str) -> None:
    assert date_from_dateline(body) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("ANKARA, 29 EKİM 2024 — Cumhuriyet Bayramı kutlandı.", "2024-10-29"),
        ("İSTANBUL, 12 KASIM 2024 — Toplantı yapıldı.", "2024-11-12"),
    ],
    ids=["EKIM", "KASIM"],
)
def test_turkish_capitalized_month_names_are_understood(body: str, expected: str) -> None:
    """Turkish agencies capitalize datelines; EKİM/KASIM must fold the Turkish way."""
    assert date_from_dateline(body) == expected


@pytest.mark.parametrize(
    "body",
    [
        "BAKU, Azerbaijan, September 22. The 3rd Baku Security Forum has been held.",
        "BERLIN, 22. September. Der Dienst meldete Erfolge.",
        "The forum opened on Monday.",
        "Baku, 31.02.2025. Not a real day.",
    ],
)
def test_no_date_without_a_year(body: str) -> None:
    assert date_from_dateline(body) is None


def test_dates_past_the_first_lines_are_not_publication_dates() -> None:
    opening = "BAKU, Azerbaijan, September 22. The meeting went on.\n" + "More text.\n" * 4
    body = opening + "Baku, 10 November 2020 — the statement was recalled."
    assert date_from_dateline(body) is None


def test_first_date_in_the_dateline_wins() -> None:
    body = "Baku, 5 May 2021 — Recalling the events of 1 January 2020, officials met."
    assert date_from_dateline(body) == "2021-05-05"


def test_date_helpers() -> None:
    assert (year_of("2025-09-22"), month_of("2025-09-22")) == ("2025", "2025-09")
    assert (year_of("2025"), month_of("2025")) == ("2025", None)
    assert (year_of(None), month_of(None)) == (None, None)
    assert sort_key("2025-09-22") == 20250922
    assert sort_key("2025-09") == 20250900
    assert sort_key("2025") == 20250000
    assert sort_key(None) == 0


def test_seed_001_dateline_without_year_does_not_date_an_undated_copy(
    seeds, write_corpus: Callable[..., Path], tmp_path: Path, open_service
) -> None:
    """001 without its header: "BAKU, Azerbaijan, September 22." alone must not date it."""
    text = seeds.text("001")
    assert re.match(r"\s*date 2025-09-22 BAKU, Azerbaijan, September 22\. ", text)
    headerless = re.sub(r"^\s*date \S+\s*", "", text)
    root = write_corpus({"headerless.txt": headerless})
    build_index([root], tmp_path / "index")
    service = open_service(tmp_path / "index")
    assert service.document("headerless").date is None
    assert service.stats().undated == 1


def test_record_dates_reach_the_index_with_their_precision(
    write_corpus: Callable[..., Path], jsonl: Callable[..., str], tmp_path: Path, open_service
) -> None:
    records = [
        {"id": "month", "body": "Harbour text one.", "date": "2021-07"},
        {"id": "year", "body": "Harbour text two.", "date": "2020"},
        {"id": "reuters", "body": "Harbour text three.", "date": "1987-02-26T15:01:01"},
        {"id": "broken", "body": "Harbour text four.", "date": "1987-02-30"},
    ]
    root = write_corpus({"dated.jsonl": jsonl(*records)})
    report = build_index([root], tmp_path / "index")
    assert report.ok  # an invalid date is a warning: the article is indexed undated
    assert [(p.line, p.severity) for p in report.problems] == [(4, "warning")]
    service = open_service(tmp_path / "index")
    dates = {r["id"]: service.document(r["id"]).date for r in records}
    assert dates == {"month": "2021-07", "year": "2020", "reuters": "1987-02-26", "broken": None}
    result = service.search(SearchRequest(query="harbour", sort="date"))
    assert [h.id for h in result.hits] == ["month", "year", "reuters", "broken"]
    assert service.search(SearchRequest(query="harbour", months=("2021-07",))).total == 1


def test_date_range_containing_a_partial_date_includes_it(
    write_corpus: Callable[..., Path], jsonl: Callable[..., str], tmp_path: Path, open_service
) -> None:
    """An article dated "2025-09" happened in September 2025: a range covering all of
    September must include it, and one covering all of 2025 must include "2025" too."""
    records = [
        {"id": "day", "body": "Harbour day.", "date": "2025-09-15"},
        {"id": "month", "body": "Harbour month.", "date": "2025-09"},
        {"id": "year", "body": "Harbour year.", "date": "2025"},
    ]
    root = write_corpus({"partial.jsonl": jsonl(*records)})
    build_index([root], tmp_path / "index")
    service = open_service(tmp_path / "index")

    def ids(start: date, end: date) -> set[str]:
        request = SearchRequest(query="harbour", date_from=start, date_to=end)
        return {hit.id for hit in service.search(request).hits}

    assert ids(date(2025, 9, 1), date(2025, 9, 30)) == {"day", "month"}
    assert ids(date(2025, 1, 1), date(2025, 12, 31)) == {"day", "month", "year"}
