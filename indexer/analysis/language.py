"""Language detection and the per-language analysis chain.

One registry (``LANGUAGES``) maps a language code to its settings; adding a
language is one entry. Analysis per language: the shared word tokenizer,
apostrophe handling, case folding (Turkish/Azerbaijani-aware for İ/ı), stop
words, and Snowball stemming through PyStemmer (C, with its own cache: about
20× faster than Whoosh's pure-Python stemmers). Azerbaijani has no Snowball
stemmer; the Turkish one, its closest relative, is used instead.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import Stemmer
from whoosh.analysis import CompositeAnalyzer, Filter, RegexTokenizer, Token

from indexer.analysis.folding import casefold_default, casefold_turkic, name_key
from indexer.analysis.stopwords import STOPWORDS
from indexer.analysis.tokens import WORD_PATTERN, strip_suffix_after_apostrophe
from indexer.model import SUPPORTED_LANGUAGES

DEFAULT_LANGUAGE = "en"
MIN_DETECTION_CONFIDENCE = 0.5
MIN_DETECTION_LETTERS = 20


@dataclass(frozen=True, slots=True)
class LanguageSpec:
    code: str
    stemmer: str
    casefold: Callable[[str], str]
    cut_apostrophe_suffix: bool


LANGUAGES: dict[str, LanguageSpec] = {
    "en": LanguageSpec("en", "english", casefold_default, False),
    "de": LanguageSpec("de", "german", casefold_default, True),
    "ru": LanguageSpec("ru", "russian", casefold_default, True),
    "tr": LanguageSpec("tr", "turkish", casefold_turkic, True),
    "az": LanguageSpec("az", "turkish", casefold_turkic, True),
}
assert tuple(LANGUAGES) == SUPPORTED_LANGUAGES

_local = threading.local()


def _stemmer(algorithm: str) -> Stemmer.Stemmer:
    # PyStemmer objects are not thread-safe; keep one per thread.
    cache = _local.__dict__.setdefault("stemmers", {})
    if algorithm not in cache:
        cache[algorithm] = Stemmer.Stemmer(algorithm, 30_000)
    return cache[algorithm]


def normalize_word(word: str, lang: str) -> str:
    """Case-fold one word the way ``lang`` writes it (no stemming, no stop words)."""
    spec = LANGUAGES[lang]
    if spec.cut_apostrophe_suffix:
        word = strip_suffix_after_apostrophe(word)
    else:
        word = word.replace("’", "'")
    word = spec.casefold(word)
    if lang == "ru":
        word = word.replace("ё", "е")
    return word


def stem_word(word: str, lang: str) -> str:
    """Normalized and stemmed form of one word, as stored in the ``lang`` field."""
    return _stemmer(LANGUAGES[lang].stemmer).stemWord(normalize_word(word, lang))


_GERMAN_JOINT = re.compile(r"(?<=[^aeiouäöü]s)|(?<=ungs)|(?<=heits)|(?<=keits)")
MIN_COMPOUND = 12


def compound_heads(normalized: str, lang: str) -> list[str]:
    """Heads of a German compound, split after a linking -s- ("Staats|sicherheits|dienstes").

    Indexed beside the whole word so that ``Sicherheitsdienst`` and ``Dienst`` find
    ``Staatssicherheitsdienstes``. A wrong split only adds a rare extra term.
    """
    if lang != "de" or len(normalized) < MIN_COMPOUND:
        return []
    heads = []
    for match in _GERMAN_JOINT.finditer(normalized):
        cut = match.start()
        if cut >= 4 and len(normalized) - cut >= 5:
            heads.append(normalized[cut:])
    return heads


# Each surface word's analysis, per process: news text is Zipfian, so a bounded table
# answers most tokens of an indexing run and most words of a snippet without
# case-folding and stemming them again (profiled: ~20 % of a build). Emptied when
# full; dict operations are atomic under the GIL, so threads only ever recompute.
WORD_TABLE_SIZE = 100_000
_WORDS: dict[str, dict[str, tuple[str, tuple[str, ...]]]] = {lang: {} for lang in LANGUAGES}
_FOLDED: dict[str, str] = {}


def word_terms(word: str, lang: str) -> tuple[str, tuple[str, ...]]:
    """(normalized word, its index terms in ``lang``); no terms for a stop word."""
    table = _WORDS[lang]
    found = table.get(word)
    if found is None:
        normalized = normalize_word(word, lang)
        if not normalized or normalized in STOPWORDS[lang]:
            found = (normalized, ())
        else:
            stem = _stemmer(LANGUAGES[lang].stemmer).stemWord
            heads = compound_heads(normalized, lang)
            found = (normalized, (stem(normalized), *(stem(head) for head in heads)))
        if len(table) >= WORD_TABLE_SIZE:
            table.clear()
        table[word] = found
    return found


def index_terms(word: str, lang: str) -> list[str]:
    """Every term the ``lang`` field holds for one word: its stem, plus compound heads."""
    return list(word_terms(word, lang)[1])


def is_stopword(normalized: str, lang: str) -> bool:
    return normalized in STOPWORDS[lang]


def analyze_words(text: str, lang: str) -> list[str]:
    """Index terms of ``text`` for ``lang`` (stop words dropped), in order."""
    out = []
    for word in WORD_PATTERN.findall(text):
        normalized = normalize_word(word, lang)
        if normalized and normalized not in STOPWORDS[lang]:
            out.append(_stemmer(LANGUAGES[lang].stemmer).stemWord(normalized))
    return out


def fold_words(text: str) -> list[str]:
    """Terms of the language-neutral folded field."""
    return [key for word in WORD_PATTERN.findall(text) if (key := folded_term(word))]


def folded_term(word: str) -> str:
    """The folded field's term for one word (cached like ``word_terms``)."""
    found = _FOLDED.get(word)
    if found is None:
        found = name_key(strip_suffix_after_apostrophe(word))
        if len(_FOLDED) >= WORD_TABLE_SIZE:
            _FOLDED.clear()
        _FOLDED[word] = found
    return found


# --- Whoosh analysis filters (module-level classes: the schema is pickled) ---


class LanguageFilter(Filter):
    """Normalize, drop stop words and stem tokens for one language."""

    def __init__(self, lang: str):
        self.lang = lang

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LanguageFilter) and other.lang == self.lang

    def __hash__(self) -> int:
        return hash(("LanguageFilter", self.lang))

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        lang = self.lang
        pos = 0
        for token in tokens:
            normalized, terms = word_terms(token.text, lang)
            if not terms:  # a stop word
                if token.mode == "query" or not token.removestops:
                    token.stopped = True
                    token.text = normalized
                    yield token
                continue
            token.text = terms[0]
            if token.positions:
                token.pos = pos
                pos += 1
            yield token
            for head in terms[1:]:  # compound heads, at the same position
                token.text = head
                yield token


class FoldFilter(Filter):
    """Replace each token with its language-neutral name key."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FoldFilter)

    def __hash__(self) -> int:
        return hash("FoldFilter")

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        pos = 0
        for token in tokens:
            key = folded_term(token.text)
            if not key:
                continue
            token.text = key
            if token.positions:
                token.pos = pos
                pos += 1
            yield token


def language_analyzer(lang: str) -> CompositeAnalyzer:
    return RegexTokenizer(WORD_PATTERN) | LanguageFilter(lang)


def folded_analyzer() -> CompositeAnalyzer:
    return RegexTokenizer(WORD_PATTERN) | FoldFilter()


# --- detection ---


@lru_cache(maxsize=1)
def _identifier() -> Any:  # a py3langid LanguageIdentifier (py3langid has no types)
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(SUPPORTED_LANGUAGES))
    return identifier


def detect_language(text: str, default: str = DEFAULT_LANGUAGE) -> str:
    """Best supported language for ``text``; ``default`` when there is too little to tell.

    py3langid (offline, model shipped in the wheel) restricted to the supported
    set. Letters unique to Azerbaijani (ə) decide between it and Turkish, which
    the character n-gram model confuses on short texts.
    """
    sample = text[:5000]
    letters = sum(ch.isalpha() for ch in sample)
    if letters < MIN_DETECTION_LETTERS:
        return default
    lang, confidence = _identifier().classify(sample)
    if lang in ("tr", "az"):
        lowered = sample.lower()
        if "ə" in lowered:
            return "az"
        if lang == "az" and any(ch in lowered for ch in "âîû"):
            return "tr"
    if confidence < MIN_DETECTION_CONFIDENCE:
        return default
    return lang
