"""Each scraped-page cleaning rule, and how titles are derived."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.ingest.cleaning import TITLE_MAX_CHARS, clean, split_title, strip_dateline
from indexer.ingest.organizations import Gazetteer


@pytest.fixture(scope="module")
def gazetteer(gazetteer_path: Path) -> Gazetteer:
    return Gazetteer.load(gazetteer_path)


@pytest.fixture(scope="module")
def agencies(gazetteer: Gazetteer) -> dict[str, str]:
    return gazetteer.news_agencies()


# --- page furniture ---


@pytest.mark.parametrize("widget", ["+ ↺ − 16 px", "+ ↺ - 18 px", "+↺–16px", "+  ↺  −  9  px"])
def test_font_size_widget_is_removed(widget: str, agencies: dict[str, str]) -> None:
    cleaned = clean(f"{widget}\n\nThe forum opened in Baku.", agencies)
    assert cleaned.paragraphs == ["The forum opened in Baku."]


def test_font_size_widget_is_removed_inside_a_line(agencies: dict[str, str]) -> None:
    cleaned = clean("Intro + ↺ − 16 px text.\n\nSecond paragraph.", agencies)
    assert cleaned.paragraphs == ["Intro text.", "Second paragraph."]


def test_search_in_archive_line_is_removed(agencies: dict[str, str]) -> None:
    text = "First paragraph.\n\nSearch in archive\n\nLast paragraph here.\n\nSearch in archive"
    assert clean(text, agencies).paragraphs == ["First paragraph.", "Last paragraph here."]


def test_search_in_archive_inside_a_sentence_is_text(agencies: dict[str, str]) -> None:
    text = "Researchers search in archive rooms for letters.\n\nMore text."
    assert clean(text, agencies).paragraphs[0] == "Researchers search in archive rooms for letters."


@pytest.mark.parametrize("tags", ["Tags:", "Tags: Baku, security, forum", "tags :  x"])
def test_trailing_tags_line_is_removed(tags: str, agencies: dict[str, str]) -> None:
    cleaned = clean(f"The meeting ended.\n\n{tags}\n", agencies)
    assert cleaned.paragraphs == ["The meeting ended."]


def test_tags_line_in_the_middle_is_kept(agencies: dict[str, str]) -> None:
    text = "Tags: are what a label maker prints.\n\nThe end of the story."
    assert clean(text, agencies).paragraphs[0] == "Tags: are what a label maker prints."


def test_blank_lines_spaces_and_control_characters_are_normalized(
    agencies: dict[str, str],
) -> None:
    text = "\r\n  First\u00a0 line \t with\u200b gaps. \r\n\r\n\r\nSecond\x07 line.  \r\n"
    assert clean(text, agencies).paragraphs == ["First line with gaps.", "Second line."]


# --- source: signature and lead-ins ---


def test_trailing_agency_signature_becomes_source_and_leaves_body(
    agencies: dict[str, str],
) -> None:
    cleaned = clean("The president welcomed the guests.\n\nNews.Az\n", agencies)
    assert cleaned.source == "News.Az"
    assert cleaned.paragraphs == ["The president welcomed the guests."]


def test_signature_before_tags_line_is_found(agencies: dict[str, str]) -> None:
    cleaned = clean("The session closed.\n\nNews.Az\n\nTags: Baku", agencies)
    assert cleaned.source == "News.Az"
    assert cleaned.paragraphs == ["The session closed."]


def test_unknown_domain_like_signature_becomes_source(agencies: dict[str, str]) -> None:
    cleaned = clean("The session closed.\n\nReport.az", agencies)
    assert cleaned.source == "Report.az"
    assert cleaned.paragraphs == ["The session closed."]


def test_short_last_sentence_is_not_a_signature(agencies: dict[str, str]) -> None:
    cleaned = clean("The delegates met.\n\nHe left.", agencies)
    assert cleaned.source is None
    assert cleaned.paragraphs == ["The delegates met.", "He left."]


def test_reports_lead_in_gives_source(agencies: dict[str, str]) -> None:
    text = (
        "BAKU, Azerbaijan, September 22. The 3rd Baku Security Forum has been held, "
        "Trend reports.\n\nThe forum focused on joint activities."
    )
    cleaned = clean(text, agencies)
    assert cleaned.source == "Trend"
    assert len(cleaned.paragraphs) == 2  # a lead-in is article text: it stays


def test_german_lead_in_gives_gazetteer_display_name(
    agencies: dict[str, str], gazetteer: Gazetteer
) -> None:
    text = "Die Delegationen nahmen an der Sitzung teil, berichtet AzVision.\n\nWeiterer Text."
    assert clean(text, agencies).source == gazetteer.organizations["azvision"].name("en")


def test_told_lead_in_gives_known_agency(agencies: dict[str, str]) -> None:
    text = (
        "Heads of services attended the meeting, the press service told News.Az.\n\n"
        "The meeting continued."
    )
    assert clean(text, agencies).source == "News.Az"


def test_told_reporters_is_not_a_source(agencies: dict[str, str]) -> None:
    text = "The minister told reporters.\n\nThe meeting continued for two hours."
    assert clean(text, agencies).source is None


def test_signature_takes_precedence_over_lead_in(agencies: dict[str, str]) -> None:
    text = "The forum opened, Trend reports.\n\nMore text follows.\n\nNews.Az"
    assert clean(text, agencies).source == "News.Az"


# --- titles ---


def test_headline_line_becomes_title_and_leaves_body() -> None:
    paragraphs = ["Another security forum was held in Baku", "The forum opened.", "It closed."]
    title, body = split_title(paragraphs)
    assert title == "Another security forum was held in Baku"
    assert body == ["The forum opened.", "It closed."]


def test_first_sentence_becomes_title_without_dateline() -> None:
    first = (
        "BAKU, Azerbaijan, September 22. The 3rd Baku Security Forum has been held. "
        "It gathered 90 countries."
    )
    title, body = split_title([first, "More."])
    assert title == "The 3rd Baku Security Forum has been held."
    assert body == [first, "More."]  # the body keeps its dateline and first sentence


def test_single_paragraph_gives_first_sentence_title() -> None:
    title, body = split_title(["Only one line without a period"])
    assert title == "Only one line without a period"
    assert body == ["Only one line without a period"]


def test_long_first_sentence_is_shortened_at_a_word() -> None:
    sentence = " ".join(["security"] * 60) + "."
    title, _ = split_title([sentence, "Second."])
    assert title.endswith("…")
    assert len(title) <= TITLE_MAX_CHARS + 1
    assert sentence.startswith(title.removesuffix("…"))
    assert title.removesuffix("…").endswith("security")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("BAKU, Azerbaijan, September 22. The forum", "The forum"),
        ("MOSCOW, March 3 (Reuters) - Officials met", "Officials met"),
        ("Berlin, 22. September: Der Dienst", "Der Dienst"),
        ("The forum opened on September 22 in Baku.", "The forum opened on September 22 in Baku."),
    ],
)
def test_strip_dateline(text: str, expected: str) -> None:
    assert strip_dateline(text) == expected


def test_empty_input_gives_empty_title_and_body() -> None:
    assert split_title([]) == ("", [])
    assert clean(" \n\t\n ").paragraphs == []
