"""Organization pages and their JSON: who the archive names, when, and with whom.

``/organizations`` lists every organization the index names (filterable by
name, paged); ``/organizations/<id>`` shows one: its names in every language,
mentions over time, the organizations named in the same articles, its
sources and languages, and its latest articles. ``/api/organizations`` and
``/api/organizations/<id>`` give the same data as JSON. The figures come from
the engine (``SearchService.organizations`` / ``organization``), which caches
them per index generation.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for

from indexer.model import (
    LANGUAGE_FACET,
    LANGUAGE_NAMES,
    ORGANIZATION_FACET,
    SOURCE_FACET,
    CountedValue,
    Hit,
    OrganizationProfile,
    OrganizationSummary,
    ParameterError,
)

from .conventions import link_header, paged_url
from .service import get_service
from .timeline import organization_timeline

bp = Blueprint("organizations", __name__)

# The URL parameters of the facets an organization page links to.
ORG, SOURCE, LANG = ORGANIZATION_FACET.param, SOURCE_FACET.param, LANGUAGE_FACET.param

DEFAULT_PER_PAGE = 100
MAX_PER_PAGE = 500
MAX_FILTER_CHARS = 200


def _number(args: Mapping[str, str], name: str, default: int, high: int) -> int:
    raw = (args.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9 or not 1 <= int(raw) <= high:
        raise ParameterError(
            f"{name}={raw!r} is not a whole number from 1 to {high}.", parameter=name
        )
    return int(raw)


def _listing(args: Mapping[str, str]) -> dict[str, Any]:
    """The filtered, paged list of organizations for both the page and the API."""
    text = (args.get("q") or "").strip()
    if len(text) > MAX_FILTER_CHARS:
        raise ParameterError(f"q is longer than {MAX_FILTER_CHARS} characters.", parameter="q")
    page = _number(args, "page", 1, 1_000_000)
    per_page = _number(args, "per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)
    everything = get_service().organizations()
    needle = text.casefold()
    found = [o for o in everything if not needle or _matches(o, needle)]
    pages = math.ceil(len(found) / per_page) if found else 0
    start = (page - 1) * per_page
    return {
        "q": text,
        "total": len(found),
        "page": page,
        "per_page": per_page,
        "pages": pages,
        "organizations": found[start : start + per_page],
    }


def _matches(org: OrganizationSummary, needle: str) -> bool:
    return any(needle in name.casefold() for name in (org.id, org.name, *org.names.values()))


def _listing_links(listing: dict[str, Any], endpoint: str) -> dict[str, str | None]:
    page, pages = listing["page"], listing["pages"]
    fixed = {"q": listing["q"], "per_page": listing["per_page"]}
    if fixed["per_page"] == DEFAULT_PER_PAGE:
        fixed.pop("per_page")
    return {
        "self": paged_url(endpoint, page, **fixed),
        "next": paged_url(endpoint, page + 1, **fixed) if page < pages else None,
        "prev": paged_url(endpoint, min(page - 1, pages), **fixed) if page > 1 and pages else None,
    }


# --- JSON ---


def summary_json(org: OrganizationSummary) -> dict[str, Any]:
    return {
        "id": org.id,
        "name": org.name,
        "names": dict(org.names),
        "kind": org.kind,
        "country": org.country,
        "count": org.count,
        "url": url_for("organizations.api_organization", org_id=org.id),
        "html_url": url_for("organizations.organization", org_id=org.id),
    }


def _counted_json(values: list[CountedValue], param: str, org_id: str) -> list[dict[str, Any]]:
    return [
        {
            "value": v.value,
            "label": v.label,
            "count": v.count,
            "search_url": url_for("pages.search", **_with_org(org_id, param, v.value)),
        }
        for v in values
    ]


_PLAIN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def _with_org(org_id: str, param: str, value: str) -> dict[str, Any]:
    """Search arguments for the organization together with one other facet value.

    Two organizations: articles naming *both*. The facet ORs the values it is
    given, so the second one goes into the query as ``org:id``, which every
    result must satisfy; an id the query syntax cannot carry falls back to the
    facet (articles naming either).
    """
    if param != ORG:
        return {ORG: org_id, param: value}
    if _PLAIN_ID.fullmatch(value):
        return {ORG: org_id, "q": f"org:{value}", "sort": "date"}
    return {ORG: [org_id, value]}


@bp.app_template_global()
def together_url(org_id: str, other: str) -> str:
    """The search for articles naming both organizations."""
    return url_for("pages.search", **_with_org(org_id, ORG, other))


def _article_json(hit: Hit) -> dict[str, Any]:
    return {
        "id": hit.id,
        "title": hit.title,
        "date": hit.date,
        "lang": hit.lang,
        "source": hit.source,
        "url": hit.url,
        "organizations": [{"id": o.id, "name": o.name} for o in hit.organizations],
    }


def profile_json(profile: OrganizationProfile) -> dict[str, Any]:
    org_id = profile.summary.id
    related = _counted_json(profile.related, ORG, org_id)
    for entry in related:
        entry["html_url"] = url_for("organizations.organization", org_id=entry["value"])
    return {
        **summary_json(profile.summary),
        "aliases": list(profile.aliases),
        "years": dict(profile.years),
        "months": dict(profile.months),
        "undated": profile.undated,
        "related": related,
        "sources": _counted_json(profile.sources, SOURCE, org_id),
        "languages": _counted_json(profile.languages, LANG, org_id),
        "latest": [_article_json(hit) for hit in profile.latest],
        "search_url": url_for("pages.search", org=org_id, sort="date"),
        "feed_url": url_for("feeds.search_feed", org=org_id),
        "export_url": url_for("exports.export_csv", org=org_id, sort="date"),
    }


# --- routes ---


@bp.get("/organizations")
def organizations() -> str | tuple[str, int]:
    try:
        listing = _listing(request.args)
    except ParameterError as error:
        listing = _listing({})
        return render_template("organizations.html", listing=listing, error=str(error)), 400
    links = _listing_links(listing, "organizations.organizations")
    return render_template("organizations.html", listing=listing, links=links, error=None)


@bp.get("/organizations/<path:org_id>")
def organization(org_id: str) -> str:
    profile = get_service().organization(org_id)
    return render_template(
        "organization.html",
        profile=profile,
        org=profile.summary,
        timeline=organization_timeline(profile),
        language_names=LANGUAGE_NAMES,
    )


@bp.get("/api/organizations")
def api_organizations() -> Response:
    listing = _listing(request.args)
    links = _listing_links(listing, "organizations.api_organizations")
    body = {
        "q": listing["q"],
        "total": listing["total"],
        "page": listing["page"],
        "per_page": listing["per_page"],
        "pages": listing["pages"],
        "organizations": [summary_json(o) for o in listing["organizations"]],
        "links": links,
    }
    response = jsonify(body)
    link_header(response, links)
    return response


@bp.get("/api/organizations/<path:org_id>")
def api_organization(org_id: str) -> Response:
    limit = current_app.config["MAX_QUERY_CHARS"]
    if len(org_id) > limit:
        raise ParameterError(f"The id is longer than {limit} characters.", parameter="id")
    return jsonify(profile_json(get_service().organization(org_id)))
