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
from collections import Counter
from math import log

from whoosh import query as wq
from whoosh.searching import Searcher

from indexer.analysis.language import analyze_words, fold_words
from indexer.index.schema import FOLDED_BODY, body_field
from indexer.search.execution import IndexStatistics, QueryExecution, top_by_score

# Chosen by a small grid on eval/multilingual (eval/related.py; figures in eval/RESULTS.md):
# shared organizations matter most there, the rest moved the result little.
LANGUAGE_TERMS = 15  # the article's most distinctive words in its own language
FOLDED_TERMS = 10  # and keys of the folded field, for other languages and scripts
FOLDED_WEIGHT = 0.25  # a folded key counts for this much of a language word of equal weight
ORG_WEIGHT = 8.0  # boost of each organization the article is tagged with
MAX_RELATED = 20


def _distinctive(terms: Counter, searcher: Searcher, fieldname: str, count: int):
    """The ``count`` terms with the highest tf·idf, as (term, weight) pairs."""
    reader = searcher.reader()
    total = max(reader.doc_count_all(), 1)
    weighted = []
    for term, tf in terms.items():
        try:
            df = reader.doc_frequency(fieldname, term)
        except (KeyError, ValueError):  # a term the field cannot hold
            continue
        if df <= 1:
            continue  # only this article has it: nothing to find
        weighted.append((term, (1 + log(tf)) * log(1 + (total - df + 0.5) / (df + 0.5))))
    return heapq.nlargest(count, weighted, key=lambda item: item[1])


def description_query(searcher: Searcher, fields: dict) -> wq.Query | None:
    """The query that finds articles like the one whose stored ``fields`` are given."""
    lang = fields.get("lang") or "en"
    text = f"{fields.get('title') or ''}\n{fields.get('body') or ''}"
    own = _distinctive(Counter(analyze_words(text, lang)), searcher, body_field(lang),
                       LANGUAGE_TERMS)  # fmt: skip
    folded = _distinctive(Counter(fold_words(text)), searcher, FOLDED_BODY, FOLDED_TERMS)
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
    """Up to ``limit`` (document number, score) pairs of the articles most like ``docnum``."""
    fields = searcher.stored_fields(docnum)
    query = description_query(searcher, fields)
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
