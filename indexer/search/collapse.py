"""Collapsing results to one article per story (``ingest.duplicates`` assigns stories).

After scoring and filtering, each story keeps its best-ranked article (highest
score, or newest when sorted by date); the total and the facet counts are then
numbers of stories, so choosing a facet value finds as many results as it
showed. Each generation reads its documents' story column once, as one small
number per document, and notes which documents share their story with another:
only those need collapsing, so a search over an archive with few copies pays
for the copies, not for every match.
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
    shared: frozenset[int]  # documents whose story has another live document

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
            sizes: Counter[int] = Counter()
            if size and reader.has_column(STORY_FIELD):
                column = reader.column_reader(STORY_FIELD)
                numbers: dict[object, int] = {}
                for docnum in reader.all_doc_ids():
                    value = column[docnum]
                    if value:
                        codes[docnum] = code = numbers.setdefault(value, len(numbers) + 1)
                        sizes[code] += 1
            shared = frozenset(
                docnum for docnum in reader.all_doc_ids() if sizes.get(codes[docnum], 0) > 1
            ) if sizes and len(sizes) < size else frozenset()  # fmt: skip
            found = _CACHE[cache] = StoryCodes(codes, shared)
        return found


def collapse(
    final: frozenset[int], stories: StoryCodes, rank: Callable[[int], tuple[float, int]]
) -> tuple[frozenset[int], dict[int, int]]:
    """The best-ranked document of each story in ``final`` (highest ``rank``), and the
    number of ``final``'s documents in its story, by representative."""
    copies = final & stories.shared
    best: dict[int, int] = {}
    keys: dict[int, tuple[float, int]] = {}
    counts: Counter[int] = Counter()
    for docnum in copies:
        story = stories.of(docnum)
        counts[story] += 1
        key = rank(docnum)
        if story not in keys or key > keys[story]:
            keys[story] = key
            best[story] = docnum
    kept = (final - copies) | frozenset(best.values()) if copies else final
    return kept, {doc: counts[story] for story, doc in best.items()}


def versions_in(final: frozenset[int], stories: StoryCodes) -> dict[int, int]:
    """How many of ``final`` share each document's story (only those with company)."""
    copies = final & stories.shared
    counts = Counter(stories.of(docnum) for docnum in copies)
    return {docnum: counts[stories.of(docnum)] for docnum in copies}


def story_counts(
    cache: FacetCache, stories: StoryCodes, fieldname: str, base: frozenset[int] | set[int]
) -> dict[str, int]:
    """Stories of ``base`` per value of a facet field (values with none left out):
    its articles, less the copies of a story already counted for that value."""
    counts = cache.counts(fieldname, base)
    copies = base & stories.shared
    if not copies:
        return counts
    for value, docs in cache.values(fieldname).items():
        shared = docs & copies if len(copies) > len(docs) else copies & docs
        if len(shared) > 1:
            counts[value] -= len(shared) - len({stories.of(docnum) for docnum in shared})
    return counts


def story_documents(searcher: Searcher, story: str) -> frozenset[int]:
    """The documents of one story."""
    return frozenset(searcher.docs_for_query(wq.Term(STORY_FIELD, story)))
