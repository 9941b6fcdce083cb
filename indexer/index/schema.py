"""The Whoosh schema: stored display fields, per-language text fields, facets.

Text goes into the field of its own language (``body_de`` is analyzed with
German stop words and stemmer) when that language has its own analysis
(``analysis.language.LANGUAGES``), and always into the language-neutral
``folded`` field, which is all an article in any other language (or ``und``)
gets. Facet fields are single terms per document (``org`` several, comma
separated), so facet counts come from posting lists, never stored fields.
"""

from __future__ import annotations

from array import array
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from whoosh.columns import NumericColumn
from whoosh.fields import COLUMN, ID, KEYWORD, STORED, TEXT, Schema
from whoosh.formats import Positions, tokens

from indexer.analysis.language import (
    LANGUAGES,
    folded_analyzer,
    index_places,
    language_analyzer,
)
from indexer.ingest.dates import month_of, sort_key, year_of
from indexer.model import UNDATED, UNDETERMINED, Document


def title_field(lang: str) -> str:
    return f"title_{lang}"


def body_field(lang: str) -> str:
    return f"body_{lang}"


FOLDED_BODY = "folded"
FOLDED_TITLE = "title_folded"


class PositionsAndStarts(Positions):
    """Whoosh's positions, and with each its word's first character in the field's text.

    A result page's snippets then find the words a query matched from the index
    (``index.columnar`` keeps the starts beside the positions) instead of
    splitting and analysing every hit's text, as Lucene's offsets in postings
    serve its highlighter. The value is the positions and then the starts, as
    native ``uint32`` (also quicker to write and read than Whoosh's pickled deltas).
    Indexes pickle their schema: this class keeps its name and module.
    """

    def word_values(
        self, value: Any, analyzer: Any, **kwargs: Any
    ) -> Iterator[tuple[str, int, float, bytes]]:
        boost = self.field_boost
        places: defaultdict[str, list[int]] = defaultdict(list)
        starts: defaultdict[str, list[int]] = defaultdict(list)
        direct = index_places(analyzer, value) if isinstance(value, str) else None
        if direct is not None:  # Dossier's analyzers: every token's boost is 1
            for term, position, start in direct:
                places[term].append(position)
                starts[term].append(start)
            for word, found in places.items():
                yield word, len(found), len(found) * boost, encode_places(found, starts[word])
            return
        weights: defaultdict[str, float] = defaultdict(float)
        kwargs.update(positions=True, chars=True, boosts=True)
        for token in tokens(value, analyzer, kwargs):
            places[token.text].append(token.pos)
            starts[token.text].append(token.startchar)
            weights[token.text] += token.boost
        for word, found in places.items():
            yield word, len(found), weights[word] * boost, encode_places(found, starts[word])

    def decode_frequency(self, valuestring: bytes) -> int:
        return len(valuestring) // 8

    def decode_weight(self, valuestring: bytes) -> float:
        return self.decode_frequency(valuestring) * self.field_boost

    def decode_positions(self, valuestring: bytes) -> list[int]:
        found = array("I", valuestring)
        return found[: len(found) // 2].tolist()

    def decode_starts(self, valuestring: bytes) -> list[int]:
        found = array("I", valuestring)
        return found[len(found) // 2 :].tolist()

    def combine(self, vs: list[bytes]) -> bytes:
        pairs: set[tuple[int, int]] = set()
        for value in vs:
            pairs.update(zip(self.decode_positions(value), self.decode_starts(value), strict=True))
        ordered = sorted(pairs)
        return encode_places([p for p, _ in ordered], [s for _, s in ordered])


def encode_places(positions: list[int], starts: list[int]) -> bytes:
    """``PositionsAndStarts``'s posting value."""
    return array("I", positions + starts).tobytes()


def _text(analyzer: Any) -> TEXT:
    """A phrase-searchable text field whose postings carry their words' starts."""
    field = TEXT(analyzer=analyzer, phrase=True)
    field.format = PositionsAndStarts(field_boost=field.format.field_boost)
    return field


def build_schema() -> Schema:
    fields = {
        "id": ID(stored=True, unique=True),
        "title": STORED(),
        "body": STORED(),
        "date": STORED(),
        "date_source": STORED(),  # record | header | dateline (ingest.dates.DATE_SOURCES)
        "url": STORED(),
        "path": STORED(),
        "checksum": STORED(),
        "organizations": STORED(),
        "lang": ID(stored=True),
        # The article's story (ingest.duplicates): a term to find its versions, a
        # column to collapse results by; the MinHash signature that placed it there.
        "story": ID(stored=True, sortable=True),
        "sketch": STORED(),
        "source": ID(stored=True),
        "org": KEYWORD(commas=True, lowercase=False, scorable=False),
        "year": ID(),
        "month": ID(),
        # YYYYMMDD (00 for a missing month or day) as a column only: newest-first
        # sorting and from/to filters read it per generation (execution.IndexStatistics);
        # indexing it as NUMERIC wrote 8 trie terms per document that nothing searched.
        "date_sort": COLUMN(NumericColumn("I")),
        FOLDED_BODY: _text(folded_analyzer()),
        FOLDED_TITLE: _text(folded_analyzer()),
    }
    for lang in LANGUAGES:
        analyzer = language_analyzer(lang)
        fields[title_field(lang)] = _text(analyzer)
        fields[body_field(lang)] = _text(analyzer)
    return Schema(**fields)


OLDER_LAYOUT_NOTICE = (
    "the index has an older field layout (it still works); "
    "`dossier index --rebuild` with all its sources gives it the current one"
)


def layout_notice(schema: Schema) -> str | None:
    """Why the index should be rebuilt, when its fields (names and types) are not the
    current ones: an index written by an earlier Dossier is searched as it is, but
    lacks what newer ones infer (dates' provenance, stories, languages)."""
    current = build_schema()
    if sorted((n, type(schema[n]).__name__) for n in schema.names()) == sorted(
        (n, type(current[n]).__name__) for n in current.names()
    ):
        return None
    return OLDER_LAYOUT_NOTICE


def document_fields(doc: Document) -> dict[str, object]:
    """The Whoosh field values of one document."""
    lang = doc.lang or UNDETERMINED
    values: dict[str, object] = {
        "id": doc.id,
        "title": doc.title,
        "body": doc.body,
        "date": doc.date,
        "date_source": doc.date_source,
        "url": doc.url,
        "path": doc.path,
        "checksum": doc.checksum,
        "organizations": list(doc.organizations),
        "lang": lang,
        "story": doc.story or doc.id,
        "sketch": doc.sketch,
        "org": ",".join(doc.organizations),
        "year": year_of(doc.date) or UNDATED,
        "month": month_of(doc.date) or UNDATED,
        "date_sort": sort_key(doc.date),
        FOLDED_BODY: doc.body,
        FOLDED_TITLE: doc.title,
    }
    if lang in LANGUAGES:
        values[title_field(lang)] = doc.title
        values[body_field(lang)] = doc.body
    if doc.source:
        values["source"] = doc.source
    return values
