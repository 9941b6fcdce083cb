"""Property tests: folding, tokenizing, cleaning and date parsing on arbitrary input.

Derandomized and without a database, so every run checks the same examples and
nothing is written outside the temporary directories.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.analysis.folding import fold, name_key
from indexer.analysis.language import analyze_words, detect_language
from indexer.analysis.tokens import iter_words, words
from indexer.ingest.cleaning import TITLE_MAX_CHARS, clean, split_title
from indexer.ingest.dates import date_from_dateline, normalize_record_date, sort_key, year_of
from indexer.model import LANGUAGE_NAMES

PROPERTY = settings(max_examples=150, deadline=None, derandomize=True, database=None)

# Letters of the supported languages' alphabets, upper and lower case.
LETTERS = (
    "abcdefghijklmnopqrstuvwxyzäöüßçğıişəñ"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÜÇĞIİŞƏ"
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"
    "АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ"
)
name_words = st.text(alphabet=LETTERS, min_size=1, max_size=20)
# Arbitrary text with the pieces the cleaning rules look for mixed in.
scraped_text = st.lists(
    st.one_of(
        st.text(max_size=30),
        st.sampled_from(
            [
                "\n",
                "\n\n",
                "\r\n",
                " ",
                ". ",
                "+ ↺ − 16 px",
                "Tags:",
                "News.Az",
                "Search in archive",
                ", Trend reports.",
                "berichtet AzVision",
                "BAKU, Azerbaijan, September 22. ",
            ]
        ),
    ),
    max_size=25,
).map("".join)


@PROPERTY
@given(st.text())
def test_fold_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


@PROPERTY
@given(st.text())
def test_fold_leaves_no_combining_marks_or_capitals(text: str) -> None:
    folded = fold(text)
    assert not any(unicodedata.combining(ch) for ch in folded)
    assert folded == folded.lower()


@PROPERTY
@given(name_words)
def test_name_key_depends_only_on_the_folded_word(word: str) -> None:
    assert name_key(word) == name_key(fold(word))


@PROPERTY
@given(name_words)
def test_name_key_ignores_case(word: str) -> None:
    assert name_key(word.upper()) == name_key(word.lower()) == name_key(word)


@PROPERTY
@given(name_words)
def test_name_key_has_no_doubled_letters(word: str) -> None:
    key = name_key(word)
    assert not re.search(r"([a-z])\1", key)


@PROPERTY
@given(st.text())
def test_tokenizer_offsets_slice_back_to_the_words(text: str) -> None:
    spans = list(iter_words(text))
    assert [s.text for s in spans] == words(text)
    last_end = 0
    for span in spans:
        assert text[span.start : span.end] == span.text
        assert span.start >= last_end and span.end > span.start
        last_end = span.end


@PROPERTY
@given(scraped_text)
def test_cleaning_never_raises_and_gives_tidy_paragraphs(text: str) -> None:
    cleaned = clean(text, {"news.az": "News.Az"})
    for paragraph in cleaned.paragraphs:
        assert paragraph and paragraph == paragraph.strip()
        assert "\n" not in paragraph and "\r" not in paragraph
    title, body = split_title(cleaned.paragraphs)
    assert len(title) <= TITLE_MAX_CHARS + 1
    assert set(body) <= set(cleaned.paragraphs)


@PROPERTY
@given(st.text(max_size=300))
def test_dateline_parsing_never_raises_and_gives_real_dates(text: str) -> None:
    found = date_from_dateline(text)
    assert found is None or date.fromisoformat(found).isoformat() == found


@PROPERTY
@given(st.one_of(st.text(max_size=40), st.from_regex(r"\A\d{4}(-\d\d(-\d\d)?)?(T.*)?\Z")))
def test_record_date_parsing_raises_only_value_error(text: str) -> None:
    try:
        value = normalize_record_date(text)
    except ValueError as exc:
        assert str(exc)
        return
    if value is not None:
        assert year_of(value) == value[:4]
        assert sort_key(value) >= 0


@PROPERTY
@given(st.text(max_size=200))
def test_language_detection_always_answers_a_known_language(text: str) -> None:
    assert detect_language(text) in LANGUAGE_NAMES


@PROPERTY
@given(st.text(max_size=200), st.sampled_from(["en", "de", "ru", "tr", "az"]))
def test_analysis_never_raises_and_yields_no_empty_terms(text: str, lang: str) -> None:
    assert all(analyze_words(text, lang))
