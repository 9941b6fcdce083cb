"""Per-organization views computed from the index's facet data, cached per generation.

The organization facet already holds, for every organization id, the set of
documents naming it (``FacetCache``); the year, month, source and language
facets hold each document's value. An organization's profile is therefore a
handful of set intersections and ``Counter`` passes over its documents, plus
the stored fields of its ten newest articles: no query runs. With columnar
postings the same figures come from the generation's arrays
(``columnar_facets``): one mask and a ``bincount`` per facet. The results are
kept per index generation (document numbers are only meaningful within one)
and dropped with it, so a new or rebuilt index is never answered from an
older one's figures.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np

from indexer.ingest.organizations import Gazetteer
from indexer.model import (
    LANGUAGE_FACET,
    MONTH_FACET,
    ORGANIZATION_FACET,
    SOURCE_FACET,
    UNDATED,
    YEAR_FACET,
    CountedValue,
    Hit,
    OrganizationProfile,
    OrganizationSummary,
)
from indexer.search.columnar_facets import FacetColumns
from indexer.search.columnar_search import newest_first as newest_of
from indexer.search.execution import newest_first
from indexer.search.facets import default_label
from indexer.search.generations import Generation
from indexer.search.highlight import Highlighter, MatchTerms

LATEST_ARTICLES = 10
RELATED_ORGANIZATIONS = 25
CACHED_PROFILES = 512  # per generation; a profile is a few kilobytes

_ORG_FIELD = ORGANIZATION_FACET.index_field


class _GenerationViews:
    """What one generation has computed so far."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.summaries: list[OrganizationSummary] | None = None
        self.profiles: OrderedDict[str, OrganizationProfile] = OrderedDict()


_views: weakref.WeakKeyDictionary[Generation, _GenerationViews] = weakref.WeakKeyDictionary()
_views_lock = threading.Lock()


def _cache_of(generation: Generation) -> _GenerationViews:
    with _views_lock:
        views = _views.get(generation)
        if views is None:
            views = _views[generation] = _GenerationViews()
        return views


def summary_of(gazetteer: Gazetteer, org_id: str, count: int) -> OrganizationSummary:
    org = gazetteer.organizations.get(org_id)
    if org is None:  # indexed with an older gazetteer: show the id, invent nothing
        return OrganizationSummary(org_id, org_id, {}, "", "", count)
    return OrganizationSummary(
        org_id, org.name("en"), dict(org.names), org.kind, org.country, count
    )


def organization_summaries(
    generation: Generation, gazetteer: Gazetteer
) -> list[OrganizationSummary]:
    """Every organization named by at least one article, most named first."""
    views = _cache_of(generation)
    with views.lock:
        if views.summaries is None:
            tables = generation.facet_columns()
            if tables is not None:
                counted = tables.values(_ORG_FIELD)
            else:
                table = generation.facets.values(_ORG_FIELD)
                counted = {org_id: len(docs) for org_id, docs in table.items()}
            summaries = [summary_of(gazetteer, org_id, n) for org_id, n in counted.items()]
            summaries.sort(key=lambda s: (-s.count, s.name.casefold(), s.id))
            views.summaries = summaries
        return views.summaries


def organization_profile(
    generation: Generation, gazetteer: Gazetteer, highlighter: Highlighter, org_id: str
) -> OrganizationProfile | None:
    """The organization's page data, or None when neither gazetteer nor index knows it."""
    views = _cache_of(generation)
    with views.lock:
        found = views.profiles.get(org_id)
        if found is not None:
            views.profiles.move_to_end(org_id)
            return found
    tables = generation.facet_columns()
    if tables is not None:
        named = tables.value_docs(_ORG_FIELD, org_id)
        if not len(named) and org_id not in gazetteer.organizations:
            return None
        profile = _columnar_profile(generation, tables, gazetteer, highlighter, org_id, named)
    else:
        docs = generation.facets.values(_ORG_FIELD).get(org_id, frozenset())
        if not docs and org_id not in gazetteer.organizations:
            return None
        profile = _profile(generation, gazetteer, highlighter, org_id, docs)
    with views.lock:
        views.profiles[org_id] = profile
        while len(views.profiles) > CACHED_PROFILES:
            views.profiles.popitem(last=False)
    return profile


def _profile(
    generation: Generation,
    gazetteer: Gazetteer,
    highlighter: Highlighter,
    org_id: str,
    docs: frozenset[int],
) -> OrganizationProfile:
    cache = generation.facets
    return profile_from_counts(
        gazetteer, org_id, len(docs),
        lambda fieldname: cache.counts(fieldname, docs) if docs else {},
        _latest(generation, gazetteer, highlighter, docs),
    )  # fmt: skip


def _columnar_profile(
    generation: Generation,
    tables: FacetColumns,
    gazetteer: Gazetteer,
    highlighter: Highlighter,
    org_id: str,
    docs: np.ndarray,
) -> OrganizationProfile:
    """``_profile`` from the generation's arrays: counts are bincounts over a mask."""
    mask = np.zeros(tables.size, dtype=bool)
    mask[docs] = True
    searcher = generation.searcher()
    newest = newest_of(tables.columns.dates()[0], docs, LATEST_ARTICLES)
    latest = [
        stored_hit(searcher.stored_fields(docnum), gazetteer, highlighter, rank, 0.0)
        for rank, docnum in enumerate(newest, start=1)
    ]
    return profile_from_counts(
        gazetteer, org_id, len(docs),
        lambda fieldname: tables.counts(fieldname, mask) if len(docs) else {},
        latest,
    )  # fmt: skip


def profile_from_counts(
    gazetteer: Gazetteer,
    org_id: str,
    total: int,
    counts: Callable[[str], dict[str, int]],
    latest: list[Hit],
) -> OrganizationProfile:
    """The profile from the counts of the organization's articles per facet value
    (``counts(index field)``), whichever backend counted them."""
    years = counts(YEAR_FACET.index_field)
    months = counts(MONTH_FACET.index_field)
    related = dict(counts(_ORG_FIELD))
    related.pop(org_id, None)
    org = gazetteer.organizations.get(org_id)

    def counted(name: str, counts: dict[str, int], label: Callable[[str], str]) -> list:
        values = [CountedValue(value, label(value), n) for value, n in counts.items()]
        values.sort(key=lambda v: (-v.count, v.label.casefold(), v.value))
        return values

    sources = counts(SOURCE_FACET.index_field)
    languages = counts(LANGUAGE_FACET.index_field)
    return OrganizationProfile(
        summary=summary_of(gazetteer, org_id, total),
        aliases=list(dict.fromkeys(org.aliases)) if org else [],
        years={y: n for y, n in sorted(years.items()) if y != UNDATED},
        months={m: n for m, n in sorted(months.items()) if m != UNDATED},
        undated=years.get(UNDATED, 0),
        related=counted("organization", related, gazetteer.label)[:RELATED_ORGANIZATIONS],
        sources=counted("source", sources, lambda v: v),
        languages=counted("lang", languages, lambda v: default_label("lang", v)),
        latest=latest,
    )


def _latest(
    generation: Generation, gazetteer: Gazetteer, highlighter: Highlighter, docs: frozenset[int]
) -> list[Hit]:
    searcher = generation.searcher()
    keys = generation.statistics.date_keys(searcher)
    newest = newest_first(keys, docs, LATEST_ARTICLES)
    return [
        stored_hit(searcher.stored_fields(docnum), gazetteer, highlighter, rank, 0.0)
        for rank, docnum in enumerate(newest, start=1)
    ]


def stored_hit(
    fields: dict[str, Any],
    gazetteer: Gazetteer,
    highlighter: Highlighter | None,
    rank: int,
    score: float,
    versions: int = 1,
) -> Hit:
    """A hit from stored fields alone: no snippet, the title escaped with nothing marked
    (left empty without a ``highlighter``: an export has no use for it)."""
    lang = fields.get("lang") or "en"
    title = fields.get("title") or ""
    return Hit(
        id=fields["id"],
        title=title,
        date=fields.get("date"),
        lang=lang,
        source=fields.get("source"),
        url=fields.get("url"),
        organizations=[gazetteer.ref(o) for o in fields.get("organizations", [])],
        score=round(score, 4),
        rank=rank,
        snippet="",
        title_html=highlighter.mark_all(title, lang, MatchTerms(), title=True)
        if highlighter
        else "",
        date_source=fields.get("date_source"),
        story=fields.get("story") or fields["id"],
        versions=versions,
    )
