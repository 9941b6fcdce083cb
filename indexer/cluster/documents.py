"""Dossier's documents as cluster documents: stored fields, facets and analysed tokens.

Text is analysed here, by the very analyzers of the Whoosh schema, and sent
as tokens: ``<field code>z<hex of the UTF-8 term>``. The cluster never
tokenises, stems or folds anything itself (its own normalisation would strip
the diacritics that Turkish and German keep apart), and a token's hex form is
a prefix of its longer words' forms, so prefix expansion still works.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from whoosh.fields import TEXT

from indexer.index.schema import build_schema, document_fields
from indexer.ingest.dates import key_bounds, sort_key
from indexer.model import FACETS, Document

TOKENS = "terms"  # the cluster field holding every analysed token
EVERY = "all"  # a token every document has: ranking always finds every match (see search)
MAX_TOKEN_CHARS = 96  # the cluster ignores tokens past 100 characters (measured, 0.24.1)
UNDATED_LAST = 1 << 32  # date_asc key of an undated article: after every date

_SCHEMA = build_schema()
TEXT_FIELDS: tuple[str, ...] = tuple(
    sorted(name for name in _SCHEMA.names() if isinstance(_SCHEMA[name], TEXT))
)
_CODES = {name: str(number) for number, name in enumerate(TEXT_FIELDS)}
# Facet fields keep Whoosh's index field names (model.FACETS' index_field).
FACET_FIELDS: tuple[str, ...] = tuple(facet.index_field for facet in FACETS)
MULTI_VALUED = frozenset(facet.index_field for facet in FACETS if facet.multi_valued)
# What a collection is built with: a change means rebuilding (the codes above, the facets).
# 2: a vocabulary collection beside each collection; the tokens field no longer a facet
# 3: facet values and stories as keys (the cluster folds case and punctuation of strings)
LAYOUT = hashlib.blake2b(repr((TEXT_FIELDS, FACET_FIELDS, 3)).encode(), digest_size=4).hexdigest()
KEYED: tuple[str, ...] = (*FACET_FIELDS, "story")  # filtered, counted or grouped by key
SHOWN = "_value"  # suffix of the stored field holding a keyed field's value as written


def key(value: str) -> str:
    """A facet value or story id as the cluster filters, counts and groups it: the hex of
    its UTF-8 (the cluster would merge "AP", "A.P." and "ap"), hashed when very long."""
    data = value.encode("utf-8", "surrogatepass")
    text = "x" + data.hex()
    return (
        text
        if len(text) <= MAX_TOKEN_CHARS
        else "h" + hashlib.blake2b(data, digest_size=16).hexdigest()
    )


def unkey(text: str) -> str | None:
    """The value of a ``key``; None for a hashed one (look it up in a document)."""
    if not text.startswith("x"):
        return None
    try:
        return bytes.fromhex(text[1:]).decode("utf-8", "surrogatepass")
    except ValueError:
        return None


def shown(document: dict[str, Any]) -> dict[str, Any]:
    """A cluster document with its keyed fields as written (what hits and pages show)."""
    out = dict(document)
    for name in KEYED:
        if name + SHOWN in out:
            out[name] = out.pop(name + SHOWN)
    return out


def token(fieldname: str, term: str) -> str:
    """The cluster token of one index term (``fieldname`` one of ``TEXT_FIELDS``)."""
    data = term.encode("utf-8", "surrogatepass")
    text = f"{_CODES[fieldname]}z{data.hex()}"
    if len(text) > MAX_TOKEN_CHARS:  # a very long word: exact matches only
        text = f"{_CODES[fieldname]}h{hashlib.blake2b(data, digest_size=16).hexdigest()}"
    return text


def prefix_token(fieldname: str, prefix: str) -> str:
    """The start every token of a word beginning with ``prefix`` has."""
    return f"{_CODES[fieldname]}z{prefix.encode('utf-8', 'surrogatepass').hex()}"


def token_term(value: str) -> tuple[str, str] | None:
    """(field, term) of a token, or None for the hashed tokens of very long words."""
    code, marker, rest = value.partition("z")
    if not marker or not rest or len(rest) % 2:
        return None
    names = {v: k for k, v in _CODES.items()}
    if code not in names:
        return None
    try:
        return names[code], bytes.fromhex(rest).decode("utf-8", "surrogatepass")
    except ValueError:
        return None


def collection_schema(name: str) -> dict[str, Any]:
    """The cluster collection of one build (``name``), in Typesense's terms."""
    stored = ["title", "body", "date", "date_source", "url", "path", "checksum", "sketch"]
    facets: list[dict[str, Any]] = [
        {
            "name": field,
            "type": "string[]" if field in MULTI_VALUED else "string",
            "facet": True,
            "optional": True,
        }
        for field in FACET_FIELDS
    ]
    return {
        "name": name,
        "fields": [
            {"name": TOKENS, "type": "string[]"},
            *facets,
            {"name": "story", "type": "string", "facet": True},
            *(
                {
                    "name": name + SHOWN,
                    "type": "string[]" if name in MULTI_VALUED else "string",
                    "index": False,
                    "optional": True,
                }
                for name in KEYED
            ),
            *(
                {"name": field, "type": "string", "index": False, "optional": True}
                for field in stored
            ),
            {"name": "date_sort", "type": "int64"},  # YYYYMMDD, 0 undated: newest first
            {"name": "date_asc", "type": "int64"},  # undated after every date: oldest first
            {"name": "date_start", "type": "int32"},  # the period the date names, for
            {"name": "date_end", "type": "int32"},  # from/to (a month is in it whole or not)
            {"name": "seq", "type": "int64"},  # indexing order: Whoosh's tie-break
        ],
        "token_separators": [],
        "symbols_to_index": [],
    }


VOCABULARY_SUFFIX = "_vocab"


def vocabulary_name(collection: str) -> str:
    """The collection listing every token of ``collection`` (built and dropped with it)."""
    return collection + VOCABULARY_SUFFIX


def vocabulary_schema(collection: str) -> dict[str, Any]:
    """One document per token: prefix, wildcard and fuzzy words are expanded by a prefix
    search here (the term dictionary Whoosh walks), ``df`` the articles that have it."""
    return {
        "name": vocabulary_name(collection),
        "fields": [{"name": "token", "type": "string"}, {"name": "df", "type": "int32"}],
        "token_separators": [],
        "symbols_to_index": [],
    }


def cluster_document(doc: Document, seq: int) -> dict[str, Any]:
    """The cluster document of ``doc``, the ``seq``-th indexed."""
    values = document_fields(doc)
    tokens = [EVERY]
    seen = {EVERY}
    for fieldname in TEXT_FIELDS:
        text = values.get(fieldname)
        if not text:
            continue
        for btext, *_ in _SCHEMA[fieldname].index(text):
            value = token(fieldname, btext.decode("utf-8", "surrogatepass"))
            if value not in seen:
                seen.add(value)
                tokens.append(value)
    day = sort_key(doc.date)
    start, end = key_bounds(day)
    out: dict[str, Any] = {
        "id": doc.id,
        TOKENS: tokens,
        "date_sort": day,
        "date_asc": day or UNDATED_LAST,
        "date_start": start,
        "date_end": end,
        "seq": seq,
        "sketch": base64.b64encode(doc.sketch or b"").decode("ascii"),
    }
    for name in ("title", "body", "date", "date_source", "url", "path", "checksum"):
        if values.get(name) is not None:
            out[name] = values[name]
    for name in FACET_FIELDS:
        if name in MULTI_VALUED:
            out[name] = [key(o) for o in doc.organizations]
            out[name + SHOWN] = list(doc.organizations)
        elif values.get(name):
            out[name] = key(str(values[name]))
            out[name + SHOWN] = values[name]
    out["story"] = key(str(values["story"]))
    out["story" + SHOWN] = values["story"]
    return out


def sketch_of(document: dict[str, Any]) -> bytes | None:
    text = document.get("sketch")
    return base64.b64decode(text) if text else None
