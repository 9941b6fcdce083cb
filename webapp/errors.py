"""One error shape for the whole app: every failure becomes a status code and a
message a person can act on, as JSON under /api/ and as a page elsewhere.

The JSON shape is ``{"error": {"status": 404, "message": "..."}}`` for every
status (400, 404, 405, 413, 414, 415, 429, 431, 500, 503), including the requests
gunicorn itself refuses (``worker.py``); a test pins it.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from indexer.model import (
    DocumentNotFoundError,
    DossierError,
    FeatureUnavailableError,
    IndexLockedError,
    IndexUnavailableError,
    ParameterError,
    QueryError,
    SearchTimeoutError,
)

TITLES: dict[int, str] = {
    400: "Bad request",
    404: "Not found",
    405: "Method not allowed",
    413: "Request too large",
    414: "Address too long",
    415: "Unsupported body type",
    431: "Request headers too large",
    429: "Too many requests",
    500: "Internal error",
    503: "Search is unavailable",
}

MESSAGES: dict[int, str] = {
    404: "There is nothing at this address. Check the link, or start a new search.",
    405: "This address only answers {allowed} requests.",
    413: "The request is larger than this server accepts.",
    429: "Too many requests from your address. Wait {retry_after} seconds and try again.",
    500: "Something went wrong on our side. The error has been logged; please try again.",
    503: "The search index is not available right now. Try again in a moment.",
}

# Every status the app answers with an error, as the OpenAPI document names and
# describes it (webapp/openapi.py).
ERRORS: dict[int, tuple[str, str]] = {
    400: ("BadRequest", "A parameter or the query is malformed; the message says which."),
    404: ("NotFound", "No such document or address."),
    405: (
        "MethodNotAllowed",
        "The address does not answer this method; Allow lists those it does.",
    ),
    413: ("PayloadTooLarge", "The query (or request body) is longer than the limit."),
    414: ("URITooLong", "The request line (address and query) is longer than 8,000 bytes."),
    415: ("UnsupportedMediaType", "The request body is not of the type the address reads."),
    429: ("TooManyRequests", "The client's rate limit is spent; see Retry-After."),
    431: ("HeaderFieldsTooLarge", "More than 100 header fields, or one over 8,190 bytes."),
    500: ("InternalError", "An unexpected failure on the server."),
    501: (
        "NotImplemented",
        "The configured search backend cannot answer this; the message says why.",
    ),
    503: ("Unavailable", "The index is missing or unreadable, or the search took too long."),
}


def status_of(error: DossierError) -> int:
    """The HTTP status for one of the indexer's errors."""
    if isinstance(error, ParameterError):
        return error.status
    if isinstance(error, QueryError):
        return 400
    if isinstance(error, DocumentNotFoundError):
        return 404
    if isinstance(error, FeatureUnavailableError):
        return 501
    if isinstance(error, IndexUnavailableError | IndexLockedError | SearchTimeoutError):
        return 503
    return 500


def wants_json() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """Render the error as JSON or as a page, whichever the address calls for."""
    if wants_json():
        response = jsonify({"error": {"status": status, "message": message}})
    else:
        html = render_template(
            "error.html", status=status, title=TITLES.get(status, "Error"), message=message
        )
        response = current_app.response_class(html, mimetype="text/html")
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _http_message(error: HTTPException) -> str:
    status = error.code or 500
    generic = error.description == RequestEntityTooLarge.description  # werkzeug's own 413
    if status in _OWN_MESSAGES and error.description and not generic:
        return error.description
    template = MESSAGES.get(status, error.description or TITLES.get(status, "Error"))
    methods = getattr(error, "valid_methods", None) or ["GET"]
    allowed = " and ".join(m for m in methods if m not in {"HEAD", "OPTIONS"}) or "GET"
    retry_after = getattr(error, "retry_after", None) or 60
    return template.format(allowed=allowed, retry_after=retry_after)


_OWN_MESSAGES = frozenset({400, 413, 415})  # their descriptions say what to change


def _handle_http(error: HTTPException) -> Response:
    headers = {name: value for name, value in error.get_headers() if name.lower() != "content-type"}
    return error_response(error.code or 500, _http_message(error), headers)


def _handle_dossier(error: DossierError) -> Response:
    status = status_of(error)
    if isinstance(error, SearchTimeoutError):  # the message says what to change
        current_app.logger.warning("%s on %s", error, request.full_path)
        return error_response(status, str(error))
    if status >= 500 and status != 501:  # a 501's message names the feature
        current_app.logger.warning("%s: %s", type(error).__name__, error)
        return error_response(status, MESSAGES.get(status, str(error)))
    return error_response(status, str(error))


def _handle_unexpected(error: Exception) -> Response:
    current_app.logger.exception("Unhandled error on %s", request.path, exc_info=error)
    return error_response(500, MESSAGES[500])


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(DossierError, _handle_dossier)
    app.register_error_handler(Exception, _handle_unexpected)
