"""The Whoosh schema: stored display fields, per-language text fields, facets.

Text goes into the field of its own language (``body_de`` is analyzed with
German stop words and stemmer) when that language has its own analysis
(``analysis.language.LANGUAGES``), and always into the language-neutral
``folded`` field, which is all an article in any other language (or ``und``)
gets. Facet fields are single terms per document (``org`` several, comma
separated), so facet counts come from posting lists, never stored fields.
"""

from __future__ import annotations

from whoosh.columns import NumericColumn
from whoosh.fields import COLUMN, ID, KEYWORD, STORED, TEXT, Schema

from indexer.analysis.language import LANGUAGES, folded_analyzer, language_analyzer
from indexer.ingest.dates import month_of, sort_key, year_of
from indexer.model import UNDATED, UNDETERMINED, Document


def title_field(lang: str) -> str:
    return f"title_{lang}"


def body_field(lang: str) -> str:
    return f"body_{lang}"


FOLDED_BODY = "folded"
FOLDED_TITLE = "title_folded"


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
        FOLDED_BODY: TEXT(analyzer=folded_analyzer(), phrase=True),
        FOLDED_TITLE: TEXT(analyzer=folded_analyzer(), phrase=True),
    }
    for lang in LANGUAGES:
        analyzer = language_analyzer(lang)
        fields[title_field(lang)] = TEXT(analyzer=analyzer, phrase=True)
        fields[body_field(lang)] = TEXT(analyzer=analyzer, phrase=True)
    return Schema(**fields)


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
