"""The cluster harness itself, against real typesense-server processes.

Only the typesense Python client and plain HTTP are used here (no Dossier
backend code): these tests show that what the backend's tests will stand on
is a real replicated cluster — one leader, writes replicated to every node, a
new leader after the old one is killed, a restarted follower catching up, and
a wrong API key refused.
"""

from __future__ import annotations

import signal
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import typesense.exceptions

from tests.cluster.harness import FOLLOWER, LEADER, ClusterError, TypesenseCluster

POLL_SECONDS = 20.0  # replication to a caught-up follower takes milliseconds
ELECTION_SECONDS = 60.0  # measured ~10 s (tests/cluster/README.md)

SCHEMA = {
    "name": "articles",
    "fields": [
        {"name": "title", "type": "string"},
        {"name": "lang", "type": "string", "facet": True},
        {"name": "year", "type": "int32"},
    ],
}


def _docs(start: int, count: int) -> list[dict[str, Any]]:
    return [
        {"id": f"doc-{n}", "title": f"Caspian harbour report {n}", "lang": "en", "year": 2000 + n}
        for n in range(start, start + count)
    ]


def _import(client: Any, docs: list[dict[str, Any]]) -> None:
    results = client.collections["articles"].documents.import_(docs, {"action": "upsert"})
    assert all(r.get("success") for r in results), results


def _eventually(check: Callable[[], Any], what: str, timeout: float = POLL_SECONDS) -> Any:
    """Poll ``check`` until it returns a truthy value (errors count as not yet)."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
            last = result
        except (typesense.exceptions.TypesenseClientError, OSError) as error:
            last = error
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout:.0f} s (last: {last!r})")


def _count(client: Any) -> int:
    return int(client.collections["articles"].retrieve()["num_documents"])


def test_three_nodes_form_one_cluster_with_exactly_one_leader(
    typesense_cluster: TypesenseCluster,
) -> None:
    cluster = typesense_cluster
    assert len({node.api_port for node in cluster.nodes}) == 3
    assert len({node.pid for node in cluster.nodes}) == 3
    assert all(cluster.healthy(i) for i in range(3))
    states = cluster.states()
    assert sorted(states.values()) == [LEADER, FOLLOWER, FOLLOWER], states
    assert cluster.leader() == next(i for i, s in states.items() if s == LEADER)
    for i in range(3):
        status, body = cluster.request(i, "GET", "/debug")
        assert (status, body["version"]) == (200, "0.24.1")
    # The nodes file names every node, each with its own data directory.
    assert cluster.nodes_file.read_text().strip().split(",") == [n.peer for n in cluster.nodes]
    assert len({node.data_dir for node in cluster.nodes}) == 3


def test_writes_through_one_node_are_read_from_every_other(
    typesense_cluster: TypesenseCluster,
) -> None:
    cluster = typesense_cluster
    writer = cluster.followers()[0]  # a follower forwards writes to the leader
    client = cluster.client(writer)
    with pytest.raises(typesense.exceptions.ObjectNotFound):
        client.collections["articles"].retrieve()
    client.collections.create(SCHEMA)
    try:
        _import(client, _docs(0, 50))
        for reader in (i for i in range(3) if i != writer):
            other = cluster.client(reader)
            _eventually(lambda other=other: _count(other) == 50, f"50 documents on node {reader}")
            found = other.collections["articles"].documents.search(
                {"q": "report 17", "query_by": "title", "filter_by": "year:=2017"}
            )
            assert [hit["document"]["id"] for hit in found["hits"]] == ["doc-17"]
            assert other.collections["articles"].documents["doc-49"].retrieve()["year"] == 2049
    finally:
        cluster.client().collections["articles"].delete()
    for i in range(3):
        _eventually(
            lambda i=i: cluster.request(i, "GET", "/collections/articles")[0] == 404,
            f"the deletion replicated to node {i}",
        )


def test_killing_the_leader_elects_a_new_one_and_reads_and_writes_go_on(
    fresh_cluster: TypesenseCluster,
) -> None:
    cluster = fresh_cluster
    everywhere = cluster.client()
    everywhere.collections.create(SCHEMA)
    _import(everywhere, _docs(0, 30))
    old = cluster.leader()
    survivors = [i for i in range(3) if i != old]
    for i in survivors:
        _eventually(lambda i=i: _count(cluster.client(i)) == 30, f"30 documents on node {i}")

    cluster.kill(old, signal.SIGKILL)
    assert not cluster.nodes[old].running
    assert cluster.nodes[old].process is not None
    assert cluster.nodes[old].process.returncode == -signal.SIGKILL
    # Reads do not wait for the election: each survivor answers from its own copy.
    for i in survivors:
        found = (
            cluster.client(i)
            .collections["articles"]
            .documents.search({"q": "report", "query_by": "title", "per_page": 50})
        )
        assert found["found"] == 30
    new, _waited = cluster.wait_for_leader(exclude=[old], timeout=ELECTION_SECONDS)
    assert new in survivors
    assert sorted(cluster.state(i) for i in survivors) == [LEADER, FOLLOWER]

    for i in survivors:
        reader = cluster.client(i)
        assert _count(reader) == 30
        assert reader.collections["articles"].documents["doc-7"].retrieve()["year"] == 2007
    # Two of three nodes are a quorum: writes resume, through either survivor.
    follower = next(i for i in survivors if i != new)
    _import(cluster.client(follower), _docs(30, 5))
    for i in survivors:
        _eventually(lambda i=i: _count(cluster.client(i)) == 35, f"35 documents on node {i}")


def test_a_stopped_follower_restarted_on_its_data_rejoins_and_catches_up(
    fresh_cluster: TypesenseCluster,
) -> None:
    cluster = fresh_cluster
    leader = cluster.leader()
    client = cluster.client(leader)
    client.collections.create(SCHEMA)
    _import(client, _docs(0, 20))
    down = cluster.followers()[0]
    _eventually(lambda: _count(cluster.client(down)) == 20, f"20 documents on node {down}")

    assert cluster.stop(down) == 0, cluster.diagnostics([down])
    with pytest.raises(OSError):
        cluster.request(down, "GET", "/health", timeout=2)
    # While it is down: more documents, an update and a deletion.
    _import(client, _docs(20, 25))
    client.collections["articles"].documents["doc-3"].update({"title": "Updated while down"})
    client.collections["articles"].documents["doc-4"].delete()

    cluster.start_node(down)  # waits until healthy under one leader
    assert cluster.state(down) == FOLLOWER
    rejoined = cluster.client(down)
    _eventually(lambda: _count(rejoined) == 44, f"node {down} caught up to 44 documents")
    documents = rejoined.collections["articles"].documents
    assert documents["doc-3"].retrieve()["title"] == "Updated while down"
    assert documents["doc-44"].retrieve()["year"] == 2044
    with pytest.raises(typesense.exceptions.ObjectNotFound):
        documents["doc-4"].retrieve()


def test_a_wrong_api_key_is_refused_with_401_by_every_node(
    typesense_cluster: TypesenseCluster,
) -> None:
    cluster = typesense_cluster
    for i in range(3):
        status, body = cluster.request(i, "GET", "/collections", api_key="not-the-key")
        assert status == 401, body
        assert "x-typesense-api-key" in body["message"]
        assert cluster.request(i, "GET", "/collections")[0] == 200
    wrong = cluster.client(api_key="not-the-key", num_retries=0)
    with pytest.raises(typesense.exceptions.RequestUnauthorized):
        wrong.collections.retrieve()


def test_a_node_that_cannot_start_is_reported_with_its_log(
    typesense_server: Path, tmp_path: Path
) -> None:
    # A port another program holds: the node exits, and the error quotes its log.
    cluster = TypesenseCluster(tmp_path, 1, server=typesense_server)
    holder = socket.socket()
    holder.bind(("127.0.0.1", cluster.nodes[0].api_port))
    holder.listen()
    try:
        with pytest.raises(ClusterError, match="Address already in use"):
            cluster.start_node(0, timeout=30)
    finally:
        holder.close()
        cluster.stop_all()
    assert not cluster.nodes[0].running


@pytest.mark.slow
def test_a_port_taken_while_starting_makes_the_cluster_start_again_on_new_ports(
    typesense_server: Path, tmp_path: Path
) -> None:
    cluster = TypesenseCluster(tmp_path, server=typesense_server)
    taken = cluster.nodes[1].api_port
    holder = socket.socket()
    holder.bind(("127.0.0.1", taken))
    holder.listen()
    try:
        cluster.start()
        assert cluster.nodes[1].api_port != taken
        assert sorted(cluster.states().values()) == [LEADER, FOLLOWER, FOLLOWER]
        assert "Address already in use" in cluster.nodes[1].log_path.read_text()
    finally:
        holder.close()
        cluster.stop_all()
