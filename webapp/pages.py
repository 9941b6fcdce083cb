"""HTML pages: the search page and the document page.

Server-rendered, and complete without JavaScript: every control is a link or
a GET form, so the URL holds the whole search. A query too long for an
address (a pasted article) is sent as a form (``POST /``) instead: its page's
controls are then buttons of one form holding the query (links.SearchLinks).
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from werkzeug.datastructures import MultiDict

from indexer.model import (
    FACETS,
    LANGUAGE_NAMES,
    ParameterError,
    QueryError,
    SearchRequest,
)

from .errors import status_of
from .links import SearchLinks, page_numbers, search_url
from .params import SEARCH_PARAMS, has_filters, parse_search_request
from .request_body import form_search_args
from .service import get_service
from .timeline import search_timeline

bp = Blueprint("pages", __name__)


def _links(search: SearchRequest) -> SearchLinks:
    return SearchLinks(search, current_app.config["DEFAULT_PER_PAGE"])


def _error_page(error: ParameterError | QueryError, query: str) -> tuple[str, int]:
    """The search page again, with the query in the box and what to change."""
    status = status_of(error)
    html = render_template("search.html", query=query, error=str(error), status=status)
    return html, status


@bp.get("/")
def search() -> str | tuple[str, int]:
    """Landing page without a query; results, facets and paging with one."""
    return _search_page(request.args)


@bp.post("/")
def search_post() -> str | tuple[str, int]:
    """The same page for a search sent as a form: a query too long for an address.

    No CSRF token: a search changes nothing and reads nothing private (no
    cookies, no accounts), so a forged one only costs the rate limit.
    """
    return _search_page(form_search_args(request))


def _search_page(args: MultiDict[str, str]) -> str | tuple[str, int]:
    raw_query = args.get("q", "")
    try:
        search_request = parse_search_request(args, current_app.config)
    except ParameterError as error:
        return _error_page(error, raw_query)
    service = get_service()
    if not search_request.query and not has_filters(search_request):
        return render_template("search.html", query="", stats=service.stats())
    try:
        result = service.search(search_request)
    except (ParameterError, QueryError) as error:
        return _error_page(error, search_request.query)
    last_page = min(result.pages, current_app.config["MAX_PAGE"])
    facets = [result.facets[facet.name] for facet in FACETS if facet.name in result.facets]
    return render_template(
        "search.html",
        query=search_request.query,
        search=search_request,
        result=result,
        links=_links(search_request),
        facets=facets,
        selected=[(f, v) for f in facets for v in f.values if v.selected],
        timeline=search_timeline(result, _links(search_request)),
        last_page=last_page,
        page_numbers=page_numbers(min(search_request.page, last_page), last_page),
        first_rank=(search_request.page - 1) * search_request.per_page + 1,
    )


@bp.get("/documents/<path:doc_id>")
def document(doc_id: str) -> str:
    """One article in full, with the query's matches marked."""
    query = request.args.get("q", "").strip()[: current_app.config["MAX_QUERY_CHARS"]]
    try:
        view = get_service().document(doc_id, query)
    except QueryError:
        view = get_service().document(doc_id)  # an unparsable query marks nothing
    back = MultiDict(
        [(k, v) for k, v in request.args.items(multi=True) if k in SEARCH_PARAMS and v]
    )
    return render_template(
        "document.html",
        doc=view,
        query=query,
        back_url=search_url(back) if back else None,
        language_names=LANGUAGE_NAMES,
    )
