"""SearchService: the one object callers use to search; nothing outside touches Whoosh.

A request runs in four steps: compile the query for every language
(``parsing``), score every matching document in one pass over the postings
(``execution``), narrow the matches by the filters and count facets from
cached posting sets (``facets``), then take the page's top documents from
the filtered set and highlight only those (``highlight``).
When every word is required and nothing has them all, the same words are
tried as alternatives and the result says so (``relaxed``).
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterable
from datetime import date, datetime
from pathlib import Path
from typing import TypeVar

from whoosh import query as wq
from whoosh.searching import Searcher

from indexer.analysis.language import folded_term
from indexer.index.schema import FOLDED_BODY, body_field, layout_notice
from indexer.index.store import IndexStore
from indexer.ingest.dates import date_key
from indexer.ingest.organizations import Gazetteer
from indexer.model import (
    COLLAPSE_MODES,
    FACETS,
    FACETS_BY_NAME,
    LANGUAGE_FACET,
    ORGANIZATION_FACET,
    SORTS,
    SOURCE_FACET,
    UNDATED,
    UNDETERMINED,
    YEAR_FACET,
    Completion,
    DocumentNotFoundError,
    DocumentView,
    Facet,
    Hit,
    IndexStats,
    OrganizationProfile,
    OrganizationSummary,
    ParameterError,
    QueryError,
    SearchLimits,
    SearchRequest,
    SearchResult,
    Version,
)
from indexer.search.allocator import keep_freed_memory
from indexer.search.collapse import (
    StoryCodes,
    collapse,
    story_codes,
    story_counts,
    story_documents,
    versions_in,
)
from indexer.search.columnar_search import search_columnar
from indexer.search.execution import (
    Deadline,
    QueryExecution,
    Scores,
    by_date,
    top_by_score,
)
from indexer.search.exporting import ExportRows, generation_modified
from indexer.search.facets import count_facet, default_label, listed_facets
from indexer.search.generations import Generation, SearcherManager
from indexer.search.highlight import Highlighter, MatchTerms, WordPlaces
from indexer.search.organizations import organization_profile, organization_summaries
from indexer.search.parsing import CompiledQuery, QueryCompiler
from indexer.search.related import MAX_RELATED, related_documents
from indexer.search.spelling import corrections, is_any_stopword
from indexer.search.suggest import CompletionCache, check_completion_request
from indexer.search.vectorized import VectorizedExecution

T = TypeVar("T")
RETRIES = 3
SUGGEST_BELOW = 3  # offer "did you mean" when a query finds fewer hits than this


class SearchService:
    """Thread-safe search over one index directory; create one per process."""

    def __init__(
        self,
        index_dir: Path | str,
        *,
        gazetteer: Path | str | None = None,
        limits: SearchLimits | None = None,
    ):
        keep_freed_memory()  # a search's per-document arrays are not page-faulted anew
        self.store = IndexStore(index_dir)
        self.limits = limits or SearchLimits()
        self.gazetteer = Gazetteer.load(gazetteer)
        self.compiler = QueryCompiler(self.gazetteer, self.limits)
        self.highlighter = Highlighter(self.gazetteer)
        self.manager = SearcherManager(self.store)
        self.completions = CompletionCache(self.gazetteer)

    def close(self) -> None:
        self.manager.close()

    def __enter__(self) -> SearchService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- search ---

    def validate(self, request: SearchRequest) -> None:
        check_request(request, self.limits)

    def search(self, request: SearchRequest) -> SearchResult:
        started = time.perf_counter()
        self.validate(request)
        deadline = Deadline(self.limits.timeout_ms) if self.limits.timeout_ms > 0 else None
        return self._retrying(lambda: self._search(request, started, deadline))

    def _retrying(self, action: Callable[[], T]) -> T:
        """Run ``action``; if a segment file vanished under an older commit (a writer
        merged it away meanwhile), reopen the newest commit and try again."""
        for attempt in range(RETRIES):
            try:
                return action()
            except OSError:
                if attempt == RETRIES - 1:
                    raise
                self.manager.invalidate()
        raise AssertionError("unreachable")

    def _search(
        self, request: SearchRequest, started: float, deadline: Deadline | None = None
    ) -> SearchResult:
        with self.manager.acquire() as generation:
            searcher = generation.searcher()
            compiled = self.compiler.compile(request.query, searcher.reader())
            if compiled.browse and not request.has_filters():
                raise QueryError("type a query, or choose a filter to browse the archive")
            execution = QueryExecution(searcher, generation.statistics, deadline)
            opening = time.monotonic()
            columns = generation.columnar()  # the first search of an old index builds them
            facet_columns = generation.facet_columns() if columns is not None else None
            if facet_columns is not None:
                facet_columns.prepare()
            if deadline is not None:  # once per generation, not this query's doing
                deadline.excluding(time.monotonic() - opening)
            filters: dict[str, frozenset[int]] | None = None
            if columns is not None and facet_columns is not None:
                # Columnar postings: the array search gives the very answer of the path
                # below (stories collapsed and counted alike), in milliseconds.
                found = search_columnar(columns, facet_columns, execution, request,
                                        compiled, self._label)  # fmt: skip
                execution.check_deadline()  # the arrays answer in milliseconds; the page may not
                total, facets, query, relaxed = (
                    found.total,
                    found.facets,
                    found.query,
                    found.relaxed,
                )
                start = (request.page - 1) * request.per_page
                hits = self._page_hits(found.execution, request, query, compiled, found.page,
                                       start, found.scores, found.versions)  # fmt: skip
            else:
                stories = story_codes(generation.facets, searcher)
                scores, query, relaxed = self._scores(execution, compiled)
                matches = generation.facets.all_docs() if compiled.browse else frozenset(scores)
                filters = self._filters(generation, request)
                final = _intersect(matches, filters.values())
                execution.check_deadline()
                collapsing = request.collapse == "story"
                facets = self._facets(
                    generation, request, matches, filters, stories if collapsing else None
                )
                execution.check_deadline()
                if collapsing:
                    final, versions = collapse(
                        final, stories, self._ranking(execution, request, compiled, scores)
                    )
                else:
                    versions = versions_in(final, stories)
                total = len(final)
                hits = self._hits(execution, request, query, compiled, final, scores, versions)
            suggestion = None
            described = bool(compiled.words_used)  # a long text's words are not typed
            if (
                (total < SUGGEST_BELOW or relaxed)
                and compiled.words
                and not (described or compiled.browse)
            ):
                if filters is None:
                    filters = self._filters(generation, request)
                suggestion = self._suggest(
                    execution, generation, request, filters, 0 if relaxed else total
                )
        return SearchResult(
            request=request,
            total=total,
            hits=hits,
            facets=facets,
            took_ms=round((time.perf_counter() - started) * 1000, 2),
            suggestion=suggestion,
            relaxed=relaxed,
            pages=math.ceil(total / request.per_page) if total else 0,
            query_words_used=list(compiled.words_used),
        )

    def _scores(
        self, execution: QueryExecution, compiled: CompiledQuery
    ) -> tuple[Scores, wq.Query, bool]:
        """Every matching document with its score (none when browsing), the query that
        found them, and whether that is the relaxed any-word query."""
        if compiled.browse:
            return {}, compiled.query, False
        scores = execution.scores(compiled.query)
        if not scores and compiled.relaxed is not None:
            relaxed = execution.scores(compiled.relaxed)
            if relaxed:
                return relaxed, compiled.relaxed, True
        return scores, compiled.query, False

    def _filters(self, generation: Generation, request: SearchRequest) -> dict[str, frozenset[int]]:
        cache = generation.facets
        filters = {
            name: cache.docs(FACETS_BY_NAME[name].index_field, values)
            for name, values in request.selections().items()
            if values
        }
        if request.story:
            filters["story"] = story_documents(generation.searcher(), request.story)
        if request.date_from or request.date_to:
            # A document is in range when the whole period its date names is:
            # "2025-09" is inside September 2025, "2025" is not.
            lower = date_key(request.date_from) if request.date_from else 1
            upper = date_key(request.date_to) if request.date_to else None
            filters["date"] = generation.statistics.in_period(generation.searcher(), lower, upper)
        return filters

    def _facets(
        self,
        generation: Generation,
        request: SearchRequest,
        matches: frozenset[int],
        filters: dict[str, frozenset[int]],
        stories: StoryCodes | None = None,
    ) -> dict[str, Facet]:
        """Every facet's counts, each over the matches narrowed by the *other* filters;
        counts of stories, not articles, when ``stories`` is given (collapsed results)."""
        selected = request.selections()
        facets = {}
        for facet, prefix in listed_facets(selected):
            base = _intersect(matches, [v for k, v in filters.items() if k != facet.name])
            counts = None
            if stories is not None:
                counts = story_counts(generation.facets, stories, facet.index_field, base)
            facets[facet.name] = count_facet(
                facet.name, generation.facets, base, selected[facet.name], self._label,
                restrict_prefix=prefix, counts=counts,
            )  # fmt: skip
        return facets

    def _label(self, name: str, value: str) -> str:
        if name == ORGANIZATION_FACET.name:
            return self.gazetteer.label(value)
        return default_label(name, value)

    @staticmethod
    def _ranking(
        execution: QueryExecution, request: SearchRequest, compiled: CompiledQuery, scores: Scores
    ) -> Callable[[int], tuple[float, int]]:
        """The order ``_hits`` ranks by, as a key (higher first): which version of a story shows."""
        if compiled.browse or request.sort == "date":
            keys = execution.statistics.date_keys(execution.searcher)
            return lambda docnum: (keys[docnum], docnum)
        return lambda docnum: (scores.get(docnum, 0.0), -docnum)

    def _hits(
        self,
        execution: QueryExecution,
        request: SearchRequest,
        query: wq.Query,
        compiled: CompiledQuery,
        final: frozenset[int],
        scores: Scores,
        versions: dict[int, int] | None = None,
    ) -> list[Hit]:
        searcher = execution.searcher
        start = (request.page - 1) * request.per_page
        if start >= len(final):
            return []
        limit = start + request.per_page
        if compiled.browse or request.sort != "relevance":
            keys = execution.statistics.date_keys(searcher)
            ranked = by_date(request.sort, keys, final, limit)
        else:
            ranked = top_by_score(scores, final, limit)
        return self._page_hits(execution, request, query, compiled, ranked[start:limit], start,
                               scores, versions)  # fmt: skip

    def _page_hits(
        self,
        execution: QueryExecution | VectorizedExecution,
        request: SearchRequest,
        query: wq.Query,
        compiled: CompiledQuery,
        page: list[int],
        start: int,
        scores: Scores,
        versions: dict[int, int] | None = None,
    ) -> list[Hit]:
        """The hits of one page's documents (ranked), with snippets when asked; ``versions``
        counts each one's story (1 when not given)."""
        searcher = execution.searcher
        terms = match_terms(execution, query, compiled) if request.snippets else MatchTerms()
        stored = [searcher.stored_fields(docnum) for docnum in page]
        langs = [fields.get("lang") or UNDETERMINED for fields in stored]
        places: dict[int, WordPlaces] = {}
        if terms and request.snippets and isinstance(execution, VectorizedExecution):
            places = page_places(execution, page, langs, terms)
        hits = []
        rows = zip(page, stored, langs, strict=True)
        for rank, (docnum, fields, lang) in enumerate(rows, start=start + 1):
            hits.append(
                Hit(
                    id=fields["id"],
                    title=fields.get("title") or "",
                    date=fields.get("date"),
                    lang=lang,
                    source=fields.get("source"),
                    url=fields.get("url"),
                    organizations=[self.gazetteer.ref(o) for o in fields.get("organizations", [])],
                    score=round(scores.get(docnum, 0.0), 4),
                    rank=rank,
                    snippet=self.highlighter.snippet(
                        fields.get("body") or "", lang, terms, places=places.get(docnum)
                    )
                    if request.snippets
                    else "",
                    title_html=self.highlighter.mark_all(
                        fields.get("title") or "", lang, terms, title=True
                    ),
                    date_source=fields.get("date_source"),
                    story=fields.get("story") or fields["id"],
                    versions=(versions or {}).get(docnum, 1),
                )
            )
        return hits

    def _suggest(self, execution: QueryExecution, generation: Generation,
                 request: SearchRequest, filters: dict[str, frozenset[int]],
                 total: int) -> str | None:  # fmt: skip
        """A respelled query that finds more, when this one finds little.

        The vocabulary is the folded field's (no separate spelling field to
        index); a corrected key is turned back into a word as written by
        finding it in an article that contains it.
        """
        searcher = execution.searcher
        reader = searcher.reader()
        text = request.query
        changed = False
        for word in dict.fromkeys(re.findall(r"(?<![\w:])\w{3,}(?![\w*~:])", text)):
            key = folded_term(word)
            if word in ("AND", "OR", "NOT") or reader.doc_frequency(FOLDED_BODY, key) > 0:
                continue
            for candidate in corrections(reader, key):
                surface = _surface_form(searcher, candidate, like=word)
                if surface and not is_any_stopword(surface.lower()):
                    surface = surface if word[:1].isupper() else surface.lower()
                    text = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", surface, text, count=1)
                    changed = True
                    break
        if not changed:
            return None
        try:
            compiled = self.compiler.compile(text, reader)
        except QueryError:
            return None
        scores = QueryExecution(searcher, generation.statistics, execution.deadline).scores(
            compiled.query
        )
        found = _intersect(frozenset(scores), filters.values())
        return text if len(found) > total else None

    # --- documents, stats, health ---

    def document(self, doc_id: str, query: str = "") -> DocumentView:
        return self._retrying(lambda: self._document(doc_id, query))

    def _document(self, doc_id: str, query: str) -> DocumentView:
        with self.manager.acquire() as generation:
            searcher = generation.searcher()
            try:
                docnum = searcher.document_number(id=doc_id)
            except UnicodeEncodeError:  # a lone surrogate cannot be an indexed id
                docnum = None
            if docnum is None:
                raise DocumentNotFoundError(f"no document with id {doc_id!r}")
            fields = searcher.stored_fields(docnum)
            story = fields.get("story")
            versions = _versions(searcher, story, docnum) if story else []
            terms = MatchTerms()
            if query.strip():
                try:
                    compiled = self.compiler.compile(query, searcher.reader())
                    execution = QueryExecution(searcher, generation.statistics)
                    terms = match_terms(execution, compiled.query, compiled)
                except QueryError:
                    pass
        lang = fields.get("lang") or UNDETERMINED
        body = fields.get("body") or ""
        return DocumentView(
            id=fields["id"],
            title=fields.get("title") or "",
            title_html=self.highlighter.mark_all(
                fields.get("title") or "", lang, terms, title=True
            ),
            body_html="\n\n".join(
                self.highlighter.mark_all(p, lang, terms) for p in body.split("\n\n")
            ),
            date=fields.get("date"),
            lang=lang,
            source=fields.get("source"),
            url=fields.get("url"),
            organizations=[self.gazetteer.ref(o) for o in fields.get("organizations", [])],
            path=fields.get("path"),
            date_source=fields.get("date_source"),
            story=story or fields["id"],
            versions=versions,
        )

    # --- completions and related articles (suggest.py, related.py) ---

    def complete(self, query: str, lang: str | None = None, limit: int = 8) -> list[Completion]:
        """Completions of what is typed so far, most articles first."""
        check_completion_request(query, lang, limit, self.limits)
        return self._retrying(
            lambda: self.completions.get(self.manager).complete(query, lang, limit)
        )

    def related(self, doc_id: str, limit: int = 5) -> list[Hit]:
        """The articles most like ``doc_id`` (not itself, nor copies of it)."""
        if not 1 <= limit <= MAX_RELATED:
            raise ParameterError(f"limit must be between 1 and {MAX_RELATED}", parameter="limit")
        return self._retrying(lambda: self._related(doc_id, limit))

    def _related(self, doc_id: str, limit: int) -> list[Hit]:
        with self.manager.acquire() as generation:
            searcher = generation.searcher()
            try:
                docnum = searcher.document_number(id=doc_id)
            except UnicodeEncodeError:  # a lone surrogate cannot be an indexed id
                docnum = None
            if docnum is None:
                raise DocumentNotFoundError(f"no document with id {doc_id!r}")
            found = related_documents(searcher, generation.statistics, docnum, limit)
            hits = []
            for rank, (other, score) in enumerate(found, start=1):
                fields = searcher.stored_fields(other)
                lang = fields.get("lang") or "en"
                title = fields.get("title") or ""
                hits.append(
                    Hit(
                        id=fields["id"], title=title, date=fields.get("date"), lang=lang,
                        source=fields.get("source"), url=fields.get("url"),
                        organizations=[self.gazetteer.ref(o)
                                       for o in fields.get("organizations", [])],
                        score=round(score, 4), rank=rank, snippet="",
                        title_html=self.highlighter.mark_all(title, lang, MatchTerms(), title=True),
                    )
                )  # fmt: skip
        return hits

    def stats(self) -> IndexStats:
        return self._retrying(self._stats)

    def _stats(self) -> IndexStats:
        with self.manager.acquire() as generation:
            tables = generation.facet_columns()
            if tables is not None:  # the generation's tables, shared with its searches
                live = tables.columns.live
                counts = {facet.name: tables.counts(facet.index_field, live) for facet in FACETS}
                dated = tables.columns.dates()[0][live]
                keys = dated[dated > 0].tolist()
                documents = int(live.sum())
            else:  # no companions: from Whoosh, a posting list per value
                cache = generation.facets
                counts = {
                    facet.name: {
                        value: len(docs) for value, docs in cache.values(facet.index_field).items()
                    }
                    for facet in FACETS
                }
                keys = [k for k in _date_keys(generation.searcher()) if k]
                documents = len(cache.all_docs())
            name = generation.name
            notice = layout_notice(generation.index.schema)
        years = counts[YEAR_FACET.name]
        return IndexStats(
            documents=documents,
            languages=_sorted_counts(counts[LANGUAGE_FACET.name]),
            organizations=_sorted_counts(counts[ORGANIZATION_FACET.name]),
            years={k: v for k, v in sorted(years.items()) if k != UNDATED},
            sources=_sorted_counts(counts[SOURCE_FACET.name]),
            undated=years.get(UNDATED, 0),
            date_min=_key_to_date(min(keys)) if keys else None,
            date_max=_key_to_date(max(keys)) if keys else None,
            size_bytes=self.store.size_bytes(),
            path=str(self.store.root),
            generation=name,
            undetermined_language=counts["lang"].get(UNDETERMINED, 0),
            notice=notice,
        )

    def health(self) -> dict[str, str | int]:
        try:
            with self.manager.acquire() as generation:
                columns = generation.columnar()
                documents = (
                    int(columns.live.sum())
                    if columns is not None
                    else len(generation.facets.all_docs())
                )
                name = generation.name
                notice = layout_notice(generation.index.schema)
        except Exception as exc:  # any failure to open the index means "unavailable"
            return {"status": "unavailable", "documents": 0, "generation": "", "message": str(exc)}
        report: dict[str, str | int] = {"status": "ok", "documents": documents, "generation": name}
        if notice:
            report["notice"] = notice
        return report

    # --- analyst views (organization pages, export, caching): indexer/search/organizations.py
    # and indexer/search/exporting.py do the work ---

    def organizations(self) -> list[OrganizationSummary]:
        """Every organization named in the index, most named first."""
        return self._retrying(self._organizations)

    def _organizations(self) -> list[OrganizationSummary]:
        with self.manager.acquire() as generation:
            return organization_summaries(generation, self.gazetteer)

    def organization(self, org_id: str) -> OrganizationProfile:
        """One organization's profile; DocumentNotFoundError when nobody knows the id."""
        return self._retrying(lambda: self._organization(org_id))

    def _organization(self, org_id: str) -> OrganizationProfile:
        with self.manager.acquire() as generation:
            profile = organization_profile(generation, self.gazetteer, self.highlighter, org_id)
        if profile is None:
            raise DocumentNotFoundError(f"no organization with id {org_id!r}")
        return profile

    def export(self, request: SearchRequest, limit: int) -> ExportRows:
        """The first ``limit`` hits of the whole result set, without snippets, streamed."""
        self.validate(request)
        return ExportRows(self, request, limit)

    def revision(self) -> tuple[str, datetime | None]:
        """The open generation's name (changes with every commit) and when it was written."""
        generation = self.manager.refresh()
        modified = generation_modified(self.store.current_generation(), generation.name)
        return generation.name, modified


def check_request(request: SearchRequest, limits: SearchLimits) -> None:
    """Refuse a request no backend should run (the same limits for every backend)."""
    limits.check_query(request.query)
    if request.page < 1 or request.page > limits.max_page:
        raise ParameterError(f"page must be between 1 and {limits.max_page}", parameter="page")
    if request.per_page < 1 or request.per_page > limits.max_per_page:
        raise ParameterError(
            f"per_page must be between 1 and {limits.max_per_page}", parameter="per_page"
        )
    if request.sort not in SORTS:
        raise ParameterError(f"sort must be one of {', '.join(SORTS)}", parameter="sort")
    if request.date_from and request.date_to and request.date_from > request.date_to:
        raise ParameterError("'from' is after 'to'", parameter="from")
    if request.collapse not in COLLAPSE_MODES:
        raise ParameterError(
            f"collapse must be one of {', '.join(COLLAPSE_MODES)}", parameter="collapse"
        )
    if request.story is not None and not 0 < len(request.story) <= limits.max_filter_chars:
        raise ParameterError(
            f"story must be a story id of 1 to {limits.max_filter_chars} characters",
            parameter="story",
        )


def page_places(
    execution: VectorizedExecution, page: list[int], langs: list[str], terms: MatchTerms
) -> dict[int, WordPlaces]:
    """Where the query's terms start in each page document's body, from the companions'
    starts: the snippets then need not read and analyse the texts (titles are short
    enough that reading them costs less than looking up their terms). A document
    whose segment keeps no starts is left out: its text is read."""
    columns = execution.columns
    folded_words = terms.by_field.get(FOLDED_BODY, set())
    folded = columns.word_starts(FOLDED_BODY, folded_words, page) if folded_words else None
    by_lang: dict[str, list[int]] = {}
    for docnum, lang in zip(page, langs, strict=True):
        by_lang.setdefault(lang, []).append(docnum)
    places: dict[int, WordPlaces] = {}
    for lang, docs in by_lang.items():
        fieldname = body_field(lang)
        words = terms.by_field.get(fieldname, set())
        stems = columns.word_starts(fieldname, words, docs) if words else None
        for docnum in docs:
            at_stems = {} if stems is None else stems.get(docnum)
            at_folded = {} if folded is None else folded.get(docnum)
            if at_stems is not None and at_folded is not None:
                places[docnum] = WordPlaces(at_stems, at_folded)
    return places


def match_terms(
    execution: QueryExecution | VectorizedExecution, query: wq.Query, compiled: CompiledQuery
) -> MatchTerms:
    """Index terms of the positive parts of ``query`` (expanded prefixes/fuzzy included)."""
    terms = MatchTerms(organizations=set(compiled.organizations))
    for fieldname, text in execution.matched_terms(query):
        terms.add(fieldname, text)
    return terms


def _versions(searcher: Searcher, story: str, docnum: int) -> list[Version]:
    """The other articles of a story, oldest first (undated last), then by id."""
    found = []
    for other in story_documents(searcher, story) - {docnum}:
        fields = searcher.stored_fields(other)
        found.append(
            Version(fields["id"], fields.get("title") or "", fields.get("source"),
                    fields.get("date"))
        )  # fmt: skip
    return sorted(found, key=lambda v: (v.date is None, v.date or "", v.id))


def _surface_form(searcher: Searcher, key: str, like: str = "") -> str | None:
    """A word as some article writes it whose folded key is ``key``; with ``like``,
    only one in the same script (a typed Latin word is not corrected to Cyrillic)."""
    script = _script(like)
    for seen, docnum in enumerate(searcher.docs_for_query(wq.Term(FOLDED_BODY, key))):
        if seen >= SURFACE_DOCUMENTS:
            break
        body = searcher.stored_fields(docnum).get("body") or ""
        for word in re.findall(r"\w+", body):
            if folded_term(word) == key and (not like or _script(word) == script):
                return word
    return None


SURFACE_DOCUMENTS = 3  # articles read to find a correction written in the typed script


def _script(word: str) -> str:
    """Cyrillic, Latin or other, by the word's first letter."""
    for ch in word:
        if ch.isalpha():
            return (
                "cyrillic"
                if "\u0400" <= ch <= "\u04ff"
                else "latin"
                if ch.isascii() or ch <= "\u024f"
                else "other"
            )
    return "other"


def _intersect(base: frozenset[int], others: Iterable[frozenset[int]]) -> frozenset[int]:
    result = base
    for other in sorted(others, key=len):
        result = result & other
        if not result:
            break
    return result


def _date_keys(searcher: Searcher) -> list[int]:
    reader = searcher.reader()
    if reader.doc_count() == 0:
        return []  # an empty index has no columns to read
    column = reader.column_reader("date_sort")
    return [column[docnum] for docnum in reader.all_doc_ids()]


def _key_to_date(key: int) -> str:
    text = f"{key:08d}"
    parts = [text[:4], text[4:6], text[6:8]]
    return "-".join(p for p in parts if p != "00")


def _sorted_counts(counts: dict[str, int]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def parse_date(value: str, parameter: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ParameterError(
            f"{parameter} must be a date like 2025-09-22", parameter=parameter
        ) from None
