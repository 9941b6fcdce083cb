"""The OpenAPI 3.1 description of the JSON API.

Built from the app's config so the limits it states (page, per_page, query
length) are the ones the server enforces. Tests validate real responses
against these schemas, so the document cannot drift from the code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from indexer.model import (
    COLLAPSE_MODES,
    DEFAULT_COLLAPSE,
    DEFAULT_SORT,
    FACETS,
    SORTS,
    FacetSpec,
    SearchLimits,
)

from .errors import ERRORS
from .openapi_shapes import COUNT, COUNTS, DATE_SOURCE, NOTICE, NULLABLE_STRING, PARTIAL_DATE
from .openapi_shapes import ref as _ref
from .openapi_shapes import strict_object as _object
from .openapi_views import add_views
from .search_post_openapi import add_search_post
from .suggest_openapi import suggest_paths, suggest_schemas


def schemas() -> dict[str, Any]:
    """The response bodies' JSON Schemas (2020-12, as OpenAPI 3.1 uses)."""
    organization = _object({"id": {"type": "string"}, "name": {"type": "string"}})
    marked = {"type": "string", "description": "Escaped text; the only markup is <mark>."}
    hit = _object(
        {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "title_html": marked,
            "date": PARTIAL_DATE,
            "date_source": DATE_SOURCE,
            "lang": NULLABLE_STRING,
            "source": NULLABLE_STRING,
            "url": NULLABLE_STRING,
            "organizations": {"type": "array", "items": _ref("OrganizationRef")},
            "score": {"type": "number"},
            "snippet": marked,
            "story": {
                "type": ["string", "null"],
                "description": "Its story's id: the article and its near-duplicates share it.",
            },
            "versions": {
                "type": "integer",
                "minimum": 1,
                "description": "Articles of its story among the results, itself included "
                "(collapse=story shows one of them).",
            },
        }
    )
    version = _object(
        {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "source": NULLABLE_STRING,
            "date": PARTIAL_DATE,
        }
    )
    facet_value = _object(
        {
            "value": {"type": "string"},
            "label": {"type": "string"},
            "count": COUNT,
            "selected": {"type": "boolean"},
        }
    )
    search = _object(
        {
            "query": {"type": "string"},
            "total": COUNT,
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1},
            "pages": COUNT,
            "took_ms": {"type": "number", "minimum": 0},
            "hits": {"type": "array", "items": _ref("Hit")},
            "facets": {
                "type": "object",
                "propertyNames": {"enum": [facet.name for facet in FACETS]},
                "additionalProperties": {"type": "array", "items": _ref("FacetValue")},
            },
            "suggestion": {
                "type": ["string", "null"],
                "description": 'A corrected query worth offering ("did you mean").',
            },
            "relaxed": {
                "type": "boolean",
                "description": "No document had every word; partial matches are shown.",
            },
            "query_words_used": {
                "type": "array",
                "items": {"type": "string"},
                "description": "For a query read as a description (more words than the "
                "term limit, or prose without operators): the most telling words it was "
                "searched for, in the order of the text. Empty for a typed query.",
            },
            "backend": {"type": "string", "description": "whoosh or typesense (README)"},
            "not_honoured": {
                "type": "array",
                "items": {"type": "string"},
                "description": "What the backend answered differently from Dossier's own.",
            },
        }
    )
    document = _object(
        {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "title_html": marked,
            "body_html": {
                "type": "string",
                "description": "Escaped paragraphs separated by blank lines; only <mark>.",
            },
            "date": PARTIAL_DATE,
            "date_source": DATE_SOURCE,
            "lang": NULLABLE_STRING,
            "source": NULLABLE_STRING,
            "url": NULLABLE_STRING,
            "organizations": {"type": "array", "items": _ref("OrganizationRef")},
            "story": {"type": ["string", "null"]},
            "versions": {
                "type": "array",
                "items": version,
                "description": "The other articles of its story (near-duplicates).",
            },
        }
    )
    health = _object(
        {
            "status": {"enum": ["ok", "unavailable"]},
            "documents": COUNT,
            "generation": {"type": "string"},
            "notice": NOTICE,
        }
    )
    health["required"] = ["status", "documents", "generation"]  # a notice only when there is one
    stats = _object(
        {
            "documents": COUNT,
            "languages": COUNTS,
            "organizations": COUNTS,
            "years": COUNTS,
            "sources": COUNTS,
            "undated": COUNT,
            "undetermined_language": COUNT
            | {
                "description": "Articles whose language was too short or mixed to detect "
                "(lang 'und'; language-neutral analysis)."
            },
            "date_min": PARTIAL_DATE,
            "date_max": PARTIAL_DATE,
            "size_bytes": COUNT,
            "generation": {"type": "string"},
            "notice": {**NOTICE, "type": ["string", "null"]},
        }
    )
    error = _object(
        {
            "error": _object(
                {
                    "status": {"type": "integer", "enum": sorted(ERRORS)},
                    "message": {"type": "string", "minLength": 1},
                }
            )
        },
        "The one error shape of the whole API.",
    )
    return {
        **suggest_schemas(_object, _ref("Hit")),
        "OrganizationRef": organization,
        "Hit": hit,
        "FacetValue": facet_value,
        "SearchResponse": search,
        "DocumentResponse": document,
        "HealthResponse": health,
        "StatsResponse": stats,
        "Error": error,
    }


def _facet_value(facet: FacetSpec) -> dict[str, Any]:
    """The schema of one value of a facet's URL parameter."""
    if facet.allowed:
        return {"enum": sorted(facet.allowed)}
    if facet.pattern:
        return {"type": "string", "pattern": f"^({facet.pattern})$"}
    return {"type": "string"}


def _parameters(config: Mapping[str, Any]) -> dict[str, Any]:
    def query(name: str, schema: dict, description: str, *, repeat: bool = False) -> dict:
        if repeat:
            schema = {"type": "array", "items": schema}
        parameter: dict[str, Any] = {
            "name": name,
            "in": "query",
            "schema": schema,
            "description": description,
        }
        if repeat:
            parameter.update(style="form", explode=True)
        return parameter

    day = {"type": "string", "format": "date"}
    return {
        "q": query(
            "q",
            {"type": "string", "maxLength": config["MAX_QUERY_CHARS"]},
            "The query (see README, query syntax). May be empty when a filter is given. "
            "Longer than the limit answers 413.",
        ),
        **{
            facet.param: query(
                facet.param, _facet_value(facet), f"{facet.help} (repeatable).", repeat=True
            )
            for facet in FACETS
        },
        "from": query("from", day, "Earliest publication date, YYYY-MM-DD."),
        "to": query("to", day, "Latest publication date, YYYY-MM-DD."),
        "sort": query(
            "sort",
            {"enum": list(SORTS), "default": DEFAULT_SORT},
            "Order: "
            + "; ".join(f"{key}, {label}" for key, label in SORTS.items())
            + " (articles without a date last in both date orders).",
        ),
        "collapse": query(
            "collapse",
            {"enum": list(COLLAPSE_MODES), "default": DEFAULT_COLLAPSE},
            "story: one hit per story (an article and its near-duplicates), its best-ranked "
            "version, with totals and facet counts counting stories; none: every article.",
        ),
        "story": query(
            "story",
            {"type": "string", "minLength": 1, "maxLength": SearchLimits().max_filter_chars},
            "Only the articles of this story (a hit's story).",
        ),
        "page": query(
            "page",
            {"type": "integer", "minimum": 1, "maximum": config["MAX_PAGE"], "default": 1},
            "Result page.",
        ),
        "per_page": query(
            "per_page",
            {
                "type": "integer",
                "minimum": 1,
                "maximum": config["MAX_PER_PAGE"],
                "default": config["DEFAULT_PER_PAGE"],
            },
            "Hits per page.",
        ),
    }


def _responses(ok: str, description: str, *statuses: int, limited: bool = True) -> dict[str, Any]:
    responses: dict[str, Any] = {
        "200": {"description": description, "content": {"application/json": {"schema": _ref(ok)}}}
    }
    # Any address: a query string that is not UTF-8 (400), a request line or header
    # fields over the server's limits (414, 431).
    common = {400, 405, 414, 431, 429, 500} if limited else {400, 405, 414, 431, 500}
    for status in sorted({*statuses, *common}):
        responses[str(status)] = {"$ref": f"#/components/responses/{ERRORS[status][0]}"}
    return responses


def _error_responses() -> dict[str, Any]:
    responses = {}
    for status, (name, description) in ERRORS.items():
        response: dict[str, Any] = {
            "description": description,
            "content": {"application/json": {"schema": _ref("Error")}},
        }
        if status == 429:
            response["headers"] = {
                "Retry-After": {
                    "description": "Seconds to wait before the next request.",
                    "schema": {"type": "integer", "minimum": 1},
                }
            }
        responses[name] = response
    return responses


def openapi_document(config: Mapping[str, Any]) -> dict[str, Any]:
    """The whole OpenAPI 3.1 document for this app's configuration."""
    search_params = [{"$ref": f"#/components/parameters/{name}"} for name in _parameters(config)]
    doc_id = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
    mark_query = {
        "name": "q",
        "in": "query",
        "schema": {"type": "string", "maxLength": config["MAX_QUERY_CHARS"]},
        "description": "Optional query whose matches are marked in the text.",
    }
    health_unavailable = {
        "description": "The index is missing or unreadable.",
        "content": {"application/json": {"schema": _ref("HealthResponse")}},
    }
    document = {
        "openapi": "3.1.0",
        "info": {
            "title": "Dossier",
            "version": "1",
            "summary": "Multilingual search over a news archive.",
        },
        "paths": {
            "/api/search": {
                "get": {
                    "operationId": "search",
                    "summary": "Search articles, with facets and paging.",
                    "parameters": search_params,
                    "responses": _responses("SearchResponse", "One page of hits.", 400, 413, 503),
                }
            },
            "/api/documents/{id}": {
                "get": {
                    "operationId": "document",
                    "summary": "One article in full.",
                    "parameters": [doc_id, mark_query],
                    "responses": _responses("DocumentResponse", "The article.", 404, 413, 503),
                }
            },
            **suggest_paths(doc_id, _responses),
            "/api/health": {
                "get": {
                    "operationId": "health",
                    "summary": "Whether the index answers (for load balancers).",
                    "responses": {
                        **_responses("HealthResponse", "The index answers.", limited=False),
                        "503": health_unavailable,
                    },
                }
            },
            "/api/stats": {
                "get": {
                    "operationId": "stats",
                    "summary": "What the index holds.",
                    "responses": _responses("StatsResponse", "Index statistics.", 503),
                }
            },
            "/api/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document.",
                    "responses": {
                        "200": {
                            "description": "The OpenAPI document.",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
        },
        "components": {
            "schemas": schemas(),
            "parameters": _parameters(config),
            "responses": _error_responses(),
        },
    }
    add_search_post(document, _responses)  # POST /api/search: search_post_openapi.py
    return add_views(document, config)  # organizations, export, feeds: openapi_views.py
