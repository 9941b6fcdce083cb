"""A search result as the JSON document that `dossier search --json` and
``GET /api/search`` both print (shapes in webapp/openapi.py).

One function for both, so the command line and the API cannot drift apart.
The web app passes the markup fields (``title_html``, ``snippet``) through its
sanitizer on top; for the engine's own output that changes nothing.
"""

from __future__ import annotations

from typing import Any

from indexer.model import Hit, OrganizationRef, SearchResult


def organizations_json(refs: list[OrganizationRef]) -> list[dict[str, str]]:
    return [{"id": ref.id, "name": ref.name} for ref in refs]


def hit_json(hit: Hit) -> dict[str, Any]:
    """One hit; ``title_html`` and ``snippet`` are escaped text with ``<mark>`` on matches."""
    return {
        "id": hit.id,
        "title": hit.title,
        "title_html": hit.title_html,
        "date": hit.date,
        "date_source": hit.date_source,
        "lang": hit.lang,
        "source": hit.source,
        "url": hit.url,
        "organizations": organizations_json(hit.organizations),
        "score": round(float(hit.score), 4),
        "snippet": hit.snippet,
        "story": hit.story,
        "versions": hit.versions,
    }


def search_result_json(result: SearchResult) -> dict[str, Any]:
    """The whole result: request echo, counts, hits, facets, suggestion."""
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
        "query_words_used": list(result.query_words_used),
        "backend": result.backend,
        "not_honoured": list(result.not_honoured),
    }
