"""Running a compiled query over columnar postings with numpy, whole posting lists at a time.

``execution`` scores term at a time in Python dicts; here the same query tree
is scored over the memory-mapped arrays of ``indexer.index.columnar``: a
term's BM25 is one vector expression over its documents' term frequencies and
quantized lengths, AND / AND-NOT are ``searchsorted`` intersections of sorted
document arrays, OR and a word's best field are scattered into dense arrays
(or reduced with ``reduceat`` when the parts are small), filters and date
ranges are boolean masks, facet counts are ``bincount``s, and the page's top
documents come from ``argpartition``. The numbers are exactly those of
``execution`` (same idf, average lengths, norms table, boosts, tie-break and
summation order), and the execution tests compare both with Whoosh.

Phrases find the documents that have every word here, then read and check
positions from Whoosh's postings for those documents only (``execution``).
Not vectorized, and run by ``execution`` (then turned into arrays): Ors with a
minimum match, phrases with a slop, and any other query type.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from math import log
from pathlib import Path

import numpy as np
from whoosh import query as wq
from whoosh.searching import Searcher

from indexer.index.columnar import SegmentColumns, open_companion, term_hash
from indexer.ingest.dates import key_bounds
from indexer.search.execution import (
    IndexStatistics,
    QueryExecution,
    Scores,
    _plain_or,
    matched_terms,
)
from indexer.search.scoring import K1, BestField, Coordinated, Exhaustive

# Below this share of the index, parts are merged by sorting them; above, through dense arrays.
SPARSE_SHARE = 16
EXPANSIONS_KEPT = 4096  # prefix/wildcard expansions remembered per generation
POSTINGS_KEPT = 16_384  # terms whose segments' postings are remembered per generation
# Above this many terms in a field (a prefix's expansions), looking each up in every
# segment costs more than reading the page's texts: their snippets read the texts.
PLACED_WORDS = 24


@dataclass(frozen=True, slots=True)
class Matches:
    """Matching documents (global numbers, ascending, unique) and their scores."""

    docs: np.ndarray  # int64
    scores: np.ndarray  # float64

    def __len__(self) -> int:
        return len(self.docs)

    def scaled(self, boost: float) -> Matches:
        return self if boost == 1.0 else Matches(self.docs, self.scores * boost)

    def as_dict(self) -> Scores:
        return dict(zip(self.docs.tolist(), self.scores.tolist(), strict=True))

    @staticmethod
    def of(scores: Scores) -> Matches:
        docs = np.fromiter(scores.keys(), dtype=np.int64, count=len(scores))
        values = np.fromiter(scores.values(), dtype=np.float64, count=len(scores))
        order = np.argsort(docs, kind="stable")
        return Matches(docs[order], values[order])


EMPTY = Matches(np.empty(0, np.int64), np.empty(0, np.float64))
# One segment's postings of a term: (segment, its first document number, its deleted
# documents or None, document numbers, weights).
Postings = tuple[SegmentColumns, int, np.ndarray | None, np.ndarray, np.ndarray]


class ColumnarIndex:
    """The companions of one generation's segments, with its live-document mask,
    norms tables and date columns; shared by every thread of the generation."""

    def __init__(self, searcher: Searcher, generation: Path, statistics: IndexStatistics):
        self.size = searcher.doc_count_all()
        self.statistics = statistics
        self.segments: list[tuple[SegmentColumns, int, np.ndarray | None]] = []
        self.live = np.ones(self.size, dtype=bool)
        for leaf, offset in searcher.leaf_searchers():
            reader = leaf.reader()
            columns = open_companion(generation, reader)
            deleted_local = None
            deleted = reader.deleted_docs_set
            if deleted:
                deleted_local = np.zeros(columns.doccount, dtype=bool)
                deleted_local[np.fromiter(deleted, dtype=np.int64, count=len(deleted))] = True
                self.live[offset : offset + columns.doccount] &= ~deleted_local
            self.segments.append((columns, offset, deleted_local))
        self._lock = threading.Lock()
        self._expanded: dict[tuple[str, str, str], list[bytes]] = {}
        self._postings: dict[tuple[str, bytes], list[Postings]] = {}
        self._norms: dict[str, np.ndarray] = {}
        self._dates: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def norms(self, searcher: Searcher, fieldname: str) -> np.ndarray:
        with self._lock:
            found = self._norms.get(fieldname)
        if found is None:
            found = np.array(self.statistics.norms(searcher, fieldname), dtype=np.float64)
            with self._lock:
                self._norms[fieldname] = found
        return found

    def expansions(self, q: wq.Prefix | wq.Wildcard, execution: QueryExecution) -> list[bytes]:
        """The words a prefix or wildcard expands to, walked in Whoosh's lexicon once per
        generation (the walk is most of a prefix query's time; the lexicon of a
        generation never changes). The latest EXPANSIONS_KEPT are kept."""
        key = (q.fieldname, type(q).__name__, q.text)
        with self._lock:
            found = self._expanded.get(key)
        if found is None:
            found = execution._expansions(q)
            with self._lock:
                if len(self._expanded) >= EXPANSIONS_KEPT:
                    self._expanded.pop(next(iter(self._expanded)))
                self._expanded[key] = found
        return found

    def postings(self, fieldname: str, btext: bytes) -> list[Postings]:
        """A term's postings in every segment that has it: looked up (a hash and a
        ``searchsorted`` per segment and field, most of a short query's array time)
        once per generation for the latest POSTINGS_KEPT terms, as views of the maps."""
        key = (fieldname, btext)
        found = self._postings.get(key)
        if found is None:
            found = []
            for columns, offset, deleted in self.segments:
                postings = columns.term(fieldname, btext)
                if postings is not None:
                    found.append((columns, offset, deleted, *postings))
            with self._lock:
                if len(self._postings) >= POSTINGS_KEPT:
                    self._postings.pop(next(iter(self._postings)))
                self._postings[key] = found
        return found

    def dates(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(date key, period start, period end) per document, as ``IndexStatistics``."""
        with self._lock:
            if self._dates is None:
                keys = np.zeros(self.size, dtype=np.int64)
                for columns, offset, _ in self.segments:
                    keys[offset : offset + columns.doccount] = columns.dates[: columns.doccount]
                distinct, where = np.unique(keys, return_inverse=True)
                bounds = np.array([key_bounds(int(k)) for k in distinct], dtype=np.int64)
                bounds = bounds.reshape(-1, 2)
                self._dates = (keys, bounds[where, 0], bounds[where, 1])
            return self._dates

    def word_starts(
        self, fieldname: str, words: Iterable[str], docnums: Iterable[int]
    ) -> dict[int, dict[int, list[str]]]:
        """Where ``words`` (terms of ``fieldname``) start in that field's text of each of
        ``docnums``: document -> {first character: [terms]} (empty when it has none).
        A document whose segment's companion keeps no starts is left out: its
        snippet reads the text instead."""
        words = list(words)
        if len(words) > PLACED_WORDS:
            return {}
        wanted = np.unique(np.fromiter(docnums, dtype=np.int64))
        found: dict[int, dict[int, list[str]]] = {}
        btexts = [word.encode("utf-8") for word in words]
        keys = np.array([term_hash(b) for b in btexts], dtype=np.uint64)
        for columns, offset, _ in self.segments:
            low, high = np.searchsorted(wanted, [offset, offset + columns.doccount])
            if low == high:
                continue
            local = (wanted[low:high] - offset).tolist()
            places: dict[int, dict[int, list[str]]] | None = {d: {} for d in local}
            for i, at in columns.rows(fieldname, keys, btexts):
                word = words[i]
                occurrences = columns.starts(at, local)
                if occurrences is None:
                    places = None
                    break
                assert places is not None
                for doc, starts in occurrences:
                    at_doc = places[doc]
                    for start in starts:
                        at_doc.setdefault(start, []).append(word)
            if places is not None:
                for doc, at_doc in places.items():
                    found[doc + offset] = at_doc
        return found

    def in_period(self, lower: int, upper: int | None) -> np.ndarray:
        """A mask of the documents whose whole date period lies within [lower, upper]."""
        _, starts, ends = self.dates()
        mask = self.live & (starts >= lower) & (ends >= 1)
        if upper is not None:
            mask &= (starts <= upper) & (ends <= upper)
        return mask


class VectorizedExecution:
    """Scores one query tree over the columnar postings; ``fallback`` runs the rest."""

    def __init__(self, columns: ColumnarIndex, fallback: QueryExecution):
        self.columns = columns
        self.fallback = fallback
        self.searcher = fallback.searcher
        self.size = columns.size

    def matches(self, query: wq.Query) -> Matches:
        return self._eval(query)

    def _eval(self, q: wq.Query) -> Matches:
        if isinstance(q, Exhaustive):
            return self._eval(q.child)
        if q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
            return EMPTY
        if isinstance(q, wq.Term):
            return self._term(q.fieldname, q.text).scaled(q.boost)
        if isinstance(q, BestField):
            return self._best_field([self._eval(c) for c in q.subqueries], q.tiebreak).scaled(
                q.boost
            )
        if isinstance(q, Coordinated):
            return self._coordinated([self._eval(c) for c in q.subqueries], q.power).scaled(q.boost)
        if isinstance(q, wq.And):
            return self._and(q.subqueries).scaled(q.boost)
        if type(q) is wq.Or and _plain_or(q):
            parts = [self._eval(c) for c in q.subqueries]
            return self._sum(sorted(parts, key=len, reverse=True)).scaled(q.boost)
        if isinstance(q, wq.AndMaybe):
            required = self._eval(q.a)
            if not len(required):
                return EMPTY
            optional = self._eval(q.b)
            found, at = _locate(required.docs, optional.docs)
            scores = required.scores.copy()
            scores[found] += optional.scores[at[found]]
            return Matches(required.docs, scores)
        if isinstance(q, wq.AndNot):
            positive = self._eval(q.a)
            return _without(positive, self._eval(q.b)) if len(positive) else EMPTY
        if isinstance(q, wq.Not):
            excluded = self._eval(q.query)
            keep = self.columns.live.copy()
            keep[excluded.docs] = False
            docs = np.flatnonzero(keep)
            return Matches(docs, np.ones(len(docs)))
        if isinstance(q, wq.Prefix | wq.Wildcard):
            words = self.columns.expansions(q, self.fallback)
            return self._sum([self._term(q.fieldname, w) for w in words]).scaled(q.boost)
        if isinstance(q, wq.Phrase) and q.slop == 1:
            return self._phrase(q)
        return Matches.of(self.fallback._eval(q, None))  # the rest

    def _and(self, subqueries: list[wq.Query]) -> Matches:
        negatives = [self._eval(c.query) for c in subqueries if isinstance(c, wq.Not)]
        positives = [self._eval(c) for c in subqueries if not isinstance(c, wq.Not)]
        if not positives:
            keep = self.columns.live.copy()
            for negative in negatives:
                keep[negative.docs] = False
            docs = np.flatnonzero(keep)
            return Matches(docs, np.full(len(docs), float(len(negatives))))
        positives.sort(key=len)
        result = positives[0]
        for other in positives[1:]:
            if not len(result):
                return EMPTY
            found, at = _locate(result.docs, other.docs)
            result = Matches(result.docs[found], result.scores[found] + other.scores[at[found]])
        for negative in negatives:
            result = _without(result, negative)
        if negatives:  # each NOT part is Whoosh's InverseMatcher, which scores 1.0
            result = Matches(result.docs, result.scores + len(negatives))
        return result

    def _phrase(self, q: wq.Phrase) -> Matches:
        """Documents with the words at consecutive positions, scored as the sum of the
        words' scores (``execution._phrase``). The documents with every word come from
        the arrays; their positions from the companions' position arrays, or, for a
        segment without them, from Whoosh's postings (``execution._phrase``)."""
        words = [self._bytes(q.fieldname, w) for w in q.words]
        if not words or any(w is None for w in words):
            return EMPTY
        parts = [self._term(q.fieldname, w) for w in q.words]
        candidates = parts[0].docs
        for part in parts[1:]:
            candidates = candidates[_locate(candidates, part.docs)[0]]
        if not len(candidates):
            return EMPTY
        found = []
        rarest_first = sorted(range(len(words)), key=lambda i: len(parts[i]))
        for columns, offset, _ in self.columns.segments:
            low, high = np.searchsorted(candidates, [offset, offset + columns.doccount])
            if low == high:
                continue
            local = candidates[low:high] - offset
            keys = None
            for i in rarest_first:
                word = words[i]
                assert word is not None
                at = columns.row(q.fieldname, word)
                occurrences = None if at is None else columns.positions(at, local)
                if occurrences is None:  # no positions here: Whoosh's postings
                    return Matches.of(self.fallback._phrase(q, candidates.tolist()))
                docs, positions = occurrences
                # (document, position of the phrase's first word) as one number
                key = (docs.astype(np.int64) << 32) | (positions.astype(np.int64) + len(words) - i)
                # Keys of one word are sorted and unique (positions ascend in a document).
                keys = key if keys is None else np.intersect1d(keys, key, assume_unique=True)
                if not len(keys):
                    break
                # The next (more frequent) word's positions only where the phrase still can be.
                local = _sorted_unique(keys >> 32)
            if keys is not None and len(keys):
                found.append(_sorted_unique(keys >> 32) + offset)
        if not found:
            return EMPTY
        docs = np.concatenate(found)
        total = parts[0].scores[np.searchsorted(parts[0].docs, docs)]
        for part in parts[1:]:
            total = total + part.scores[np.searchsorted(part.docs, docs)]
        return Matches(docs, total * q.boost)

    # --- leaves ---

    def _bytes(self, fieldname: str, text: str | bytes) -> bytes | None:
        if isinstance(text, bytes):
            return text
        try:
            return bytes(self.searcher.schema[fieldname].to_bytes(text))
        except (KeyError, ValueError):
            return None

    def _exists(self, fieldname: str, text: str | bytes) -> bool:
        btext = self._bytes(fieldname, text)
        return btext is not None and bool(self.columns.postings(fieldname, btext))

    def matched_terms(self, query: wq.Query) -> list[tuple[str, str]]:
        """``execution.matched_terms``, each term looked up in the arrays."""
        return matched_terms(
            query,
            self._exists,
            lambda node: self.columns.expansions(node, self.fallback),
            self.fallback.matched_terms,
        )

    def _term(self, fieldname: str, text: str | bytes) -> Matches:
        """BM25 of one term in every live document that has it (as ``execution._term``)."""
        btext = self._bytes(fieldname, text)
        if btext is None:
            return EMPTY
        found = self.columns.postings(fieldname, btext)
        if not found:
            return EMPTY
        frequency = sum(len(docs) for _, _, _, docs, _ in found)
        scorable = self.searcher.schema[fieldname].scorable
        if scorable:
            total = self.searcher.doc_count_all()
            idf = log(1 + (total - frequency + 0.5) / (frequency + 0.5))
            norms = self.columns.norms(self.searcher, fieldname)
        docs_out, scores_out = [], []
        for columns, offset, deleted, docs, weights in found:
            tf = weights.astype(np.float64)
            if scorable:
                norm = norms[columns.lengths(fieldname)[docs]]
                scores = idf * ((tf * (K1 + 1)) / (tf + norm))
            else:  # facet-like fields (org): the weight, as Whoosh's WeightScorer gives
                scores = tf
            local = docs.astype(np.int64)
            if deleted is not None:
                keep = ~deleted[local]
                local, scores = local[keep], scores[keep]
            docs_out.append(local + offset)
            scores_out.append(scores)
        if len(docs_out) == 1:
            return Matches(docs_out[0], scores_out[0])
        return Matches(np.concatenate(docs_out), np.concatenate(scores_out))

    # --- combining parts ---

    def _sum(self, parts: list[Matches]) -> Matches:
        """Each document's scores added in the parts' order (``execution._union_sum``)."""
        parts = [p for p in parts if len(p)]
        if not parts:
            return EMPTY
        if len(parts) == 1:
            return parts[0]
        if sum(map(len, parts)) * SPARSE_SHARE < self.size:
            docs, scores, starts = _grouped(parts)
            return Matches(docs, np.add.reduceat(scores, starts))
        total = np.zeros(self.size)
        hit = np.zeros(self.size, dtype=bool)
        for p in parts:
            total[p.docs] += p.scores
            hit[p.docs] = True
        docs = np.flatnonzero(hit)
        return Matches(docs, total[docs])

    def _best_field(self, parts: list[Matches], tiebreak: float) -> Matches:
        """Each document's best field plus ``tiebreak`` × its other fields (``BestField``)."""
        parts = [p for p in parts if len(p)]
        if len(parts) <= 1:
            return parts[0] if parts else EMPTY
        if sum(map(len, parts)) * SPARSE_SHARE < self.size:
            docs, scores, starts = _grouped(parts)
            best = np.maximum.reduceat(scores, starts)
            total = np.add.reduceat(scores, starts)
        else:
            best = np.full(self.size, -np.inf)
            total = np.zeros(self.size)
            for p in parts:
                best[p.docs] = np.maximum(best[p.docs], p.scores)
                total[p.docs] += p.scores
            docs = np.flatnonzero(best > -np.inf)
            best, total = best[docs], total[docs]
        return Matches(docs, best + tiebreak * (total - best))

    def _coordinated(self, parts: list[Matches], power: float) -> Matches:
        words = max(len(parts), 1)
        total = self._sum(sorted(parts, key=len, reverse=True))
        if power == 0 or not len(total):
            return total
        matched = np.zeros(len(total))
        for p in parts:
            if len(p):
                matched[np.searchsorted(total.docs, p.docs)] += 1
        return Matches(total.docs, total.scores * (matched / words) ** power)


def _grouped(parts: list[Matches]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The parts' postings sorted by document (stably: parts keep their order within a
    document): (distinct documents, scores in that order, where each document starts)."""
    docs = np.concatenate([p.docs for p in parts])
    scores = np.concatenate([p.scores for p in parts])
    order = np.argsort(docs, kind="stable")
    docs, scores = docs[order], scores[order]
    starts = np.flatnonzero(np.concatenate(([True], docs[1:] != docs[:-1])))
    return docs[starts], scores, starts


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """``np.unique`` of an ascending array, without sorting or hashing it again."""
    if len(values) < 2:
        return values
    return values[np.concatenate(([True], values[1:] != values[:-1]))]


def _locate(docs: np.ndarray, among: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(which of ``docs`` are in sorted ``among``, and where) — a sorted intersection."""
    if not len(among):
        return np.zeros(len(docs), dtype=bool), np.zeros(len(docs), dtype=np.int64)
    at = np.searchsorted(among, docs)
    at[at == len(among)] = 0
    return among[at] == docs, at


def _without(matches: Matches, excluded: Matches) -> Matches:
    if not len(excluded) or not len(matches):
        return matches
    found, _ = _locate(matches.docs, excluded.docs)
    return Matches(matches.docs[~found], matches.scores[~found])


class ColumnarCache:
    """The generation's ``ColumnarIndex``, opened on first use (None if it cannot be:
    a reader without companions and no right to write them uses ``execution``)."""

    def __init__(self, generation: Path | None):
        self._generation = generation
        self._lock = threading.Lock()
        self._index: ColumnarIndex | None = None
        self._failed = generation is None

    def get(self, searcher: Searcher, statistics: IndexStatistics) -> ColumnarIndex | None:
        if self._failed:
            return None
        with self._lock:
            if self._index is None and not self._failed:
                assert self._generation is not None
                try:
                    self._index = ColumnarIndex(searcher, self._generation, statistics)
                except (OSError, ValueError, KeyError):
                    self._failed = True
            return self._index
