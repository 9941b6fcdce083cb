"""Search parameters from a request body, for a query too long for an address.

A GET address stops at 8,000 bytes (``wire.MAX_REQUEST_LINE``), and a pasted
article of 10,000 Cyrillic characters is 60,000 bytes percent-encoded. So
``POST /api/search`` takes the same parameters as a JSON object, and the
search page (``POST /``) as form fields; both become the same ``MultiDict``
that ``params.parse_search_request`` validates for a GET, so every value gets
the same checks and the same errors. The body's size is bounded by
``MAX_CONTENT_LENGTH`` before it is read (413).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import RequestEntityTooLarge, UnsupportedMediaType

from indexer.model import FACETS, ParameterError

from .params import SEARCH_PARAMS

JSON_TYPES = ("application/json",)
REPEATABLE = frozenset(facet.param for facet in FACETS)  # a list of values in JSON
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class BodyTooLarge(RequestEntityTooLarge):
    """413 with the sizes in the message (``errors`` shows its description)."""


def check_body_size(request: Request, limit: int) -> None:
    """413 naming both sizes when the declared body is over ``limit`` bytes."""
    if request.content_length and request.content_length > limit:
        raise BodyTooLarge(
            f"The request body is {request.content_length:,} bytes; this server accepts "
            f"{limit:,} (MAX_CONTENT_LENGTH). Send a shorter query."
        )


def require_media_type(request: Request, accepted: tuple[str, ...]) -> None:
    """415 unless the body is declared as one of ``accepted`` (so a cross-site HTML
    form, which cannot send ``application/json``, cannot reach the JSON API)."""
    if request.mimetype not in accepted:
        given = request.mimetype or "no Content-Type"
        raise UnsupportedMediaType(f"The body is {given}; send it as {' or '.join(accepted)}.")


def json_search_args(request: Request) -> MultiDict[str, str]:
    """The JSON object of a ``POST /api/search`` as the arguments of a GET."""
    require_media_type(request, JSON_TYPES)
    if request.args:
        raise ParameterError(
            "POST /api/search reads its parameters from the JSON body, not the address; "
            f"move {', '.join(sorted(request.args))} into the body.",
            parameter=sorted(request.args)[0],
        )
    raw = request.get_data(cache=False)
    try:
        body = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ParameterError("The body is not UTF-8; send JSON as UTF-8.") from None
    except json.JSONDecodeError as error:
        raise ParameterError(
            f"The body is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}."
        ) from None
    if not isinstance(body, dict):
        raise ParameterError(
            'The body must be a JSON object of search parameters, e.g. {"q": "Baku forum"}.'
        )
    unknown = sorted(name for name in body if name not in SEARCH_PARAMS)
    if unknown:
        raise ParameterError(
            f"Unknown parameter{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}. "
            f"The body takes: {', '.join(SEARCH_PARAMS)}.",
            parameter=unknown[0],
        )
    args: MultiDict[str, str] = MultiDict()
    for name, value in body.items():
        if isinstance(value, list) and name not in REPEATABLE:
            raise ParameterError(
                f"{name} is a list in the body; it takes one value.", parameter=name
            )
        for item in value if isinstance(value, list) else [value]:
            args.add(name, _text(name, item))
    return args


def form_search_args(request: Request) -> MultiDict[str, str]:
    """A ``POST /`` from the search page: the address's parameters, then the form's
    (a field in the body replaces the same parameter in the address)."""
    require_media_type(request, FORM_TYPES)
    args: MultiDict[str, str] = MultiDict(request.args)
    for name in request.form:
        if name in SEARCH_PARAMS:
            args.setlist(name, request.form.getlist(name))
    return args


def _text(name: str, value: Any) -> str:
    """One JSON value as the text a URL parameter would carry."""
    if value is None:
        return ""  # as an empty form field: "not given"
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    kind = _JSON_KINDS.get(type(value), "a value of another kind")
    wanted = "a whole number" if name in ("page", "per_page") else "a string"
    if name in REPEATABLE:
        wanted += " or a list of strings"
    raise ParameterError(f"{name} is {kind} in the body; give {wanted}.", parameter=name)


_JSON_KINDS = {
    bool: "true/false",
    float: "a number with a decimal point",
    dict: "an object",
    list: "a list",
}
