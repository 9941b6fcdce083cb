"""Indexing into the cluster: the same pipeline and checksums as the Whoosh path.

Articles are loaded, cleaned and enriched exactly as for Whoosh
(``ingest``), placed in stories, analysed into tokens (``cluster.documents``)
and upserted in batches: re-running sends nothing unchanged and duplicates
nothing (an upsert by id replaces). ``rebuild`` fills a new collection and
then points the alias readers use at it, so no reader ever sees a
half-built collection; the old collection is dropped after the swap.
"""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from indexer.cluster.config import ClusterConfig
from indexer.cluster.connection import Connection
from indexer.cluster.documents import (
    LAYOUT,
    TOKENS,
    cluster_document,
    collection_schema,
    sketch_of,
    vocabulary_name,
    vocabulary_schema,
)
from indexer.index.writing import (
    IndexReport,
    Progress,
    changed_documents,
    gone_documents,
    run_salt,
)
from indexer.ingest.documents import (
    DocumentBuilder,
    LoadProblem,
)
from indexer.ingest.duplicates import StoryAssigner
from indexer.ingest.organizations import Gazetteer
from indexer.model import (
    ClusterError,
    CollectionGone,
    DocumentNotFoundError,
    IncompleteIndexError,
)

BATCH = 250  # documents per import request
SETTLE_S = 30.0  # how long indexing waits for every live node to apply its last write


def collection_name(alias: str, when: datetime | None = None) -> str:
    """A new collection's name: the alias, the layout it is built with, and when."""
    stamp = (when or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%f")
    return f"{alias}-{LAYOUT}-{stamp}"


def layout_of(collection: str) -> str | None:
    parts = collection.rsplit("-", 2)
    return parts[1] if len(parts) == 3 else None


def build_cluster_index(
    paths: list[Path],
    config: ClusterConfig,
    *,
    gazetteer: Path | None = None,
    rebuild: bool = False,
    prune: bool = True,
    progress: Progress | None = None,
    follow_links: bool = False,
) -> IndexReport:
    """Index the corpus files under ``paths`` into the cluster; see module docstring."""
    with Connection(config) as connection:
        return _build(connection, paths, config, gazetteer, rebuild, prune, progress,
                      follow_links)  # fmt: skip


def _build(
    connection: Connection,
    paths: list[Path],
    config: ClusterConfig,
    gazetteer: Path | None,
    rebuild: bool,
    prune: bool,
    progress: Progress | None,
    follow_links: bool,
) -> IndexReport:
    started = time.perf_counter()
    report = IndexReport(index_dir=Path(f"typesense:{config.alias}"))
    gaz = Gazetteer.load(gazetteer)
    salt = run_salt(gaz, "typesense", LAYOUT)
    current = connection.alias_target(config.alias)
    if current is not None and layout_of(current) != LAYOUT and not rebuild:
        report.problems.append(
            LoadProblem(current, "the collection was built by another version; rebuilding it",
                        severity="warning")
        )  # fmt: skip
        rebuild = True
    fresh = rebuild or current is None
    target = collection_name(config.alias) if fresh else current
    assert target is not None
    existing: dict[str, tuple[str, str]] = {}
    seq = 0
    if fresh:
        connection.create_collection(collection_schema(target))
        connection.create_collection(vocabulary_schema(target))
    else:
        rows = list(connection.export(target, ["id", "checksum", "path", "seq"]))
        existing = {r["id"]: (r.get("checksum") or "", r.get("path") or "") for r in rows}
        seq = max((int(r.get("seq") or 0) for r in rows), default=0) + 1
    try:
        stories = StoryAssigner(None if fresh else lambda: _indexed_stories(connection, target))
        builder = DocumentBuilder(gaz, salt=salt, known={k: d for k, (d, _) in existing.items()})
        seen = _send(connection, target, paths, builder, existing, report, stories, seq,
                     progress, follow_links, fresh=fresh)  # fmt: skip
        if prune and not fresh:
            _prune(connection, target, paths, existing, seen, report)
        _settled(connection, config, target, report.last_write, report)
        if fresh:
            count = int(connection.collection_info(target).get("num_documents", 0))
            if count != report.added:
                raise IncompleteIndexError(
                    f"the new collection holds {count} documents instead of {report.added}; "
                    "readers still use the old one"
                )
            connection.point_alias(config.alias, target)
            report.rebuilt = True
    except BaseException:
        if fresh and not _aliased(connection, config.alias, target):
            # Readers never saw it; the old collection keeps serving. (A swap that was
            # applied but not acknowledged is kept: readers may already use it.)
            with contextlib.suppress(ClusterError):
                connection.drop_collection(target)
                connection.drop_collection(vocabulary_name(target))
        raise
    if fresh:
        _settled(connection, config, target, None, report, alias=(config.alias, target))
    if fresh and current is not None and current != target:
        connection.drop_collection(current)
        connection.drop_collection(vocabulary_name(current))
    report.generation = target
    report.seconds = time.perf_counter() - started
    return report


def _send(
    connection: Connection,
    target: str,
    paths: list[Path],
    builder: DocumentBuilder,
    existing: dict[str, tuple[str, str]],
    report: IndexReport,
    stories: StoryAssigner,
    seq: int,
    progress: Progress | None,
    follow_links: bool,
    *,
    fresh: bool,
) -> dict[str, str]:
    """Upsert every new or changed document in batches; id -> path of every one seen.

    Their tokens go into the vocabulary: all at the end of a fresh build (with
    exact document frequencies), or batch by batch before the documents in an
    update (new tokens only; a token whose last article went stays listed and
    matches nothing, as a word missing from the index would)."""
    seen: dict[str, str] = {}
    batch: list[dict[str, Any]] = []
    vocabulary: Counter[str] = Counter()

    def flush() -> None:
        if batch:
            if not fresh:
                _import_vocabulary(connection, target, vocabulary, action="create")
                vocabulary.clear()
            _import(connection, target, batch, report, existing)
            batch.clear()

    for doc in changed_documents(paths, builder, existing, report, seen, progress,
                                 follow_links=follow_links, stories=stories):  # fmt: skip
        batch.append(cluster_document(doc, seq))
        vocabulary.update(batch[-1][TOKENS][1:])  # all but EVERY
        seq += 1
        if len(batch) >= BATCH:
            flush()
    flush()
    if fresh:
        _import_vocabulary(connection, target, vocabulary, action="upsert")
    return seen


VOCABULARY_BATCH = 1_000  # larger imports, forwarded by a follower, lost answers more often


def _import_vocabulary(
    connection: Connection, target: str, vocabulary: Counter[str], *, action: str
) -> None:
    """The tokens as vocabulary documents (``create``: an existing token is left as it is)."""
    name = vocabulary_name(target)
    rows = [{"id": token, "token": token, "df": df} for token, df in vocabulary.items()]
    for start in range(0, len(rows), VOCABULARY_BATCH):
        results = connection.import_documents(name, rows[start : start + VOCABULARY_BATCH],
                                              action=action)  # fmt: skip
        failed = [r for r in results if not r.get("success") and r.get("code") != 409]
        if failed:
            raise ClusterError(f"the cluster refused vocabulary entries: {failed[0]}")


def _import(
    connection: Connection,
    target: str,
    batch: list[dict[str, Any]],
    report: IndexReport,
    existing: dict[str, tuple[str, str]],
) -> None:
    """One batch; a document the cluster refuses is reported, the others are kept."""
    results = connection.import_documents(target, batch)
    refused = [(doc, r) for doc, r in zip(batch, results, strict=False) if not r.get("success")]
    stored = [doc for doc, r in zip(batch, results, strict=False) if r.get("success")]
    if stored:  # what indexing waits for every node to have (``_settled``)
        report.last_write = (stored[-1]["id"], stored[-1].get("checksum"))
    full = next((r for _, r in refused if "OUT_OF_DISK" in str(r.get("error"))), None)
    if full is not None:  # the cluster takes no more writes: one error, not one per article
        raise ClusterError(
            f"the cluster's disk is full ({full.get('error')}); {report.added + report.updated}"
            " articles of this run were written before it; make room and run again"
        )
    for doc, result in refused:
        report.problems.append(
            LoadProblem(doc.get("path") or doc["id"],
                        f"the cluster refused {doc['id']!r}: {result.get('error', 'no reason')}")
        )  # fmt: skip
    # A refused document is not in the index: it counts as failed, not as added or updated.
    report.updated -= sum(1 for doc, _ in refused if doc["id"] in existing)
    report.added -= sum(1 for doc, _ in refused if doc["id"] not in existing)


def _indexed_stories(
    connection: Connection, target: str
) -> Iterator[tuple[str, str | None, bytes | None]]:
    for row in connection.export(target, ["id", "story", "sketch"]):
        yield row["id"], row.get("story"), sketch_of(row)


def _prune(
    connection: Connection,
    target: str,
    paths: list[Path],
    existing: dict[str, tuple[str, str]],
    seen: dict[str, str],
    report: IndexReport,
) -> None:
    """Delete documents of the indexed paths that their files no longer contain."""
    for doc_id in gone_documents(paths, existing, seen, report):
        if connection.delete_document(target, doc_id):
            report.deleted += 1
            report.last_write = (doc_id, None)


def delete_cluster_documents(ids: list[str], config: ClusterConfig) -> tuple[int, list[str]]:
    """Delete documents by id from the collection readers use; (deleted, ids not found)."""
    with Connection(config) as connection:
        target = connection.alias_target(config.alias)
        if target is None:
            raise ClusterError(f"the cluster has no collection {config.alias!r}; index one first")
        missing = [doc_id for doc_id in ids if not connection.delete_document(target, doc_id)]
        found = [doc_id for doc_id in ids if doc_id not in missing]
        if found:
            _settled(connection, config, target, (found[-1], None), None)
    return len(found), missing


def _settled(
    connection: Connection,
    config: ClusterConfig,
    target: str,
    last: tuple[str, str | None] | None,
    report: IndexReport | None,
    *,
    alias: tuple[str, str] | None = None,
) -> None:
    """Wait until every node that answers has applied this run's last write (or the alias
    swap): the cluster applies writes in order, so then it has them all, and a search on
    any node right after ``dossier index`` sees what it reported. A node still behind
    after SETTLE_S is reported, not fatal: the majority has the writes, it catches up."""
    if last is None and alias is None:
        return
    deadline = time.monotonic() + SETTLE_S
    for node in config.nodes:
        single = Connection(replace(config, nodes=(node,), timeout_s=min(config.timeout_s, 2.0)))
        with single:
            caught_up = _wait_applied(single, target, last, alias, deadline)
        if not caught_up and report is not None:
            report.problems.append(
                LoadProblem(f"{node[1]}:{node[2]}", f"this node had not applied the run's "
                            f"last write after {SETTLE_S:.0f} s; the cluster has it and the "
                            "node will catch up (until then its searches may miss it)",
                            severity="warning")
            )  # fmt: skip


def _aliased(connection: Connection, alias: str, target: str) -> bool:
    try:
        return connection.alias_target(alias) == target
    except ClusterError:
        return False


def _wait_applied(
    single: Connection,
    target: str,
    last: tuple[str, str | None] | None,
    alias: tuple[str, str] | None,
    deadline: float,
) -> bool:
    """Whether the node applied it before ``deadline`` (True too for a node that does not
    answer: Raft catches it up when it returns)."""
    while True:
        try:
            if _applied(single, target, last, alias):
                return True
        except ClusterError:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)


def _applied(
    single: Connection, target: str, last: tuple[str, str | None] | None,
    alias: tuple[str, str] | None,
) -> bool:  # fmt: skip
    if alias is not None:
        return single.alias_target(alias[0]) == alias[1]
    assert last is not None
    doc_id, digest = last
    try:
        found = single.retrieve(target, doc_id)
    except CollectionGone:
        return False  # the node has not applied the collection's creation yet
    except DocumentNotFoundError:
        return digest is None
    return digest is not None and found.get("checksum") == digest
