"""The indexer's result objects as the API's JSON (shapes in openapi.py).

Every string that carries markup (titles, snippets, document text) passes
through ``clean_marked`` here, exactly as it does on the HTML pages.
"""

from __future__ import annotations

from typing import Any

from indexer.model import DocumentView, Hit, IndexStats, OrganizationRef, SearchResult

from .safety import clean_marked


def _organizations(refs: list[OrganizationRef]) -> list[dict[str, str]]:
    return [{"id": ref.id, "name": ref.name} for ref in refs]


def hit_json(hit: Hit) -> dict[str, Any]:
    return {
        "id": hit.id,
        "title": hit.title,
        "title_html": str(clean_marked(hit.title_html)),
        "date": hit.date,
        "date_source": hit.date_source,
        "lang": hit.lang,
        "source": hit.source,
        "url": hit.url,
        "organizations": _organizations(hit.organizations),
        "score": round(float(hit.score), 4),
        "snippet": str(clean_marked(hit.snippet)),
    }


def search_json(result: SearchResult) -> dict[str, Any]:
    request = result.request
    return {
        "query": request.query,
        "total": result.total,
        "page": request.page,
        "per_page": request.per_page,
        "pages": result.pages,
        "took_ms": round(result.took_ms, 2),
        "hits": [hit_json(hit) for hit in result.hits],
        "facets": {
            name: [
                {"value": v.value, "label": v.label, "count": v.count, "selected": v.selected}
                for v in facet.values
            ]
            for name, facet in result.facets.items()
        },
        "suggestion": result.suggestion,
        "relaxed": result.relaxed,
    }


def document_json(view: DocumentView) -> dict[str, Any]:
    """The document without ``path``: where the server keeps its files is its own business."""
    return {
        "id": view.id,
        "title": view.title,
        "title_html": str(clean_marked(view.title_html)),
        "body_html": str(clean_marked(view.body_html)),
        "date": view.date,
        "date_source": view.date_source,
        "lang": view.lang,
        "source": view.source,
        "url": view.url,
        "organizations": _organizations(view.organizations),
    }


def stats_json(stats: IndexStats) -> dict[str, Any]:
    """Index statistics without ``path`` (a server detail, as above)."""
    return {
        "documents": stats.documents,
        "languages": dict(stats.languages),
        "organizations": dict(stats.organizations),
        "years": dict(stats.years),
        "sources": dict(stats.sources),
        "undated": stats.undated,
        "undetermined_language": stats.undetermined_language,
        "date_min": stats.date_min,
        "date_max": stats.date_max,
        "size_bytes": stats.size_bytes,
        "generation": stats.generation,
    }
