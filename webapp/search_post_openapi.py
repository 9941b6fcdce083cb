"""The OpenAPI description of ``POST /api/search`` (webapp/request_body.py).

Derived from the GET operation's parameters, so the body takes exactly what
the address does, with the same limits; kept beside openapi.py (which merges
it in) so that each module stays small.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .request_body import JSON_TYPES, REPEATABLE


def search_body_schema(parameters: dict[str, Any]) -> dict[str, Any]:
    """The JSON object of a POSTed search: each GET parameter as a member."""
    properties: dict[str, Any] = {}
    for name, parameter in parameters.items():
        schema = parameter["schema"]
        if name in REPEATABLE:
            one = schema["items"]
            choices = [one, {"type": "array", "items": one}]
        elif schema.get("type") == "integer":
            choices = [schema, {"type": "string", "pattern": r"^[0-9]+$"}]
        else:
            choices = [schema]
        properties[name] = {
            "anyOf": [*choices, {"type": "null"}],
            "description": parameter["description"]
            + (" A list gives several values." if name in REPEATABLE else "")
            + " null or an empty string: not given.",
        }
    return {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
        "description": "The parameters of GET /api/search as a JSON object (unknown members "
        "answer 400).",
    }


def add_search_post(
    document: dict[str, Any], responses: Callable[..., dict[str, Any]]
) -> dict[str, Any]:
    """Add the POST operation to /api/search and its body schema to the components."""
    components = document["components"]
    components["schemas"]["SearchBody"] = search_body_schema(components["parameters"])
    body_ref = {"$ref": "#/components/schemas/SearchBody"}
    document["paths"]["/api/search"]["post"] = {
        "operationId": "searchPost",
        "summary": "The same search with its parameters in a JSON body, for a query too long "
        "for an address (a pasted article: 10,000 Cyrillic characters are 60,000 bytes "
        "percent-encoded, and an address stops at 8,000).",
        "description": "Validated and answered as GET /api/search; not cached "
        "(Cache-Control: no-store). The body may be up to MAX_CONTENT_LENGTH bytes (413 "
        "beyond); it must be sent as application/json (415 otherwise), and the address "
        "carries no parameters. The response's links are the GET addresses of the same "
        "search (no Link header when they are too long to follow): page through a long "
        "query by posting page.",
        "requestBody": {
            "required": True,
            "content": {media: {"schema": body_ref} for media in JSON_TYPES},
        },
        "responses": responses("SearchResponse", "One page of hits.", 400, 413, 415, 503),
    }
    return document
