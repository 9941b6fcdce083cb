"""A generation's facet and story tables, read from the companions' postings as arrays.

Facet fields (language, year, month, source, organization) and the story field
are indexed fields, so every segment's companion already holds their postings:
each value's documents. The generation's tables are those postings gathered in
a few numpy operations per segment — each value numbered across segments, each
document given its value's number — instead of one Whoosh ``docs_for_query``
per value and one stored-column read per document (at a million articles
that was 65 s of a fresh process's first search; this is about a second).

Deleted documents keep their numbers in the per-document arrays (a search's
matches never hold them); they are left out of the organization lists, the
known values and the story sizes, as Whoosh's posting reads leave them out.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import numpy as np

from indexer.index.columnar import SegmentColumns
from indexer.model import FACETS
from indexer.search.columnar_stories import StoryColumns, distinct_stories
from indexer.search.vectorized import ColumnarIndex

SINGLE_VALUED = frozenset(facet.index_field for facet in FACETS if not facet.multi_valued)
STORY_FIELD = "story"


class FacetColumns:
    """Facet values as arrays, per generation: a number per document for single-valued
    facets, the documents of each value one after another for organizations."""

    def __init__(self, columns: ColumnarIndex):
        self.columns = columns
        self.size = columns.size
        self._lock = threading.Lock()
        self._codes: dict[str, tuple[np.ndarray, list[str], dict[str, int]]] = {}
        self._csr: dict[str, tuple[list[str], np.ndarray, np.ndarray, np.ndarray]] = {}
        self._csr_number: dict[str, dict[str, int]] = {}
        self._known: dict[str, dict[str, int]] = {}
        self._stories: StoryColumns | None = None

    # --- building (once per generation) ---

    def _postings(
        self, fieldname: str
    ) -> Iterator[tuple[SegmentColumns, int, np.ndarray, np.ndarray]]:
        """Per segment: (companion, document offset, term row of each posting, its document)."""
        for segment, offset, _ in self.columns.segments:
            found = segment.field_postings(fieldname)
            if found is not None:
                yield segment, offset, *found

    def _numbered(
        self, fieldname: str, names: list[str], number: dict[str, int]
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Per segment: (global document of each posting, its value's number), numbering
        values never seen before after those in ``names``."""
        for segment, offset, rows, docs in self._postings(fieldname):
            low = int(rows[0]) if len(rows) else 0
            high = int(rows[-1]) + 1 if len(rows) else 0
            local = np.zeros(max(high - low, 0), dtype=np.int64)
            for row in np.unique(rows):
                value = segment.term_text(int(row)).decode("utf-8")
                code = number.get(value)
                if code is None:
                    code = number[value] = len(names)
                    names.append(value)
                local[int(row) - low] = code
            yield docs.astype(np.int64) + offset, local[rows - low]

    def codes(self, fieldname: str) -> tuple[np.ndarray, list[str], dict[str, int]]:
        """Each document's value of a single-valued facet as a number (0: none), the values
        by number, and the numbers by value."""
        with self._lock:
            found = self._codes.get(fieldname)
            if found is None:
                names, number = [""], {"": 0}
                codes = np.zeros(self.size, dtype=np.int32)
                for docs, values in self._numbered(fieldname, names, number):
                    codes[docs] = values
                found = self._codes[fieldname] = (codes, names, number)
            return found

    def csr(self, fieldname: str) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
        """A multi-valued facet as (values, every value's live documents one after another,
        the value of each of those entries, where each value's documents start)."""
        with self._lock:
            found = self._csr.get(fieldname)
            if found is None:
                names: list[str] = []
                number: dict[str, int] = {}
                parts = list(self._numbered(fieldname, names, number))
                docs = np.concatenate([d for d, _ in parts]) if parts else np.empty(0, np.int64)
                owner = np.concatenate([v for _, v in parts]) if parts else np.empty(0, np.int64)
                live = self.columns.live[docs]
                docs, owner = docs[live], owner[live]
                order = np.argsort(owner, kind="stable")  # segments in order: documents sorted
                docs, owner = docs[order], owner[order]
                starts = np.searchsorted(owner, np.arange(len(names) + 1))
                found = self._csr[fieldname] = (names, docs, owner, starts)
                self._csr_number[fieldname] = number
            return found

    def stories(self) -> StoryColumns:
        """The generation's story numbers (0: none) and which live documents share a story.

        Stories are told apart by the 64-bit hash of their id that each companion
        keeps for every term (a collision among a million stories has odds of about
        one in 40 million; it would treat two stories as one: one result and one
        count for both, the other story's articles then shown with ``collapse=none``).
        """
        with self._lock:
            if self._stories is None:
                keys = np.zeros(self.size, dtype=np.uint64)
                has = np.zeros(self.size, dtype=bool)
                for segment, offset, rows, docs in self._postings(STORY_FIELD):
                    at = docs.astype(np.int64) + offset
                    keys[at] = segment.hashes[rows]
                    has[at] = True
                codes = np.zeros(self.size, dtype=np.int64)
                if has.any():
                    _, inverse = np.unique(keys[has], return_inverse=True)
                    codes[has] = inverse.reshape(-1) + 1
                top = int(codes.max()) + 1 if len(codes) else 1  # an index of no documents
                sizes = np.bincount(codes[self.columns.live], minlength=top)
                sizes[0] = 0
                shared = self.columns.live & (sizes[codes] > 1)
                self._stories = StoryColumns(codes, shared)
            return self._stories

    def prepare(self) -> None:
        """Build every table a search reads, outside any request's deadline."""
        self.stories()
        for facet in FACETS:
            if facet.index_field in SINGLE_VALUED:
                self.codes(facet.index_field)
            else:
                self.csr(facet.index_field)
            self.values(facet.index_field)
        self.columns.dates()

    # --- reading ---

    def values(self, fieldname: str) -> dict[str, int]:
        """The values with at least one live document, with their document counts
        (``facets.KnownValues``: a selected value the index lacks is not listed)."""
        with self._lock:
            found = self._known.get(fieldname)
        if found is None:
            live = self.columns.live
            if fieldname in SINGLE_VALUED:
                codes, names, _ = self.codes(fieldname)
                counted = np.bincount(codes[live], minlength=len(names))
                found = {names[c]: int(counted[c]) for c in np.flatnonzero(counted) if c}
            else:
                names, _, _, starts = self.csr(fieldname)
                sizes = np.diff(starts)
                found = {names[c]: int(sizes[c]) for c in np.flatnonzero(sizes)}
            with self._lock:
                self._known[fieldname] = found
        return found

    def value_docs(self, fieldname: str, value: str) -> np.ndarray:
        """The live documents of one value of a multi-valued facet, sorted."""
        _, docs, _, starts = self.csr(fieldname)
        code = self._csr_number[fieldname].get(value)
        if code is None:
            return docs[:0]
        return docs[starts[code] : starts[code + 1]]

    def mask(self, fieldname: str, values: tuple[str, ...], size: int) -> np.ndarray:
        if fieldname in SINGLE_VALUED:
            codes, _, code_of = self.codes(fieldname)
            wanted = [code_of[v] for v in values if v in code_of and v]
            return np.isin(codes, np.array(wanted, dtype=codes.dtype))
        mask = np.zeros(size, dtype=bool)
        for value in values:
            mask[self.value_docs(fieldname, value)] = True
        return mask

    def counts(self, fieldname: str, base: np.ndarray) -> dict[str, int]:
        """Documents of the ``base`` mask per value (values with none left out)."""
        if fieldname in SINGLE_VALUED:
            codes, names, _ = self.codes(fieldname)
            counted = np.bincount(codes[base], minlength=len(names))
            return {names[c]: int(counted[c]) for c in np.flatnonzero(counted) if c}
        names, docs, owner, _ = self.csr(fieldname)
        counted = np.bincount(owner[base[docs]], minlength=len(names))
        return {names[i]: int(counted[i]) for i in np.flatnonzero(counted)}

    def story_counts(
        self, fieldname: str, base: np.ndarray, stories: StoryColumns
    ) -> dict[str, int]:
        """Stories of the ``base`` mask per value (``collapse.story_counts``): its
        documents, less the copies of a story already counted for that value."""
        counts = self.counts(fieldname, base)
        if not stories.any_shared:
            return counts
        if fieldname in SINGLE_VALUED:
            codes, names, _ = self.codes(fieldname)
            copies = np.flatnonzero(base & stories.shared)
            values = codes[copies]
        else:
            names, docs, owner, _ = self.csr(fieldname)
            taken = base[docs] & stories.shared[docs]
            copies, values = docs[taken], owner[taken]
        if not len(copies):
            return counts
        repeated = distinct_stories(stories, values, copies, len(names))
        for code in np.flatnonzero(repeated):
            name = names[code]
            if name in counts:
                counts[name] -= int(repeated[code])
        return counts
