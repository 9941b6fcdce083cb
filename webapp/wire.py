"""Limits on the request itself, enforced by the app so every refusal has the
app's shape (JSON under /api/, the error page elsewhere) and security headers.

gunicorn's own limits are set higher (``server.gunicorn_options``), so a
request over these reaches the app and is answered here; only one over
gunicorn's outer limits is refused by the server, and ``worker.DossierWorker``
renders that refusal through the app too (``SERVER_ERROR`` in the environ).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote_to_bytes

from werkzeug.exceptions import (
    BadRequest,
    HTTPException,
    RequestHeaderFieldsTooLarge,
    RequestURITooLarge,
)

MAX_REQUEST_LINE = 8000  # bytes of "GET /path?query HTTP/1.1"; gunicorn stops at 8190
MAX_HEADER_FIELDS = 100  # gunicorn stops at 200
MAX_HEADER_FIELD_BYTES = 8190  # one "Name: value"; gunicorn stops at 16380
GUNICORN_LIMITS = {
    "limit_request_line": 8190,  # gunicorn's largest (0 would be unlimited)
    "limit_request_fields": 2 * MAX_HEADER_FIELDS,
    "limit_request_field_size": 2 * MAX_HEADER_FIELD_BYTES,
}
SERVER_ERROR = "dossier.server_error"  # environ key: (status, reason) from the worker


def request_problem(environ: Mapping[str, Any]) -> HTTPException | None:
    """The error to answer instead of handling this request, or None."""
    refused = environ.get(SERVER_ERROR)
    if refused is not None:
        return _server_refusal(*refused)
    line = (
        len(environ.get("REQUEST_METHOD", ""))
        + len(_target(environ))
        + len(environ.get("SERVER_PROTOCOL", ""))
        + 2
    )
    if line > MAX_REQUEST_LINE:
        return RequestURITooLarge(
            f"The address is {line:,} bytes long; this server accepts {MAX_REQUEST_LINE:,}. "
            "Shorten the query or send fewer parameters."
        )
    fields = [(k, v) for k, v in environ.items() if k.startswith("HTTP_")]
    fields += [(k, environ[k]) for k in ("CONTENT_TYPE", "CONTENT_LENGTH") if environ.get(k)]
    if len(fields) > MAX_HEADER_FIELDS:
        return RequestHeaderFieldsTooLarge(
            f"The request has {len(fields)} header fields; this server accepts {MAX_HEADER_FIELDS}."
        )
    for name, value in fields:
        if len(name) + 2 + len(str(value)) > MAX_HEADER_FIELD_BYTES:
            return RequestHeaderFieldsTooLarge(
                f"A header field is longer than the {MAX_HEADER_FIELD_BYTES:,} bytes this "
                "server accepts."
            )
    if not _utf8_query(environ.get("QUERY_STRING", "")):
        return BadRequest(
            "The query string is not valid UTF-8; send text as UTF-8, percent-encoded."
        )
    return None


def _target(environ: Mapping[str, Any]) -> str:
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        return raw
    query = environ.get("QUERY_STRING", "")
    return (
        environ.get("SCRIPT_NAME", "")
        + environ.get("PATH_INFO", "")
        + ("?" + query if query else "")
    )


def _utf8_query(query: str) -> bool:
    """Whether the query string, raw bytes and %-escapes alike, decodes as UTF-8
    (WSGI hands the bytes over as latin-1 text)."""
    try:
        unquote_to_bytes(query.encode("latin-1").replace(b"+", b" ")).decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return False
    return True


_SERVER_MESSAGES = {
    400: "The request could not be read as HTTP (a malformed request line or header, "
    "or bytes that are not allowed in an address). Percent-encode the address as UTF-8.",
    414: "The address is longer than this server accepts. Shorten the query.",
    431: "The request's header fields are too many or too large for this server.",
}


def _server_refusal(status: int, reason: str) -> HTTPException:
    error = HTTPException(_SERVER_MESSAGES.get(status, reason))
    error.code = status
    return error
