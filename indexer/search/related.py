"""Articles like this one: a description query made from the article itself.

In the manner of Lucene's MoreLikeThis: the article's words are analysed in
its language, each weighted by tf·idf (``1 + ln tf`` times BM25's idf), and
the most distinctive ones become an OR query, each word boosted by its
weight relative to the best. The folded field's most distinctive keys are
added too, so a name finds the same person written in another script or
language (Naghiyev, Нагиев), and so are the organizations the article is
tagged with, which are the same id in every language. The query is scored
by the same BM25 execution as a search; the article itself, and copies of
it (the same title and text), are left out.
"""

from __future__ import annotations

import heapq
import threading
from collections import Counter, OrderedDict
from math import log
from weakref import WeakKeyDictionary

from whoosh import query as wq
from whoosh.searching import Searcher

from indexer.analysis.language import analyze_words, fold_words
from indexer.analysis.tokens import WORD_PATTERN
from indexer.index.schema import FOLDED_BODY, body_field
from indexer.index.whoosh_internals import term_info
from indexer.search.execution import IndexStatistics, QueryExecution, top_by_score

# Chosen by a small grid on eval/multilingual (eval/related.py; figures in eval/RESULTS.md):
# shared organizations matter most there, the rest moved the result little.
LANGUAGE_TERMS = 15  # the article's most distinctive words in its own language
FOLDED_TERMS = 10  # and keys of the folded field, for other languages and scripts
FOLDED_WEIGHT = 0.25  # a folded key counts for this much of a language word of equal weight
ORG_WEIGHT = 8.0  # boost of each organization the article is tagged with
MAX_RELATED = 20
COMMON_FROM = 1000  # in an index this large or larger, words in many articles are left out:
COMMON_SHARE = 0.05  # more than this share (their weight is small, their postings long)
MAX_CACHED = 200_000  # document frequencies remembered per generation
MAX_REMEMBERED = 2048  # related lists remembered per generation


class _Frequencies:
    """Document frequencies of one generation, remembered (an article's words are
    mostly words other articles' related lists looked up already), read through
    the calling thread's own searcher (Whoosh readers are not shared by threads)."""

    def __init__(self, searcher: Searcher, cache: dict[tuple[str, str], int]):
        self.searcher = searcher
        self.leaves = [(s.reader(), offset) for s, offset in searcher.leaf_searchers()]
        self.cache = cache

    def __call__(self, fieldname: str, term: str) -> int:
        key = (fieldname, term)
        found = self.cache.get(key)
        if found is None:
            try:
                btext = self.searcher.schema[fieldname].to_bytes(term)
            except (KeyError, ValueError):  # a term the field cannot hold
                return 0
            found = sum(
                info.doc_frequency()
                for reader, _ in self.leaves
                if (info := term_info(reader, fieldname, btext)) is not None
            )
            if len(self.cache) >= MAX_CACHED:
                self.cache.clear()
            self.cache[key] = found
        return found


_FREQUENCIES: WeakKeyDictionary[IndexStatistics, dict] = WeakKeyDictionary()
_RESULTS: WeakKeyDictionary[IndexStatistics, OrderedDict] = WeakKeyDictionary()
_lock = threading.Lock()


def _distinctive(
    terms: Counter[str], frequency: _Frequencies, fieldname: str, count: int
) -> list[tuple[str, float]]:
    """The ``count`` terms with the highest tf·idf, as (term, weight) pairs."""
    total = max(frequency.searcher.doc_count_all(), 1)
    common = COMMON_SHARE * total if total >= COMMON_FROM else total + 1
    weighted = []
    for term, tf in terms.items():
        df = frequency(fieldname, term)
        if df <= 1 or df > common:
            continue  # only this article has it (nothing to find), or a great many do
        weighted.append((term, (1 + log(tf)) * log(1 + (total - df + 0.5) / (df + 0.5))))
    return heapq.nlargest(count, weighted, key=lambda item: item[1])


def description_query(frequency: _Frequencies, fields: dict) -> wq.Query | None:
    """The query that finds articles like the one whose stored ``fields`` are given."""
    lang = fields.get("lang") or "en"
    text = f"{fields.get('title') or ''}\n{fields.get('body') or ''}"
    own = _distinctive(Counter(analyze_words(text, lang)), frequency, body_field(lang),
                       LANGUAGE_TERMS)  # fmt: skip
    # Across languages only names help (a common word's key would repeat the
    # language terms' work over longer postings): keys of capitalised words.
    names = " ".join(w for w in WORD_PATTERN.findall(text) if w[:1].isupper())
    folded = _distinctive(Counter(fold_words(names)), frequency, FOLDED_BODY, FOLDED_TERMS)
    best = max((w for _, w in [*own, *folded]), default=0.0)
    if best <= 0 and not fields.get("organizations"):
        return None
    parts: list[wq.Query] = [wq.Term(body_field(lang), t, boost=w / best) for t, w in own]
    parts += [wq.Term(FOLDED_BODY, t, boost=FOLDED_WEIGHT * w / best) for t, w in folded]
    parts += [wq.Term("org", org, boost=ORG_WEIGHT) for org in fields.get("organizations") or ()]
    return wq.Or(parts)


def related_documents(
    searcher: Searcher, statistics: IndexStatistics, docnum: int, limit: int
) -> list[tuple[int, float]]:
    """Up to ``limit`` (document number, score) pairs of the articles most like ``docnum``.

    Remembered per generation (the most recent ``MAX_REMEMBERED`` articles), so
    a document page seen again costs nothing."""
    with _lock:
        frequency = _Frequencies(searcher, _FREQUENCIES.setdefault(statistics, {}))
        results = _RESULTS.setdefault(statistics, OrderedDict())
        found = results.get(docnum)  # (the limit it was made for, the list)
        if found is not None and (limit <= found[0] or len(found[1]) < found[0]):
            results.move_to_end(docnum)
            return found[1][:limit]
    ranked = _related(searcher, statistics, frequency, docnum, limit)
    with _lock:
        results[docnum] = (limit, ranked)
        while len(results) > MAX_REMEMBERED:
            results.popitem(last=False)
    return ranked


def _related(
    searcher: Searcher,
    statistics: IndexStatistics,
    frequency: _Frequencies,
    docnum: int,
    limit: int,
) -> list[tuple[int, float]]:
    fields = searcher.stored_fields(docnum)
    query = description_query(frequency, fields)
    if query is None:
        return []
    scores = QueryExecution(searcher, statistics).scores(query)
    scores.pop(docnum, None)
    own = (fields.get("title") or "", fields.get("body") or "")
    out: list[tuple[int, float]] = []
    # A few more than wanted, since copies of the article are dropped on the way.
    for candidate in top_by_score(scores, scores.keys(), limit + 10):
        other = searcher.stored_fields(candidate)
        if (other.get("title") or "", other.get("body") or "") == own:
            continue
        out.append((candidate, scores[candidate]))
        if len(out) == limit:
            break
    return out
