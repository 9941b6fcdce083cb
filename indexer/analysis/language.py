"""Language detection and the per-language analysis chain.

Detection answers any language py3langid knows (``indexer.languages``), or
``und`` when the text is too short or too mixed to be sure. One registry
(``LANGUAGES``) holds the languages with their own analysis: every language
with a Snowball stemmer in PyStemmer (and Azerbaijani, which borrows the
Turkish one, its closest relative). Analysis per language: the shared word
tokenizer, apostrophe handling (Turkic case endings, French/Italian/Catalan
elision), case folding (Turkish/Azerbaijani-aware for İ/ı), stop words where
Whoosh (or ``stopwords``) has a list, and Snowball stemming through PyStemmer
(C, with its own cache: about 20× faster than Whoosh's pure-Python stemmers).
Every other language, and ``und``, gets the language-neutral analysis: the
folded field only, case-folded words, no stemming and no stop words, rather
than another language's stemmer.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import Stemmer
from whoosh.analysis import CompositeAnalyzer, Filter, RegexTokenizer, Token

from indexer.analysis.folding import casefold_default, casefold_turkic, name_key
from indexer.analysis.stopwords import STOPWORDS
from indexer.analysis.tokens import WORD_PATTERN, strip_suffix_after_apostrophe
from indexer.model import LANGUAGE_NAMES, SUPPORTED_LANGUAGES, UNDETERMINED

DEFAULT_LANGUAGE = UNDETERMINED
# py3langid's normalized probability over its ~140 languages. Whole news articles
# score > 0.99; a short headline or a text mixing languages scores lower, and is
# then left undetermined rather than guessed (measured: README, "Languages").
MIN_DETECTION_CONFIDENCE = 0.9
MIN_DETECTION_LETTERS = 20


@dataclass(frozen=True, slots=True)
class LanguageSpec:
    code: str
    stemmer: str | None  # PyStemmer algorithm; None: language-neutral (no stemming)
    casefold: Callable[[str], str] = casefold_default
    cut_apostrophe_suffix: bool = False  # Turkic "Bakü'de", German/Russian names
    cut_elision: bool = False  # French/Italian/Catalan "l'homme", "dell'anno"


# Languages with their own analysis (fields title_xx/body_xx): the five the
# project began with, then every other py3langid language PyStemmer can stem.
_STEMMED = {
    "en": "english", "de": "german", "ru": "russian", "tr": "turkish", "az": "turkish",
    "ar": "arabic", "ca": "catalan", "cs": "czech", "da": "danish", "el": "greek",
    "eo": "esperanto", "es": "spanish", "et": "estonian", "eu": "basque", "fa": "persian",
    "fi": "finnish", "fr": "french", "ga": "irish", "hi": "hindi", "hu": "hungarian",
    "hy": "armenian", "id": "indonesian", "it": "italian", "lt": "lithuanian", "ne": "nepali",
    "nl": "dutch", "no": "norwegian", "pl": "polish", "pt": "portuguese", "ro": "romanian",
    "sr": "serbian", "st": "sesotho", "sv": "swedish", "ta": "tamil",
}  # fmt: skip
_SUFFIX_AFTER_APOSTROPHE = {"de", "ru", "tr", "az"}
_ELISION = {"fr", "it", "ca"}
_TURKIC = {"tr", "az"}
LANGUAGES: dict[str, LanguageSpec] = {
    code: LanguageSpec(
        code,
        algorithm,
        casefold_turkic if code in _TURKIC else casefold_default,
        cut_apostrophe_suffix=code in _SUFFIX_AFTER_APOSTROPHE,
        cut_elision=code in _ELISION,
    )
    for code, algorithm in _STEMMED.items()
    if algorithm in Stemmer.algorithms()  # an older PyStemmer may lack a few
}
assert set(SUPPORTED_LANGUAGES) <= set(LANGUAGES) <= set(LANGUAGE_NAMES)
NEUTRAL = LanguageSpec(UNDETERMINED, None)
_ELIDED = re.compile(
    r"^(?:\w{1,2}|qu|jusqu|lorsqu|puisqu|quoiqu|quelqu|dell|nell|dall|sull|all)['’]", re.I
)


def spec_for(lang: str | None) -> LanguageSpec:
    """The analysis settings of ``lang``: its own, or the neutral ones."""
    return LANGUAGES.get(lang or UNDETERMINED, NEUTRAL)


def has_own_analysis(lang: str | None) -> bool:
    """Whether ``lang`` has its own fields (stemmer); otherwise only the folded field."""
    return lang in LANGUAGES


_local = threading.local()


def _stemmer(algorithm: str) -> Stemmer.Stemmer:
    # PyStemmer objects are not thread-safe; keep one per thread.
    cache = _local.__dict__.setdefault("stemmers", {})
    if algorithm not in cache:
        cache[algorithm] = Stemmer.Stemmer(algorithm, 30_000)
    return cache[algorithm]


def normalize_word(word: str, lang: str) -> str:
    """Case-fold one word the way ``lang`` writes it (no stemming, no stop words)."""
    spec = spec_for(lang)
    if spec.cut_apostrophe_suffix:
        word = strip_suffix_after_apostrophe(word)
    else:
        word = word.replace("’", "'")
        if spec.cut_elision:
            word = _ELIDED.sub("", word)
    word = spec.casefold(word)
    if lang == "ru":
        word = word.replace("ё", "е")
    return word


def stem_word(word: str, lang: str) -> str:
    """Normalized and stemmed form of one word (only normalized for a neutral language)."""
    terms = word_terms(word, lang)[1]  # the word table's: a Turkish lemma is looked up once
    if terms:
        return terms[0]
    algorithm = spec_for(lang).stemmer
    normalized = normalize_word(word, lang)
    if lang == "tr" and turkish_analysis() != SNOWBALL:
        return turkish_key(normalized)
    return _stemmer(algorithm).stemWord(normalized) if algorithm else normalized


# --- Turkish index keys: Snowball, or the lemma tables of simplemma (eval/TURKISH.md) ---
#
# Snowball Turkish under-stems case chains (seçimlerde, seçim) and merges unrelated
# words (seçim, seçti). simplemma ships Turkish lemma tables in its wheel (read from
# the package, nothing downloaded); the low-memory tables cost ~20 MB a process
# instead of ~110 MB, and every word's key is cached in the word table below.
SNOWBALL = "snowball"  # Snowball stem of every word (the analysis before lemmas)
LEMMA = "lemma"  # the tables' lemma where they know the word, else the word as it is
LEMMA_SNOWBALL = "lemma+snowball"  # the lemma where known, else the Snowball stem
STEMMED_LEMMA = "snowball(lemma)"  # the Snowball stem of the lemma (of the word if unknown)
TURKISH_ANALYSES = (SNOWBALL, LEMMA, LEMMA_SNOWBALL, STEMMED_LEMMA)
TURKISH_ANALYSIS = LEMMA_SNOWBALL  # the shipped choice: it measured best (eval/TURKISH.md)
_turkish_choice = [TURKISH_ANALYSIS]


def turkish_analysis() -> str:
    return _turkish_choice[0]


def analysis_signature() -> str:
    """What an index's terms depend on beyond the code version: part of every
    document's checksum, so an index analysed otherwise is re-indexed."""
    return f"tr={turkish_analysis()}"


def set_turkish_analysis(name: str) -> None:
    """Choose the Turkish index key (eval/turkish.py compares them on one corpus);
    an index must be built and searched with the same choice."""
    if name not in TURKISH_ANALYSES:
        raise ValueError(f"{name!r} is not one of {', '.join(TURKISH_ANALYSES)}")
    _turkish_choice[0] = name
    _WORDS["tr"].clear()


@lru_cache(maxsize=1)
def _turkish_lemmas() -> Any:  # simplemma's dictionary strategy (simplemma is untyped here)
    from simplemma.strategies import DictionaryLookupStrategy
    from simplemma.strategies.default import LOW_MEMORY_DICTIONARY_FACTORY

    return DictionaryLookupStrategy(LOW_MEMORY_DICTIONARY_FACTORY)


def preload_analysis() -> None:
    """Load what the first Turkish word would (the lemma tables, ~0.5 s): a search
    service does when it opens, so no first search pays for it inside its time limit,
    and a server before forking its workers, so they share the tables."""
    if turkish_analysis() != SNOWBALL:
        turkish_lemma("seçim")


def turkish_lemma(normalized: str) -> str | None:
    """The lemma simplemma's Turkish tables give a normalized word, or None if unknown."""
    lemma = _turkish_lemmas().get_lemma(normalized, "tr")
    return casefold_turkic(lemma) if isinstance(lemma, str) and lemma else None


def turkish_key(normalized: str, analysis: str | None = None) -> str:
    """The Turkish field's term for a normalized word under ``analysis``."""
    analysis = analysis or turkish_analysis()
    stem = _stemmer("turkish").stemWord
    if analysis == SNOWBALL:
        return str(stem(normalized))
    lemma = turkish_lemma(normalized)
    if analysis == LEMMA:
        return lemma or normalized
    if analysis == LEMMA_SNOWBALL:
        return lemma or str(stem(normalized))
    return str(stem(lemma or normalized))


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
_NEUTRAL_WORDS: dict[str, tuple[str, tuple[str, ...]]] = {}
_FOLDED: dict[str, str] = {}


def word_terms(word: str, lang: str) -> tuple[str, tuple[str, ...]]:
    """(normalized word, its index terms in ``lang``); no terms for a stop word."""
    table = _WORDS.get(lang, _NEUTRAL_WORDS)
    found = table.get(word)
    if found is None:
        normalized = normalize_word(word, lang)
        algorithm = spec_for(lang).stemmer
        if not normalized or normalized in STOPWORDS.get(lang, ()):
            found = (normalized, ())
        elif algorithm is None:
            found = (normalized, (normalized,))
        elif lang == "tr" and turkish_analysis() != SNOWBALL:
            found = (normalized, (turkish_key(normalized),))
        else:
            stem = _stemmer(algorithm).stemWord
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
    return normalized in STOPWORDS.get(lang, ())


def analyze_words(text: str, lang: str) -> list[str]:
    """Index terms of ``text`` for ``lang`` (stop words dropped), in order."""
    return [term for word in WORD_PATTERN.findall(text) for term in word_terms(word, lang)[1][:1]]


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

    def places(self, words: list[tuple[str, int]]) -> Iterator[tuple[str, int, int]]:
        """(term, position, start) of a text's (word, start) pairs as ``__call__`` indexes
        them (stop words dropped, compound heads at their word's position): the
        index-time path, without a Token object and generator stage per word."""
        lang = self.lang
        pos = 0
        for word, start in words:
            terms = word_terms(word, lang)[1]
            if not terms:
                continue
            for term in terms:
                yield term, pos, start
            pos += 1


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

    def places(self, words: list[tuple[str, int]]) -> Iterator[tuple[str, int, int]]:
        """(term, position, start) as ``__call__`` indexes them (see LanguageFilter)."""
        pos = 0
        for word, start in words:
            key = folded_term(word)
            if not key:
                continue
            yield key, pos, start
            pos += 1


def index_places(analyzer: Any, text: str) -> Iterator[tuple[str, int, int]] | None:
    """(term, position, start) of ``text`` under one of this module's analyzers, its
    words split once for all the fields that index the same text (a body goes to its
    language's field and the folded one); None for any other analyzer."""
    items: Sequence[Any] = getattr(analyzer, "items", ())
    if len(items) != 2 or not isinstance(items[1], LanguageFilter | FoldFilter):
        return None
    tokenizer = items[0]
    if not isinstance(tokenizer, RegexTokenizer) or tokenizer.gaps:
        return None
    if tokenizer.expression.pattern != WORD_PATTERN.pattern:
        return None
    last = _last_split[0]  # one tuple, replaced whole: safe across threads
    if last[0] is text:
        words = last[1]
    else:
        words = [(m.group(), m.start()) for m in WORD_PATTERN.finditer(text)]
        _last_split[0] = (text, words)
    return items[1].places(words)


_last_split: list[tuple[str | None, list[tuple[str, int]]]] = [(None, [])]


def language_analyzer(lang: str) -> CompositeAnalyzer:
    return RegexTokenizer(WORD_PATTERN) | LanguageFilter(lang)


def folded_analyzer() -> CompositeAnalyzer:
    return RegexTokenizer(WORD_PATTERN) | FoldFilter()


# --- detection ---


@lru_cache(maxsize=1)
def _identifier() -> Any:  # a py3langid LanguageIdentifier (py3langid has no types)
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)


# py3langid's regional varieties and ancient forms share most n-grams with a major
# language and take probability from it: an English news text with many Nigerian
# names scored 0.78 English + 0.22 Nigerian Pidgin. Their mass counts for the major
# language, and an article is recorded as it: recording the variety when it leads
# labelled Global Voices' Arabic passages Moroccan (0.78 ary, 0.10 ar; README).
_VARIETY_OF = {
    "pcm": "en", "crh": "tr", "uzs": "uz", "ary": "ar", "arz": "ar", "sdh": "ku",
    "wuu": "zh", "yue": "zh", "nn": "no", "hbo": "he", "grc": "el",
}  # fmt: skip
DETECTION_SAMPLE = 3000  # characters read: enough to decide, in up to three parts
DETECTION_PART = 1000
MIN_PART_LETTERS = 200  # a shorter part (the tail) is too short to vote
MIN_MAJORITY = 0.6  # share of the letters whose part agrees; below it the text is mixed


def _best(text: str) -> tuple[str, float]:
    totals: dict[str, float] = {}
    for lang, probability in _identifier().rank(text):
        lang = _VARIETY_OF.get(lang, lang)
        totals[lang] = totals.get(lang, 0.0) + probability
    return max(totals.items(), key=lambda item: item[1])


def _letters(text: str) -> int:
    return sum(ch.isalpha() for ch in text)


def detect_language(text: str, default: str = DEFAULT_LANGUAGE) -> str:
    """The language of ``text`` (any py3langid knows), or ``default`` (``und``) when unsure.

    py3langid runs offline with the model shipped in the wheel. The first
    ``DETECTION_SAMPLE`` characters are classified in parts: too few letters, a
    best guess below ``MIN_DETECTION_CONFIDENCE`` (short text) or parts that
    disagree (mixed text) give ``default``: not guessed. Letters unique to
    Azerbaijani (ə) decide between it and Turkish, which the model confuses.
    """
    sample = text[:DETECTION_SAMPLE]
    if _letters(sample) < MIN_DETECTION_LETTERS:
        return default
    parts = [sample[i : i + DETECTION_PART] for i in range(0, len(sample), DETECTION_PART)]
    votes = [(part, _letters(part)) for part in parts]
    votes = [(part, n) for part, n in votes if n >= MIN_PART_LETTERS] or [(sample, 1)]
    found = [(*_best(part), n) for part, n in votes]
    weight: dict[str, int] = {}
    for lang, _, n in found:
        weight[lang] = weight.get(lang, 0) + n
    lang = max(weight, key=weight.__getitem__)
    if weight[lang] < MIN_MAJORITY * sum(weight.values()):
        return default  # mixed: its parts are in different languages
    agreeing = [p for found_lang, p, _ in found if found_lang == lang]
    confidence = sum(agreeing) / len(agreeing)
    if lang in ("tr", "az"):
        lowered = sample.lower()
        if "ə" in lowered:
            return "az"
        if lang == "az" and any(ch in lowered for ch in "âîû"):
            return "tr"
    if confidence < MIN_DETECTION_CONFIDENCE or lang not in LANGUAGE_NAMES:
        return default  # unsure, or "zxx" (no linguistic content)
    return lang
