"""The indexer's result objects as the API's JSON (shapes in openapi.py).

A search result's document comes from the engine (indexer.search_result_json),
the one the command line prints too; this module adds only what is the web's.

Every string that carries markup (titles, snippets, document text) passes
through ``clean_marked`` here, exactly as it does on the HTML pages.
"""

from __future__ import annotations

from typing import Any

from indexer import engine_hit_json, organizations_json, search_result_json
from indexer.model import DocumentView, Hit, IndexStats, SearchResult

from .safety import clean_marked


def _sanitized(hit: dict[str, Any]) -> dict[str, Any]:
    hit["title_html"] = str(clean_marked(hit["title_html"]))
    hit["snippet"] = str(clean_marked(hit["snippet"]))
    return hit


def hit_json(hit: Hit) -> dict[str, Any]:
    """One hit as the API shows it (related articles, search hits), sanitized."""
    return _sanitized(engine_hit_json(hit))


def search_json(result: SearchResult) -> dict[str, Any]:
    """The same document as `dossier search --json` (indexer.search_result_json), sanitized."""
    body = search_result_json(result)
    for hit in body["hits"]:
        _sanitized(hit)
    return body


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
        "organizations": organizations_json(view.organizations),
        "story": view.story,
        "versions": [
            {"id": v.id, "title": v.title, "source": v.source, "date": v.date}
            for v in view.versions
        ],
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
        "notice": stats.notice,
    }
