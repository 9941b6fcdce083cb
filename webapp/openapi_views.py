"""The analyst views' part of the OpenAPI document: organizations, export, feeds.

Kept apart from openapi.py so the two grow independently; ``add_views`` is
called once at the end of ``openapi_document``. It also adds the pagination
links (body and ``Link`` header) to the search response.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .openapi_shapes import COUNT, COUNTS, NULLABLE_STRING, PARTIAL_DATE, STRING, URL
from .openapi_shapes import ref as _ref
from .openapi_shapes import strict_object as _object
from .organizations import DEFAULT_PER_PAGE, MAX_FILTER_CHARS, MAX_PER_PAGE

LINKS = _object(
    {
        "self": URL,
        "next": {"type": ["string", "null"], "description": "The next page; null on the last."},
        "prev": {
            "type": ["string", "null"],
            "description": "The previous page; null on the first.",
        },
    }
)
LINK_HEADER = {
    "Link": {
        "description": 'RFC 8288 links to the next and previous pages (rel="next", rel="prev").',
        "schema": {"type": "string"},
    }
}


def _schemas() -> dict[str, Any]:
    summary = {
        "id": STRING,
        "name": STRING,
        "names": {"type": "object", "additionalProperties": STRING},
        "kind": STRING,
        "country": STRING,
        "count": COUNT,
        "url": URL,
        "html_url": URL,
    }
    counted = _object({"value": STRING, "label": STRING, "count": COUNT, "search_url": URL})
    related = _object({**counted["properties"], "html_url": URL})
    article = _object(
        {
            "id": STRING,
            "title": STRING,
            "date": PARTIAL_DATE,
            "lang": NULLABLE_STRING,
            "source": NULLABLE_STRING,
            "url": NULLABLE_STRING,
            "organizations": {"type": "array", "items": _ref("OrganizationRef")},
        }
    )
    profile = _object(
        {
            **summary,
            "aliases": {"type": "array", "items": STRING},
            "years": COUNTS,
            "months": COUNTS,
            "undated": COUNT,
            "related": {"type": "array", "items": related},
            "sources": {"type": "array", "items": counted},
            "languages": {"type": "array", "items": counted},
            "latest": {"type": "array", "items": article, "maxItems": 10},
            "search_url": URL,
            "feed_url": URL,
            "export_url": URL,
        }
    )
    listing = _object(
        {
            "q": STRING,
            "total": COUNT,
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1},
            "pages": COUNT,
            "organizations": {"type": "array", "items": _ref("OrganizationSummary")},
            "links": _ref("PageLinks"),
        }
    )
    return {
        "PageLinks": LINKS,
        "OrganizationSummary": _object(summary),
        "OrganizationProfile": profile,
        "OrganizationList": listing,
    }


def _errors(*statuses: int) -> dict[str, Any]:
    names = {400: "BadRequest", 404: "NotFound", 405: "MethodNotAllowed", 413: "PayloadTooLarge",
             429: "TooManyRequests", 500: "InternalError", 503: "Unavailable"}  # fmt: skip
    wanted = sorted({*statuses, 405, 429, 500})
    return {str(s): {"$ref": f"#/components/responses/{names[s]}"} for s in wanted}


def _html_errors(*statuses: int) -> dict[str, Any]:
    """Routes outside /api/ answer errors as an HTML page."""
    wanted = sorted({*statuses, 405, 429, 500})
    page = {"text/html": {"schema": {"type": "string"}}}
    return {str(s): {"description": "An error page.", "content": page} for s in wanted}


def _ok(description: str, media: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {media: {"schema": schema}}}


def add_views(doc: dict[str, Any], config: Mapping[str, Any]) -> dict[str, Any]:
    """Add the analyst views' paths and schemas to ``doc`` (in place) and return it."""
    components = doc["components"]
    components["schemas"].update(_schemas())
    search = components["schemas"].get("SearchResponse")
    if search is not None and "links" not in search["properties"]:
        search["properties"]["links"] = _ref("PageLinks")
        search["required"].append("links")
    params = components["parameters"]
    search_params = [{"$ref": f"#/components/parameters/{name}"} for name in params]
    export_params = [p for p in search_params if not p["$ref"].endswith(("/page", "/per_page"))]
    paths = doc["paths"]
    for path, item in paths.items():  # every API route refuses unknown parameters with 400
        if path.startswith("/api/"):
            item["get"]["responses"].setdefault(
                "400", {"$ref": "#/components/responses/BadRequest"}
            )
    if "/api/search" in paths:
        ok = paths["/api/search"]["get"]["responses"]["200"]
        ok.setdefault("headers", {}).update(LINK_HEADER)
    org_id = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
    listing_params = [
        {"name": "q", "in": "query", "description": "Keep organizations whose id or a name "
         "contains this text (any case).",
         "schema": {"type": "string", "maxLength": MAX_FILTER_CHARS}},
        {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1,
         "maximum": 1_000_000, "default": 1}},
        {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1,
         "maximum": MAX_PER_PAGE, "default": DEFAULT_PER_PAGE}},
    ]  # fmt: skip
    listing_ok = _ok("One page of organizations, most named first.", "application/json",
                     _ref("OrganizationList"))  # fmt: skip
    listing_ok["headers"] = dict(LINK_HEADER)
    export_headers = {
        "X-Total-Count": {"description": "Matches in all.", "schema": {"type": "integer"}},
        "X-Export-Rows": {
            "description": f"Rows in this export (at most {config['EXPORT_MAX_ROWS']}).",
            "schema": {"type": "integer"},
        },
    }
    paths.update(
        {
            "/api/organizations": {"get": {
                "operationId": "listOrganizations",
                "summary": "Every organization the index names, with article counts.",
                "parameters": listing_params,
                "responses": {"200": listing_ok, **_errors(400, 503)},
            }},
            "/api/organizations/{id}": {"get": {
                "operationId": "getOrganization",
                "summary": "One organization: names, mentions over time, co-occurring "
                "organizations, sources, languages, latest articles.",
                "parameters": [org_id],
                "responses": {
                    "200": _ok("The organization.", "application/json",
                               _ref("OrganizationProfile")),
                    **_errors(400, 404, 503),
                },
            }},
            "/api/export.csv": {"get": {
                "operationId": "exportCsv",
                "summary": "The whole result set of a search as CSV (id, date, date_source, "
                "title, source, language, organizations, url, story, versions, score), at most "
                f"{config['EXPORT_MAX_ROWS']} rows: one per story unless collapse=none.",
                "parameters": export_params,
                "responses": {
                    "200": {**_ok("CSV, streamed.", "text/csv", STRING),
                            "headers": export_headers},
                    **_errors(400, 413, 503),
                },
            }},
            "/api/export.jsonl": {"get": {
                "operationId": "exportJsonLines",
                "summary": "The whole result set of a search as JSON Lines, one hit a line "
                "(one per story unless collapse=none), with the CSV's columns.",
                "parameters": export_params,
                "responses": {
                    "200": {**_ok("JSON Lines, streamed.", "application/x-ndjson", STRING),
                            "headers": export_headers},
                    **_errors(400, 413, 503),
                },
            }},
            "/search.atom": {"get": {
                "operationId": "searchFeed",
                "summary": "A search as an Atom feed, newest first (the search page's parameters).",
                "parameters": export_params,
                "responses": {
                    "200": _ok("An Atom feed.", "application/atom+xml", STRING),
                    **_html_errors(400, 413, 503),
                },
            }},
            "/opensearch.xml": {"get": {
                "operationId": "openSearchDescription",
                "summary": "The OpenSearch description, so browsers offer Dossier as a search "
                "engine.",
                "responses": {
                    "200": _ok("OpenSearch 1.1.", "application/opensearchdescription+xml",
                               STRING),
                    **_html_errors(),
                },
            }},
            "/robots.txt": {"get": {
                "operationId": "robots",
                "summary": "What crawlers may visit.",
                "responses": {"200": _ok("robots.txt", "text/plain", STRING), **_html_errors()},
            }},
        }
    )  # fmt: skip
    return doc
