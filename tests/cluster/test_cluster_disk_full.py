"""What a Typesense node whose disk is full answers, measured on a real cluster.

Every node keeps its data on a small tmpfs (we run as root; a refused mount
skips, or fails in CI) and the harness fills one with a ballast file. Plain
HTTP only, so the statuses and messages asserted are Typesense's own; the
figures are in tests/cluster/README.md. Slow (a cluster per test, and a full
leader holds a write until the client gives up): `make test-slow`, as CI does.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.cluster.harness import FOLLOWER, LEADER, TypesenseCluster

pytestmark = pytest.mark.slow

TMPFS = "64m"
ERROR_STATE = 5  # braft STATE_ERROR: the node stopped after a failed log write
SCHEMA = {"name": "notes", "fields": [{"name": "text", "type": "string"}]}
BIG = 16_000  # padding of the documents written once a disk is full
OUT_OF_DISK = "Rejecting write: running out of resource type: OUT_OF_DISK"
NOT_READY = "Not Ready or Lagging"


def _write(
    cluster: TypesenseCluster, i: int, doc_id: str, *, pad: int = 0, timeout: float = 5.0
) -> Any:
    """POST one document through node ``i``: (status, body), or the OSError raised.
    ``pad`` bytes make it big enough to need new pages: a full tmpfs still takes small
    writes into the free tails of pages its files already have."""
    document = {"id": doc_id, "text": f"{doc_id} {'x' * pad}"}
    try:
        return cluster.request(i, "POST", "/collections/notes/documents", document, timeout=timeout)
    except OSError as error:
        return error


def _count(cluster: TypesenseCluster, i: int) -> int | None:
    try:
        status, body = cluster.request(i, "GET", "/collections/notes", timeout=2.0)
    except OSError:
        return None
    return int(body["num_documents"]) if status == 200 else None


def _eventually(check: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    result: Any = None
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"{what}: not within {timeout:.0f} s (last: {result!r})")


def _with_notes(cluster: TypesenseCluster, count: int = 10) -> list[str]:
    leader = cluster.leader()
    assert cluster.request(leader, "POST", "/collections", SCHEMA)[0] == 201
    ids = [f"base-{n}" for n in range(count)]
    for doc_id in ids:
        assert _write(cluster, leader, doc_id)[0] == 201
    for i in range(cluster.size):
        _eventually(lambda i=i: _count(cluster, i) == count, f"{count} notes on node {i}")
    return ids


def _unhealthy(cluster: TypesenseCluster, i: int) -> None:
    """/health of node ``i`` turns to 503 {"ok": false} (it lags the Raft state a little),
    and searches on it are refused the same way rather than answered from stale data."""
    _eventually(
        lambda: cluster.request(i, "GET", "/health") == (503, {"ok": False}),
        f"node {i} reporting itself unhealthy",
    )
    search = "/collections/notes/documents/search?q=base&query_by=text"
    assert cluster.request(i, "GET", search) == (503, {"message": NOT_READY})


def _restart_with_room(cluster: TypesenseCluster, i: int) -> None:
    cluster.free_disk(i)
    cluster.stop(i, timeout=10)  # a node wedged on its full disk ignores SIGTERM: SIGKILL
    cluster.start_node(i)


def _all_agree(cluster: TypesenseCluster, acknowledged: list[str]) -> None:
    counts = _eventually(
        lambda: (
            (c := [_count(cluster, i) for i in range(cluster.size)])[0] is not None
            and len(set(c)) == 1
            and c
        ),
        "every node holding the same documents",
    )
    assert counts[0] >= len(acknowledged)
    for i in range(cluster.size):
        for doc_id in acknowledged:
            status, _ = cluster.request(i, "GET", f"/collections/notes/documents/{doc_id}")
            assert status == 200, f"acknowledged {doc_id} missing on node {i}"


def test_a_follower_whose_disk_fills_stops_loudly_and_catches_up_after_a_restart(
    cluster_factory: Callable[..., TypesenseCluster],
) -> None:
    cluster = cluster_factory(tmpfs=TMPFS)
    acknowledged = _with_notes(cluster)
    full = cluster.followers()[0]
    other = next(i for i in cluster.followers() if i != full)
    cluster.fill_disk(full)
    assert cluster.disk_free(full) == 0

    # The leader and the other follower are a quorum: writes are still acknowledged.
    for n in range(3):
        status, body = _write(cluster, other, f"while-full-{n}", pad=BIG)
        assert status == 201, body
        acknowledged.append(f"while-full-{n}")
    # The full follower fails to append to its Raft log and stops taking part.
    _eventually(lambda: cluster.state(full) == ERROR_STATE, f"node {full} in the error state")
    _unhealthy(cluster, full)
    status, body = _write(cluster, full, "through-the-full-node", pad=BIG)
    assert (status, body["message"]) in {(500, "Could not find a leader."), (503, NOT_READY)}
    assert any("No space left on device" in line for line in cluster.log_errors(full, 20))
    # Freeing room is not enough: it stays out until restarted, then catches up.
    cluster.free_disk(full)
    time.sleep(1)
    assert cluster.state(full) == ERROR_STATE
    _restart_with_room(cluster, full)
    assert cluster.state(full) == FOLLOWER
    _all_agree(cluster, acknowledged)


def test_a_leader_whose_disk_fills_hands_over_and_writes_resume_through_the_others(
    cluster_factory: Callable[..., TypesenseCluster],
) -> None:
    cluster = cluster_factory(tmpfs=TMPFS)
    acknowledged = _with_notes(cluster)
    full = cluster.leader()
    cluster.fill_disk(full)

    # The write the full leader cannot append to its log gets no success answer:
    # the request hangs until the client gives up (it may still be committed by
    # the next leader, which has the entry: a timeout means "unknown", not "lost").
    answer = _write(cluster, full, "on-the-full-leader", pad=BIG, timeout=5.0)
    assert isinstance(answer, OSError) or answer[0] >= 500, answer
    new, _ = cluster.wait_for_leader(exclude=[full], timeout=60)
    assert cluster.state(full) == ERROR_STATE
    _unhealthy(cluster, full)
    assert _write(cluster, full, "again-on-the-full-node", pad=BIG) == (503, {"message": NOT_READY})
    for i in (n for n in range(cluster.size) if n != full):
        status, body = _write(cluster, i, f"after-handover-{i}", pad=BIG)
        assert status == 201, body
        acknowledged.append(f"after-handover-{i}")
    assert cluster.state(new) == LEADER

    _restart_with_room(cluster, full)
    assert cluster.state(full) == FOLLOWER
    _all_agree(cluster, acknowledged)
    # The timed-out write is on every node or on none.
    found = {
        cluster.request(i, "GET", "/collections/notes/documents/on-the-full-leader")[0]
        for i in range(cluster.size)
    }
    assert len(found) == 1, found


def test_with_a_disk_limit_a_leader_near_full_refuses_writes_with_422_on_every_node(
    cluster_factory: Callable[..., TypesenseCluster],
) -> None:
    cluster = cluster_factory(tmpfs=TMPFS, extra_args=["--disk-used-max-percentage", "80"])
    acknowledged = _with_notes(cluster)
    full = cluster.leader()
    total = 64 << 20
    cluster.fill_disk(full, leave=total // 10)  # 90 % used: over the limit, still room

    # Typesense re-reads its disk usage every few seconds: then every write is refused.
    def refused() -> bool:
        answer = _write(cluster, full, "probe", pad=BIG)
        return not isinstance(answer, OSError) and answer[0] == 422

    _eventually(refused, "a write refused for the disk limit")
    for i in range(cluster.size):
        status, body = _write(cluster, i, f"refused-{i}", pad=BIG)
        assert (status, body) == (422, {"message": OUT_OF_DISK}), i
    assert cluster.healthy(full) and cluster.state(full) == LEADER
    counts = {_count(cluster, i) for i in range(cluster.size)}
    assert counts == {_count(cluster, full)}, "a refused write reached some node"
    for i in range(cluster.size):
        assert cluster.request(i, "GET", "/collections/notes/documents/refused-0")[0] == 404

    cluster.free_disk(full)
    _eventually(lambda: _write(cluster, full, "after-room")[0] == 201, "writes accepted again")
    acknowledged.append("after-room")
    _all_agree(cluster, acknowledged)
