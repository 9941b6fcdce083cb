"""Facet counts and filters from posting lists, cached per index generation.

Each facet value's documents are read once per searcher from the facet
field's posting list (never from stored fields) and kept as a frozenset of
document numbers. Counting is then set intersection: the matches of the
query, narrowed by the filters of every *other* facet, intersected with each
value's set. That is what makes multi-select work as users expect: choosing
one language keeps the other languages listed with their counts.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from whoosh import query as wq
from whoosh.searching import Searcher

from .model import LANGUAGE_NAMES, UNDATED, Facet, FacetValue

FACET_FIELDS = {"organization": "org", "lang": "lang", "year": "year", "month": "month",
                "source": "source"}  # fmt: skip
FACET_LABELS = {"organization": "Organization", "lang": "Language", "year": "Year",
                "month": "Month", "source": "Source"}  # fmt: skip
MAX_FACET_VALUES = {"organization": 25, "source": 25}


class FacetCache:
    """Document sets per facet value for one searcher (one index generation)."""

    def __init__(self, searcher: Searcher):
        self._searcher = searcher
        self._lock = threading.Lock()
        self._values: dict[str, dict[str, frozenset[int]]] = {}
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


def count_facet(
    name: str,
    cache: FacetCache,
    base: frozenset[int] | set[int],
    selected: Iterable[str],
    labeler,  # Callable[[str, str], str]
    *,
    restrict_prefix: str | None = None,
) -> Facet:
    """Counts of each value of facet ``name`` within ``base``; selected values always listed."""
    selected = set(selected)
    values = []
    for value, docs in cache.values(FACET_FIELDS[name]).items():
        if restrict_prefix is not None and not value.startswith(restrict_prefix):
            continue
        count = len(docs & base) if len(base) > len(docs) else len(base & docs)
        if count or value in selected:
            values.append(FacetValue(value, labeler(name, value), count, value in selected))
    if name in ("year", "month"):
        values.sort(key=lambda v: (v.value == UNDATED, _negated(v.value)))
    else:
        values.sort(key=lambda v: (-v.count, v.label.lower()))
        limit = MAX_FACET_VALUES.get(name)
        if limit and len(values) > limit:
            keep = values[:limit]
            keep += [v for v in values[limit:] if v.selected]
            values = keep
    return Facet(name, FACET_LABELS[name], values)


def _negated(value: str) -> tuple[int, ...]:
    return tuple(-int(part) for part in value.split("-") if part.isdigit())


def default_label(name: str, value: str) -> str:
    if name == "lang":
        return LANGUAGE_NAMES.get(value, value)
    if value == UNDATED:
        return "Undated"
    return value
