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

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from whoosh import query as wq

from indexer.ingest.dates import date_key
from indexer.model import FACETS_BY_NAME, Facet, SearchRequest
from indexer.search.collapse import story_documents
from indexer.search.columnar_facets import FacetColumns
from indexer.search.columnar_stories import (
    NO_VERSIONS,
    StoryColumns,
    Versions,
    collapse_docs,
    versions_of,
)
from indexer.search.execution import QueryExecution
from indexer.search.facets import count_facet, listed_facets
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


def search_columnar(
    columns: ColumnarIndex,
    facet_columns: FacetColumns,
    execution: QueryExecution,
    request: SearchRequest,
    compiled: CompiledQuery,
    labeler: Callable[[str, str], str],
) -> Found:
    size = columns.size
    query, relaxed = compiled.query, False
    vectorized = VectorizedExecution(columns, execution)
    stories = facet_columns.stories()
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
            facet.name, facet_columns, frozenset(), selected[facet.name], labeler,
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
