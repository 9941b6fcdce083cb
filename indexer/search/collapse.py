"""Collapsing results to one article per story (``ingest.duplicates`` assigns stories).

After scoring and filtering, each story keeps its best-ranked article (highest
score, or newest when sorted by date); the total and the facet counts are then
numbers of stories, so choosing a facet value finds as many results as it
showed. Each generation reads its documents' story column once, as one small
number per document.
"""

from __future__ import annotations

import threading
import weakref
from array import array
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from whoosh import query as wq
from whoosh.searching import Searcher

from indexer.search.facets import FacetCache

STORY_FIELD = "story"


@dataclass(frozen=True, slots=True)
class StoryCodes:
    """Each document's story as a number; documents of an index without stories are their own."""

    codes: array

    def of(self, docnum: int) -> int:
        code = self.codes[docnum]
        return code if code else -docnum - 1  # no story column: every article its own


_CACHE: weakref.WeakKeyDictionary[FacetCache, StoryCodes] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def story_codes(cache: FacetCache, searcher: Searcher) -> StoryCodes:
    """The generation's story numbers (``cache`` is its facet cache: one per generation)."""
    with _LOCK:
        found = _CACHE.get(cache)
        if found is None:
            reader = searcher.reader()
            size = reader.doc_count_all()
            codes = array("l", [0]) * size
            if size and reader.has_column(STORY_FIELD):
                column = reader.column_reader(STORY_FIELD)
                numbers: dict[object, int] = {}
                for docnum in reader.all_doc_ids():
                    value = column[docnum]
                    if value:
                        codes[docnum] = numbers.setdefault(value, len(numbers) + 1)
            found = _CACHE[cache] = StoryCodes(codes)
        return found


def collapse(
    final: frozenset[int], stories: StoryCodes, rank: Callable[[int], tuple[float, int]]
) -> tuple[frozenset[int], dict[int, int]]:
    """The best-ranked document of each story in ``final`` (highest ``rank``), and the
    number of ``final``'s documents in its story, by representative."""
    best: dict[int, int] = {}
    keys: dict[int, tuple[float, int]] = {}
    counts: Counter[int] = Counter()
    for docnum in final:
        story = stories.of(docnum)
        counts[story] += 1
        key = rank(docnum)
        if story not in keys or key > keys[story]:
            keys[story] = key
            best[story] = docnum
    return frozenset(best.values()), {doc: counts[story] for story, doc in best.items()}


def versions_in(final: frozenset[int], stories: StoryCodes) -> dict[int, int]:
    """For every document of ``final``, how many of ``final`` share its story."""
    counts = Counter(stories.of(docnum) for docnum in final)
    return {docnum: counts[stories.of(docnum)] for docnum in final}


def story_counts(
    cache: FacetCache, stories: StoryCodes, fieldname: str, base: frozenset[int] | set[int]
) -> dict[str, int]:
    """Stories of ``base`` per value of a facet field (values with none left out)."""
    counts = {}
    for value, docs in cache.values(fieldname).items():
        shared = docs & base if len(base) > len(docs) else base & docs
        if shared:
            counts[value] = len({stories.of(docnum) for docnum in shared})
    return counts


def story_documents(searcher: Searcher, story: str) -> frozenset[int]:
    """The documents of one story."""
    return frozenset(searcher.docs_for_query(wq.Term(STORY_FIELD, story)))
