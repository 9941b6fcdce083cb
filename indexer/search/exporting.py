"""The whole result set of a search, one hit at a time, for export.

A result page highlights ten hits; an export wants every hit (up to a cap)
with its stored fields and nothing else. The ranking is done up front, under
the caller's eyes, so a bad query fails before the first byte is sent; the
rows are then read one by one while the generation stays acquired, and the
generation is released when the iteration ends or is closed (a client that
disconnects mid-download).
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from indexer.model import Hit, QueryError, SearchRequest
from indexer.search.collapse import collapse, story_codes, versions_in
from indexer.search.execution import QueryExecution, by_date, top_by_score
from indexer.search.organizations import stored_hit

if TYPE_CHECKING:
    from indexer.search.generations import Generation
    from indexer.search.service import SearchService


class ExportRows:
    """An iterator of hits that holds its index generation until closed."""

    def __init__(self, service: SearchService, request: SearchRequest, limit: int) -> None:
        self._service = service
        self._release = contextlib.ExitStack()
        generation = self._release.enter_context(service.manager.acquire())
        try:
            self.total, self._ranked, self._scores, self._versions = _rank(
                service, generation, request, limit
            )
        except BaseException:
            self._release.close()
            raise
        self._searcher = generation.searcher()
        self._position = 0
        self._lock = threading.Lock()

    def __iter__(self) -> Iterator[Hit]:
        return self

    def __next__(self) -> Hit:
        with self._lock:
            if self._position >= len(self._ranked):
                self.close()
                raise StopIteration
            docnum = self._ranked[self._position]
            self._position += 1
        fields = self._searcher.stored_fields(docnum)
        score = self._scores.get(docnum, 0.0)
        versions = self._versions.get(docnum, 1)
        return stored_hit(fields, self._service.gazetteer, None, self._position, score, versions)

    def __len__(self) -> int:
        return len(self._ranked)

    def close(self) -> None:
        self._release.close()

    def __del__(self) -> None:  # never started nor closed: still give the generation back
        with contextlib.suppress(Exception):
            self._release.close()


def _rank(
    service: SearchService, generation: Generation, request: SearchRequest, limit: int
) -> tuple[int, list[int], dict[int, float], dict[int, int]]:
    """(total, the first ``limit`` document numbers in order, scores, versions): as the
    result list has them, one row per story unless ``collapse=none`` (then the total
    counts articles), each row with the number of its story's versions found."""
    searcher = generation.searcher()
    compiled = service.compiler.compile(request.query, searcher.reader())
    if compiled.browse and not any(_filter_values(request)):
        raise QueryError("type a query, or choose a filter to browse the archive")
    execution = QueryExecution(searcher, generation.statistics)
    scores, _query, _relaxed = service._scores(execution, compiled)
    matches = generation.facets.all_docs() if compiled.browse else frozenset(scores)
    final = matches
    for docs in sorted(service._filters(generation, request).values(), key=len):
        final = final & docs
    stories = story_codes(generation.facets, searcher)
    if request.collapse == "story":
        final, versions = collapse(
            final, stories, service._ranking(execution, request, compiled, scores)
        )
    else:
        versions = versions_in(final, stories)
    if compiled.browse or request.sort != "relevance":
        ranked = by_date(request.sort, generation.statistics.date_keys(searcher), final, limit)
    else:
        ranked = top_by_score(scores, final, limit)
    return len(final), ranked, scores, versions


def _filter_values(request: SearchRequest) -> tuple[object, ...]:
    return (
        request.organizations,
        request.languages,
        request.years,
        request.months,
        request.sources,
        request.date_from,
        request.date_to,
    )


@functools.lru_cache(maxsize=64)
def generation_modified(generation_dir: Path | None, commit: str) -> datetime | None:
    """When the generation's newest commit was written (its newest table of contents).

    Cached per commit (``commit`` is the generation's name with its commit number):
    every conditional request asks, and the answer changes only with a commit.
    """
    if generation_dir is None:
        return None
    try:
        newest = max(p.stat().st_mtime for p in generation_dir.glob("*.toc"))
    except (OSError, ValueError):
        return None
    return datetime.fromtimestamp(int(newest), UTC)
