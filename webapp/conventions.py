"""HTTP conventions every route follows, in one place.

Pagination links (``next``/``prev`` in the body and an RFC 8288 ``Link``
header), unknown query parameters refused with the list of known ones,
validators keyed on the index generation (``ETag``/``Last-Modified``, 304 on
revalidation) with a ``Cache-Control`` per route, gzip when the client
accepts it, CORS for the configured origins only, and ``robots.txt``.
"""

from __future__ import annotations

import gzip
import hashlib
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Flask, Response, current_app, request, url_for

from indexer.model import DossierError, ParameterError, SearchRequest

from .params import SEARCH_PARAMS, request_args
from .service import get_service

bp = Blueprint("conventions", __name__)
VALIDATOR_SALT = "dossier-1"  # change to invalidate every client's cached copy


def paged_url(endpoint: str, page: int, /, **args: Any) -> str:
    """``endpoint``'s URL for ``page`` with ``args`` (empty values and page 1 left out)."""
    pairs: list[tuple[str, str]] = []
    for name, value in args.items():
        values = value if isinstance(value, list | tuple) else [value]
        pairs.extend((name, str(v)) for v in values if v not in (None, ""))
    if page > 1:
        pairs.append(("page", str(page)))
    base = url_for(endpoint)
    return f"{base}?{urlencode(pairs)}" if pairs else base


def link_header(response: Response, links: dict[str, str | None]) -> None:
    """RFC 8288 ``Link`` header from ``{"next": url, "prev": url, ...}`` (None left out)."""
    parts = [f'<{url}>; rel="{rel}"' for rel, url in links.items() if url and rel != "self"]
    if parts:
        response.headers["Link"] = ", ".join(parts)


# --- known parameters: the API refuses what it would otherwise silently ignore ---

_SEARCH = SEARCH_PARAMS
_EXPORT = tuple(p for p in SEARCH_PARAMS if p not in ("page", "per_page"))
KNOWN_PARAMS: dict[str, tuple[str, ...]] = {
    "api.search": _SEARCH,
    "api.document": ("q",),
    "api.health": (),
    "api.stats": (),
    "api.openapi": (),
    "organizations.api_organizations": ("q", "page", "per_page"),
    "organizations.api_organization": (),
    "exports.export_csv": _EXPORT,
    "exports.export_jsonl": _EXPORT,
}


def check_parameters() -> None:
    """400 naming the unknown parameters and listing the known ones (API routes only)."""
    known = KNOWN_PARAMS.get(request.endpoint or "")
    if known is None:
        return
    unknown = sorted({name for name in request.args if name not in known})
    if unknown:
        listed = ", ".join(known) if known else "none"
        raise ParameterError(
            f"Unknown parameter{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}. "
            f"This address takes: {listed}.",
            parameter=unknown[0],
        )


# --- validators and Cache-Control ---

# Endpoints whose answer depends only on the URL and the index generation.
FROM_THE_INDEX = frozenset({
    "api.search", "api.document", "api.stats",
    "organizations.api_organizations", "organizations.api_organization",
    "organizations.organizations", "organizations.organization",
    "pages.search", "pages.document", "feeds.search_feed",
    "exports.export_csv", "exports.export_jsonl",
})  # fmt: skip
CACHE_CONTROL: dict[str, str] = {
    "api.health": "no-store",
    "api.openapi": "public, max-age=3600",
    "feeds.opensearch": "public, max-age=86400",
    "conventions.robots": "public, max-age=86400",
    "feeds.search_feed": "public, max-age=300",
    "exports.export_csv": "no-cache",
    "exports.export_jsonl": "no-cache",
    "pages.search": "no-cache",
    # A POST: the address does not name the search, and the page holds the reader's
    # text; kept by the browser only, so its Back button returns to it (no-store would
    # make it ask to send the form again).
    "pages.search_post": "private, no-cache",
    "api.search_post": "no-store",
    "pages.document": "no-cache",
    "organizations.organizations": "no-cache",
    "organizations.organization": "no-cache",
}
API_CACHE_CONTROL = "public, max-age=60"
_VALIDATORS = "dossier.validators"


def _validators() -> tuple[str, datetime | None] | None:
    """(ETag, Last-Modified) of this URL at the open index generation."""
    if request.method not in ("GET", "HEAD") or request.endpoint not in FROM_THE_INDEX:
        return None
    try:
        generation, modified = get_service().revision()
    except DossierError:
        return None  # no index: the view answers 503 itself
    key = f"{VALIDATOR_SALT}\0{generation}\0{request.full_path}"
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32], modified


def conditional_get() -> Response | None:
    """304 Not Modified when the client's copy is of this generation (before any work)."""
    found = _validators()
    request.environ[_VALIDATORS] = found
    if found is None:
        return None
    etag, modified = found
    if request.if_none_match:
        fresh = request.if_none_match.contains_weak(etag)
    else:
        since = request.if_modified_since
        fresh = bool(since and modified and modified <= since)
    if not fresh:
        return None
    response = current_app.response_class(status=304)
    _stamp(response, etag, modified)
    return response


def _stamp(response: Response, etag: str, modified: datetime | None) -> None:
    response.set_etag(etag, weak=True)
    if modified is not None:
        response.last_modified = modified


def add_cache_headers(response: Response) -> Response:
    found = request.environ.get(_VALIDATORS)
    if found is not None and response.status_code == 200:
        _stamp(response, *found)
    if "Cache-Control" not in response.headers:
        if response.status_code >= 400:
            response.headers["Cache-Control"] = "no-store"
        else:
            endpoint = request.endpoint or ""
            api = endpoint.startswith(("api.", "organizations.api"))
            default = API_CACHE_CONTROL if api else "no-cache"
            response.headers["Cache-Control"] = CACHE_CONTROL.get(endpoint, default)
    return response


# --- compression ---

COMPRESSIBLE = frozenset({
    "text/html", "text/plain", "text/csv", "text/css", "application/json",
    "application/atom+xml", "application/opensearchdescription+xml",
    "application/x-ndjson", "application/xml", "image/svg+xml",
})  # fmt: skip
MIN_COMPRESS_BYTES = 512


def compress(response: Response) -> Response:
    """gzip the body when the client accepts it; streamed bodies are gzipped as they go."""
    if response.mimetype not in COMPRESSIBLE or response.direct_passthrough:
        return response
    response.vary.add("Accept-Encoding")
    if (
        request.method == "HEAD"
        or response.status_code in (204, 304)
        or "Content-Encoding" in response.headers
        or not request.accept_encodings["gzip"]
    ):
        return response
    if response.is_streamed:
        response.response = _gzip_stream(response.iter_encoded())
        response.headers.pop("Content-Length", None)
    else:
        body = response.get_data()
        if len(body) < MIN_COMPRESS_BYTES:
            return response
        response.set_data(gzip.compress(body, compresslevel=6, mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    return response


def _gzip_stream(chunks: Iterable[bytes]) -> Iterator[bytes]:
    packer = zlib.compressobj(6, zlib.DEFLATED, 31)  # 31: the gzip container
    for chunk in chunks:
        packed = packer.compress(chunk)
        if packed:
            yield packed
    yield packer.flush()


# --- CORS: off unless CORS_ORIGINS names the origins ---

EXPOSED = "Link, ETag, Last-Modified, X-Total-Count, X-Export-Rows"


def allow_origins(response: Response) -> Response:
    origins = current_app.config.get("CORS_ORIGINS") or ()
    if not origins:
        return response
    response.vary.add("Origin")
    origin = request.headers.get("Origin", "")
    if not origin or ("*" not in origins and origin.rstrip("/") not in origins):
        return response
    response.headers["Access-Control-Allow-Origin"] = "*" if "*" in origins else origin
    response.headers["Access-Control-Expose-Headers"] = EXPOSED
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = (
            "Content-Type, If-None-Match, If-Modified-Since"  # Content-Type: POST /api/search
        )
        response.headers["Access-Control-Max-Age"] = "600"
    return response


# --- robots.txt ---

ROBOTS = """\
# Dossier: pages are for people; result lists, feeds, exports and the API are not for crawling.
User-agent: *
Disallow: /api/
Disallow: /search.atom
Disallow: /?
Allow: /
"""


@bp.get("/robots.txt")
def robots() -> Response:
    return Response(ROBOTS, mimetype="text/plain")


def install(app: Flask) -> None:
    """Wire the conventions into ``app``. Flask runs after-request hooks last registered
    first: the body is compressed, then CORS and cache headers are added, and the
    security headers (registered earlier, in create_app) come last."""
    app.register_blueprint(bp)
    app.before_request(check_parameters)
    app.before_request(conditional_get)
    app.after_request(add_cache_headers)
    app.after_request(allow_origins)
    app.after_request(compress)


def search_page_links(search: SearchRequest, pages: int, config: Any) -> dict[str, str | None]:
    """``self``/``next``/``prev`` URLs of an API search (the last reachable page is MAX_PAGE)."""
    last = min(pages, config["MAX_PAGE"])

    def at(page: int) -> str:
        args = request_args(replace(search, page=page), config["DEFAULT_PER_PAGE"])
        query = urlencode(list(args.items(multi=True)))
        return f"{url_for('api.search')}?{query}" if query else url_for("api.search")

    return {
        "self": at(search.page),
        "next": at(search.page + 1) if search.page < last else None,
        "prev": at(min(search.page - 1, last)) if search.page > 1 and last else None,
    }
