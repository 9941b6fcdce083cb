"""The JSON API: search, documents, health, stats and its OpenAPI document.

Errors never leave here as HTML: every failure under /api/ is answered by
errors.py in the one JSON error shape.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request
from werkzeug.datastructures import MultiDict

from indexer.model import FACETS, IndexUnavailableError, ParameterError

from .conventions import link_header, search_page_links
from .openapi import openapi_document
from .params import has_filters, parse_search_request
from .request_body import json_search_args
from .serialize import document_json, search_json, stats_json
from .service import get_service
from .wire import MAX_REQUEST_LINE

bp = Blueprint("api", __name__, url_prefix="/api")
_FILTERS = ", ".join([*(facet.param for facet in FACETS), "from", "to"])


@bp.get("/search")
def search() -> Response:
    return _search(request.args)


@bp.post("/search")
def search_post() -> Response:
    """The same search with its parameters in a JSON body: for a query too long for
    an address (a pasted article). Not cached: the address does not name the search."""
    response = _search(json_search_args(request))
    response.headers["Cache-Control"] = "no-store"
    if len(response.headers.get("Link", "")) > MAX_REQUEST_LINE:
        del response.headers["Link"]  # addresses too long to follow (the body keeps them)
    return response


def _search(args: MultiDict[str, str]) -> Response:
    search_request = parse_search_request(args, current_app.config)
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
    if report.get("notice"):
        body["notice"] = str(report["notice"])  # it answers, but wants a rebuild
    return jsonify(body), 200 if body["status"] == "ok" else 503


@bp.get("/stats")
def stats() -> Response:
    return jsonify(stats_json(get_service().stats()))


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_document(current_app.config))
