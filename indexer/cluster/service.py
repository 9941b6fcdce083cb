"""ClusterSearchService: SearchService's methods, answered by a Typesense cluster.

The web app and the command line call the same methods with the same
requests and get the same result types; ``backend`` says who answered and
``not_honoured`` names what the cluster answers differently (README,
"Running on a Typesense cluster"). A request runs as one or two
multi-searches: the page (collapsed to stories by grouping), one count per
selected facet without its own filter (multi-select counts), then the
versions of the page's stories.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar, cast

from whoosh.reading import IndexReader

from indexer.cluster.config import ClusterConfig
from indexer.cluster.connection import Connection
from indexer.cluster.documents import EVERY, FACET_FIELDS, LAYOUT, SHOWN, TOKENS, key, shown, unkey
from indexer.cluster.querying import (
    RANKING,
    ClusterVocabulary,
    RecordingVocabulary,
    Translation,
    translate,
)
from indexer.cluster.writing import layout_of
from indexer.ingest.dates import date_key
from indexer.ingest.organizations import Gazetteer
from indexer.model import (
    FACETS,
    FACETS_BY_NAME,
    LANGUAGE_FACET,
    ORGANIZATION_FACET,
    SOURCE_FACET,
    UNDATED,
    UNDETERMINED,
    YEAR_FACET,
    CollectionGone,
    Completion,
    DocumentNotFoundError,
    DocumentView,
    FeatureUnavailableError,
    Hit,
    IndexStats,
    IndexUnavailableError,
    OrganizationProfile,
    OrganizationSummary,
    QueryError,
    SearchLimits,
    SearchRequest,
    SearchResult,
    Version,
)
from indexer.search.facets import count_facet, default_label, listed_facets
from indexer.search.highlight import Highlighter, MatchTerms
from indexer.search.organizations import LATEST_ARTICLES, profile_from_counts, summary_of
from indexer.search.parsing import CompiledQuery, QueryCompiler
from indexer.search.service import check_request

BACKEND = "typesense"
REFRESH_S = 2.0  # how often the alias is re-read: a rebuilt collection is served within this
MAX_FACET_VALUES = 1_000  # values a search lists per facet (a page shows far fewer)
# Values of one facet in the whole collection (stats, organizations, known values): every one,
# as Whoosh counts them (an archive may have thousands of sources).
ALL_FACET_VALUES = 10_000_000
PREFETCH_ROUNDS = 3  # dry compiles: a long text's stems, then the folded keys of unknown ones
EXPORT_PAGE = 250  # the cluster's largest page
STORY_COUNTS = "story-facet-counts"  # collapsed results' facet counts are of articles
_HIDDEN = f"{TOKENS},sketch"  # never fetched: the tokens are most of a document's size
T = TypeVar("T")


@dataclass(slots=True)
class _View:
    collection: str
    documents: int
    created: datetime | None
    vocabulary: ClusterVocabulary
    read_at: float
    latest: int = -1  # the newest document's seq: with documents, what says it changed
    known: dict[str, dict[str, int]] | None = None  # every facet's values in the collection
    shared: bool | None = None  # some story has several versions
    long_values: dict[tuple[str, str], str] = field(default_factory=dict)  # hashed keys


class ClusterSearchService:
    """Thread-safe search over the collection the configured alias names."""

    def __init__(
        self,
        config: ClusterConfig,
        *,
        gazetteer: Path | str | None = None,
        limits: SearchLimits | None = None,
    ):
        self.limits = limits or SearchLimits()
        if self.limits.timeout_ms > 0:  # a search waits on a node no longer than it may take
            config = replace(config, timeout_s=min(config.timeout_s, self.limits.timeout_ms / 1000))
        self.config = config
        self.connection = Connection(config)
        self.gazetteer = Gazetteer.load(gazetteer)
        self.compiler = QueryCompiler(self.gazetteer, self.limits)
        self.highlighter = Highlighter(self.gazetteer)
        self._lock = threading.Lock()
        self._view: _View | None = None

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> ClusterSearchService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- which collection ---

    def view(self) -> _View:
        """The collection readers use now (re-read every REFRESH_S: a rebuild swaps it)."""
        with self._lock:
            view = self._view
            if view is not None and time.monotonic() - view.read_at < REFRESH_S:
                return view
        name = self.connection.alias_target(self.config.alias)
        if name is None:
            raise IndexUnavailableError(
                f"the cluster has no collection {self.config.alias!r} yet; "
                "index articles into it first (DOSSIER_BACKEND=typesense dossier index …)"
            )
        if layout_of(name) != LAYOUT:
            raise IndexUnavailableError(
                f"the cluster's collection {name!r} was built by another version of Dossier; "
                "rebuild it with `dossier index --rebuild`"
            )
        documents, latest = self._contents(name)
        with self._lock:
            if view is not None and (view.collection, view.documents, view.latest) == (
                name,
                documents,
                latest,
            ):
                view.read_at = time.monotonic()
                return view
            # A new collection, or this one changed by indexing (its count, or the newest
            # document's seq: an update re-sends a document with the next seq). When it
            # changed is not stored in the cluster: "now" is never too early for a 304.
            fresh = _View(
                name, documents, datetime.now(UTC).replace(microsecond=0),
                ClusterVocabulary(self.connection, name, documents), time.monotonic(),
                latest=latest,
            )  # fmt: skip
            self._view = fresh
            return fresh

    def _contents(self, collection: str) -> tuple[int, int]:
        """How many documents ``collection`` holds and the newest one's seq."""
        newest = _search(collection, None, per_page=1)
        newest.update(sort_by="seq:desc", include_fields="seq")
        (result,) = self.connection.multi_search([newest])
        hits = result.get("hits") or []
        return int(result.get("found", 0)), int(hits[0]["document"]["seq"]) if hits else -1

    def _retrying(self, action: Callable[[], T]) -> T:
        """``action``; once more on the alias's new collection when a rebuild dropped the
        one this process still named (it re-reads the alias only every REFRESH_S)."""
        try:
            return action()
        except CollectionGone:
            with self._lock:
                self._view = None
            return action()

    # --- search ---

    def validate(self, request: SearchRequest) -> None:
        check_request(request, self.limits)

    def search(self, request: SearchRequest) -> SearchResult:
        started = time.perf_counter()
        self.validate(request)
        return self._retrying(lambda: self._search(request, started))

    def _search(self, request: SearchRequest, started: float) -> SearchResult:
        view = self.view()
        compiled = self._compile(request.query, view)
        if compiled.browse and not request.has_filters():
            raise QueryError("type a query, or choose a filter to browse the archive")
        notices: set[str] = set()
        translation, relaxed = self._translation(compiled, view, notices)
        filters = self._filters(request)
        collapsing = request.collapse == "story"
        searches = [self._page_search(view, request, translation, filters, compiled.browse,
                                      collapsing)]  # fmt: skip
        listed = list(listed_facets(request.selections()))
        selected = request.selections()
        # Facets without a selection are counted over the whole result; each selected one
        # over the result without its own filter (multi-select).
        plain = [facet for facet, _ in listed if not selected[facet.name]]
        own = [facet for facet, _ in listed if selected[facet.name]]
        # The selected facets too: within every filter, their selected values' exact counts
        # (each selected one's own search lists only the MAX_FACET_VALUES most frequent).
        searches.append(self._count_search(view, translation, filters, plain + own))
        for facet in own:
            others = {k: v for k, v in filters.items() if k != facet.name}
            searches.append(self._count_search(view, translation, others, [facet]))
        results = self.connection.multi_search(searches)
        page, counted = results[0], results[1]
        counts = self._counts(view, counted)
        for facet, result in zip(own, results[2:], strict=True):
            exact = counts.get(facet.index_field, {})
            counts[facet.index_field] = self._counts(view, result).get(facet.index_field, {})
            counts[facet.index_field].update(
                (value, exact[value]) for value in selected[facet.name] if value in exact
            )
        articles = int(counted.get("found", 0))
        total = int(page.get("found", 0))
        if collapsing and (total != articles or self._shared_stories(view)):
            notices.add(STORY_COUNTS)
        documents = _page_documents(page, collapsing)
        versions = self._versions(view, translation, filters, documents)
        terms = self._match_terms(compiled, translation) if request.snippets else MatchTerms()
        start = (request.page - 1) * request.per_page
        hits = [
            self._hit(doc, start + rank, score, terms, request.snippets,
                      versions.get(doc.get("story") or doc["id"], 1))
            for rank, (doc, score) in enumerate(documents, start=1)
        ]  # fmt: skip
        facets = {
            facet.name: count_facet(
                facet.name,
                _KnownValues(self._known(view)),
                frozenset(),
                selected[facet.name],
                self._label,
                restrict_prefix=prefix,
                counts=counts.get(facet.index_field, {}),
            )
            for facet, prefix in listed
        }
        if not compiled.browse and request.sort == "relevance":
            notices.add(RANKING)
        return SearchResult(
            request=request, total=total, hits=hits, facets=facets,
            took_ms=round((time.perf_counter() - started) * 1000, 2), suggestion=None,
            relaxed=relaxed, pages=math.ceil(total / request.per_page) if total else 0,
            query_words_used=list(compiled.words_used), backend=BACKEND,
            not_honoured=sorted(notices),
        )  # fmt: skip

    def _known(self, view: _View) -> dict[str, dict[str, int]]:
        """Every facet value the collection has (a selected value it lacks is not listed)."""
        if view.known is None:
            whole = _search(view.collection, None, per_page=0)
            whole.update(facet_by=",".join(FACET_FIELDS), max_facet_values=ALL_FACET_VALUES)
            (result,) = self.connection.multi_search([whole])
            view.known = self._counts(view, result)
        return view.known

    def _shared_stories(self, view: _View) -> bool:
        """Whether some story has several versions (then collapsed results' facet counts,
        which count articles here, may differ from Dossier's counts of stories)."""
        if view.shared is None:
            whole = _search(view.collection, None, per_page=0)
            whole.update(facet_by="story", max_facet_values=1)
            (result,) = self.connection.multi_search([whole])
            stats = (result.get("facet_counts") or [{}])[0].get("stats", {})
            view.shared = int(stats.get("total_values", view.documents)) < view.documents
        return view.shared

    def _counts(self, view: _View, result: dict[str, Any]) -> dict[str, dict[str, int]]:
        """A result's facet counts by value as written (the cluster counts keys)."""
        out: dict[str, dict[str, int]] = {}
        for fieldname, counts in _facet_counts(result).items():
            out[fieldname] = {self._unkeyed(view, fieldname, k): n for k, n in counts.items()}
        return out

    def _unkeyed(self, view: _View, fieldname: str, text: str) -> str:
        """The value of a key; a hashed one (a very long value) read from a document."""
        value = unkey(text)
        if value is not None:
            return value
        if (fieldname, text) not in view.long_values:
            search = _search(view.collection, f"{fieldname}:=[{text}]", per_page=1)
            search["include_fields"] = f"{fieldname},{fieldname}{SHOWN}"
            (result,) = self.connection.multi_search([search])
            hits = result.get("hits") or [{"document": {}}]
            document = hits[0]["document"]
            keys, values = document.get(fieldname), document.get(fieldname + SHOWN)
            if isinstance(keys, list) and isinstance(values, list) and text in keys:
                values = values[keys.index(text)]
            view.long_values[(fieldname, text)] = values if isinstance(values, str) else text
        return view.long_values[(fieldname, text)]

    def _compile(self, text: str, view: _View) -> CompiledQuery:
        # The compiler asks an index reader for languages, frequencies and prefixes; the
        # vocabulary answers those from the cluster (it is not a whole IndexReader). Dry
        # runs first list the frequencies a long text needs, fetched in a few requests.
        for _ in range(PREFETCH_ROUNDS):
            recording = RecordingVocabulary(view.vocabulary)
            self.compiler.compile(text, cast(IndexReader, recording))
            if not recording.asked:
                break
            view.vocabulary.prefetch(recording.asked)
        return self.compiler.compile(text, cast(IndexReader, view.vocabulary))

    def _translation(
        self, compiled: CompiledQuery, view: _View, notices: set[str]
    ) -> tuple[Translation, bool]:
        """What matches; the relaxed any-word form when nothing has every word."""
        if compiled.browse:
            return Translation(None, False, [], []), False
        translation = translate(compiled.query, view.vocabulary)
        relaxed = False
        if compiled.relaxed is not None and not translation.matches_nothing:
            (count,) = self.connection.multi_search(
                [_search(view.collection, translation.filter, per_page=0)]
            )
            if not count.get("found"):
                loose = translate(compiled.relaxed, view.vocabulary)
                (found,) = self.connection.multi_search(
                    [_search(view.collection, loose.filter, per_page=0)]
                )
                if found.get("found"):
                    translation, relaxed = loose, True
        notices.update(translation.not_honoured)
        return translation, relaxed

    def _filters(self, request: SearchRequest) -> dict[str, str]:
        """One filter expression per facet selection, the date range and the story."""
        out = {}
        for name, values in request.selections().items():
            if values:
                field = FACETS_BY_NAME[name].index_field
                out[name] = f"{field}:=[{','.join(key(v) for v in values)}]"
        if request.story:
            out["story"] = f"story:=[{key(request.story)}]"
        if request.date_from or request.date_to:
            # As the Whoosh path: the whole period a date names must be inside the range.
            parts = ["date_end:>=1"]
            if request.date_from:
                parts.append(f"date_start:>={date_key(request.date_from)}")
            if request.date_to:
                parts.append(f"date_end:<={date_key(request.date_to)}")
            out["date"] = " && ".join(parts)
        return out

    def _page_search(
        self,
        view: _View,
        request: SearchRequest,
        translation: Translation,
        filters: dict[str, str],
        browse: bool,
        collapsing: bool,
    ) -> dict[str, Any]:
        search = _search(view.collection, _joined(translation, filters.values()),
                         per_page=request.per_page, page=request.page)  # fmt: skip
        search["exclude_fields"] = _HIDDEN
        if browse or request.sort != "relevance":
            search["sort_by"] = (
                "date_asc:asc,seq:asc" if request.sort == "date_asc" else "date_sort:desc,seq:desc"
            )
        else:
            # Every match has EVERY, so dropping the query's tokens one by one (the
            # cluster's ranking) ends with every match found; more tokens rank first.
            search["q"] = " ".join([EVERY, *translation.ranking])
            search["drop_tokens_threshold"] = 2**31 - 1
            search["sort_by"] = "_text_match:desc,seq:asc"
        if collapsing:
            search["group_by"] = "story"
            search["group_limit"] = 1
        return search

    def _count_search(
        self, view: _View, translation: Translation, filters: dict[str, str], facets: list[Any]
    ) -> dict[str, Any]:
        search = _search(view.collection, _joined(translation, filters.values()), per_page=0)
        if facets:
            search["facet_by"] = ",".join(f.index_field for f in facets)
            search["max_facet_values"] = MAX_FACET_VALUES
        return search

    def _versions(
        self,
        view: _View,
        translation: Translation,
        filters: dict[str, str],
        documents: list[tuple[dict[str, Any], float]],
    ) -> dict[str, int]:
        """Articles of each page story among all the results (itself included)."""
        stories = list(dict.fromkeys(doc.get("story") or doc["id"] for doc, _ in documents))
        if not stories:
            return {}
        story_filter = f"story:=[{','.join(key(s) for s in stories)}]"
        within = _joined(translation, [*filters.values(), story_filter])
        search = _search(view.collection, within, per_page=0)
        search["facet_by"] = "story"
        search["max_facet_values"] = len(stories)
        (result,) = self.connection.multi_search([search])
        return self._counts(view, result).get("story", {})

    def _match_terms(self, compiled: CompiledQuery, translation: Translation) -> MatchTerms:
        terms = MatchTerms(organizations=set(compiled.organizations))
        for fieldname, text in translation.positive:
            terms.add(fieldname, text)
        return terms

    def _hit(
        self,
        doc: dict[str, Any],
        rank: int,
        score: float,
        terms: MatchTerms,
        snippets: bool,
        versions: int,
    ) -> Hit:
        lang = doc.get("lang") or UNDETERMINED
        title = doc.get("title") or ""
        return Hit(
            id=doc["id"], title=title, date=doc.get("date"), lang=lang,
            source=doc.get("source"), url=doc.get("url"),
            organizations=[self.gazetteer.ref(o) for o in doc.get("org") or []],
            score=score, rank=rank,
            snippet=(self.highlighter.snippet(doc.get("body") or "", lang, terms)
                     if snippets else ""),
            title_html=self.highlighter.mark_all(title, lang, terms, title=True),
            date_source=doc.get("date_source"), story=doc.get("story") or doc["id"],
            versions=versions,
        )  # fmt: skip

    def _label(self, name: str, value: str) -> str:
        if name == ORGANIZATION_FACET.name:
            return self.gazetteer.label(value)
        return default_label(name, value)

    # --- documents ---

    def document(self, doc_id: str, query: str = "") -> DocumentView:
        return self._retrying(lambda: self._document(doc_id, query))

    def _document(self, doc_id: str, query: str) -> DocumentView:
        view = self.view()
        doc = shown(self.connection.retrieve(view.collection, doc_id))
        story = doc.get("story") or doc["id"]
        terms = MatchTerms()
        if query.strip():
            try:
                compiled = self._compile(query, view)
                if not compiled.browse:
                    terms = self._match_terms(compiled, translate(compiled.query, view.vocabulary))
            except (QueryError, FeatureUnavailableError):
                pass
        versions = self._story_versions(view, story, doc_id)
        lang = doc.get("lang") or UNDETERMINED
        title = doc.get("title") or ""
        body = doc.get("body") or ""
        return DocumentView(
            id=doc["id"], title=title,
            title_html=self.highlighter.mark_all(title, lang, terms, title=True),
            body_html="\n\n".join(self.highlighter.mark_all(p, lang, terms)
                                  for p in body.split("\n\n")),
            date=doc.get("date"), lang=lang, source=doc.get("source"), url=doc.get("url"),
            organizations=[self.gazetteer.ref(o) for o in doc.get("org") or []],
            path=doc.get("path"), date_source=doc.get("date_source"), story=story,
            versions=versions,
        )  # fmt: skip

    def _story_versions(self, view: _View, story: str, doc_id: str) -> list[Version]:
        search = _search(view.collection, f"story:=[{key(story)}]", per_page=250)
        search["include_fields"] = "id,title,source_value,date"
        (result,) = self.connection.multi_search([search])
        found = [
            Version(d["id"], d.get("title") or "", d.get("source"), d.get("date"))
            for d in map(shown, (h["document"] for h in result.get("hits", [])))
            if d["id"] != doc_id
        ]  # fmt: skip
        return sorted(found, key=lambda v: (v.date is None, v.date or "", v.id))

    def complete(self, query: str, lang: str | None = None, limit: int = 8) -> list[Completion]:
        raise FeatureUnavailableError(
            "completions are not available on the typesense backend (README, cluster table)"
        )

    def related(self, doc_id: str, limit: int = 5) -> list[Hit]:
        raise FeatureUnavailableError(
            "related articles are not available on the typesense backend (README, cluster table)"
        )

    # --- stats, health, organizations, export ---

    def stats(self) -> IndexStats:
        return self._retrying(self._stats)

    def _stats(self) -> IndexStats:
        view = self.view()
        whole = _search(view.collection, None, per_page=0)
        whole["facet_by"] = ",".join(FACET_FIELDS)
        whole["max_facet_values"] = ALL_FACET_VALUES
        oldest = _search(view.collection, "date_sort:>0", per_page=1)
        oldest.update(sort_by="date_sort:asc", include_fields="date")
        newest = _search(view.collection, "date_sort:>0", per_page=1)
        newest.update(sort_by="date_sort:desc", include_fields="date")
        counted, first, last = self.connection.multi_search([whole, oldest, newest])
        counts = self._counts(view, counted)
        by = {facet.name: counts.get(facet.index_field, {}) for facet in FACETS}
        years = by[YEAR_FACET.name]
        return IndexStats(
            documents=int(counted.get("found", 0)),
            languages=_sorted_counts(by[LANGUAGE_FACET.name]),
            organizations=_sorted_counts(by[ORGANIZATION_FACET.name]),
            years={k: v for k, v in sorted(years.items()) if k != UNDATED},
            sources=_sorted_counts(by[SOURCE_FACET.name]),
            undated=years.get(UNDATED, 0),
            date_min=_first_date(first), date_max=_first_date(last),
            size_bytes=0,  # the cluster does not say how much one collection takes
            path=f"typesense:{self.config.alias}", generation=view.collection,
            undetermined_language=by[LANGUAGE_FACET.name].get(UNDETERMINED, 0),
        )  # fmt: skip

    def health(self) -> dict[str, str | int]:
        try:
            view = self.view()
        except Exception as exc:  # any failure to reach the collection means "unavailable"
            return {"status": "unavailable", "documents": 0, "generation": "", "message": str(exc)}
        return {"status": "ok", "documents": view.documents, "generation": view.collection}

    def organizations(self) -> list[OrganizationSummary]:
        return self._retrying(self._organizations)

    def _organizations(self) -> list[OrganizationSummary]:
        view = self.view()
        search = _search(view.collection, None, per_page=0)
        search.update(facet_by=ORGANIZATION_FACET.index_field, max_facet_values=ALL_FACET_VALUES)
        (result,) = self.connection.multi_search([search])
        table = self._counts(view, result).get(ORGANIZATION_FACET.index_field, {})
        summaries = [summary_of(self.gazetteer, org_id, n) for org_id, n in table.items()]
        summaries.sort(key=lambda s: (-s.count, s.name.casefold(), s.id))
        return summaries

    def organization(self, org_id: str) -> OrganizationProfile:
        return self._retrying(lambda: self._organization(org_id))

    def _organization(self, org_id: str) -> OrganizationProfile:
        view = self.view()
        search = _search(view.collection, f"{ORGANIZATION_FACET.index_field}:=[{key(org_id)}]",
                         per_page=LATEST_ARTICLES)  # fmt: skip
        search.update(facet_by=",".join(FACET_FIELDS), max_facet_values=ALL_FACET_VALUES,
                      sort_by="date_sort:desc,seq:desc", exclude_fields=_HIDDEN)  # fmt: skip
        (result,) = self.connection.multi_search([search])
        total = int(result.get("found", 0))
        if not total and org_id not in self.gazetteer.organizations:
            raise DocumentNotFoundError(f"no organization with id {org_id!r}")
        counts = self._counts(view, result)
        latest = [
            self._hit(h["document"], rank, 0.0, MatchTerms(), False, 1)
            for rank, h in enumerate(result.get("hits", []), start=1)
        ]
        return profile_from_counts(self.gazetteer, org_id, total,
                                   lambda fieldname: counts.get(fieldname, {}), latest)  # fmt: skip

    def export(self, request: SearchRequest, limit: int) -> ClusterExportRows:
        self.validate(request)
        return ClusterExportRows(self, request, limit)

    def revision(self) -> tuple[str, datetime | None]:
        view = self.view()
        return f"{view.collection}:{view.documents}:{view.latest}", view.created


class ClusterExportRows:
    """The whole result set, page by page from the cluster (the rows ``ExportRows`` gives)."""

    def __init__(self, service: ClusterSearchService, request: SearchRequest, limit: int):

        self._service = service
        first = service.search(replace(request, page=1, per_page=1, snippets=False))
        self.total = first.total
        self._limit = min(limit, self.total)
        # One row per story unless collapse=none, as the results and the Whoosh export.
        self._request = replace(request, snippets=False, per_page=EXPORT_PAGE)
        self._rows = self._generate()

    def _generate(self) -> Generator[Hit, None, None]:

        sent = 0
        page = 1
        service = self._service
        while sent < self._limit:
            # Pages of the cluster's largest size, past a client's max_page and max_per_page
            # (export() checked the request once): those stopped an export at 10,000 rows.
            request = replace(self._request, page=page, per_page=EXPORT_PAGE)
            result = service._retrying(lambda: service._search(request, time.perf_counter()))  # noqa: B023
            if not result.hits:
                return
            for hit in result.hits:
                if sent >= self._limit:
                    return
                sent += 1
                yield hit
            page += 1

    def __iter__(self) -> Iterator[Hit]:
        return self

    def __next__(self) -> Hit:
        return next(self._rows)

    def __len__(self) -> int:
        return self._limit

    def close(self) -> None:
        self._rows.close()


class _KnownValues:
    """What ``count_facet`` asks of a facet cache: the values the index has."""

    def __init__(self, counts: dict[str, dict[str, int]]):
        self._counts = counts

    def values(self, fieldname: str) -> dict[str, int]:
        return self._counts.get(fieldname, {})


def _search(
    collection: str, filter_by: str | None, *, per_page: int, page: int = 1
) -> dict[str, Any]:
    search: dict[str, Any] = {
        "collection": collection, "q": "*", "query_by": TOKENS, "per_page": per_page,
        "page": page, "prefix": "false", "num_typos": 0, "typo_tokens_threshold": 0,
        "highlight_fields": "none", "highlight_full_fields": "none",
    }  # fmt: skip
    if filter_by:
        search["filter_by"] = filter_by
    return search


def _joined(translation: Translation, filters: Any) -> str | None:
    parts = [f"({translation.filter})" if translation.filter else None, *filters]
    if translation.matches_nothing:
        parts.append("id:=[`\u0000`]")  # no document: the query has no word the index knows
    present = [p for p in parts if p]
    return " && ".join(present) if present else None


def _facet_counts(result: dict[str, Any]) -> dict[str, dict[str, int]]:
    return {
        facet["field_name"]: {str(c["value"]): int(c["count"]) for c in facet.get("counts", [])}
        for facet in result.get("facet_counts", [])
    }


def _page_documents(page: dict[str, Any], collapsing: bool) -> list[tuple[dict[str, Any], float]]:
    hits = (
        [group["hits"][0] for group in page.get("grouped_hits", []) if group.get("hits")]
        if collapsing
        else page.get("hits", [])
    )
    return [(shown(h["document"]), float(h.get("text_match") or 0)) for h in hits]


def _first_date(result: dict[str, Any]) -> str | None:
    hits = result.get("hits") or []
    return hits[0]["document"].get("date") if hits else None


def _sorted_counts(counts: dict[str, int]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
