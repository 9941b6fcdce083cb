"""Plain data objects shared by the indexer, the search service and the web app.

Nothing here imports Whoosh: these are the only shapes that cross the line
between the engine and its callers (CLI, web app, benchmarks), so a different
engine can later fill them in without touching the callers.
"""

from __future__ import annotations

import re
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from indexer.languages import LANGUAGE_NAMES as LANGUAGE_NAMES  # re-exported
from indexer.languages import UNDETERMINED as UNDETERMINED
from indexer.languages import language_code

# The five languages the project was built around: the gazetteer's aliases, the
# datelines and the scraped-page furniture are known in these. Any language the
# detector knows is indexed (LANGUAGE_NAMES, analysis.language.LANGUAGES).
SUPPORTED_LANGUAGES: tuple[str, ...] = ("en", "de", "ru", "tr", "az")
DEFAULT_PER_PAGE = 10  # results per page when none is asked for (SearchLimits)
UNDATED = "undated"  # facet value of the year facet for articles without a date
# Result orders, the default first, with the words the page shows for each.
SORTS: dict[str, str] = {
    "relevance": "relevance",
    "date": "date, newest first",
    "date_asc": "date, oldest first",
}
DEFAULT_SORT = next(iter(SORTS))
# Whether results show each story (an article and its near-duplicates) once, the default
# first, with the words the page shows for each (search.collapse).
COLLAPSE_MODES: dict[str, str] = {"story": "one result per story", "none": "every version"}
DEFAULT_COLLAPSE = next(iter(COLLAPSE_MODES))


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


class ClusterError(IndexUnavailableError):
    """The search cluster did not answer, or refused (the web app answers 503)."""


class CollectionGone(ClusterError):
    """The cluster collection searched is gone (a rebuild swapped it out and dropped it)."""


class IncompleteAnswer(ClusterError):
    """The cluster's answer to a write lacked lines: whether it was applied is unknown, so
    the (idempotent) write is sent again."""


class IndexLockedError(DossierError):
    """Another process is writing to the index."""


class SearchTimeoutError(DossierError):
    """A search ran past its time limit and was stopped (the web app answers 503)."""


class FeatureUnavailableError(DossierError):
    """The configured backend cannot answer this request the way Dossier would (501)."""


class DocumentNotFoundError(DossierError):
    """No document has the requested id."""


class GazetteerError(DossierError):
    """The gazetteer file is unreadable or malformed."""


class DamagedArchiveError(DossierError):
    """A .gz whose compressed data is cut short or corrupt (raised after every byte
    before the damage has been passed on, so the whole lines before it are kept)."""


class IncompleteIndexError(DossierError):
    """A worker process of a parallel build failed; the new generation is not used."""


class BuildInterrupted(DossierError):
    """SIGTERM or SIGINT stopped a build; everything it had started was undone."""

    def __init__(self, signum: int, index_dir: object):
        name = signal.Signals(signum).name
        super().__init__(
            f"stopped by {name}: nothing was committed and the index at {index_dir} is unchanged"
        )
        self.exit_status = 128 + signum


@dataclass(frozen=True, slots=True)
class FacetSpec:
    """One facet, described once.

    The engine (filters, counts), the API and its OpenAPI document, the search
    page and the command line all read ``FACETS``; adding a facet is one entry
    there, plus its index field and its ``SearchRequest`` field.
    """

    name: str  # the facet's name in results and in the API's "facets" object
    label: str  # its heading on the page and in the command line's output
    param: str  # URL parameter, command-line flag (--org) and query-syntax field (org:)
    index_field: str  # the index field holding its values
    request_field: str  # the SearchRequest attribute holding the selected values
    help: str  # what a value is (OpenAPI, --help)
    example: str  # one value, for messages
    multi_valued: bool = False  # a document may have several values
    allowed: tuple[str, ...] = ()  # the only values accepted, when the set is closed
    pattern: str = ""  # a regular expression every value must match in full
    expected: str = ""  # what a value must be, for the message refusing one
    max_values: int | None = None  # list at most this many values (selected ones always)
    chronological: bool = False  # list values newest first, not by count
    within: str | None = None  # listed only inside one selected value of this facet
    canonical: Callable[[str], str] | None = None  # the accepted spellings' one form

    def normalize(self, value: str) -> str:
        """``value`` in the form the index holds (``pt-BR`` -> ``pt``), else as given."""
        return self.canonical(value) if self.canonical else value

    def accepts(self, value: str) -> bool:
        """Whether ``value`` is well-formed for this facet (not whether any document has it)."""
        if self.allowed and value not in self.allowed:
            return False
        return not self.pattern or re.fullmatch(self.pattern, value) is not None


ORGANIZATION_FACET = FacetSpec(
    "organization", "Organization", "org", "org", "organizations",
    help="Organization id", example="az-sss", multi_valued=True, max_values=25,
)  # fmt: skip
LANGUAGE_FACET = FacetSpec(
    "lang", "Language", "lang", "lang", "languages",
    help="Language code (ISO 639-1, or und for undetermined)", example="de",
    allowed=tuple(LANGUAGE_NAMES), expected="a language code (such as en, de, ru, tr, az, fr)",
    canonical=language_code,
)  # fmt: skip
YEAR_FACET = FacetSpec(
    "year", "Year", "year", "year", "years",
    help=f"Year, or {UNDATED!r} for articles without a date", example="2025",
    pattern=rf"\d{{4}}|{UNDATED}", expected=f"a year (YYYY) or {UNDATED!r}", chronological=True,
)  # fmt: skip
MONTH_FACET = FacetSpec(
    "month", "Month", "month", "month", "months",
    help="Month YYYY-MM", example="2025-09", pattern=r"\d{4}-(0[1-9]|1[0-2])",
    expected="a month (YYYY-MM)", chronological=True, within="year",
)  # fmt: skip
SOURCE_FACET = FacetSpec(
    "source", "Source", "source", "source", "sources",
    help="Publisher", example="Trend", max_values=25,
)  # fmt: skip
# Every facet, in the order the page and the command line show them.
FACETS: tuple[FacetSpec, ...] = (
    ORGANIZATION_FACET,
    LANGUAGE_FACET,
    YEAR_FACET,
    MONTH_FACET,
    SOURCE_FACET,
)
FACETS_BY_NAME: dict[str, FacetSpec] = {facet.name: facet for facet in FACETS}


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
    date_source: str | None = None  # "record", "header" or "dateline"; None when undated
    repaired: bool = False  # cleaning repaired encoding damage in its text (not stored)
    story: str | None = None  # id of its story (ingest.duplicates); None: its own id
    sketch: bytes = b""  # MinHash signature of its body; empty when too short to compare


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
    sort: str = DEFAULT_SORT  # one of SORTS
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    snippets: bool = True
    collapse: str = DEFAULT_COLLAPSE  # one of COLLAPSE_MODES
    story: str | None = None  # only the versions of this story

    def selections(self) -> dict[str, tuple[str, ...]]:
        """The selected values of every facet, by facet name."""
        return {facet.name: getattr(self, facet.request_field) for facet in FACETS}

    def has_filters(self) -> bool:
        """Browsing (no query) needs at least one of these."""
        return any(self.selections().values()) or bool(self.date_from or self.date_to or self.story)


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
    date_source: str | None = None  # "record", "header" or "dateline"
    story: str | None = None  # its story's id (search.collapse)
    versions: int = 1  # articles of its story among the results, itself included


@dataclass(slots=True, frozen=True)
class Version:
    """Another article of the same story, as the document page lists it."""

    id: str
    title: str
    source: str | None
    date: str | None


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
    query_words_used: list[str] = field(default_factory=list)  # a long query's telling words
    backend: str = "whoosh"  # which engine answered (DOSSIER_BACKEND)
    # what that engine answered differently from Dossier's own (README, cluster table)
    not_honoured: list[str] = field(default_factory=list)


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
    date_source: str | None = None  # "record", "header" or "dateline"
    story: str | None = None
    versions: list[Version] = field(default_factory=list)  # the story's other articles


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
    undetermined_language: int = 0  # too short or mixed to detect: neutral analysis
    notice: str | None = None  # why the index should be rebuilt, when it should


MAX_ID_CHARS = 512  # longer document ids are refused at indexing (they go into URLs)


@dataclass(slots=True, frozen=True)
class SearchLimits:
    """Guards that keep one request from taking the service down.

    The web app reads them from its config (README, "Configuration"); every
    refusal is a QueryError or ParameterError with a message naming the limit.
    """

    # Any text up to this size is a query; beyond max_terms words it is read as a
    # description of its most telling words (README, "Long queries").
    max_query_chars: int = 10_000
    max_terms: int = 32
    max_page: int = 100
    max_per_page: int = 100
    default_per_page: int = DEFAULT_PER_PAGE
    max_expansions: int = 512  # words one prefix*/wildcard/fuzzy term may expand to
    min_prefix_chars: int = 2
    # The cost budget of *, ? and ~ words (README, "Limits"): how many per query, and how
    # many words in all fields, with how many occurrences, they may expand to together.
    max_wildcard_terms: int = 4
    max_fuzzy_words: int = 4
    max_expanded_words: int = 1_500
    max_expanded_postings: int = 100_000
    timeout_ms: float = 3000  # a search running longer stops with SearchTimeoutError; 0: never
    max_filter_values: int = 50  # values of one filter in one request
    max_filter_chars: int = 200  # characters of one filter value

    max_completion_chars: int = 200  # longest text completions are offered for

    def check_query(self, query: str, limit: int | None = None) -> None:
        """Refuse an over-long query (413: the request, not its syntax, is too large);
        ``limit`` for a shorter kind of query, such as text to complete."""
        limit = self.max_query_chars if limit is None else limit
        if len(query) > limit:
            raise ParameterError(
                f"The query is {len(query)} characters long; the limit is "
                f"{limit}. Shorten it and search again.",
                parameter="q",
                status=413,
            )


# --- Analyst views (organization pages, export): shapes of indexer/search/organizations.py ---


@dataclass(slots=True, frozen=True)
class CountedValue:
    """A value (organization id, source, language, period) with its article count."""

    value: str
    label: str
    count: int


@dataclass(slots=True, frozen=True)
class OrganizationSummary:
    """One organization of the index, for the list of organizations."""

    id: str
    name: str  # English display name; the id when the gazetteer does not know it
    names: dict[str, str]  # display name per language code
    kind: str
    country: str
    count: int  # articles naming it


@dataclass(slots=True)
class OrganizationProfile:
    """Everything the organization page shows, computed from the index's facets."""

    summary: OrganizationSummary
    aliases: list[str]
    years: dict[str, int]  # "2025" → articles, ascending, dated articles only
    months: dict[str, int]  # "2025-09" → articles, ascending
    undated: int
    related: list[CountedValue]  # organizations named in the same articles, most first
    sources: list[CountedValue]
    languages: list[CountedValue]
    latest: list[Hit]  # newest first, without snippets


# What a completion is: a word, a run of title words, a person's name, an organization.
COMPLETION_KINDS: tuple[str, ...] = ("word", "phrase", "name", "organization")


@dataclass(slots=True, frozen=True)
class Completion:
    """One suggestion while typing: the whole query it would make, and what it is."""

    text: str
    kind: str  # one of COMPLETION_KINDS
    count: int  # articles it occurs in (tagged with, for an organization)
    organization: str | None = None  # the gazetteer id, for an organization
