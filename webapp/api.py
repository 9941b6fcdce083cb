"""The JSON API: search, documents, health, stats and its OpenAPI document.

Errors never leave here as HTML: every failure under /api/ is answered by
errors.py in the one JSON error shape.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from indexer.model import FACETS, IndexUnavailableError, ParameterError

from .conventions import link_header, search_page_links
from .openapi import openapi_document
from .params import has_filters, parse_search_request
from .serialize import document_json, search_json, stats_json
from .service import get_service

bp = Blueprint("api", __name__, url_prefix="/api")
_FILTERS = ", ".join([*(facet.param for facet in FACETS), "from", "to"])


@bp.get("/search")
def search() -> Response:
    search_request = parse_search_request(request.args, current_app.config)
    if not search_request.query and not has_filters(search_request):
        raise ParameterError(
            f"Give a query in q, or at least one filter ({_FILTERS}) to browse.", parameter="q"
        )
    result = get_service().search(search_request)
    body = search_json(result)
    body["links"] = search_page_links(search_request, result.pages, current_app.config)
    response = jsonify(body)
    link_header(response, body["links"])
    return response


@bp.get("/documents/<path:doc_id>")
def document(doc_id: str) -> Response:
    query = request.args.get("q", "").strip()
    service = get_service()
    service.limits.check_query(query)  # the page cuts it instead; the API says so
    return jsonify(document_json(service.document(doc_id, query)))


@bp.get("/health")
def health() -> tuple[Response, int]:
    """200 while the index answers, 503 while it is missing (for load balancers)."""
    try:
        report = get_service().health()
    except IndexUnavailableError:
        report = {"status": "unavailable", "documents": 0, "generation": ""}
    body = {
        "status": "ok" if report.get("status") == "ok" else "unavailable",
        "documents": int(report.get("documents") or 0),
        "generation": str(report.get("generation") or ""),
    }
    return jsonify(body), 200 if body["status"] == "ok" else 503


@bp.get("/stats")
def stats() -> Response:
    return jsonify(stats_json(get_service().stats()))


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_document(current_app.config))
