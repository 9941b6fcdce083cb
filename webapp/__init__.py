"""Dossier's web front end: search page, document page and JSON API.

``create_app`` follows the Flask tutorial's factory: defaults from the
settings table, then ``DOSSIER_*`` environment variables, then the mapping
passed in (tests, ``serve()``). The app only reads the index, through one
lazily opened SearchService.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import TooManyRequests
from werkzeug.routing import PathConverter

from indexer.model import LANGUAGE_FACET, LANGUAGE_NAMES, ORGANIZATION_FACET, SORTS, YEAR_FACET

from .errors import register_error_handlers
from .links import ADDRESS_LIMIT
from .request_body import check_body_size
from .safety import RateLimiter, add_security_headers, clean_marked, without_bidi_controls
from .wire import request_problem

# Endpoints the rate limit leaves alone: load balancers poll health, and
# static files are cheap and come with every page.
RATE_LIMIT_EXEMPT = frozenset({"api.health", "static"})


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app; ``config`` overrides environment and defaults."""
    # Imported here, not at the top: `python -m webapp.settings` imports this package
    # first, and runpy warns when the module it is about to run is already imported.
    from .settings import load_settings

    app = Flask(__name__)
    app.config.from_mapping(load_settings(overrides=config))
    app.config["INDEX_DIR"] = Path(app.config["INDEX_DIR"])
    app.json.sort_keys = False  # type: ignore[attr-defined]  # keep the documented order
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # UTF-8, not \u escapes

    app.jinja_env.autoescape = True
    app.jinja_env.finalize = without_bidi_controls  # every printed value, one place
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.filters["marked"] = clean_marked
    app.jinja_env.globals["language_names"] = LANGUAGE_NAMES
    app.jinja_env.globals["sorts"] = SORTS
    # The facets templates link to by role (names come from the registry, not literals).
    app.jinja_env.globals["language_facet"] = LANGUAGE_FACET
    app.jinja_env.globals["organization_facet"] = ORGANIZATION_FACET
    app.jinja_env.globals["year_facet"] = YEAR_FACET
    app.jinja_env.tests["web_url"] = _is_web_url
    app.jinja_env.globals["address_limit"] = ADDRESS_LIMIT  # longer, a search form posts

    per_minute = app.config["RATE_LIMIT"]
    limiter = RateLimiter(per_minute) if per_minute else None
    app.extensions["dossier.rate_limiter"] = limiter

    @app.before_request
    def _guard() -> Response | None:
        problem = request_problem(request.environ)
        if problem is not None:
            raise problem
        if request.method == "OPTIONS" and request.url_rule is not None:
            # 204 and the methods this address answers (GET and POST may be two
            # rules of one address); no CORS headers unless CORS_ORIGINS is set.
            adapter = app.create_url_adapter(request)
            methods = sorted(adapter.allowed_methods() if adapter else ())
            answer = Response(status=204, headers={"Allow": ", ".join(methods)})
            del answer.headers["Content-Type"]  # no body, so no type
            return answer
        check_body_size(request, app.config["MAX_CONTENT_LENGTH"])
        if limiter is not None and request.endpoint not in RATE_LIMIT_EXEMPT:
            wait = limiter.acquire(request.remote_addr or "unknown")
            if wait:
                raise TooManyRequests(retry_after=wait)
        return None

    app.after_request(add_security_headers)
    register_error_handlers(app)

    # Document ids may hold any character: "a//b" is not merged into "a/b", and a
    # "<path:>" may start with "/" (ids are linked percent-encoded, links.document_url).
    app.url_map.merge_slashes = False
    app.url_map.converters["path"] = AnyPathConverter

    from . import api, pages, suggest

    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    suggest.init_app(app)  # completions and related articles

    # Analyst views: organization pages, feeds, exports, and the HTTP conventions.
    from . import conventions, exports, feeds, organizations

    app.register_blueprint(organizations.bp)
    app.register_blueprint(feeds.bp)
    app.register_blueprint(exports.bp)
    conventions.install(app)
    return app


class AnyPathConverter(PathConverter):
    """Werkzeug's path converter, also for a value that starts with "/"."""

    regex = ".+?"
    part_isolating = False  # spans "/" (werkzeug infers True from a regex without "/")


def _is_web_url(value: object) -> bool:
    """Only http(s) addresses from the archive become links (no javascript:)."""
    return isinstance(value, str) and value.lower().startswith(("http://", "https://"))


__all__ = ["create_app"]
