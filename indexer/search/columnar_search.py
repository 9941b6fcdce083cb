"""One search request over columnar postings: match, filter, count facets, rank a page.

The steps of ``SearchService._search`` with arrays in place of Python sets: the
match set is a boolean mask over the generation's documents, each filter is a
mask (facet values from the per-document value codes, dates from the date
columns), a facet's counts are one ``bincount`` of the value codes of the
matches narrowed by the *other* filters (organizations, several per document,
count each value's documents in the mask), and the page comes from
``argpartition`` with Whoosh's tie order (score, then document number; or
newest first, then most recently indexed). Only the page's hits are turned
into Python objects.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from whoosh import query as wq

from indexer.ingest.dates import date_key
from indexer.model import FACETS_BY_NAME, Facet, SearchRequest
from indexer.search.collapse import StoryCodes, story_documents
from indexer.search.columnar_stories import (
    NO_VERSIONS,
    StoryColumns,
    Versions,
    collapse_docs,
    distinct_stories,
    versions_of,
)
from indexer.search.execution import QueryExecution
from indexer.search.facets import SINGLE_VALUED, FacetCache, count_facet, listed_facets
from indexer.search.parsing import CompiledQuery
from indexer.search.vectorized import ColumnarIndex, Matches, VectorizedExecution


@dataclass(slots=True)
class Found:
    total: int
    page: list[int]  # the page's documents, best first
    scores: dict[int, float]  # the page's scores (none when browsing)
    facets: dict[str, Facet]
    query: wq.Query
    relaxed: bool
    execution: VectorizedExecution  # for the page's highlighting
    versions: dict[int, int]  # the page's documents with company in their story


class FacetColumns:
    """Facet values as arrays, per generation: codes per document for single-valued
    facets, a sorted document array per value for organizations."""

    def __init__(self, cache: FacetCache):
        self.cache = cache
        self._lock = threading.Lock()
        self._codes: dict[str, tuple[np.ndarray, list[str], dict[str, int]]] = {}
        self._docs: dict[str, dict[str, np.ndarray]] = {}
        self._csr: dict[str, tuple[list[str], np.ndarray, np.ndarray]] = {}
        self._stories: StoryColumns | None = None

    def stories(self, stories: StoryCodes, size: int) -> StoryColumns:
        """The generation's story numbers as arrays (``stories`` is its ``story_codes``)."""
        with self._lock:
            found = self._stories
        if found is None:
            found = StoryColumns(stories, size)
            with self._lock:
                self._stories = found
        return found

    def codes(self, fieldname: str) -> tuple[np.ndarray, list[str], dict[str, int]]:
        with self._lock:
            found = self._codes.get(fieldname)
        if found is None:
            codes, names = self.cache.value_codes(fieldname)
            found = (np.asarray(memoryview(codes)), names, {n: i for i, n in enumerate(names)})
            with self._lock:
                self._codes[fieldname] = found
        return found

    def docs(self, fieldname: str) -> dict[str, np.ndarray]:
        with self._lock:
            found = self._docs.get(fieldname)
        if found is None:
            found = {
                value: np.sort(np.fromiter(docs, dtype=np.int64, count=len(docs)))
                for value, docs in self.cache.values(fieldname).items()
            }
            with self._lock:
                self._docs[fieldname] = found
        return found

    def mask(self, fieldname: str, values: tuple[str, ...], size: int) -> np.ndarray:
        if fieldname in SINGLE_VALUED:
            codes, _, code_of = self.codes(fieldname)
            wanted = [code_of[v] for v in values if v in code_of and v]
            return np.isin(codes, np.array(wanted, dtype=codes.dtype))
        mask = np.zeros(size, dtype=bool)
        table = self.docs(fieldname)
        for value in values:
            if value in table:
                mask[table[value]] = True
        return mask

    def counts(self, fieldname: str, base: np.ndarray) -> dict[str, int]:
        """Documents of the ``base`` mask per value (values with none left out)."""
        if fieldname in SINGLE_VALUED:
            codes, names, _ = self.codes(fieldname)
            counted = np.bincount(codes[base], minlength=len(names))
            return {names[c]: int(counted[c]) for c in np.flatnonzero(counted) if c}
        names, docs, owner = self.csr(fieldname)
        counted = np.bincount(owner[base[docs]], minlength=len(names))
        return {names[i]: int(counted[i]) for i in np.flatnonzero(counted)}

    def story_counts(
        self, fieldname: str, base: np.ndarray, stories: StoryColumns
    ) -> dict[str, int]:
        """Stories of the ``base`` mask per value (``collapse.story_counts``): its
        documents, less the copies of a story already counted for that value."""
        counts = self.counts(fieldname, base)
        if not stories.any_shared:
            return counts
        if fieldname in SINGLE_VALUED:
            codes, names, _ = self.codes(fieldname)
            copies = np.flatnonzero(base & stories.shared)
            values = codes[copies]
        else:
            names, docs, owner = self.csr(fieldname)
            taken = base[docs] & stories.shared[docs]
            copies, values = docs[taken], owner[taken]
        if not len(copies):
            return counts
        repeated = distinct_stories(stories, values, copies, len(names))
        for code in np.flatnonzero(repeated):
            name = names[code]
            if name in counts:
                counts[name] -= int(repeated[code])
        return counts

    def csr(self, fieldname: str) -> tuple[list[str], np.ndarray, np.ndarray]:
        """A multi-valued facet as (values, every value's documents one after another,
        the value of each of those entries): one bincount counts every value."""
        with self._lock:
            found = self._csr.get(fieldname)
        if found is None:
            table = self.docs(fieldname)
            names = list(table)
            arrays = [table[name] for name in names]
            docs = np.concatenate(arrays) if arrays else np.empty(0, np.int64)
            owner = np.repeat(np.arange(len(names)), [len(a) for a in arrays])
            found = (names, docs, owner)
            with self._lock:
                self._csr[fieldname] = found
        return found


def prepare(columns: ColumnarIndex, facet_columns: FacetColumns, story_codes: StoryCodes) -> None:
    """Build the generation's tables a search reads (story numbers, facet value codes,
    organizations' arrays, dates) if not yet built: once per generation, seconds at
    300k, so the service does it outside a request's deadline."""
    facet_columns.stories(story_codes, columns.size)
    for facet in FACETS_BY_NAME.values():
        if facet.index_field in SINGLE_VALUED:
            facet_columns.codes(facet.index_field)
        else:
            facet_columns.csr(facet.index_field)
    columns.dates()


def search_columnar(
    columns: ColumnarIndex,
    facet_columns: FacetColumns,
    execution: QueryExecution,
    request: SearchRequest,
    compiled: CompiledQuery,
    labeler: Callable[[str, str], str],
    story_codes: StoryCodes,
) -> Found:
    size = columns.size
    query, relaxed = compiled.query, False
    vectorized = VectorizedExecution(columns, execution)
    stories = facet_columns.stories(story_codes, size)
    if compiled.browse:
        matches = None
        matched = columns.live
    else:
        matches = vectorized.matches(compiled.query)
        if not len(matches) and compiled.relaxed is not None:
            loose = vectorized.matches(compiled.relaxed)
            if len(loose):
                matches, query, relaxed = loose, compiled.relaxed, True
        matched = np.zeros(size, dtype=bool)
        matched[matches.docs] = True
    filters = _filters(columns, facet_columns, request, execution)
    final = matched.copy()
    for mask in filters.values():
        final &= mask
    collapsing = request.collapse == "story"
    facets = _facets(facet_columns, request, matched, filters, labeler,
                     stories if collapsing else None)  # fmt: skip
    docs = np.flatnonzero(final)
    by_date = matches is None or request.sort == "date"  # which version of a story shows
    versions: Versions = NO_VERSIONS
    if collapsing:
        copies = stories.copies(docs)
        rank = None
        if len(copies):
            rank = columns.dates()[0][copies] if by_date else _scores_of(matches, copies)
        docs, versions = collapse_docs(docs, stories, rank, newest=by_date)
    start = (request.page - 1) * request.per_page
    limit = start + request.per_page
    page: list[int] = []
    scores: dict[int, float] = {}
    if start < len(docs):
        if request.sort == "date_asc":
            page = oldest_first(columns.dates()[0], docs, limit)[start:]
        elif by_date:
            page = newest_first(columns.dates()[0], docs, limit)[start:]
        else:
            assert matches is not None
            kept = np.zeros(size, dtype=bool)
            kept[docs] = True
            page = top_of_matches(matches, kept, limit)[start:]
        if matches is not None:
            scores = dict(zip(page, _scores_of(matches, np.asarray(page)).tolist(), strict=True))
        if not collapsing:
            versions = versions_of(np.flatnonzero(final), stories)
    return Found(len(docs), page, scores, facets, query, relaxed, vectorized, versions.of(page))


def _scores_of(matches: Matches | None, docs: np.ndarray) -> np.ndarray:
    """The scores of ``docs`` (all among the matches; zeros when browsing)."""
    if matches is None:
        return np.zeros(len(docs))
    return matches.scores[np.searchsorted(matches.docs, docs)]


def _filters(
    columns: ColumnarIndex,
    facet_columns: FacetColumns,
    request: SearchRequest,
    execution: QueryExecution,
) -> dict[str, np.ndarray]:
    filters = {
        name: facet_columns.mask(FACETS_BY_NAME[name].index_field, values, columns.size)
        for name, values in request.selections().items()
        if values
    }
    if request.story:
        story = np.zeros(columns.size, dtype=bool)
        found = story_documents(execution.searcher, request.story)
        story[np.fromiter(found, dtype=np.int64, count=len(found))] = True
        filters["story"] = story
    if request.date_from or request.date_to:
        lower = date_key(request.date_from) if request.date_from else 1
        upper = date_key(request.date_to) if request.date_to else None
        filters["date"] = columns.in_period(lower, upper)
    return filters


def _facets(
    facet_columns: FacetColumns,
    request: SearchRequest,
    matched: np.ndarray,
    filters: dict[str, np.ndarray],
    labeler: Callable[[str, str], str],
    stories: StoryColumns | None,
) -> dict[str, Facet]:
    """Every facet's counts, each over the matches narrowed by the *other* filters;
    counts of stories, not articles, when ``stories`` is given (collapsed results)."""
    selected = request.selections()
    facets = {}
    for facet, prefix in listed_facets(selected):
        base = matched
        for name, mask in filters.items():
            if name != facet.name:
                base = base & mask
        if stories is None:
            counts = facet_columns.counts(facet.index_field, base)
        else:
            counts = facet_columns.story_counts(facet.index_field, base, stories)
        facets[facet.name] = count_facet(
            facet.name, facet_columns.cache, frozenset(), selected[facet.name], labeler,
            restrict_prefix=prefix, counts=counts,
        )  # fmt: skip
    return facets


def top_of_matches(matches: Matches, kept: np.ndarray, count: int) -> list[int]:
    """The ``count`` best matches that ``kept`` (a mask) keeps, highest score first, ties
    by document number (``execution.top_by_score``): a gather, not a search per candidate."""
    keep = kept[matches.docs]
    return _top(matches.scores[keep], matches.docs[keep], count)


def newest_first(keys: np.ndarray, candidates: np.ndarray, count: int) -> list[int]:
    """The ``count`` newest candidates, undated last, equal dates most recently indexed
    first (``execution.newest_first``)."""
    return _top(keys[candidates].astype(np.float64), candidates, count, newest=True)


def oldest_first(keys: np.ndarray, candidates: np.ndarray, count: int) -> list[int]:
    """The ``count`` oldest candidates, undated last, equal dates first indexed first
    (``execution.oldest_first``)."""
    if count <= 0 or not len(candidates):
        return []
    dated = keys[candidates].astype(np.int64)
    dated[dated == 0] = 1 << 32  # undated: after every date key
    order = np.lexsort((candidates, dated))
    return candidates[order[:count]].tolist()


def _top(values: np.ndarray, docs: np.ndarray, count: int, *, newest: bool = False) -> list[int]:
    if count <= 0 or not len(docs):
        return []
    if count < len(docs):
        threshold = -np.partition(-values, count - 1)[count - 1]
        keep = np.flatnonzero(values >= threshold)
        values, docs = values[keep], docs[keep]
    order = np.lexsort((-docs if newest else docs, -values))
    return docs[order[:count]].tolist()
