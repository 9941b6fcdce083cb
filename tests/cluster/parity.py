"""What "the same answer" means for the two backends, in one place.

Both must agree on: which documents match (the whole result set, page by
page), how many, every facet's counts (articles; story counts only where the
cluster does not report ``story-facet-counts``), the order of date sorts,
and each hit's stored fields, snippet and versions. Relevance order is the
cluster's own and is not compared (it is reported as ``bm25-ranking``).
"""

from __future__ import annotations

from dataclasses import replace

from indexer.model import SearchRequest, SearchResult

PAGE = 100


def facet_counts(result: SearchResult) -> dict[str, dict[str, int]]:
    return {name: {v.value: v.count for v in facet.values} for name, facet in result.facets.items()}


def all_ids(service: object, request: SearchRequest) -> tuple[list[str], SearchResult]:
    """Every hit id of ``request`` in order, and its first page's result."""
    first = service.search(replace(request, page=1, per_page=PAGE))  # type: ignore[attr-defined]
    ids = [hit.id for hit in first.hits]
    page = 2
    while len(ids) < first.total and page <= 10:
        more = service.search(replace(request, page=page, per_page=PAGE))  # type: ignore[attr-defined]
        ids += [hit.id for hit in more.hits]
        page += 1
    return ids, first


def differences(whoosh: object, cluster: object, request: SearchRequest) -> list[str]:
    """How the cluster's answer to ``request`` differs from Whoosh's (empty: the same)."""
    out: list[str] = []
    w_ids, w = all_ids(whoosh, request)
    c_ids, c = all_ids(cluster, request)
    if w.total != c.total and "phrase-order" not in c.not_honoured:
        out.append(f"total {w.total} != {c.total}")
    complete = len(w_ids) == w.total and len(c_ids) == c.total  # all pages were read
    if "phrase-order" in c.not_honoured:  # "a b" matched anywhere: more, never fewer
        if not set(w_ids) <= set(c_ids) and complete:
            out.append(f"phrase matches missing: {sorted(set(w_ids) - set(c_ids))[:5]}")
        return out
    if not complete:
        pass
    elif set(w_ids) != set(c_ids):
        out.append(
            f"matches differ: only whoosh {sorted(set(w_ids) - set(c_ids))[:5]}, "
            f"only cluster {sorted(set(c_ids) - set(w_ids))[:5]}"
        )
    elif (request.sort != "relevance" or (not request.query.strip())) and w_ids != c_ids:
        out.append(f"date order differs: {w_ids[:6]} vs {c_ids[:6]}")
    if "story-facet-counts" not in c.not_honoured and facet_counts(w) != facet_counts(c):
        out.append(f"facets differ: {facet_counts(w)} vs {facet_counts(c)}")
    w_hits = {hit.id: hit for hit in w.hits}
    for hit in c.hits:
        mine = w_hits.get(hit.id)
        if mine is None:
            continue
        for name in ("title", "date", "lang", "source", "url", "date_source", "story", "versions",
                     "organizations"):  # fmt: skip
            if getattr(mine, name) != getattr(hit, name):
                out.append(f"{hit.id}: {name} {getattr(mine, name)!r} != {getattr(hit, name)!r}")
        if mine.snippet != hit.snippet:
            out.append(f"{hit.id}: snippet {mine.snippet[:80]!r} != {hit.snippet[:80]!r}")
    if w.relaxed != c.relaxed:
        out.append(f"relaxed {w.relaxed} != {c.relaxed}")
    return out
