"""Faults on a real 3-node cluster, through Dossier's own backend (not the raw client).

A killed leader: searches succeed again once a new leader is elected, writes
resume (retried with back-off), and every write the cluster acknowledged is
there afterwards. A stopped follower rejoins and catches up.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from indexer import open_service
from indexer.cluster.backend import index_articles
from indexer.cluster.config import cluster_config
from indexer.cluster.connection import Connection
from indexer.cluster.documents import EVERY, UNDATED_LAST, collection_schema, token
from indexer.cluster.service import ClusterSearchService
from indexer.cluster.writing import collection_name
from indexer.model import ClusterError, DocumentNotFoundError, SearchRequest

SETTLE_AFTER_ELECTION_S = 30.0  # searches must succeed again within this after a new leader
STREAK = 20  # successes in a row that count as "succeeding again"


def _recovered(searches: list[tuple[float, bool]], since: float) -> list[float]:
    """When the searches after ``since`` that all succeeded to the end were made: the
    unbroken run of successes searches came back to (empty if the last one failed)."""
    times: list[float] = []
    for at, ok in reversed(list(searches)):
        if at <= since or not ok:
            break
        times.append(at)
    return times[::-1]


def _doc(i: int) -> dict[str, Any]:
    return {
        "id": f"w{i}", "terms": [EVERY, token("folded", "harbour")], "story": f"w{i}",
        "title": f"Harbour {i}", "body": "The harbour reopened.", "lang": "en",
        "date_sort": 0, "date_asc": UNDATED_LAST, "date_start": 0, "date_end": 0, "seq": i,
    }  # fmt: skip


def _collection(config: Any) -> str:
    name = collection_name(config.alias)
    with Connection(config) as connection:
        connection.create_collection(collection_schema(name))
        connection.point_alias(config.alias, name)
        connection.import_documents(name, [_doc(i) for i in range(20)])
    return name


def test_killing_the_leader_loses_no_acknowledged_write(fresh_cluster) -> None:  # type: ignore[no-untyped-def]
    config = cluster_config({**fresh_cluster.environment(), "DOSSIER_TYPESENSE_COLLECTION": "f"})
    name = _collection(config)
    acknowledged: list[str] = []
    searches: list[tuple[float, bool]] = []
    failures: list[str] = []
    stop = threading.Event()

    def write() -> None:
        with Connection(config) as connection:
            i = 1000
            while not stop.is_set():
                try:
                    results = connection.import_documents(name, [_doc(i)])
                    if results and results[0].get("success"):
                        acknowledged.append(f"w{i}")
                except ClusterError:
                    pass  # not acknowledged: the writer may retry it, nothing is promised
                i += 1

    def search() -> None:
        with ClusterSearchService(config) as service:
            while not stop.is_set():
                try:
                    ok = service.search(SearchRequest(query="harbour")).total >= 20
                except ClusterError as error:
                    ok = False
                    failures.append(f"{time.monotonic():.1f} {error}")
                searches.append((time.monotonic(), ok))
                time.sleep(0.02)

    threads = [threading.Thread(target=write), threading.Thread(target=search)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(2)
        before = len(acknowledged)
        leader = fresh_cluster.leader()
        fresh_cluster.kill(leader)
        _, waited = fresh_cluster.wait_for_leader(exclude=[leader])
        elected = time.monotonic()
        # Then searches must come back and stay: STREAK in a row succeed, within the time.
        deadline = elected + SETTLE_AFTER_ELECTION_S
        while time.monotonic() < deadline and len(_recovered(searches, elected)) < STREAK:
            time.sleep(0.2)
        time.sleep(2)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    assert len(acknowledged) > before, "writes did not resume after the new leader"
    recovered = _recovered(searches, elected)
    assert len(recovered) >= STREAK and recovered[0] <= elected + SETTLE_AFTER_ELECTION_S, (
        f"searches failing after re-election ({waited:.1f} s, elected at {elected:.1f}): "
        f"{failures[-3:]}"
    )
    survivors = [n for i, n in enumerate(config.nodes) if i != leader]
    with Connection(replace(config, nodes=tuple(survivors))) as connection:
        missing = []
        for doc_id in acknowledged:
            try:
                connection.retrieve(name, doc_id)
            except DocumentNotFoundError:
                missing.append(doc_id)
    assert missing == [], f"acknowledged writes lost: {missing[:5]}"


def test_a_stopped_follower_rejoins_and_catches_up(fresh_cluster) -> None:  # type: ignore[no-untyped-def]
    config = cluster_config({**fresh_cluster.environment(), "DOSSIER_TYPESENSE_COLLECTION": "g"})
    name = _collection(config)
    follower = fresh_cluster.followers()[0]
    fresh_cluster.stop(follower)
    with Connection(config) as connection:
        connection.import_documents(name, [_doc(i) for i in range(100, 160)])
    fresh_cluster.start_node(follower)
    alone = replace(config, nodes=(config.nodes[follower],))
    deadline = time.monotonic() + 60
    with Connection(alone) as connection:
        while True:
            try:
                connection.retrieve(name, "w159")
                break
            except (DocumentNotFoundError, ClusterError):
                assert time.monotonic() < deadline, "the follower did not catch up in 60 s"
                time.sleep(0.2)
        assert int(connection.collection_info(name)["num_documents"]) == 80


def test_a_full_disk_is_one_clear_error_and_a_rerun_completes(cluster_factory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """With Typesense's disk limit set (README, production), a leader out of room refuses
    writes with 422 OUT_OF_DISK: indexing stops with one clear line, nothing indexed is
    lost, searches go on, and once there is room the same command completes."""
    cluster = cluster_factory(tmpfs="64m", extra_args=["--disk-used-max-percentage=80"])
    environ = {**cluster.environment(), "DOSSIER_TYPESENSE_COLLECTION": "full"}
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _articles(corpus / "a.jsonl", "a", 20)
    assert index_articles([corpus], tmp_path / "x", environ=environ).added == 20
    leader = cluster.leader()
    cluster.fill_disk(leader, leave=6 * 1024 * 1024)  # about 90 % used
    probe = 0
    deadline = time.monotonic() + 60
    while True:  # the node re-reads its disk usage every few seconds
        probe += 1
        schema = {"name": f"probe{probe}", "fields": [{"name": "x", "type": "string"}]}
        status, _ = cluster.request(leader, "POST", "/collections", schema)
        if status == 422:
            break
        assert time.monotonic() < deadline, "the node never noticed its disk was full"
        time.sleep(0.5)
    _articles(corpus / "b.jsonl", "b", 30)
    with pytest.raises(ClusterError) as error:
        index_articles([corpus], tmp_path / "x", environ=environ)
    message = str(error.value)
    assert "disk is full" in message and "\n" not in message
    with open_service("x", environ=environ) as service:
        assert service.search(SearchRequest(query="harbour")).total >= 20
    cluster.free_disk(leader)
    deadline = time.monotonic() + 60
    while True:
        try:
            report = index_articles([corpus], tmp_path / "x", environ=environ)
            break
        except ClusterError:
            assert time.monotonic() < deadline, "writes were not accepted again with room"
            time.sleep(1)
    assert report.ok
    with open_service("x", environ=environ) as service:
        assert service.search(SearchRequest(query="harbour")).total == 50


def _articles(path: Path, prefix: str, count: int) -> None:
    rows = [{"id": f"{prefix}{i}", "title": f"Harbour {prefix}{i}", "lang": "en",
             "body": f"The harbour of {prefix}{i} reopened after the storm, officials said."}
            for i in range(count)]  # fmt: skip
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
