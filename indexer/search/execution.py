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

One deliberate difference: a prefix or wildcard scores BM25 summed over the
words it expands to, with its field's boost. Whoosh gives an expansion of
several words a constant score and drops the boost of a one-word expansion
(``MultiTerm.matcher``).
"""

from __future__ import annotations

import heapq
import threading
import time
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from math import log

from whoosh import query as wq
from whoosh.reading import IndexReader, TermInfo
from whoosh.searching import Searcher
from whoosh.util.numeric import byte_to_length

from indexer.index.whoosh_internals import (
    expanded_terms,
    posting_blocks,
    raw_postings,
    segment_lengths,
    segment_uint_column,
    term_info,
)
from indexer.ingest.dates import key_bounds
from indexer.model import SearchTimeoutError
from indexer.search.scoring import K1, BestField, Coordinated, Exhaustive, field_b

Scores = dict[int, float]


class IndexStatistics:
    """Per-document numbers of one index generation that scoring and sorting read often.

    Built on first use and shared by every thread of the generation (document
    numbers do not change within it): field lengths as one byte per document
    (Whoosh's own encoding, 1 byte × documents × fields), the live (not
    deleted) documents, and the date sort keys with their period bounds.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._dates_lock = threading.Lock()
        self._lengths: dict[str, bytes] = {}
        self._norms: dict[str, list[float]] = {}
        self._dates: tuple[array, array, array, list[int]] | None = None
        self._live: frozenset[int] | None = None

    def lengths(self, searcher: Searcher, fieldname: str) -> bytes:
        with self._lock:
            found = self._lengths.get(fieldname)
            if found is None:
                found = b"".join(
                    segment_lengths(reader, fieldname) for reader, _ in _leaves(searcher)
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
        # A lock of its own: reading the column must not hold up scoring in other threads.
        with self._dates_lock:
            if self._dates is None:
                keys = array("I")
                for reader, _ in _leaves(searcher):
                    keys.extend(segment_uint_column(reader, "date_sort"))
                starts, ends = array("I", keys), array("I", keys)
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


def _leaves(searcher: Searcher) -> list[tuple[IndexReader, int]]:
    return [(s.reader(), offset) for s, offset in searcher.leaf_searchers()]


class QueryExecution:
    """Scores one query tree on one searcher; results are global document numbers.

    Conjunctions run from their rarest part: the other parts are then read only
    in posting blocks that can hold the documents still in play (``within``),
    the way skip lists serve AND queries, so a common word next to a rare one
    costs little.
    """

    def __init__(
        self, searcher: Searcher, statistics: IndexStatistics, deadline: Deadline | None = None
    ):
        self.deadline = deadline
        self.searcher = searcher
        self.statistics = statistics
        self.reader = searcher.reader()
        self.leaves = _leaves(searcher)
        self._terms: dict[tuple[str, bytes], Scores] = {}
        self._lookups: dict[tuple[str, bytes], list[tuple[object, int, object]]] = {}
        self._expanded: dict[tuple[str, bytes], list[bytes]] = {}

    def check_deadline(self) -> None:
        if self.deadline is not None:
            self.deadline.check()

    def scores(self, query: wq.Query) -> Scores:
        """Every document ``query`` matches, with its score."""
        return self._eval(query, None)

    # --- the tree ---

    def _eval(self, q: wq.Query, within: Within) -> Scores:
        """Scores of ``q``; with ``within``, only for those documents (a subset is enough)."""
        if isinstance(q, Exhaustive):
            return self._eval(q.child, within)
        if q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
            return {}
        if isinstance(q, wq.Term):
            return _scaled(self._term(q.fieldname, q.text, within), q.boost)
        if isinstance(q, BestField):
            parts = [self._eval(c, within) for c in q.subqueries]
            return _scaled(_best_field(parts, q.tiebreak), q.boost)
        if isinstance(q, Coordinated):
            parts = [self._eval(c, within) for c in q.subqueries]
            return _scaled(_coordinated(parts, q.power), q.boost)
        if isinstance(q, wq.And):
            return _scaled(self._and(q.subqueries, within), q.boost)
        if type(q) is wq.Or and _plain_or(q):
            return _scaled(_union_sum([self._eval(c, within) for c in q.subqueries]), q.boost)
        if isinstance(q, wq.AndMaybe):
            required = self._eval(q.a, within)
            optional = self._eval(q.b, required.keys()) if required else {}
            return {d: s + optional.get(d, 0.0) for d, s in required.items()}
        if isinstance(q, wq.AndNot):
            positive = self._eval(q.a, within)
            return _without(positive, self._eval(q.b, positive.keys())) if positive else {}
        if isinstance(q, wq.Not):
            live = self.statistics.live_docs(self.searcher)
            candidates = live if within is None else [d for d in within if d in live]
            excluded = self._eval(q.query, within)
            return {d: 1.0 for d in candidates if d not in excluded}
        if isinstance(q, wq.Prefix | wq.Wildcard):
            return _scaled(self._expanded_terms(q, within), q.boost)
        if isinstance(q, wq.Phrase) and q.slop == 1:
            return self._phrase(q, within)
        return self._matched(q)

    def _expanded_terms(self, q: wq.Prefix | wq.Wildcard, within: Within) -> Scores:
        """Whoosh's Or of the words, summed as each is read: a short prefix has many
        words, and holding every word's scores at once would cost memory.

        Narrowing each word's postings to ``within`` costs a pass over ``within`` per
        word; when the words' postings are fewer than that, they are read whole and
        narrowed once (``sp* -(bu* OR un* OR ba*)``: 2,400 words against 1,700
        candidates took 0.98 s narrowed word by word, 0.63 s read whole).
        """
        words = self._expansions(q)
        keep: set[int] | None = None
        if within is not None:
            within = within if isinstance(within, set | frozenset | dict) else set(within)
            postings = sum(
                info.doc_frequency() for w in words for _, _, info in self._lookup(q.fieldname, w)
            )
            if postings < len(words) * len(within):
                keep, within = set(within), None
        total: Scores = {}
        for word in words:
            self.check_deadline()
            for d, s in self._term(q.fieldname, word, within, memo=False).items():
                total[d] = total.get(d, 0.0) + s
        if keep is not None:
            total = {d: s for d, s in total.items() if d in keep}
        return total

    def _and(self, subqueries: list[wq.Query], within: Within) -> Scores:
        negatives = [c.query for c in subqueries if isinstance(c, wq.Not)]
        positives = [c for c in subqueries if not isinstance(c, wq.Not)]
        if not positives:
            scores = self._eval(wq.Not(wq.Or(negatives)), within)
            return {d: float(len(negatives)) for d in scores}
        positives.sort(key=self._estimate)
        result = self._eval(positives[0], within)
        for other in positives[1:]:
            if not result:
                return {}
            scores = self._eval(other, result.keys())
            result = {d: s + scores[d] for d, s in result.items() if d in scores}
        for negative in negatives:
            if not result:
                break
            result = _without(result, self._eval(negative, result.keys()))
        if negatives:  # each NOT part is Whoosh's InverseMatcher, which scores 1.0
            result = {d: s + len(negatives) for d, s in result.items()}
        return result

    def _estimate(self, q: wq.Query) -> int:
        """An upper bound of how many documents ``q`` matches, from document frequencies."""
        if isinstance(q, Exhaustive):
            return self._estimate(q.child)
        if isinstance(q, wq.Term):
            return sum(info.doc_frequency() for _, _, info in self._lookup(q.fieldname, q.text))
        if isinstance(q, wq.Phrase):
            return min((self._estimate(wq.Term(q.fieldname, w)) for w in q.words), default=0)
        if isinstance(q, wq.And):
            return min((self._estimate(c) for c in q.subqueries if not isinstance(c, wq.Not)),
                       default=0)  # fmt: skip
        if isinstance(q, wq.AndMaybe | wq.AndNot):
            return self._estimate(q.a)
        if isinstance(q, wq.Not) or not isinstance(q, wq.CompoundQuery):
            return self.reader.doc_count_all()  # prefixes and the rest: assume the worst
        return sum(self._estimate(c) for c in q.subqueries)

    def _expansions(self, q: wq.Prefix | wq.Wildcard) -> list[bytes]:
        key = (q.fieldname, f"{type(q).__name__}:{q.text}".encode())
        found = self._expanded.get(key)
        if found is None:
            found = self._expanded[key] = [w for w in expanded_terms(q, self.reader) if w]
        return found

    # --- leaves ---

    def _key(self, fieldname: str, text: str | bytes) -> tuple[str, bytes] | None:
        """(field, term bytes), or None for a field the schema lacks or an unusable text."""
        if isinstance(text, bytes):
            return fieldname, text
        try:
            return fieldname, self.searcher.schema[fieldname].to_bytes(text)
        except (KeyError, ValueError):
            return None

    def _lookup(self, fieldname: str, text: str | bytes) -> list[tuple[IndexReader, int, TermInfo]]:
        """(segment reader, offset, term info) of every segment holding the term."""
        key = self._key(fieldname, text)
        if key is None:
            return []
        btext = key[1]
        found = self._lookups.get(key)
        if found is None:
            found = []
            for reader, offset in self.leaves:
                info = term_info(reader, fieldname, btext)
                if info is not None:
                    found.append((reader, offset, info))
            self._lookups[key] = found
        return found

    def _term(
        self,
        fieldname: str,
        text: str | bytes,
        within: Within = None,
        encoded: dict[int, bytes] | None = None,
        memo: bool = True,
    ) -> Scores:
        """BM25 of one term in every live document that has it (or those ``within``);
        ``encoded`` collects each document's encoded positions on the same read."""
        segments = self._lookup(fieldname, text)
        if not segments:
            return {}
        self.check_deadline()
        key = self._key(fieldname, text)
        assert key is not None  # _lookup found the term, so its key is usable
        btext = key[1]
        found = self._terms.get(key) if encoded is None else None
        if found is not None:
            return found
        wanted = None if within is None else sorted(within)
        found = {}
        if self.searcher.schema[fieldname].scorable:
            self._bm25(fieldname, btext, segments, wanted, found, encoded)
        else:  # facet-like fields (org): the weight, as Whoosh's WeightScorer gives
            for reader, offset, info in segments:
                for ids, weights, _ in posting_blocks(
                    raw_postings(reader, fieldname, btext, info), _local(wanted, reader, offset)
                ):
                    for d, w in zip(ids, weights, strict=True):
                        found[d + offset] = w
        for reader, offset, _ in segments:
            for d in reader.deleted_docs_set:
                found.pop(d + offset, None)
        if memo and within is None and encoded is None:
            self._terms[key] = found
        return found

    def _bm25(
        self,
        fieldname: str,
        btext: bytes,
        segments: list[tuple[IndexReader, int, TermInfo]],
        wanted: list[int] | None,
        out: Scores,
        encoded: dict[int, bytes] | None = None,
    ) -> None:
        # scoring.Bm25.idf and whoosh.scoring.bm25, with deleted documents still counted
        # in the statistics as Whoosh counts them.
        doc_frequency = sum(info.doc_frequency() for _, _, info in segments)
        total = self.searcher.doc_count_all()
        idf = log(1 + (total - doc_frequency + 0.5) / (doc_frequency + 0.5))
        k1_plus_1 = K1 + 1
        norms = self.statistics.norms(self.searcher, fieldname)
        lengths = self.statistics.lengths(self.searcher, fieldname)
        for reader, offset, info in segments:
            postings = raw_postings(reader, fieldname, btext, info)
            blocks = posting_blocks(
                postings, _local(wanted, reader, offset), values=encoded is not None
            )
            for ids, weights, values in blocks:
                self.check_deadline()  # between blocks: one long posting list stops too
                for d, tf in zip(ids, weights, strict=True):
                    g = d + offset
                    out[g] = idf * ((tf * k1_plus_1) / (tf + norms[lengths[g]]))
                if values is not None:  # read only when encoded is given
                    encoded.update(  # type: ignore[union-attr]
                        zip((d + offset for d in ids), values, strict=True)
                    )

    def _phrase(self, q: wq.Phrase, within: Within) -> Scores:
        """Documents with the words at consecutive positions, scored as the sum of the
        words' scores (Whoosh's SpanNear2 over an intersection)."""
        fieldname = q.fieldname
        try:
            schema_field = self.searcher.schema[fieldname]
            words = [schema_field.to_bytes(w) for w in q.words]
        except (KeyError, ValueError):
            return {}
        if any(not self._lookup(fieldname, w) for w in words):
            return {}
        order = sorted(
            range(len(words)), key=lambda i: self._estimate(wq.Term(fieldname, words[i]))
        )
        parts: dict[int, Scores] = {}
        encoded: dict[int, dict[int, bytes]] = {i: {} for i in order}
        candidates: Within = within
        for i in order:
            parts[i] = self._term(fieldname, words[i], candidates, encoded[i])
            candidates = parts[i].keys() if candidates is None else (
                [d for d in candidates if d in parts[i]]
            )  # fmt: skip
            if not candidates:
                return {}
        candidates = set(candidates)  # type: ignore[arg-type]  # phrases have words: narrowed
        decode = schema_field.format.decoder("positions")
        ends: dict[int, set[int]] = {d: set(decode(encoded[0][d])) for d in candidates}
        for i in range(1, len(words)):
            ends = {
                d: found
                for d, before in ends.items()
                if (found := {x for x in decode(encoded[i][d]) if x - 1 in before})
            }
            if not ends:
                return {}
        return {d: sum(parts[i][d] for i in range(len(words))) * q.boost for d in ends}

    def _matched(self, q: wq.Query) -> Scores:
        """Any other query (numeric ranges…): Whoosh's matchers, segment by segment."""
        found: Scores = {}
        for searcher, offset in self.searcher.leaf_searchers():
            matcher = q.matcher(searcher, searcher.context())
            while matcher.is_active():
                found[matcher.id() + offset] = matcher.score()
                matcher.next()
                if len(found) % 1024 == 0:
                    self.check_deadline()
        return found

    # --- the terms a query matched, for highlighting ---

    def matched_terms(self, query: wq.Query) -> list[tuple[str, str]]:
        """(field, term) of every positive part of ``query`` that occurs in the index,
        prefixes and wildcards expanded."""
        return matched_terms(
            query,
            lambda fieldname, word: bool(self._lookup(fieldname, word)),
            self._expansions,
            lambda node: [
                (f, _as_text(t)) for f, t in node.existing_terms(self.reader, expand=True)
            ],
        )


Within = Iterable[int] | None  # documents still in play, or None for all


class Deadline:
    """When one search must stop: checked between terms and posting blocks, so a
    query past its time gives up its worker with SearchTimeoutError instead of
    holding it until it ends."""

    def __init__(self, milliseconds: float, clock: Callable[[], float] = time.monotonic):
        self.milliseconds = milliseconds
        self._clock = clock
        self.at = clock() + milliseconds / 1000

    def excluding(self, seconds: float) -> None:
        """Not count ``seconds`` spent on work done once for every search, such as
        building the columnar postings of an index written by an earlier version."""
        self.at += seconds

    def check(self) -> None:
        if self._clock() > self.at:
            raise SearchTimeoutError(
                f"the search ran longer than {self.milliseconds:g} ms and was stopped; "
                "add words or filters, or use fewer words with * or ~"
            )


def _local(wanted: list[int] | None, reader: IndexReader, offset: int) -> list[int] | None:
    """The part of sorted global ``wanted`` in one segment, as segment document numbers."""
    if wanted is None:
        return None
    low = bisect_left(wanted, offset)
    high = bisect_left(wanted, offset + reader.doc_count_all())
    return [d - offset for d in wanted[low:high]]


def matched_terms(
    query: wq.Query,
    exists: Callable[[str, str | bytes], bool],
    expansions: Callable[[wq.Prefix | wq.Wildcard], Iterable[str | bytes]],
    other_leaf: Callable[[wq.Query], Iterable[tuple[str, str]]],
) -> list[tuple[str, str]]:
    """(field, term) of every positive part of ``query`` that ``exists`` in the index,
    prefixes and wildcards by their ``expansions``, any other leaf as ``other_leaf``
    finds it: the walk both executions share, for highlighting."""
    out: list[tuple[str, str]] = []

    def walk(node: wq.Query) -> None:
        if isinstance(node, wq.Not):
            return
        if isinstance(node, wq.AndNot):
            walk(node.a)
            return
        if isinstance(node, wq.Term | wq.Phrase):
            words = [node.text] if isinstance(node, wq.Term) else list(node.words)
            out.extend((node.fieldname, _as_text(w)) for w in words if exists(node.fieldname, w))
            return
        if isinstance(node, wq.Prefix | wq.Wildcard):
            out.extend((node.fieldname, _as_text(w)) for w in expansions(node))
            return
        if node.is_leaf():
            out.extend(other_leaf(node))
            return
        for child in node.children():
            walk(child)

    walk(query)
    return out


def _as_text(term: str | bytes) -> str:
    return term.decode("utf-8") if isinstance(term, bytes) else term


def _plain_or(q: wq.Or) -> bool:
    """An Or that scores as the sum of its parts (no minimum match, scaling or negations)."""
    return not q.minmatch and q.scale is None and not any(isinstance(c, wq.Not) for c in q)


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
                total[d] = total_get(d) + s  # type: ignore[operator]  # set with best[d]
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
    """The ``count`` best ``candidates`` (a subset of the scored documents, or any
    documents when browsing with no scores), highest score first, ties by document
    number (the order Whoosh's collector gives).

    The count-th best score is found with ``heapq.nlargest`` over bare floats (compared
    in C); only the documents at or above it are sorted with their tie-break.
    """
    if count <= 0:
        return []
    if not isinstance(candidates, dict | set | frozenset) or len(candidates) != len(scores):
        scores = {d: scores.get(d, 0.0) for d in candidates}
    if not scores:
        return []
    threshold = heapq.nlargest(count, scores.values())[-1]
    best = sorted((-s, d) for d, s in scores.items() if s >= threshold)
    return [d for _, d in best[:count]]


def newest_first(keys: array, candidates: Iterable[int], count: int) -> list[int]:
    """The ``count`` newest candidates by date key, undated last; among equal dates the
    most recently indexed first (as Whoosh's reversed sort gives)."""
    if count <= 0:
        return []
    candidates = list(candidates)
    if not candidates:
        return []
    threshold = heapq.nlargest(count, map(keys.__getitem__, candidates))[-1]
    best = sorted((-keys[d], -d) for d in candidates if keys[d] >= threshold)
    return [-d for _, d in best[:count]]


def oldest_first(keys: array, candidates: Iterable[int], count: int) -> list[int]:
    """The ``count`` oldest candidates by date key, undated last (as newest first puts
    them); among equal dates the first indexed first, to read a story from its start."""
    if count <= 0:
        return []
    undated = 1 << 32  # after every date key (unsigned 32-bit)
    ordered = heapq.nsmallest(count, candidates, key=lambda d: (keys[d] or undated, d))
    return list(ordered)


def by_date(sort: str, keys: array, candidates: Iterable[int], count: int) -> list[int]:
    """``candidates`` in the date order ``sort`` names (model.SORTS): oldest first for
    ``date_asc``, newest first otherwise (browsing with relevance has no scores)."""
    order = oldest_first if sort == "date_asc" else newest_first
    return order(keys, candidates, count)
