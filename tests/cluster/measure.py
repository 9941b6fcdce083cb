"""Measure what a real Typesense cluster does under faults, as a client sees it.

Why: the Typesense backend's retries, timeouts and error messages (issue 16)
must rest on measured behaviour, not on guesses: how long a re-election takes
after the leader is killed, what reads and writes answer meanwhile, how a
restarted follower catches up, and what a full disk looks like. The figures
go into tests/cluster/README.md; the tests assert the behaviour, never the
timings. Run as root (the disk scenarios mount a tmpfs):

    .venv/bin/python -m tests.cluster.measure [--kills 5] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import signal
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from tests.cluster.harness import TypesenseCluster

SCHEMA = {"name": "m", "fields": [{"name": "t", "type": "string"}]}
TMPFS = "64m"
BIG = 16_000  # bytes of padding in the documents written to a full disk
SEARCH = "/collections/m/documents/search?q=measured&query_by=t"


def _answer(cluster: TypesenseCluster, i: int, method: str, path: str, body: Any = None,
            timeout: float = 2.0) -> str:  # fmt: skip
    """'201', '503 Not Ready or Lagging', 'timeout' ...: one request, as a short label."""
    started = time.monotonic()
    try:
        status, answer = cluster.request(i, method, path, body, timeout=timeout)
    except OSError as error:
        kind = "timeout" if "timed out" in str(error) else "connection refused"
        return f"{kind} ({time.monotonic() - started:.1f} s)"
    message = answer.get("message", "") if isinstance(answer, dict) else repr(answer[:60])
    return f"{status} {message}".strip()


def _setup(cluster: TypesenseCluster, docs: int = 20) -> None:
    assert cluster.request(cluster.leader(), "POST", "/collections", SCHEMA)[0] == 201
    for n in range(docs):
        cluster.request(cluster.leader(), "POST", "/collections/m/documents", _doc(f"base-{n}"))


def _doc(doc_id: str, size: int = 0) -> dict[str, str]:
    """A document; ``size`` pads it (a full tmpfs still takes writes into the free tail
    of pages already allocated: only writes of several KB find the disk full)."""
    return {"id": doc_id, "t": f"measured document {doc_id} " + "x" * size}


def _count(cluster: TypesenseCluster, i: int) -> int | None:
    try:
        status, body = cluster.request(i, "GET", "/collections/m", timeout=2.0)
    except OSError:
        return None
    return int(body["num_documents"]) if status == 200 else None


def measure_start(root: Path) -> tuple[TypesenseCluster, float]:
    cluster = TypesenseCluster(root)
    started = time.monotonic()
    cluster.start()
    return cluster, time.monotonic() - started


def measure_leader_kill(cluster: TypesenseCluster, round_: int) -> dict[str, Any]:
    """SIGKILL the leader; poll the survivors: state, a search, a write, every 0.1 s."""
    old = cluster.leader()
    survivors = [i for i in range(cluster.size) if i != old]
    reader, writer = survivors
    seen: dict[str, Counter[str]] = {"read": Counter(), "write": Counter()}
    first: dict[str, float] = {}
    killed = time.monotonic()
    cluster.kill(old, signal.SIGKILL)
    n = 0
    while len(first) < 3 and time.monotonic() - killed < 90:
        now = time.monotonic() - killed
        if "leader" not in first and any(cluster.state(i) == 1 for i in survivors):
            first["leader"] = now
        read = _answer(cluster, reader, "GET", SEARCH)
        seen["read"][read] += 1
        if read == "200" and "read" not in first:
            first["read"] = time.monotonic() - killed
        n += 1
        write = _answer(cluster, writer, "POST", "/collections/m/documents",
                        _doc(f"k{round_}-{n}"))  # fmt: skip
        seen["write"][write] += 1
        if write == "201" and "write" not in first:
            first["write"] = time.monotonic() - killed
        time.sleep(0.1)
    back = time.monotonic()
    cluster.start_node(old)
    rejoined = time.monotonic() - back
    return {"old_leader": old, "first": first, "seen": {k: dict(v) for k, v in seen.items()},
            "killed_node_rejoined_s": rejoined}  # fmt: skip


def measure_follower_restart(cluster: TypesenseCluster, writes: int = 200) -> dict[str, Any]:
    """Stop a follower, write ``writes`` documents, start it: until healthy, until caught up."""
    down = cluster.followers()[0]
    stopped = time.monotonic()
    status = cluster.stop(down)
    stop_s = time.monotonic() - stopped
    leader = cluster.leader()
    lines = "\n".join(json.dumps(_doc(f"while-down-{down}-{n}")) for n in range(writes))
    # The import endpoint takes JSON lines, not one JSON body: through urllib directly.
    import urllib.request

    request = urllib.request.Request(
        cluster.nodes[leader].url + "/collections/m/documents/import?action=upsert",
        data=lines.encode(), method="POST", headers={"X-TYPESENSE-API-KEY": cluster.api_key},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
    target = _count(cluster, leader)
    started = time.monotonic()
    cluster.start_node(down, wait=False)
    answers: Counter[str] = Counter()
    healthy_s = caught_up_s = None
    while caught_up_s is None and time.monotonic() - started < 90:
        if healthy_s is None and cluster.healthy(down):
            healthy_s = time.monotonic() - started
        answers[_answer(cluster, down, "GET", "/collections/m")] += 1
        if _count(cluster, down) == target:
            caught_up_s = time.monotonic() - started
        time.sleep(0.1)
    return {"node": down, "sigterm_exit": status, "stop_s": stop_s, "healthy_s": healthy_s,
            "caught_up_s": caught_up_s, "documents": target,
            "answers_while_starting": dict(answers)}  # fmt: skip


def measure_disk_full(root: Path, role: str, threshold: int | None) -> dict[str, Any]:
    """Fill the disk of the leader or of a follower (every node is on a tmpfs), then
    write through that node and through another; with ``threshold``, every node runs
    with --disk-used-max-percentage and the fill stops 10 % short of full."""
    extra = ["--disk-used-max-percentage", str(threshold)] if threshold else []
    cluster = TypesenseCluster(root, extra_args=extra)
    for i in range(cluster.size):
        cluster.use_tmpfs(i, TMPFS)
    try:
        cluster.start()
        _setup(cluster)
        time.sleep(1)
        full = cluster.leader() if role == "leader" else cluster.followers()[0]
        other = next(i for i in range(cluster.size) if i not in (full, cluster.leader()))
        total = 64 << 20
        cluster.fill_disk(full, leave=total // 10 if threshold else 0)
        if threshold:
            time.sleep(12)  # Typesense re-reads disk usage every few seconds
        out: dict[str, Any] = {"role": role, "threshold": threshold, "full": full, "other": other}
        steps = []
        for n in range(3):
            via_other = _answer(cluster, other, "POST", "/collections/m/documents",
                                _doc(f"other-{n}", BIG), timeout=5.0)  # fmt: skip
            via_full = _answer(cluster, full, "POST", "/collections/m/documents",
                               _doc(f"full-{n}", BIG), timeout=5.0)  # fmt: skip
            steps.append({"via_full": via_full, "via_other": via_other,
                          "states": cluster.states()})  # fmt: skip
            time.sleep(1)
        out["writes"] = steps
        out["read_on_full"] = _answer(cluster, full, "GET", SEARCH)
        out["health_of_full"] = _answer(cluster, full, "GET", "/health")
        out["counts"] = {i: _count(cluster, i) for i in range(cluster.size)}
        out["errors_logged"] = [line[line.find("]") + 2 :] for line in cluster.log_errors(full, 6)]
        cluster.free_disk(full)
        time.sleep(3)
        out["counts_after_free"] = {i: _count(cluster, i) for i in range(cluster.size)}
        stopping = time.monotonic()
        out["sigterm_exit"] = cluster.stop(full, timeout=20)
        out["stop_s"] = round(time.monotonic() - stopping, 1)
        cluster.start_node(full)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(set(_count(cluster, i) for i in range(3))) > 1:
            time.sleep(0.2)
        out["counts_after_restart"] = {i: _count(cluster, i) for i in range(cluster.size)}
        return out
    finally:
        cluster.stop_all()


def _faults(root: Path, kills: int, restarts: int) -> dict[str, Any]:
    """Start time, ``kills`` leader kills, ``restarts`` follower restarts, with medians."""
    cluster, start_s = measure_start(root)
    results: dict[str, Any] = {"start_s": start_s}
    try:
        _setup(cluster)
        results["leader_kills"] = [measure_leader_kill(cluster, r) for r in range(kills)]
        results["follower_restarts"] = [measure_follower_restart(cluster) for _ in range(restarts)]
    finally:
        cluster.stop_all()
    for key in ("leader", "read", "write"):
        values = [k["first"][key] for k in results["leader_kills"] if key in k["first"]]
        results[f"median_{key}_after_kill_s"] = statistics.median(values) if values else None
    for key in ("healthy_s", "caught_up_s"):
        values = [r[key] for r in results["follower_restarts"] if r[key] is not None]
        results[f"median_follower_{key}"] = statistics.median(values) if values else None
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--restarts", type=int, default=3)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--skip-disk", action="store_true")
    parser.add_argument("--only-disk", action="store_true")
    args = parser.parse_args()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        if not args.only_disk:
            results.update(_faults(Path(tmp) / "faults", args.kills, args.restarts))
        if not args.skip_disk:
            results["disk_full"] = [
                measure_disk_full(Path(tmp) / f"disk-{role}-{threshold}", role, threshold)
                for role in ("follower", "leader")
                for threshold in (None, 80)
            ]
    text = json.dumps(results, indent=1, default=str)
    if args.json:
        args.json.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
