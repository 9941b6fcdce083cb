"""Every search as an Atom feed, and the OpenSearch description.

``/search.atom?…`` takes the search page's parameters and answers the newest
matches first, so a feed reader subscribed to "articles naming X" becomes an
alert service. ``/opensearch.xml`` lets a browser add Dossier as a search
engine. Both are XML rendered by autoescaping templates: every title, name
and snippet is text, and a snippet's ``<mark>`` travels as escaped HTML.
"""

from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, render_template, request, url_for

from indexer.model import LANGUAGE_NAMES, ORGANIZATION_FACET, Hit, ParameterError, SearchResult

from .links import SearchLinks
from .params import has_filters, parse_search_request, request_args
from .safety import clean_marked
from .service import get_service

bp = Blueprint("feeds", __name__)

FEED_ENTRIES = 50
ATOM = "application/atom+xml"
# Characters XML 1.0 cannot carry at all, even escaped; an article may hold them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
OPENSEARCH = "application/opensearchdescription+xml"


def atom_time(value: str | None) -> str | None:
    """An article date (YYYY, YYYY-MM or YYYY-MM-DD) as the RFC 3339 start of that period."""
    if not value or not value[:4].isdigit():
        return None
    parts = [*value.split("-"), "01", "01"][:3]
    try:
        day = datetime(int(parts[0]), int(parts[1]), int(parts[2]), tzinfo=UTC)
    except ValueError:
        return None
    return day.strftime("%Y-%m-%dT%H:%M:%SZ")


def feed_title(result: SearchResult) -> str:
    """What the feed follows, in words: the query and each filter (organizations by the
    names the organization facet gives them)."""
    search = result.request
    facet = result.facets.get(ORGANIZATION_FACET.name)
    labels = {v.value: v.label for v in facet.values} if facet else {}
    parts = [f"“{search.query}”"] if search.query else []
    names = [labels.get(org, org) for org in search.organizations]
    if names:
        parts.append("naming " + " or ".join(names))
    languages = [LANGUAGE_NAMES.get(code, code) for code in search.languages]
    for label, values in (("in", languages), ("from", search.sources)):
        if values:
            parts.append(f"{label} " + " or ".join(values))
    if search.years or search.months:
        parts.append("dated " + " or ".join((*search.years, *search.months)))
    if search.date_from or search.date_to:
        parts.append(f"between {search.date_from or '…'} and {search.date_to or '…'}")
    return "Dossier: " + (", ".join(parts) if parts else "all articles")


def _summary(hit: Hit) -> str:
    """The entry's HTML: the snippet (only <mark>) and a line with date, source, organizations."""
    meta = [hit.date or "Undated", hit.source or "", ", ".join(o.name for o in hit.organizations)]
    line = " · ".join(html.escape(part) for part in meta if part)
    return f"<p>{clean_marked(hit.snippet)}</p><p>{line}</p>"


@bp.app_template_global()
def search_as(endpoint: str, links: SearchLinks) -> str:
    """The results page's search at another address (its feed, its export), without paging."""
    pairs = [
        (k, v)
        for k, v in links.hidden_fields("per_page")
        if k != "sort" or endpoint != "feeds.search_feed"
    ]
    query = urlencode(pairs)
    return url_for(endpoint) + (f"?{query}" if query else "")


@bp.get("/search.atom")
def search_feed() -> Response:
    """The newest matches of a search, as an Atom feed."""
    parsed = parse_search_request(request.args, current_app.config)
    if not parsed.query and not has_filters(parsed):
        raise ParameterError("Give a query in q, or at least one filter, to follow.", parameter="q")
    per_page = min(FEED_ENTRIES, current_app.config["MAX_PER_PAGE"])
    search = replace(parsed, sort="date", page=1, per_page=per_page)
    service = get_service()
    result = service.search(search)
    _name, modified = service.revision()
    args = request_args(replace(search, per_page=current_app.config["DEFAULT_PER_PAGE"]),
                        current_app.config["DEFAULT_PER_PAGE"])  # fmt: skip
    query = urlencode(list(args.items(multi=True)))
    html_url = url_for("pages.search", _external=True) + (f"?{query}" if query else "")
    self_url = url_for("feeds.search_feed", _external=True) + (f"?{query}" if query else "")
    fallback = (modified or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    entries: list[dict[str, Any]] = [
        {
            "hit": hit,
            "url": url_for("pages.document", doc_id=hit.id, _external=True),
            "updated": atom_time(hit.date) or fallback,
            "published": atom_time(hit.date),
            "summary": _summary(hit),
        }
        for hit in result.hits
    ]
    updated: str = max((str(e["updated"]) for e in entries), default=fallback)
    body = render_template(
        "feed.xml",
        title=feed_title(result),
        self_url=self_url,
        html_url=html_url,
        updated=updated,
        entries=entries,
        total=result.total,
    )
    return Response(_NOT_XML.sub("", body), mimetype=ATOM)


@bp.get("/opensearch.xml")
def opensearch() -> Response:
    """The OpenSearch 1.1 description browsers read to offer Dossier as a search engine."""
    body = render_template(
        "opensearch.xml",
        html_template=url_for("pages.search", _external=True) + "?q={searchTerms}",
        atom_template=url_for("feeds.search_feed", _external=True) + "?q={searchTerms}",
        json_template=url_for("api.search", _external=True) + "?q={searchTerms}",
        suggest_template=url_for("suggest.suggest", _external=True)
        + "?q={searchTerms}&format=opensearch",
        self_url=url_for("feeds.opensearch", _external=True),
        icon=url_for("static", filename="favicon.svg", _external=True),
        max_chars=current_app.config["MAX_QUERY_CHARS"],
    )
    return Response(body, mimetype=OPENSEARCH)
