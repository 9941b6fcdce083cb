"""Plain data objects shared by the indexer, the search service and the web app.

Nothing here imports Whoosh: these are the only shapes that cross the line
between the engine and its callers (CLI, web app, benchmarks), so a different
engine can later fill them in without touching the callers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

SUPPORTED_LANGUAGES: tuple[str, ...] = ("en", "de", "ru", "tr", "az")
LANGUAGE_NAMES: dict[str, str] = {
    "en": "English",
    "de": "German",
    "ru": "Russian",
    "tr": "Turkish",
    "az": "Azerbaijani",
}
UNDATED = "undated"  # facet value of the year facet for articles without a date


class DossierError(Exception):
    """Base class of every error Dossier reports to a person."""


class QueryError(DossierError):
    """The query string cannot be understood; the message says what to change."""


class ParameterError(DossierError):
    """A search parameter (page, filter, date…) is invalid."""

    def __init__(self, message: str, *, parameter: str | None = None, status: int = 400):
        super().__init__(message)
        self.parameter = parameter
        self.status = status


class IndexUnavailableError(DossierError):
    """The index is missing or unreadable (the web app answers 503)."""


class IndexLockedError(DossierError):
    """Another process is writing to the index."""


class DocumentNotFoundError(DossierError):
    """No document has the requested id."""


@dataclass(slots=True)
class Document:
    """One article as loaded and cleaned, before indexing.

    ``date`` keeps the precision the source gives: ``YYYY``, ``YYYY-MM`` or
    ``YYYY-MM-DD`` (never a made-up day). ``organizations`` holds canonical
    gazetteer ids.
    """

    id: str
    title: str
    body: str
    date: str | None = None
    lang: str | None = None
    source: str | None = None
    url: str | None = None
    organizations: list[str] = field(default_factory=list)
    path: str | None = None
    checksum: str | None = None


@dataclass(slots=True, frozen=True)
class SearchRequest:
    """Everything that defines one search; the web app builds it from the URL."""

    query: str = ""
    organizations: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    years: tuple[str, ...] = ()  # "2025" or UNDATED
    months: tuple[str, ...] = ()  # "2025-09"
    sources: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None
    sort: str = "relevance"  # or "date" (newest first)
    page: int = 1
    per_page: int = 10
    snippets: bool = True


@dataclass(slots=True, frozen=True)
class OrganizationRef:
    id: str
    name: str


@dataclass(slots=True)
class Hit:
    id: str
    title: str
    date: str | None
    lang: str | None
    source: str | None
    url: str | None
    organizations: list[OrganizationRef]
    score: float
    rank: int
    snippet: str  # escaped text; the only markup is <mark>…</mark>
    title_html: str  # escaped title with <mark> on matches


@dataclass(slots=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool = False


@dataclass(slots=True)
class Facet:
    name: str  # "organization", "lang", "year", "month", "source"
    label: str
    values: list[FacetValue]


@dataclass(slots=True)
class SearchResult:
    request: SearchRequest
    total: int
    hits: list[Hit]
    facets: dict[str, Facet]
    took_ms: float
    suggestion: str | None = None
    relaxed: bool = False  # no document had every word; partial matches shown
    pages: int = 0


@dataclass(slots=True)
class DocumentView:
    """A stored document for the document page, with the query's matches marked."""

    id: str
    title: str
    title_html: str
    body_html: str  # escaped paragraphs' text with <mark> on matches, "\n\n" between
    date: str | None
    lang: str | None
    source: str | None
    url: str | None
    organizations: list[OrganizationRef]
    path: str | None


@dataclass(slots=True)
class IndexStats:
    documents: int
    languages: dict[str, int]
    organizations: dict[str, int]
    years: dict[str, int]
    sources: dict[str, int]
    undated: int
    date_min: str | None
    date_max: str | None
    size_bytes: int
    path: str
    generation: str


MAX_ID_CHARS = 512  # longer document ids are refused at indexing (they go into URLs)


@dataclass(slots=True, frozen=True)
class SearchLimits:
    """Guards that keep one request from taking the service down.

    The web app reads them from its config (README, "Configuration"); every
    refusal is a QueryError or ParameterError with a message naming the limit.
    """

    max_query_chars: int = 500
    max_terms: int = 32
    max_page: int = 100
    max_per_page: int = 100
    max_expansions: int = 512  # words one prefix*/wildcard/fuzzy term may expand to
    min_prefix_chars: int = 2
