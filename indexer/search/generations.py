"""A shared, refreshed searcher per process, in the manner of Lucene's SearcherManager.

Opening a Whoosh searcher reads the table of contents and segment headers:
too slow to do per request. ``SearcherManager`` keeps one open generation
(the index's ``CURRENT`` target plus its commit number), checks cheaply on
each acquire whether a newer commit or a rebuilt generation exists, and then
opens the new one; requests in flight finish on the old one, which is closed
when its last user releases it. Whoosh searchers share file handles, so each
thread gets its own searcher of the same generation; the facet document sets
and scoring statistics are shared, since document numbers are the same within a
generation.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from whoosh.index import TOC, Index
from whoosh.searching import Searcher

from indexer.index.store import IndexStore
from indexer.index.whoosh_internals import has_commit_after, pinned_reader, read_toc
from indexer.model import IndexUnavailableError
from indexer.search.columnar_facets import FacetColumns
from indexer.search.execution import IndexStatistics
from indexer.search.facets import FacetCache
from indexer.search.scoring import weighting
from indexer.search.vectorized import ColumnarCache, ColumnarIndex


def _pinned_searcher(index: Index, toc: TOC) -> Searcher:
    """A searcher of exactly the commit ``toc`` describes, not whatever is newest on disk."""
    reader = pinned_reader(index, toc)
    return Searcher(reader, weighting=weighting(), fromindex=index)


@dataclass(eq=False)
class Generation:
    """One commit of one index generation; every searcher of it sees the same documents.

    Thread searchers are opened at this commit's table of contents, so document
    numbers agree with the shared facet sets even when a writer commits meanwhile.
    """

    token: tuple[str, int]
    index: Index
    toc: object
    facets: FacetCache
    statistics: IndexStatistics = field(default_factory=IndexStatistics)
    columnar_cache: ColumnarCache = field(default_factory=lambda: ColumnarCache(None))
    _facet_columns: FacetColumns | None = None
    _tables_lock: threading.Lock = field(default_factory=threading.Lock)
    _local: threading.local = field(default_factory=threading.local)
    _searchers: list[Searcher] = field(default_factory=list)
    users: int = 0
    retired: bool = False

    @property
    def name(self) -> str:
        return f"{self.token[0]}.{self.token[1]}"

    def searcher(self) -> Searcher:
        searcher = getattr(self._local, "searcher", None)
        if searcher is None:
            searcher = _pinned_searcher(self.index, self.toc)
            self._local.searcher = searcher
            self._searchers.append(searcher)
        return searcher

    def columnar(self) -> ColumnarIndex | None:
        """The generation's columnar postings, or None (then ``execution`` scores)."""
        return self.columnar_cache.get(self.searcher(), self.statistics)

    def facet_columns(self) -> FacetColumns | None:
        """The generation's facet and story tables over its columnar postings, or None."""
        columns = self.columnar()
        if columns is None:
            return None
        with self._tables_lock:
            if self._facet_columns is None:
                self._facet_columns = FacetColumns(columns)
            return self._facet_columns

    def close(self) -> None:
        for searcher in self._searchers:
            with contextlib.suppress(Exception):
                searcher.close()
        self._searchers.clear()
        with contextlib.suppress(Exception):
            self.facets.close()


class SearcherManager:
    def __init__(self, store: IndexStore):
        self.store = store
        self._lock = threading.Lock()
        self._current: Generation | None = None

    def _token(self, index: Index | None) -> tuple[str, int] | None:
        name = self.store.generation_id()
        if name is None:
            return None
        if index is None or self._current is None or self._current.token[0] != name:
            return (name, -1)
        seen = self._current.token[1]
        if not has_commit_after(index, seen):
            return (name, seen)
        return (name, index.latest_generation())

    def _open(self) -> Generation:
        index = self.store.open()
        toc = read_toc(index)
        folder = getattr(index.storage, "folder", None)
        # Named after the directory opened, not a second look at CURRENT: a rebuild
        # swapped in between would otherwise name the old one with the new one's name,
        # and no later check would see a change.
        name = Path(folder).name if folder else self.store.generation_id() or "?"
        token = (name, toc.generation)
        generation = Generation(
            token=token, index=index, toc=toc, facets=FacetCache(_pinned_searcher(index, toc)),
            columnar_cache=ColumnarCache(Path(folder) if folder else None),
        )  # fmt: skip
        return generation

    def refresh(self, *, take_ref: bool = False) -> Generation:
        """The current generation, reopening it when the index changed on disk.

        With ``take_ref`` the caller's reference is counted under the same lock,
        so no other thread can retire and close the generation in between.
        """
        with self._lock:
            current = self._current
            try:
                token = self._token(current.index if current else None)
            except OSError:
                token = None
            if token is None:
                if current is not None:
                    self._retire(current)
                    self._current = None
                raise IndexUnavailableError(
                    f"no index at {self.store.root}: build one with "
                    f"`dossier index --index {self.store.root}`"
                )
            if current is None or token != current.token:
                fresh = self._open()
                if current is not None:
                    self._retire(current)
                self._current = current = fresh
            if take_ref:
                current.users += 1
            return current

    def _retire(self, generation: Generation) -> None:
        generation.retired = True
        if generation.users == 0:
            generation.close()

    @contextlib.contextmanager
    def acquire(self) -> Iterator[Generation]:
        generation = self.refresh(take_ref=True)
        try:
            yield generation
        finally:
            with self._lock:
                generation.users -= 1
                if generation.retired and generation.users == 0:
                    generation.close()

    def invalidate(self) -> None:
        """Forget the open generation so the next acquire reopens from disk."""
        with self._lock:
            if self._current is not None:
                self._retire(self._current)
                self._current = None

    def close(self) -> None:
        with self._lock:
            if self._current is not None:
                self._current.retired = True
                if self._current.users == 0:
                    self._current.close()
                self._current = None
