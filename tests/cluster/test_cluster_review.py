"""Review of the cluster backend (issue 16): what went wrong, reproduced on a real cluster.

Each test names the failure it guards against; they use the session cluster
(``typesense_cluster``) with a collection alias of their own.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import replace
from pathlib import Path

import pytest

from indexer import open_service
from indexer.analysis.language import stem_word
from indexer.cluster.backend import delete_articles, index_articles
from indexer.cluster.config import cluster_config
from indexer.cluster.connection import Connection
from indexer.model import (
    DocumentNotFoundError,
    FeatureUnavailableError,
    SearchLimits,
    SearchRequest,
)

# Ids an article may have (any text up to MAX_ID_CHARS) that mean something in a URL path.
AWKWARD_IDS = ["a", "a?x", "b#frag", "c/d", "f%20g", "..", "x y"]


def _environ(cluster) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {**cluster.environment(), "DOSSIER_TYPESENSE_COLLECTION": f"r{uuid.uuid4().hex[:10]}"}


def _wait_dropped(environ: dict[str, str], collection: str) -> None:
    """Until no node lists ``collection`` (followers apply the drop a moment later)."""
    config = cluster_config(environ)
    deadline = time.monotonic() + 30
    for node in config.nodes:
        with Connection(replace(config, nodes=(node,))) as one:
            while collection in one.collections():
                assert time.monotonic() < deadline, f"{collection} still on {node}"
                time.sleep(0.1)


def _write(folder: Path, ids: list[str]) -> None:
    rows = [
        {"id": doc_id, "title": f"Harbour {n}", "lang": "en",
         "body": f"The harbour of town {n} reopened after the storm, officials said."}
        for n, doc_id in enumerate(ids)
    ]  # fmt: skip
    (folder / "a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_ids_with_url_characters_read_and_delete_that_very_document(
    tmp_path: Path, typesense_cluster
) -> None:  # type: ignore[no-untyped-def]
    """The client pastes a document id into the URL path as it is: "a?x" read (and
    deleted) "a", "f%20g" was never found (indexing waited 60 s for it, then failed and
    dropped the new collection), and deleting ".." dropped the whole collection."""
    environ = _environ(typesense_cluster)
    _write(tmp_path, AWKWARD_IDS)
    report = index_articles([tmp_path], tmp_path / "unused", environ=environ)
    assert report.ok and report.added == len(AWKWARD_IDS)
    with open_service("unused", environ=environ) as service:
        for doc_id in AWKWARD_IDS:
            assert service.document(doc_id).id == doc_id
        assert delete_articles(["a?x", ".."], tmp_path / "unused", environ=environ) == (2, [])
        assert service.document("a").id == "a"
        for gone in ("a?x", ".."):
            with pytest.raises(DocumentNotFoundError):
                service.document(gone)
        found = service.search(SearchRequest(query="harbour", collapse="none", per_page=20))
        assert sorted(hit.id for hit in found.hits) == sorted(set(AWKWARD_IDS) - {"a?x", ".."})
        with pytest.raises(DocumentNotFoundError):
            service.document("../../../debug")  # not another endpoint of the cluster


def test_a_reader_still_naming_the_replaced_collection_moves_to_the_new_one(
    tmp_path: Path, typesense_cluster, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """A rebuild drops the old collection right after the alias swap, while every reader
    process re-reads the alias only every REFRESH_S: its searches failed with
    "the cluster refused a search: Not found." (503) until then."""
    import indexer.cluster.service as cluster_service

    monkeypatch.setattr(cluster_service, "REFRESH_S", 3600.0)  # the window, made wide
    environ = _environ(typesense_cluster)
    _write(tmp_path, ["p1", "p2", "p3"])
    index_articles([tmp_path], tmp_path / "unused", environ=environ)
    with open_service("unused", environ=environ) as service:
        old = service.view().collection
        assert service.search(SearchRequest(query="harbour")).total == 3
        report = index_articles([tmp_path], tmp_path / "unused", rebuild=True, environ=environ)
        assert report.rebuilt and report.generation != old
        _wait_dropped(environ, old)
        assert service.search(SearchRequest(query="harbour")).total == 3
        assert service.view().collection == report.generation
        assert service.document("p2").id == "p2"
        assert service.stats().documents == 3


@pytest.mark.parametrize(
    "query",
    ['security -"security service"', 'NOT "security service"', 'oil AND NOT (gas OR "a b")'],
)
def test_a_negated_phrase_is_refused_not_answered_with_fewer_matches(
    tmp_path: Path, typesense_cluster, query: str
) -> None:  # type: ignore[no-untyped-def]
    """A phrase is matched as its words anywhere (more matches, never fewer, README): under
    NOT that excluded every article with both words, so matches Whoosh gives were missing."""
    environ = _environ(typesense_cluster)
    _write(tmp_path, ["n1"])
    index_articles([tmp_path], tmp_path / "unused", environ=environ)
    with open_service("unused", environ=environ) as service:
        with pytest.raises(FeatureUnavailableError, match="phrase after NOT"):
            service.search(SearchRequest(query=query))
        assert service.search(SearchRequest(query='"harbour town"')).total == 1  # positive: kept
        assert service.search(SearchRequest(query='NOT -"harbour town"')).total == 1


def test_a_long_text_asks_the_cluster_in_batches(tmp_path: Path, typesense_cluster) -> None:  # type: ignore[no-untyped-def]
    """A long text is read as a description of its most telling words, which asks the
    frequency of every distinct word: one request each was 3,301 sequential requests
    (12.7 s) for 10,000 characters of made-up words, and an unbounded cache."""
    import random
    import string

    environ = _environ(typesense_cluster)
    _write(tmp_path, ["l1", "l2"])
    index_articles([tmp_path], tmp_path / "unused", environ=environ)
    rnd = random.Random(16)
    made_up = ["".join(rnd.choice(string.ascii_lowercase) for _ in range(8)) for _ in range(1100)]
    text = " ".join(["harbour", *made_up])[:10_000]
    with open_service("unused", environ=environ) as service:
        real = service.connection.multi_search
        requests: list[int] = []

        def counted(searches):  # type: ignore[no-untyped-def]
            requests.append(len(searches))
            return real(searches)

        service.connection.multi_search = counted  # type: ignore[method-assign]
        result = service.search(SearchRequest(query=text))
        assert result.total == 2 and "harbour" in result.query_words_used
        assert sum(requests) > 1000  # every word's frequency was asked…
        assert len(requests) < 100  # …in batches
        assert service.view().vocabulary.cached("body_en", stem_word("harbour", "en")) == 2


def test_incremental_indexing_changes_the_revision_and_the_known_values(
    tmp_path: Path, typesense_cluster, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """A running service noticed only a new collection, never new or updated documents in
    its own: revision() (the web app's ETag) stayed the same, so pages revalidated to 304
    with the old results, and a new source was never listed when selected."""
    import indexer.cluster.service as cluster_service

    monkeypatch.setattr(cluster_service, "REFRESH_S", 0.0)  # re-read on every call
    environ = _environ(typesense_cluster)
    body = "The harbour of the town reopened after the storm, officials said."
    rows = [{"id": "v1", "title": "Harbour", "lang": "en", "source": "Old Desk", "body": body}]
    source = tmp_path / "a.jsonl"
    source.write_text(json.dumps(rows[0]) + "\n")
    index_articles([tmp_path], tmp_path / "unused", environ=environ)
    with open_service("unused", environ=environ) as service:
        first = service.revision()[0]
        assert service.search(SearchRequest(query="harbour")).total == 1
        rows.append(dict(rows[0], id="v2", source="New Desk"))
        source.write_text("".join(json.dumps(r) + "\n" for r in rows))
        assert index_articles([tmp_path], tmp_path / "unused", environ=environ).added == 1
        second = service.revision()[0]
        assert second != first
        found = service.search(SearchRequest(query="harbour", sources=("New Desk",)))
        assert found.total == 1
        assert [v.value for v in found.facets["source"].values if v.selected] == ["New Desk"]
        rows[0]["title"] = "Lighthouse"  # an update: the same number of documents
        source.write_text("".join(json.dumps(r) + "\n" for r in rows))
        assert index_articles([tmp_path], tmp_path / "unused", environ=environ).updated == 1
        assert service.revision()[0] not in (first, second)


def test_stats_and_organizations_count_every_value_as_whoosh_does(
    tmp_path: Path, typesense_cluster
) -> None:  # type: ignore[no-untyped-def]
    """The cluster lists at most max_facet_values values per facet; stats, the
    organizations page and a selected value's count stopped at 1,000 sources."""
    environ = _environ(typesense_cluster)
    body = "The harbour of the town reopened after the storm, officials said."
    # 1,010 sources of two articles each, and a rare one of one article
    rows = [
        {"id": f"m{n}", "title": f"Harbour {n}", "lang": "en", "source": f"Desk {n // 2:04d}",
         "body": body}
        for n in range(2_021)
    ]  # fmt: skip
    (tmp_path / "a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    index_articles([tmp_path], tmp_path / "unused", environ=environ)
    whoosh_index = tmp_path / "whoosh"
    index_articles([tmp_path], whoosh_index, environ={})
    with (
        open_service("unused", environ=environ) as cluster,
        open_service(whoosh_index, environ={}) as whoosh,
    ):
        assert len(whoosh.stats().sources) == 1_011
        assert cluster.stats().sources == whoosh.stats().sources
        rare = SearchRequest(query="harbour", sources=("Desk 1010",), collapse="none")
        mine, theirs = whoosh.search(rare), cluster.search(rare)
        assert theirs.total == mine.total == 1
        selected = [(v.value, v.count) for v in theirs.facets["source"].values if v.selected]
        assert selected == [(v.value, v.count) for v in mine.facets["source"].values if v.selected]
        assert selected == [("Desk 1010", 1)]


def test_an_export_holds_every_row_it_counts(tmp_path: Path, typesense_cluster) -> None:  # type: ignore[no-untyped-def]
    """The export paged through search(), within the client limits max_page x max_per_page
    (10,000 rows by default): an EXPORT_MAX_ROWS above that stopped early while the
    export's length (X-Export-Rows) said more."""
    environ = _environ(typesense_cluster)
    _write(tmp_path, [f"e{n}" for n in range(30)])
    index_articles([tmp_path], tmp_path / "unused", environ=environ)
    small = SearchLimits(max_page=2, max_per_page=5)
    with open_service("unused", environ=environ, limits=small) as service:
        rows = service.export(SearchRequest(query="harbour", sort="date", per_page=5), 25)
        ids = [hit.id for hit in rows]
        assert len(rows) == len(ids) == 25
        assert len(set(ids)) == 25
