"""Ranking: BM25 per field, and how a word's fields combine into one score.

Two corrections to what Whoosh gives out of the box, both measured with the
TREC evaluation in ``eval/`` (figures in eval/RESULTS.md):

* ``BestField`` replaces ``whoosh.query.DisjunctionMax``, whose matcher
  (whoosh 2.7.4 and whoosh-reloaded 2.7.5) takes the maximum over
  sub-matchers *without checking that they sit on the current document*: a
  document got the score of whatever other document a sibling field's
  posting list was positioned on, and the tie-breaker was ignored. Here a
  word scores its best field on this document, plus ``tiebreak`` times its
  other matching fields.
* ``Bm25`` uses Lucene's BM25 idf, ``log(1 + (N - n + 0.5) / (n + 0.5))``,
  instead of Whoosh's ``log(N / (n + 1)) + 1``, whose ``+ 1`` floor lets
  words found in most documents weigh nearly as much as rare ones.

Titles are short, so length normalization (b) matters less there. Every
ranking constant is here; the parser (``parsing``) puts the boosts on the
query it builds, and ``execution`` scores exactly as these matchers do.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from math import log
from typing import Any

from whoosh import matching, scoring
from whoosh import query as wq
from whoosh.searching import SearchContext, Searcher

from indexer.analysis.language import LANGUAGES
from indexer.index.schema import FOLDED_TITLE, title_field

K1 = 2.0  # term-frequency saturation; 0.9 (Anserini's), 1.2 and 1.5 measured lower
B = 0.75  # body length normalization
TITLE_B = 0.5
# Boosts, each kept because it measured better on the TREC collections and
# the multilingual set (eval/RESULTS.md has the figures before and after each change).
TITLE_BOOST = 1.25  # a headline word counts a quarter more than a body word
FOLDED_BOOST = 0.7  # the folded skeleton is looser than a stemmed word: rank it a little lower
ORG_BOOST = 0.8  # an article tagged with a named organization but not using these words
TIEBREAK = 0.3  # a word's other matching fields add this share of their scores to the best one
# The folded field keeps every language's stop words: there a stop word of any language
# still matches (so "the who" finds something) but adds nothing to the score.
STOPWORD_FOLDED_BOOST = 0.0


_TITLE_FIELDS = frozenset([*(title_field(lang) for lang in LANGUAGES), FOLDED_TITLE])


class Bm25(scoring.BM25F):
    """Whoosh's per-field BM25 with Lucene's idf (never below zero, no +1 floor)."""

    def idf(self, searcher: Searcher, fieldname: str, text: str) -> float:
        parent = searcher.get_parent()
        n = parent.doc_frequency(fieldname, text)
        total = parent.doc_count_all()
        return log(1 + (total - n + 0.5) / (n + 0.5))


def field_b(fieldname: str) -> float:
    """The length normalization b of a field: titles less than bodies."""
    return TITLE_B if fieldname in _TITLE_FIELDS else B


def weighting() -> scoring.WeightingModel:
    return Bm25(B=B, K1=K1, **{f"{name}_B": TITLE_B for name in _TITLE_FIELDS})


class BestField(wq.DisjunctionMax):
    """One word over several fields: the best field's score, plus ``tiebreak`` × the others'."""

    # keep the tie-breaker (CompoundQuery.apply drops it)
    def apply(self, fn: Callable[[wq.Query], wq.Query]) -> BestField:
        return self.__class__([fn(q) for q in self.subqueries], boost=self.boost,
                              tiebreak=self.tiebreak)  # fmt: skip

    def _matcher(
        self, subs: Sequence[wq.Query], searcher: Searcher, context: SearchContext | None
    ) -> matching.Matcher:
        children = [q.matcher(searcher, context) for q in subs]
        return _boosted(BestFieldMatcher(children, self.tiebreak), self.boost)


class Coordinated(wq.Or):
    """Any of several words, the sum of their scores scaled by the share of words matched.

    ``(matched / words) ** power``: with power 0 a plain OR; higher powers put
    documents with more of the words ahead of documents with one frequent word.
    """

    def __init__(
        self, subqueries: Sequence[wq.Query], boost: float = 1.0, power: float = 1.0
    ) -> None:
        super().__init__(subqueries, boost=boost)
        self.power = power

    def apply(self, fn: Callable[[wq.Query], wq.Query]) -> Coordinated:
        return self.__class__([fn(q) for q in self.subqueries], boost=self.boost,
                              power=self.power)  # fmt: skip

    def normalize(self) -> wq.Query:
        norm = super().normalize()
        if isinstance(norm, Coordinated):
            norm.power = self.power
        return norm

    def _matcher(
        self, subs: Sequence[wq.Query], searcher: Searcher, context: SearchContext | None
    ) -> matching.Matcher:
        children = [q.matcher(searcher, context) for q in subs]
        return _boosted(CoordinatedMatcher(children, self.power, len(children)), self.boost)


def _boosted(m: matching.Matcher, boost: float) -> matching.Matcher:
    return m if boost == 1.0 else matching.WrappingMatcher(m, boost)


class _UnionMatcher(matching.Matcher):
    """The union of the children's documents; ``_combine`` scores the children on the
    current document only (unlike Whoosh's DisjunctionMaxMatcher)."""

    def __init__(self, children: list[matching.Matcher]):
        self._original = list(children)
        self._all = self._original
        self._settle()

    def _settle(self) -> None:
        """Drop exhausted children and find the current document."""
        self._children = [c for c in self._all if c.is_active()]
        self._id = min(c.id() for c in self._children) if self._children else None

    def _current(self) -> list[matching.Matcher]:
        docnum = self._id
        return [c for c in self._children if c.id() == docnum]

    def _combine(self, values: list[float]) -> float:
        raise NotImplementedError

    def _rebuild(self, children: list[matching.Matcher]) -> matching.Matcher:
        raise NotImplementedError

    def is_active(self) -> bool:
        return self._id is not None

    def reset(self) -> None:
        for c in self._original:
            c.reset()
        self._all = self._original
        self._settle()

    def children(self) -> list[matching.Matcher]:
        return list(self._children)

    def copy(self) -> matching.Matcher:
        return self._rebuild([c.copy() for c in self._children])

    def replace(self, minquality: float = 0) -> matching.Matcher:
        active = [r for c in self._children if (r := c.replace()).is_active()]
        if not active:
            return matching.NullMatcher()
        if len(active) == len(self._children) and all(
            a is c for a, c in zip(active, self._children, strict=True)
        ):
            return self
        return self._rebuild(active)

    def id(self) -> int:
        if self._id is None:
            raise matching.ReadTooFar
        return self._id

    def next(self) -> bool:
        docnum = self._id
        if docnum is None:
            raise matching.ReadTooFar
        for c in self._children:
            if c.id() == docnum:
                c.next()
        self._all = self._children
        self._settle()
        return False

    def skip_to(self, docnum: int) -> bool:
        if self._id is None:
            raise matching.ReadTooFar
        if docnum <= self._id:
            return False
        for c in self._children:
            if c.id() < docnum:
                c.skip_to(docnum)
        self._all = self._children
        self._settle()
        return False

    def supports(self, astype: str) -> bool:
        return all(c.supports(astype) for c in self._children)

    def value(self) -> Any:
        return self._current()[0].value()

    def value_as(self, astype: str) -> Any:
        return self._current()[0].value_as(astype)

    def spans(self) -> list[Any]:  # whoosh.query.spans.Span
        return sorted({span for c in self._current() for span in c.spans()})

    def weight(self) -> float:
        return self._combine([c.weight() for c in self._current()])

    def score(self) -> float:
        return self._combine([c.score() for c in self._current()])

    def supports_block_quality(self) -> bool:
        return False  # scored document by document; see Exhaustive

    def max_quality(self) -> float:
        return sum(c.max_quality() for c in self._children)


class BestFieldMatcher(_UnionMatcher):
    def __init__(self, children: list[matching.Matcher], tiebreak: float = 0.0):
        self.tiebreak = tiebreak
        super().__init__(children)

    def _rebuild(self, children: list[matching.Matcher]) -> matching.Matcher:
        return children[0] if len(children) == 1 else BestFieldMatcher(children, self.tiebreak)

    def _combine(self, values: list[float]) -> float:
        if len(values) == 1:
            return values[0]
        best = max(values)
        return best + self.tiebreak * (sum(values) - best)


class CoordinatedMatcher(_UnionMatcher):
    def __init__(self, children: list[matching.Matcher], power: float, words: int):
        self.power = power
        self.words = max(words, 1)
        super().__init__(children)

    def _rebuild(self, children: list[matching.Matcher]) -> matching.Matcher:
        return CoordinatedMatcher(children, self.power, self.words)

    def _combine(self, values: list[float]) -> float:
        return sum(values) * (len(values) / self.words) ** self.power


class Exhaustive(wq.WrappingQuery):
    """Scores every matching document, turning off Whoosh's top-N pruning.

    Once the top N are found, Whoosh's collector calls ``replace(minscore)``
    on the matcher tree to drop parts that can no longer reach the top; but a
    boosted term's wrapper passes that threshold down unscaled, so a title
    match (boost 2) whose raw score is below the threshold was dropped while
    its boosted score would have ranked it near the top. Exhaustive scoring
    keeps rankings exact; the cost is measured in bench/.
    """

    def matcher(self, searcher: Searcher, context: SearchContext | None = None) -> matching.Matcher:
        return ExhaustiveMatcher(self.child.matcher(searcher, context))


class ExhaustiveMatcher(matching.WrappingMatcher):
    def _replacement(self, newchild: matching.Matcher) -> ExhaustiveMatcher:
        return ExhaustiveMatcher(newchild)

    def replace(self, minquality: float = 0) -> matching.Matcher:
        replaced = self.child.replace(0)
        return self if replaced is self.child else ExhaustiveMatcher(replaced)

    def supports_block_quality(self) -> bool:
        return False
