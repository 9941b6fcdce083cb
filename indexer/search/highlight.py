"""Marking the words a query matched, and choosing the best fragments.

Works on the stored text with the same tokenizer and analyzers as the index,
so every matched form is marked: stems (``services`` for ``security
service``), folded name variants (``Nağıyev`` for ``Нагиев``), prefix and
fuzzy expansions, and the words of a named organization in any language.
Pure string work on the page's hits only, deterministic for a given query
and document. The output is escaped text whose only markup is ``<mark>``.
"""

from __future__ import annotations

import html
import re
import threading
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field

from indexer.analysis.language import folded_term, is_stopword, normalize_word, word_terms
from indexer.analysis.tokens import WORD_PATTERN, Span, iter_words
from indexer.index.schema import FOLDED_BODY, FOLDED_TITLE, body_field, title_field
from indexer.ingest.organizations import Gazetteer

SNIPPET_CHARS = 240
SNIPPET_SCAN_CHARS = 100_000
MAX_FRAGMENTS = 2
ELLIPSIS = "…"


@dataclass(slots=True)
class WordPlaces:
    """Where the words a query matched start in one text, read from the index (the
    companion's starts): first character -> the query's terms of the language field
    (``stems``) and of the folded field (``folded``) found there."""

    stems: dict[int, list[str]] = field(default_factory=dict)
    folded: dict[int, list[str]] = field(default_factory=dict)
    cut: frozenset[int] = frozenset()  # words the scan limit cuts: judged by what is left

    def flattened(self, text: str) -> WordPlaces:
        """The same places in ``snippet``'s flattened text (each paragraph break of
        ``text`` becomes one character longer), within its first SNIPPET_SCAN_CHARS."""
        breaks = [m.start() for m in _PARAGRAPH.finditer(text, 0, SNIPPET_SCAN_CHARS)]

        def moved(places: dict[int, list[str]]) -> dict[int, list[str]]:
            return {
                start + bisect_left(breaks, start): found
                for start, found in places.items()
                if start < SNIPPET_SCAN_CHARS
            }

        cut = _cut_word(text)
        moved_cut = frozenset() if cut is None else frozenset({cut + bisect_left(breaks, cut)})
        return WordPlaces(moved(self.stems), moved(self.folded), moved_cut)


def _cut_word(text: str) -> int | None:
    """The start of the word of ``text`` that the scan limit cuts, if one is: what is
    left of it may match where the whole word does not, or the reverse."""
    if len(text) <= SNIPPET_SCAN_CHARS:
        return None
    run = SNIPPET_SCAN_CHARS  # back to the start of the letters and apostrophes there
    while run > 0 and (text[run - 1].isalnum() or text[run - 1] in "_'’"):
        run -= 1
    for word in WORD_PATTERN.finditer(text, run):
        if word.start() >= SNIPPET_SCAN_CHARS:
            break
        if word.end() > SNIPPET_SCAN_CHARS:
            return word.start()
    return None


_PARAGRAPH = re.compile("\n\n")


@dataclass(slots=True)
class MatchTerms:
    """Index terms a query matched, by field (``body_en`` → {"secur", …})."""

    by_field: dict[str, set[str]] = field(default_factory=dict)
    organizations: set[str] = field(default_factory=set)
    # field -> word -> the term it matched: one request's pages repeat their words
    seen: dict[str, dict[str, str]] = field(default_factory=dict, repr=False, compare=False)

    def add(self, fieldname: str, text: str) -> None:
        self.by_field.setdefault(fieldname, set()).add(text)

    def __bool__(self) -> bool:
        return bool(self.by_field or self.organizations)


class Highlighter:
    def __init__(self, gazetteer: Gazetteer):
        self.gazetteer = gazetteer

    def matched_spans(
        self,
        text: str,
        lang: str,
        terms: MatchTerms,
        *,
        title: bool = False,
        places: WordPlaces | None = None,
    ) -> list[tuple[Span, str]]:
        """Word spans of ``text`` that the query matched, each with a key naming the term;
        from ``places`` when the index gave them, else by reading the text."""
        fieldname = title_field(lang) if title else body_field(lang)
        stems = terms.by_field.get(fieldname, set())
        folded = terms.by_field.get(FOLDED_TITLE if title else FOLDED_BODY, set())
        if places is not None:
            marked = _placed_spans(text, lang, stems, folded, places)
        else:
            marked = _read_spans(text, lang, stems, folded, terms.seen.setdefault(fieldname, {}))
        if terms.organizations:
            starts = {span.start for span, _ in marked}
            spans = list(iter_words(text))
            for start, end, org_id in self.gazetteer.find_spans(
                [s.text for s in spans], lang, require_context=False
            ):
                if org_id in terms.organizations:
                    for i in range(start, end):
                        word = spans[i].text
                        if spans[i].start not in starts and not is_stopword(
                            normalize_word(word, lang), lang
                        ):
                            marked.append((spans[i], f"org:{org_id}"))
        marked.sort(key=lambda item: item[0].start)
        return marked

    def mark_all(self, text: str, lang: str, terms: MatchTerms, *, title: bool = False) -> str:
        """The whole text, escaped, with every match marked."""
        return _render(text, 0, len(text), self.matched_spans(text, lang, terms, title=title))

    def snippet(
        self,
        text: str,
        lang: str,
        terms: MatchTerms,
        size: int = SNIPPET_CHARS,
        places: WordPlaces | None = None,
    ) -> str:
        """The best one or two fragments of ``text`` with matches marked."""
        # Very long articles: look for the best fragment in the first part only,
        # so one huge document cannot slow the whole result page.
        flat = text[:SNIPPET_SCAN_CHARS].replace("\n\n", " ¶ ").replace("\n", " ")
        if places is not None:
            places = places.flattened(text)
        matches = self.matched_spans(flat, lang, terms, places=places) if terms else []
        if not matches:
            end = _word_end(flat, size)
            return html.escape(flat[:end].replace(" ¶ ", " ")) + (
                ELLIPSIS if end < len(flat) else ""
            )
        fragments = _best_windows(flat, matches, size)
        parts = []
        for start, end in fragments:
            inside = [m for m in matches if m[0].start >= start and m[0].end <= end]
            piece = _render(flat, start, end, inside)
            prefix = ELLIPSIS if start > 0 else ""
            suffix = ELLIPSIS if end < len(flat) or len(text) > SNIPPET_SCAN_CHARS else ""
            parts.append(prefix + piece + suffix)
        return " ".join(parts).replace(" ¶ ", " ")


VOCABULARY_SIZE = 200_000  # analysed words remembered (all languages), then forgotten


class _Vocabulary:
    """Every word seen in a snippet's or title's text, by index term: the words that
    ``_matched_term`` would match are then a union of a few sets, not one analysis
    per word of every text on every page (the most of a page's snippet time)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._known: dict[str, set[str]] = {}  # language -> words analysed
        self._stems: dict[str, dict[str, set[str]]] = {}  # language -> term -> words
        self._folded: dict[str, set[str]] = {}  # folded key -> words
        self._size = 0

    def matching(
        self, distinct: set[str], lang: str, stems: set[str], folded: set[str]
    ) -> set[str]:
        """Those of ``distinct`` that have one of ``stems`` as a term in ``lang``, or
        whose folded key is one of ``folded`` (exactly ``_matched_term``'s rule)."""
        if not stems and not folded:
            return set()
        with self._lock:
            known = self._known.setdefault(lang, set())
            by_stem = self._stems.setdefault(lang, {})
            new = distinct.difference(known)
            if new:
                if self._size + len(new) > VOCABULARY_SIZE:
                    self._known, self._stems, self._folded, self._size = {}, {}, {}, 0
                    known = self._known[lang] = set()
                    by_stem = self._stems[lang] = {}
                    new = distinct
                for word in new:
                    for term in word_terms(word, lang)[1]:
                        by_stem.setdefault(term, set()).add(word)
                    self._folded.setdefault(folded_term(word), set()).add(word)
                known |= new
                self._size += len(new)
            found: set[str] = set()
            for term in stems:
                found |= by_stem.get(term, _NONE)
            for key in folded:
                found |= self._folded.get(key, _NONE)
        return distinct & found


_NONE: frozenset[str] = frozenset()
_VOCABULARY = _Vocabulary()


def _read_spans(
    text: str, lang: str, stems: set[str], folded: set[str], seen: dict[str, str]
) -> list[tuple[Span, str]]:
    """The matched words of ``text`` found by reading it: its distinct words by one
    C-level ``findall``; which of them the query matched by set operations on the
    process's table of analysed words; their places by one pattern (no Python loop
    per word of the text)."""
    distinct = set(WORD_PATTERN.findall(text))
    matched = _VOCABULARY.matching(distinct, lang, stems, folded)
    marked: list[tuple[Span, str]] = []
    if matched:
        for word in matched.difference(seen):
            seen[word] = _matched_term(word, lang, stems, folded)
        for match in _words_pattern(matched).finditer(text):
            word = match.group()
            marked.append((Span(word, match.start(), match.end()), seen[word]))
    return marked


def _placed_spans(
    text: str, lang: str, stems: set[str], folded: set[str], places: WordPlaces
) -> list[tuple[Span, str]]:
    """The matched words at the places the index gave, keyed as ``_matched_term`` keys
    them (the language field's term first, else the folded key)."""
    marked: list[tuple[Span, str]] = []
    for start in places.stems.keys() | places.folded.keys() | places.cut:
        match = WORD_PATTERN.match(text, start)
        if match is None:  # the index and the text disagree: nothing to mark here
            continue
        word = match.group()
        found = places.stems.get(start)
        cut = start in places.cut
        if found and len(found) == 1 and not cut:
            key = found[0]
        elif found or cut:  # several of the query's terms at one word: the first rule's
            key = _matched_term(word, lang, stems, folded)
        else:
            key = places.folded[start][0]
        if key:
            marked.append((Span(word, start, match.end()), key))
    return marked


def _words_pattern(words: set[str]) -> re.Pattern[str]:
    """Where ``words`` occur as whole words, exactly as ``WORD_PATTERN`` splits a text:
    not inside a longer word, nor joined to one by an apostrophe (``l'economie``)."""
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=lambda w: (-len(w), w)))
    return re.compile(rf"(?<!\w)(?<!\w['’])(?:{alternatives})(?!\w)(?!['’]\w)")


def _matched_term(word: str, lang: str, stems: set[str], folded: set[str]) -> str:
    """The query term ``word`` matched (its stem, else its folded key), or ""."""
    if stems:
        for term in word_terms(word, lang)[1]:
            if term in stems:
                return term
    if folded:
        key = folded_term(word)
        if key in folded:
            return key
    return ""


def _word_end(text: str, limit: int) -> int:
    if len(text) <= limit:
        return len(text)
    cut = text.rfind(" ", 0, limit)
    return cut if cut > limit // 2 else limit


def _best_windows(text: str, matches: list[tuple[Span, str]], size: int) -> list[tuple[int, int]]:
    """Windows covering the most distinct matched terms, then the most matches.

    A sliding window over the matches (two pointers), so a long document with
    thousands of matches costs linear time.
    """
    candidates = []
    end_index = 0
    counts: dict[str, int] = {}
    for i, (first, _) in enumerate(matches):
        start = max(0, first.start - size // 5)
        space = text.rfind(" ", 0, start)
        start = 0 if start == 0 or space < 0 else space + 1
        end = min(len(text), start + size)
        end = _word_end(text, end) if end < len(text) else end
        end_index = max(end_index, i)
        while end_index < len(matches) and matches[end_index][0].end <= end:
            key = matches[end_index][1]
            counts[key] = counts.get(key, 0) + 1
            end_index += 1
        inside = end_index - i
        keys = frozenset(counts)
        candidates.append((len(keys), inside, -start, start, end, keys))
        key = matches[i][1]
        if i < end_index:
            counts[key] -= 1
            if not counts[key]:
                del counts[key]
    candidates.sort(key=lambda c: c[:3], reverse=True)
    chosen = [candidates[0]]
    covered = set(candidates[0][5])
    for cand in candidates[1:]:
        if len(chosen) >= MAX_FRAGMENTS:
            break
        if cand[5] - covered and all(cand[3] >= c[4] or cand[4] <= c[3] for c in chosen):
            chosen.append(cand)
            covered |= cand[5]
    return sorted((c[3], c[4]) for c in chosen)


def _render(text: str, start: int, end: int, matches: Iterable[tuple[Span, str]]) -> str:
    out = []
    pos = start
    for span, _ in matches:
        if span.start < pos or span.end > end:
            continue
        out.append(html.escape(text[pos : span.start]))
        out.append(f"<mark>{html.escape(span.text)}</mark>")
        pos = span.end
    out.append(html.escape(text[pos:end]))
    return "".join(out)
