"""Running a compiled query: every matching document with its score, term at a time.

Whoosh evaluates a query document at a time through a tree of Python
matcher objects. A Dossier word is a best-field query over a dozen language
fields, so every posting costs a dozen method calls per tree level; the
profiles in bench/PROFILES.md put most of the query time there. A news
search needs the whole match set anyway (facet counts are taken over every
match), so here each term's posting list is read a block at a time into a
``{document number: score}`` map and the query tree combines those maps
with dict and set operations — the way Lucene's term-at-a-time scorers and
most Python search engines that are fast (e.g. bm25s) work.

The scores are the ones the matcher classes in ``scoring`` give: the same
BM25 (Lucene idf, per-field b, Whoosh's one-byte quantized field lengths)
and the same rules for combining fields and words. Those classes stay the
reference; the tests compare both on real indexes. Phrases and anything
unusual still run through Whoosh's own matchers, one leaf at a time.

One deliberate difference: Whoosh drops a prefix's boost when the prefix
expands to a single word (``MultiTerm.matcher``); here a title prefix match
always counts ``TITLE_BOOST``.
"""

from __future__ import annotations

import heapq
import sys
import threading
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator

from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.matching import Matcher, WrappingMatcher
from whoosh.searching import Searcher
from whoosh.util.numeric import byte_to_length

from .dates import key_bounds
from .scoring import K1, BestField, Coordinated, Exhaustive, field_b

Scores = dict[int, float]


class IndexStatistics:
    """Per-document numbers of one index generation that scoring and sorting read often.

    Built on first use and shared by every thread of the generation (document
    numbers do not change within it): field lengths as one byte per document
    (Whoosh's own encoding, 1 byte × documents × fields), the deleted
    documents, and the date sort keys with their period bounds.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lengths: dict[str, bytes] = {}
        self._norms: dict[str, list[float]] = {}
        self._dates: tuple[array, array, array, list[int]] | None = None
        self._live: frozenset[int] | None = None

    def lengths(self, searcher: Searcher, fieldname: str) -> bytes:
        with self._lock:
            found = self._lengths.get(fieldname)
            if found is None:
                found = b"".join(
                    _segment_lengths(reader, fieldname) for reader, _ in _leaves(searcher)
                )
                self._lengths[fieldname] = found
            return found

    def norms(self, searcher: Searcher, fieldname: str) -> list[float]:
        """BM25's length normalization ``K1 · (1 − b + b · length / average)`` per length byte."""
        with self._lock:
            found = self._norms.get(fieldname)
            if found is None:
                average = searcher.avg_field_length(fieldname) or 1
                b = field_b(fieldname)
                found = [K1 * ((1 - b) + b * byte_to_length(n) / average) for n in range(256)]
                self._norms[fieldname] = found
            return found

    def live_docs(self, searcher: Searcher) -> frozenset[int]:
        with self._lock:
            if self._live is None:
                self._live = frozenset(searcher.reader().all_doc_ids())
            return self._live

    def _date_columns(self, searcher: Searcher) -> tuple[array, array, array, list[int]]:
        with self._lock:
            if self._dates is None:
                keys = array("L")
                for reader, _ in _leaves(searcher):
                    keys.extend(_segment_column(reader, "date_sort"))
                starts, ends = array("L", keys), array("L", keys)
                for docnum, key in enumerate(keys):
                    starts[docnum], ends[docnum] = key_bounds(key)
                by_start = sorted(range(len(keys)), key=starts.__getitem__)
                self._dates = (keys, starts, ends, by_start)
            return self._dates

    def date_keys(self, searcher: Searcher) -> array:
        """``date_sort`` per document (0 when undated): the newest-first order."""
        return self._date_columns(searcher)[0]

    def in_period(self, searcher: Searcher, lower: int, upper: int | None) -> frozenset[int]:
        """Documents whose whole date period lies within [lower, upper] (YYYYMMDD keys)."""
        _, starts, ends, by_start = self._date_columns(searcher)
        first = bisect_left(by_start, lower, key=starts.__getitem__)
        last = (
            len(by_start)
            if upper is None
            else bisect_right(by_start, upper, key=starts.__getitem__)
        )
        live = self.live_docs(searcher)
        return frozenset(
            d
            for d in by_start[first:last]
            if ends[d] >= 1 and (upper is None or ends[d] <= upper) and d in live
        )


def _leaves(searcher: Searcher) -> list[tuple[object, int]]:
    return [(s.reader(), offset) for s, offset in searcher.leaf_searchers()]


def _segment_lengths(reader, fieldname: str) -> bytes:
    """One length byte per document of a segment, read straight from its lengths column."""
    doccount = reader.doc_count_all()
    try:
        column = reader._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
        if column is None:
            return bytes(doccount)
        raw = column._dbfile.get(column._basepos, column._count)
    except AttributeError:  # another codec: ask document by document
        from whoosh.util.numeric import length_to_byte

        return bytes(
            length_to_byte(reader.doc_field_length(d, fieldname, 0) or 0) for d in range(doccount)
        )
    return raw[:doccount] + bytes(max(0, doccount - len(raw)))


def _segment_column(reader, fieldname: str) -> array:
    """A segment's unsigned 32-bit column (``date_sort``) as an array, 0 where missing."""
    doccount = reader.doc_count_all()
    values = array("L", bytes(array("L").itemsize * doccount))
    if not doccount or not reader.has_column(fieldname):
        return values
    column = reader.column_reader(fieldname)
    try:
        raw = column._dbfile.get(column._basepos, column._count * column._fixedlen)
        stored = array(column._typecode, raw)
        if column._typecode not in "IL":
            raise AttributeError(column._typecode)
    except AttributeError:  # another column layout: read value by value
        for docnum in range(doccount):
            values[docnum] = column[docnum]
        return values
    if sys.byteorder == "little":
        stored.byteswap()  # columns are big-endian on disk
    values[: len(stored)] = array("L", stored)
    return values


def _blocks(matcher: Matcher) -> Iterator[tuple[Iterable[int], Iterable[float]]]:
    """(document numbers, term frequencies) of a posting list, a block at a time."""
    if isinstance(matcher, W3LeafMatcher):
        while matcher.is_active():
            matcher._read_ids()
            matcher._read_weights()
            yield matcher._ids, matcher._weights
            matcher._next_block()
        return
    ids, weights = [], []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    yield ids, weights


class QueryExecution:
    """Scores one query tree on one searcher; results are global document numbers."""

    def __init__(self, searcher: Searcher, statistics: IndexStatistics):
        self.searcher = searcher
        self.statistics = statistics
        self.reader = searcher.reader()
        self.leaves = _leaves(searcher)
        self._terms: dict[tuple[str, str], Scores] = {}

    def scores(self, query: wq.Query) -> Scores:
        """Every document ``query`` matches, with its score."""
        return self._eval(query)

    # --- the tree ---

    def _eval(self, q: wq.Query) -> Scores:
        if isinstance(q, Exhaustive):
            return self._eval(q.child)
        if q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
            return {}
        if isinstance(q, wq.Term):
            return _scaled(self._term(q.fieldname, q.text), q.boost)
        if isinstance(q, BestField):
            return _scaled(_best_field([self._eval(c) for c in q.subqueries], q.tiebreak), q.boost)
        if isinstance(q, Coordinated):
            return _scaled(_coordinated([self._eval(c) for c in q.subqueries], q.power), q.boost)
        if isinstance(q, wq.And):
            return _scaled(self._and(q.subqueries), q.boost)
        if type(q) is wq.Or and _plain_or(q):
            return _scaled(_union_sum([self._eval(c) for c in q.subqueries]), q.boost)
        if isinstance(q, wq.AndMaybe):
            required, optional = self._eval(q.a), self._eval(q.b)
            return {d: s + optional.get(d, 0.0) for d, s in required.items()}
        if isinstance(q, wq.AndNot):
            positive = self._eval(q.a)
            return _without(positive, self._docs(q.b))
        if isinstance(q, wq.Not):
            excluded = self._docs(q.query)
            return {d: 1.0 for d in self.statistics.live_docs(self.searcher) if d not in excluded}
        if isinstance(q, wq.Prefix | wq.Wildcard):
            return self._expanding(q)
        return self._matched(q)

    def _and(self, subqueries: list[wq.Query]) -> Scores:
        negatives = [c.query for c in subqueries if isinstance(c, wq.Not)]
        parts = [self._eval(c) for c in subqueries if not isinstance(c, wq.Not)]
        if not parts:
            return self._eval(wq.Not(wq.Or(negatives)))
        parts.sort(key=len)
        result = dict(parts[0])
        for other in parts[1:]:
            result = {d: s + other[d] for d, s in result.items() if d in other}
            if not result:
                return {}
        for negative in negatives:
            result = _without(result, self._docs(negative))
        return result

    def _docs(self, q: wq.Query) -> set[int] | dict[int, float]:
        return self._eval(q)

    def _expanding(self, q: wq.Prefix | wq.Wildcard) -> Scores:
        """A prefix or wildcard: the sum of its expansions' scores (Whoosh's Or of terms)."""
        words = [w for w in q._btexts(self.reader) if w]
        return _scaled(_union_sum([self._term(q.fieldname, w) for w in words]), q.boost)

    # --- leaves ---

    def _term(self, fieldname: str, text: str | bytes) -> Scores:
        """BM25 of one term in every document that has it (memoized for this query)."""
        try:
            schema_field = self.searcher.schema[fieldname]
        except KeyError:
            return {}
        try:
            btext = text if isinstance(text, bytes) else schema_field.to_bytes(text)
        except ValueError:
            return {}
        key = (fieldname, btext)
        found = self._terms.get(key)
        if found is not None:
            return found
        found = {}
        if key in self.reader:
            if schema_field.scorable:
                self._bm25(fieldname, btext, found)
            else:  # facet-like fields (org): the weight, as Whoosh's WeightScorer gives
                for reader, offset in self.leaves:
                    if key in reader:
                        for ids, weights in _blocks(_unwrapped(reader.postings(*key))):
                            deleted = reader.deleted_docs_set
                            for d, w in zip(ids, weights, strict=True):
                                if d not in deleted:
                                    found[d + offset] = w
        self._terms[key] = found
        return found

    def _bm25(self, fieldname: str, btext: bytes, out: Scores) -> None:
        idf = self.searcher.idf(fieldname, btext)
        k1_plus_1 = K1 + 1
        norms = self.statistics.norms(self.searcher, fieldname)
        lengths = self.statistics.lengths(self.searcher, fieldname)
        for reader, offset in self.leaves:
            if (fieldname, btext) not in reader:
                continue
            deleted = reader.deleted_docs_set
            for ids, weights in _blocks(_unwrapped(reader.postings(fieldname, btext))):
                for d, tf in zip(ids, weights, strict=True):
                    g = d + offset
                    out[g] = idf * ((tf * k1_plus_1) / (tf + norms[lengths[g]]))
                if deleted:
                    for d in ids:
                        if d in deleted:
                            out.pop(d + offset, None)

    def _matched(self, q: wq.Query) -> Scores:
        """Any other query (phrases, numeric ranges…): Whoosh's matchers, segment by segment."""
        found: Scores = {}
        for searcher, offset in self.searcher.leaf_searchers():
            matcher = q.matcher(searcher, searcher.context())
            while matcher.is_active():
                found[matcher.id() + offset] = matcher.score()
                matcher.next()
        return found


def _plain_or(q: wq.Or) -> bool:
    """An Or that scores as the sum of its parts (no minimum match, scaling or negations)."""
    return not q.minmatch and q.scale is None and not any(isinstance(c, wq.Not) for c in q)


def _unwrapped(matcher: Matcher) -> Matcher:
    """The raw posting reader (deletions are applied by the caller)."""
    while isinstance(matcher, WrappingMatcher):
        matcher = matcher.child
    return matcher


def _scaled(scores: Scores, boost: float) -> Scores:
    return scores if boost == 1.0 else {d: s * boost for d, s in scores.items()}


def _union_sum(parts: list[Scores]) -> Scores:
    parts = [p for p in parts if p]
    if not parts:
        return {}
    parts.sort(key=len, reverse=True)
    result = dict(parts[0])
    get = result.get
    for other in parts[1:]:
        for d, s in other.items():
            result[d] = get(d, 0.0) + s
    return result


def _best_field(parts: list[Scores], tiebreak: float) -> Scores:
    """Each document's best field score plus ``tiebreak`` × its other fields' (BestField)."""
    parts = [p for p in parts if p]
    if len(parts) <= 1:
        return parts[0] if parts else {}
    best: Scores = {}
    total: Scores = {}
    best_get, total_get = best.get, total.get
    for part in parts:
        for d, s in part.items():
            b = best_get(d)
            if b is None:
                best[d] = s
                total[d] = s
            else:
                if s > b:
                    best[d] = s
                total[d] = total_get(d) + s
    return {d: b + tiebreak * (total[d] - b) for d, b in best.items()}


def _coordinated(parts: list[Scores], power: float) -> Scores:
    words = max(len(parts), 1)
    total = _union_sum(parts)
    if power == 0 or not total:
        return total
    matched: dict[int, int] = {}
    for part in parts:
        for d in part:
            matched[d] = matched.get(d, 0) + 1
    return {d: s * (matched[d] / words) ** power for d, s in total.items()}


def _without(scores: Scores, excluded: Iterable[int]) -> Scores:
    excluded = excluded if isinstance(excluded, set | frozenset | dict) else set(excluded)
    return {d: s for d, s in scores.items() if d not in excluded}


def top_by_score(scores: Scores, candidates: Iterable[int], count: int) -> list[int]:
    """The ``count`` best candidates, highest score first, ties by document number
    (the order Whoosh's collector gives)."""
    return heapq.nsmallest(count, candidates, key=lambda d: (-scores.get(d, 0.0), d))


def newest_first(keys: array, candidates: Iterable[int], count: int) -> list[int]:
    """The ``count`` newest candidates by date key, undated last; among equal dates the
    most recently indexed first (as Whoosh's reversed sort gives)."""
    return heapq.nsmallest(count, candidates, key=lambda d: (-keys[d], -d))
