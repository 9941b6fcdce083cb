"""The JSON Schema building blocks every part of the OpenAPI document uses.

One place for the shapes (a count, a partial date, a strict object) so the
search, analyst-view and suggestion parts of the document cannot describe the
same value two ways.
"""

from __future__ import annotations

from typing import Any

STRING = {"type": "string"}
NULLABLE_STRING = {"type": ["string", "null"]}
COUNT = {"type": "integer", "minimum": 0}
COUNTS = {"type": "object", "additionalProperties": COUNT}
URL = {"type": "string", "description": "A path on this server, with its query."}
PARTIAL_DATE = {
    "type": ["string", "null"],
    "pattern": r"^\d{4}(-\d{2}(-\d{2})?)?$",
    "description": "YYYY, YYYY-MM or YYYY-MM-DD: the precision the source gives.",
}
NOTICE = {
    "type": "string",
    "description": "Why the index should be rebuilt (`dossier index --rebuild`): it was "
    "written by an earlier Dossier and lacks what newer ones infer; it still answers.",
}
DATE_SOURCE = {
    "enum": ["record", "header", "dateline", None],
    "description": "Where the date came from: the record's date field, the text file's "
    "`date` header line, or the article's own dateline or publication line. "
    "Null when undated.",
}


def strict_object(properties: dict[str, Any], description: str = "") -> dict[str, Any]:
    """An object with exactly these properties, all required."""
    schema: dict[str, Any] = {
        "type": "object",
        "required": list(properties),
        "additionalProperties": False,
        "properties": properties,
    }
    if description:
        schema["description"] = description
    return schema


def ref(name: str) -> dict[str, str]:
    """A reference to one of the document's component schemas."""
    return {"$ref": f"#/components/schemas/{name}"}
