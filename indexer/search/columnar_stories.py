"""Stories over arrays: collapse, versions and story-counted facets for the array search.

The same answers as ``collapse`` (which works on sets of document numbers), from
the generation's story numbers as one array: a story keeps its best-ranked
document in the filtered matches (highest score, ties to the lower document
number; or newest, ties to the higher document number, for date orders), found
by one ``lexsort`` of the documents that share their story; a facet value
counts distinct (value, story) pairs, found by one ``np.unique``. Only the
documents whose story has another live document (``StoryCodes.shared``) are
ever sorted, so an archive with few copies pays for the copies alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


class StoryColumns:
    """One generation's story numbers (0: none) and which live documents share a story."""

    def __init__(self, codes: np.ndarray, shared: np.ndarray):
        self.codes = codes.astype(np.int64, copy=False)
        self.shared = shared
        self.any_shared = bool(shared.any())
        self.top = int(self.codes.max()) + 1 if len(codes) else 1  # bound of the story numbers

    def copies(self, docs: np.ndarray) -> np.ndarray:
        """Those of ``docs`` whose story has another live document."""
        return docs[self.shared[docs]] if self.any_shared else docs[:0]


@dataclass(frozen=True, slots=True)
class Versions:
    """Articles of a story among the results, by shown document (sorted): 1 when absent."""

    docs: np.ndarray
    counts: np.ndarray

    def of(self, page: list[int]) -> dict[int, int]:
        if not len(self.docs) or not page:
            return {}
        wanted = np.asarray(page, dtype=np.int64)
        at = np.minimum(np.searchsorted(self.docs, wanted), len(self.docs) - 1)
        found = self.docs[at] == wanted
        return dict(zip(wanted[found].tolist(), self.counts[at[found]].tolist(), strict=True))


NO_VERSIONS = Versions(np.empty(0, np.int64), np.empty(0, np.int64))


def collapse_docs(
    docs: np.ndarray, stories: StoryColumns, rank: np.ndarray | None, *, newest: bool
) -> tuple[np.ndarray, Versions]:
    """The best-ranked document of each story among sorted ``docs``, and the number of
    ``docs`` in its story by representative (``collapse.collapse``). ``rank`` gives the
    shared documents' keys (higher first; see ``copies_rank``); ties go to the higher
    document number when ``newest``, else to the lower."""
    copies = stories.copies(docs)
    if not len(copies):
        return docs, NO_VERSIONS
    assert rank is not None
    tie = copies if newest else -copies
    story = stories.codes[copies]
    order = np.lexsort((-tie, -rank, story))
    grouped = story[order]
    starts = np.flatnonzero(np.concatenate(([True], grouped[1:] != grouped[:-1])))
    best = copies[order[starts]]
    counts = np.diff(np.append(starts, len(order)))
    alone = docs[~stories.shared[docs]]
    kept = np.sort(np.concatenate([alone, best]))
    by_doc = np.argsort(best)
    return kept, Versions(best[by_doc], counts[by_doc])


def versions_of(docs: np.ndarray, stories: StoryColumns) -> Versions:
    """How many of ``docs`` share each one's story (only those with company:
    ``collapse.versions_in``)."""
    copies = stories.copies(docs)
    if not len(copies):
        return NO_VERSIONS
    story = stories.codes[copies]
    sizes = np.bincount(story, minlength=stories.top)
    return Versions(copies, sizes[story])


def distinct_stories(
    stories: StoryColumns, values: np.ndarray, docs: np.ndarray, count: int
) -> np.ndarray:
    """Per value (0 … count-1), how many of the (value, document) entries are copies of a
    story already counted for that value; ``docs`` are shared documents only."""
    values = values.astype(np.int64)
    pairs = np.unique(values * stories.top + stories.codes[docs])
    distinct = np.bincount(pairs // stories.top, minlength=count)
    return np.bincount(values, minlength=count) - distinct
