"""The one word tokenizer, shared by indexing, organization matching and highlighting.

Keeping a single definition of "a word" means a highlighted span is exactly
what the index matched, and an alias in the gazetteer splits the same way as
the article text it is looked for in.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

# Letters/digits, optionally joined by an apostrophe ("Servisi'nin", "Azerbaijan's").
# Hyphens and dots split ("Turkic-speaking", "News.Az"), as users type either part.
WORD_PATTERN = re.compile(r"\w+(?:['’]\w+)*")
APOSTROPHES = "'’"


@dataclass(slots=True, frozen=True)
class Span:
    text: str
    start: int
    end: int


def iter_words(text: str) -> Iterator[Span]:
    """Yield every word of ``text`` with its character offsets."""
    for match in WORD_PATTERN.finditer(text):
        yield Span(match.group(), match.start(), match.end())


def words(text: str) -> list[str]:
    return WORD_PATTERN.findall(text)


def strip_suffix_after_apostrophe(word: str) -> str:
    """Turkish and Azerbaijani attach case endings to names after an apostrophe."""
    for mark in APOSTROPHES:
        if mark in word:
            return word.split(mark, 1)[0]
    return word
