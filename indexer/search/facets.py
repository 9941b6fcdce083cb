"""Facet counts and filters from posting lists, cached per index generation.

Each facet value's documents are read once per searcher from the facet
field's posting list (never from stored fields) and kept as a frozenset of
document numbers (filters intersect them). Counts are taken over the matches
of the query narrowed by the filters of every *other* facet: that is what
makes multi-select work as users expect: choosing one language keeps the
other languages listed with their counts.

For facets with one value per document (language, year, month, source) the
cache also keeps each document's value as a small number in an array, so
counting is one ``Counter`` pass over the matches in C instead of one set
intersection per value (year: ~40 values, each probed by the whole match
set); organizations (several per document, few documents) stay intersections.
"""

from __future__ import annotations

import threading
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Protocol

from whoosh import query as wq
from whoosh.searching import Searcher

from indexer.model import (
    FACETS,
    FACETS_BY_NAME,
    LANGUAGE_FACET,
    LANGUAGE_NAMES,
    UNDATED,
    Facet,
    FacetSpec,
    FacetValue,
)

# Index fields with at most one term per document.
SINGLE_VALUED = frozenset(facet.index_field for facet in FACETS if not facet.multi_valued)


class FacetCache:
    """Document sets per facet value for one searcher (one index generation)."""

    def __init__(self, searcher: Searcher):
        self._searcher = searcher
        self._lock = threading.Lock()
        self._values: dict[str, dict[str, frozenset[int]]] = {}
        self._codes: dict[str, tuple[array, list[str]]] = {}
        self._all: frozenset[int] | None = None

    def values(self, fieldname: str) -> dict[str, frozenset[int]]:
        with self._lock:
            if fieldname not in self._values:
                reader = self._searcher.reader()
                out = {}
                if fieldname in reader.indexed_field_names():
                    for term in reader.lexicon(fieldname):
                        value = term.decode("utf-8")
                        docs = frozenset(self._searcher.docs_for_query(wq.Term(fieldname, value)))
                        if docs:
                            out[value] = docs
                self._values[fieldname] = out
            return self._values[fieldname]

    def counts(self, fieldname: str, base: frozenset[int] | set[int]) -> dict[str, int]:
        """Documents of ``base`` per value of the facet field (values with none left out)."""
        if fieldname in SINGLE_VALUED:
            codes, names = self._value_codes(fieldname)
            counted = Counter(map(codes.__getitem__, base))
            return {names[code]: n for code, n in counted.items() if code}
        counts = {}
        for value, docs in self.values(fieldname).items():
            count = len(docs & base) if len(base) > len(docs) else len(base & docs)
            if count:
                counts[value] = count
        return counts

    def value_codes(self, fieldname: str) -> tuple[array, list[str]]:
        """Each document's value of a single-valued field as a number (0: none), and the
        values by number."""
        return self._value_codes(fieldname)

    def _value_codes(self, fieldname: str) -> tuple[array, list[str]]:
        """Each document's value of a single-valued field as a number (0: none)."""
        table = self.values(fieldname)
        with self._lock:
            if fieldname not in self._codes:
                size = self._searcher.reader().doc_count_all()
                names = ["", *table]
                codes = array("H" if len(names) < 65_536 else "L", [0]) * size
                for code, docs in enumerate(table.values(), start=1):
                    for docnum in docs:
                        codes[docnum] = code
                self._codes[fieldname] = (codes, names)
            return self._codes[fieldname]

    def docs(self, fieldname: str, values: Iterable[str]) -> frozenset[int]:
        table = self.values(fieldname)
        out: set[int] = set()
        for value in values:
            out |= table.get(value, frozenset())
        return frozenset(out)

    def close(self) -> None:
        self._searcher.close()

    def all_docs(self) -> frozenset[int]:
        with self._lock:
            if self._all is None:
                reader = self._searcher.reader()
                self._all = frozenset(reader.all_doc_ids())
            return self._all


def listed_facets(
    selected: dict[str, tuple[str, ...]],
) -> Iterator[tuple[FacetSpec, str | None]]:
    """Each facet a result lists, with the prefix its values must have: a facet shown
    only ``within`` one chosen value of another (months inside one year) is left out
    unless exactly one dated value of that other facet is chosen."""
    for facet in FACETS:
        prefix = None
        if facet.within is not None:
            outer = selected[facet.within]
            if len(outer) != 1 or outer[0] == UNDATED:
                continue
            prefix = outer[0] + "-"
        yield facet, prefix


class KnownValues(Protocol):
    """What ``count_facet`` needs of a facet cache when given the counts: the values
    the index has (a backend without a ``FacetCache`` answers it from its own counts)."""

    def values(self, fieldname: str) -> Mapping[str, object]: ...


def count_facet(
    name: str,
    cache: FacetCache | KnownValues,
    base: frozenset[int] | set[int],
    selected: Iterable[str],
    labeler: Callable[[str, str], str],
    *,
    restrict_prefix: str | None = None,
    counts: dict[str, int] | None = None,
) -> Facet:
    """Counts of each value of facet ``name`` within ``base`` (or the ``counts`` already
    taken: stories, or the columnar search's); selected values always listed."""
    selected = set(selected)
    facet = FACETS_BY_NAME[name]
    fieldname = facet.index_field
    if counts is None:
        assert isinstance(cache, FacetCache), "counts come with a cache that cannot count"
        counts = cache.counts(fieldname, base)
    known = cache.values(fieldname)  # a selected value the index lacks is not listed
    values = []
    for value in [*counts, *(v for v in selected if v not in counts and v in known)]:
        if restrict_prefix is not None and not value.startswith(restrict_prefix):
            continue
        values.append(
            FacetValue(value, labeler(name, value), counts.get(value, 0), value in selected)
        )
    if facet.chronological:
        values.sort(key=lambda v: (v.value == UNDATED, _negated(v.value)))
    else:
        values.sort(key=lambda v: (-v.count, v.label.lower()))
        limit = facet.max_values
        if limit and len(values) > limit:
            keep = values[:limit]
            keep += [v for v in values[limit:] if v.selected]
            values = keep
    return Facet(name, facet.label, values)


def _negated(value: str) -> tuple[int, ...]:
    return tuple(-int(part) for part in value.split("-") if part.isdigit())


def default_label(name: str, value: str) -> str:
    if name == LANGUAGE_FACET.name:
        return LANGUAGE_NAMES.get(value, value)
    if value == UNDATED:
        return "Undated"
    return value
