"""The OpenAPI description of /api/suggest and /api/documents/{id}/related.

Kept beside openapi.py (which merges it in) so that each module stays small.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from indexer.model import COMPLETION_KINDS, LANGUAGE_FACET, SUPPORTED_LANGUAGES


def suggest_schemas(
    make_object: Callable[[dict[str, Any]], dict[str, Any]], hit: dict[str, Any]
) -> dict[str, Any]:
    """The response schemas of the two routes (``hit`` is a reference to Hit)."""
    completion = make_object(
        {
            "text": {"type": "string", "description": "The whole query the completion makes."},
            "kind": {"enum": list(COMPLETION_KINDS)},
            "count": {"type": "integer", "minimum": 0, "description": "Articles it occurs in."},
            "organization": {
                "type": ["string", "null"],
                "description": "The organization's id (for kind organization).",
            },
        }
    )
    suggest = make_object(
        {"query": {"type": "string"}, "suggestions": {"type": "array", "items": completion}}
    )
    related = make_object({"id": {"type": "string"}, "related": {"type": "array", "items": hit}})
    return {"SuggestResponse": suggest, "RelatedResponse": related}


def suggest_paths(
    doc_id: dict[str, Any], responses: Callable[..., dict[str, Any]]
) -> dict[str, Any]:
    """/api/suggest and /api/documents/{id}/related (webapp/suggest.py)."""
    suggest_params = [
        {
            "name": "q",
            "in": "query",
            "required": True,
            "schema": {"type": "string", "minLength": 1, "maxLength": 200},
            "description": "What is typed so far; its last word may be unfinished "
            "(a trailing space means it is finished). Empty answers 400; longer than "
            "200 characters, 413.",
        },
        {
            "name": LANGUAGE_FACET.param,
            "in": "query",
            "schema": {"enum": sorted(SUPPORTED_LANGUAGES)},
            "description": "The typist's language: organizations are named in it, and "
            "what its articles use comes first.",
        },
        {
            "name": "limit",
            "in": "query",
            "schema": {"type": "integer", "minimum": 1, "maximum": 20, "default": 8},
            "description": "Most completions returned.",
        },
        {
            "name": "format",
            "in": "query",
            "schema": {"enum": ["dossier", "opensearch"], "default": "dossier"},
            "description": "opensearch: the OpenSearch suggestions format, "
            "[query, [completion, ...]] as application/x-suggestions+json.",
        },
    ]
    suggest_ok = responses("SuggestResponse", "Completions, most articles first.", 400, 413)
    suggest_ok["200"]["content"]["application/x-suggestions+json"] = {
        "schema": {
            "type": "array",
            "description": "[query, [completion, ...]]: the typed query, then the completions.",
            "items": {"type": ["string", "array"], "items": {"type": "string"}},
            "minItems": 2,
            "maxItems": 2,
        }
    }
    suggest_ok["503"] = {"$ref": "#/components/responses/Unavailable"}
    limit = {
        "name": "limit",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": 20, "default": 5},
        "description": "Most articles returned.",
    }
    return {
        "/api/suggest": {
            "get": {
                "operationId": "suggest",
                "summary": "Completions while typing: words, title phrases, names, organizations.",
                "parameters": suggest_params,
                "responses": suggest_ok,
            }
        },
        "/api/documents/{id}/related": {
            "get": {
                "operationId": "related",
                "summary": "The articles most like this one (a description query from it).",
                "parameters": [doc_id, limit],
                "responses": responses(
                    "RelatedResponse", "The most similar articles.", 400, 404, 503
                ),
            }
        },
    }
