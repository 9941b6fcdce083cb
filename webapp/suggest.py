"""Completions while typing and related articles: two API routes and a page helper.

``GET /api/suggest`` answers Dossier's own JSON, or with ``format=opensearch``
the OpenSearch suggestions format (``[query, [completion, …]]`` as
``application/x-suggestions+json``) that a browser which added Dossier as a
search engine asks for while its address bar is typed in. The search page's
script (static/suggest.js) uses the JSON; without it the page works as before.

``GET /api/documents/<id>/related`` lists the articles most like one; the
document page shows the same list through ``related_articles``.
"""

from __future__ import annotations

import json
import re

from flask import Blueprint, Flask, Response, current_app, jsonify, request

from indexer.model import LANGUAGE_FACET, DossierError, Hit, ParameterError

from .serialize import hit_json
from .service import get_service

bp = Blueprint("suggest", __name__, url_prefix="/api")

DEFAULT_COMPLETIONS = 8
DEFAULT_RELATED = 5
FORMATS = ("dossier", "opensearch")
OPENSEARCH_TYPE = "application/x-suggestions+json"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _int_arg(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not re.fullmatch(r"\d{1,4}", raw.strip()):
        raise ParameterError(f"{name} must be a whole number.", parameter=name)
    return int(raw)


@bp.get("/suggest")
def suggest() -> Response:
    """Completions of ``q`` (whose last word may be unfinished), most articles first."""
    query = _CONTROL.sub(" ", request.args.get("q", "")).lstrip()
    lang = request.args.get(LANGUAGE_FACET.param) or None  # the language names are shown in
    limit = _int_arg("limit", DEFAULT_COMPLETIONS)
    form = request.args.get("format") or "dossier"
    if form not in FORMATS:
        raise ParameterError(f"format must be one of {', '.join(FORMATS)}.", parameter="format")
    completions = get_service().complete(query, lang, limit)
    if form == "opensearch":
        body = json.dumps([query, [c.text for c in completions]], ensure_ascii=False)
        return current_app.response_class(body, mimetype=OPENSEARCH_TYPE)
    return jsonify(
        {
            "query": query,
            "suggestions": [
                {"text": c.text, "kind": c.kind, "count": c.count, "organization": c.organization}
                for c in completions
            ],
        }
    )


@bp.get("/documents/<path:doc_id>/related")
def related(doc_id: str) -> Response:
    """The articles most like this one (404 for an unknown id)."""
    limit = _int_arg("limit", DEFAULT_RELATED)
    hits = get_service().related(doc_id, limit)
    return jsonify({"id": doc_id, "related": [hit_json(hit) for hit in hits]})


def related_articles(doc_id: str) -> list[Hit]:
    """For the document page: the related list, or none if it cannot be made
    (the article itself is shown whatever happens here)."""
    try:
        return get_service().related(doc_id, DEFAULT_RELATED)
    except DossierError as error:
        current_app.logger.warning("no related articles for %r: %s", doc_id, error)
        return []


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals["related_articles"] = related_articles
