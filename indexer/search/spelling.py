"""Spelling corrections for "did you mean": the closest words first, frequency second.

Whoosh's corrector ranks every word within two edits by frequency alone, so
``budgt`` became "but" and ``foo`` "for". Here the candidates are the folded
field's words (one vocabulary for every language and script, as names are
matched) within the edits a word's length allows, ranked by Damerau-Levenshtein
distance (a swap of two neighbouring letters is one edit), then by how many
articles have them; stop words are never offered, and a word too short to
correct safely gets nothing. Measured by ``eval/typos.py`` (eval/RESULTS.md).
"""

from __future__ import annotations

from whoosh.reading import IndexReader

from indexer.analysis.language import LANGUAGES, is_stopword
from indexer.index.schema import FOLDED_BODY

MIN_CORRECTED_CHARS = 4  # "foo" is one edit from too many words to guess which
TWO_EDITS_FROM = 7  # a folded key this long may be two edits off; shorter ones one
# Two candidates equally close and about as frequent are a guess: offer neither
# unless the first is in this many times as many articles (eval/typos.py).
CLEAR_LEAD = 2.0


def allowed_edits(key: str) -> int:
    """How many edits a correction of ``key`` may make."""
    if len(key) < MIN_CORRECTED_CHARS:
        return 0
    return 2 if len(key) >= TWO_EDITS_FROM else 1


def damerau_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance (insert, delete, substitute, swap neighbours),
    or ``limit + 1`` as soon as it must exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[len(b)]


def is_any_stopword(key: str) -> bool:
    return any(is_stopword(key, lang) for lang in LANGUAGES)


def corrections(reader: IndexReader, key: str, limit: int = 3) -> list[str]:
    """The folded words ``key`` was most likely meant as, best first: fewest edits,
    then most articles; none when ``key`` is too short or nothing is close."""
    edits = allowed_edits(key)
    if not edits or FOLDED_BODY not in reader.schema:
        return []
    # Whoosh's automaton counts a swap as two edits: ask one more, then measure.
    ranked: list[tuple[int, int, str]] = []
    for word in reader.terms_within(FOLDED_BODY, key, edits + 1, prefix=1):
        if word == key or len(word) < MIN_CORRECTED_CHARS - 1 or is_any_stopword(word):
            continue
        distance = damerau_distance(key, word, edits)
        if distance <= edits:
            ranked.append((distance, -reader.doc_frequency(FOLDED_BODY, word), word))
    ranked.sort()
    tied = len(ranked) > 1 and ranked[0][0] == ranked[1][0]
    if tied and -ranked[0][1] < CLEAR_LEAD * -ranked[1][1]:
        return []
    return [word for _, _, word in ranked[:limit]]
