"""Whoosh against a 3-node Typesense cluster in one run (issue 16): which to run, and when.

    python bench/cluster.py                  # 20,000 generated articles; `make bench-cluster`
    python bench/cluster.py --articles 2000 --seconds 5 --rounds 1

One generated corpus (``generate.py``, from the shared data when present) is
indexed into a Whoosh index and into a fresh 3-node cluster started by
``tests/cluster/harness.py``, both through ``indexer.cluster.backend`` as
``dossier index`` does, and timed. Both are then served by a real
``dossier serve`` (gunicorn; the cluster also with more threads per worker,
since its workers wait on the network) and loaded with the same JSON API query
mix at each client count, round after round (Whoosh, cluster, Whoosh, cluster
...), so a burst of load from other jobs on the machine falls on both. The CPU
each part used (indexing process, gunicorn, nodes, clients; from /proc) is
recorded too: on a shared machine it is steadier than wall time.

A cluster backend may refuse words with ``*``, ``?`` or ``~`` (501, documented;
later versions expand them): the queries it refuses leave the load mix of both
engines; every other answer must be a 200. Totals are compared query by query
(phrases may differ: the cluster matches a phrase's words anywhere).
Everything runs on this one machine, cluster nodes included: the figures say
what the cluster costs here, not what three machines would give.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/ is not a package
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))  # tests.cluster.harness

import generate
from bench_corpus import DEFAULT_DATA
from queries import MIX, Query, pieces
from serving import Server, get_json
from webload import load

from indexer.cluster.backend import index_articles
from tests.cluster.harness import SERVER_VERSION, TypesenseCluster

ENGINES = ("whoosh", "typesense")
EXPANSIONS = ("*", "?", "~")  # words the cluster refuses (501)


def log(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


def load_average() -> float:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0


def refused(query: Query) -> bool:
    """Whether the cluster refuses the query: a word with ``*``, ``?`` or ``~``."""
    return any(
        kind == "prefix" or any(c in value for c in EXPANSIONS)
        for kind, value in pieces(query.text)
    )


def split_mix(
    mix: Sequence[Query], rows: Sequence[Mapping[str, Any]]
) -> tuple[list[Query], list[Query]]:
    """(kept, dropped): the queries both engines answered, and those the cluster refused as
    documented (``refused``, from ``totals``), which leave the load mix of both engines.
    Asked, not assumed: a cluster backend that expands such words keeps them all."""
    dropped = {row["name"] for row in rows if row["verdict"] == "refused"}
    return [q for q in mix if q.name not in dropped], [q for q in mix if q.name in dropped]


# --- CPU -------------------------------------------------------------------------

Pids = Callable[[], list[int]]
TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of one process, every thread (0 when it is gone)."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    return 0.0


def own_cpu_s() -> float:
    """This process (every thread) and its waited-for children, e.g. Whoosh's writers."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def machine_ticks() -> tuple[int, int]:
    """(busy, all) CPU ticks of the whole machine since boot (/proc/stat)."""
    with contextlib.suppress(OSError, ValueError):
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = values[3] + (values[4] if len(values) > 4 else 0)
        return sum(values) - idle, sum(values)
    return 0, 0


@contextlib.contextmanager
def cpu_used(groups: Mapping[str, Pids]) -> Iterator[dict[str, float]]:
    """CPU seconds each group of processes (and this one, ``bench``) used inside the block,
    and the whole machine's busy share (``machine_busy``, 0-1): other jobs' load shows there.
    On a shared machine CPU per request or per document is steadier than wall time."""
    pids = {name: pids_of() for name, pids_of in groups.items()}

    def now() -> dict[str, float]:
        out = {name: sum(process_cpu_s(pid) for pid in ids) for name, ids in pids.items()}
        out["bench"] = own_cpu_s()
        return out

    before, (busy, total) = now(), machine_ticks()
    out: dict[str, float] = {}
    yield out
    after, (busy_after, total_after) = now(), machine_ticks()
    out.update({name: after[name] - before[name] for name in before})
    out["machine_busy"] = (busy_after - busy) / max(1, total_after - total)


# --- indexing -------------------------------------------------------------------


def index_once(
    corpus: Path, index_dir: Path, environ: Mapping[str, str], rebuild: bool, nodes: Pids
) -> dict:
    """One timed ``dossier index`` of the corpus into the backend ``environ`` names, with
    the CPU seconds it took here (``bench``: this process and its writers) and in the nodes."""
    with cpu_used({"nodes": nodes}) as cpu:
        started = time.perf_counter()
        report = index_articles([corpus], index_dir, rebuild=rebuild, environ=environ)
        seconds = time.perf_counter() - started
    if not report.ok:
        raise RuntimeError(f"indexing failed: {[str(p) for p in report.errors][:3]}")
    documents = report.added + report.updated
    return {
        "documents": documents, "seconds": seconds, "docs_per_s": documents / seconds,
        "cpu_s": dict(cpu),
    }  # fmt: skip


def indexing(
    corpus: Path, work: Path, cluster_env: Mapping[str, str], runs: int, nodes: Pids
) -> dict:
    """``runs`` builds per engine, alternating; the Whoosh index of the last run is kept."""
    out: dict[str, list[dict]] = {engine: [] for engine in ENGINES}
    for run in range(runs):
        for engine in ENGINES:
            if engine == "whoosh":
                index_dir = work / f"whoosh-{run}"
                if run:
                    shutil.rmtree(work / f"whoosh-{run - 1}", ignore_errors=True)
                result = index_once(corpus, index_dir, {}, rebuild=False, nodes=nodes)
            else:  # a later run fills a new collection and moves the alias (--rebuild)
                result = index_once(
                    corpus, work / "no-index", cluster_env, rebuild=run > 0, nodes=nodes
                )
            result["load_average"] = load_average()
            log(
                f"  index {engine} run {run + 1}: {result['documents']:,} docs in "
                f"{result['seconds']:.1f} s = {result['docs_per_s']:.0f} docs/s "
                f"(load {result['load_average']:.1f}; CPU s here "
                f"{result['cpu_s']['bench']:.0f}, nodes {result['cpu_s']['nodes']:.0f}, "
                f"machine busy {result['cpu_s']['machine_busy']:.0%})"
            )
            out[engine].append(result)
    return {"runs": out, "whoosh_index": str(work / f"whoosh-{runs - 1}")}


# --- answers ----------------------------------------------------------------------


def totals(ports: Mapping[str, int], mix: Sequence[Query]) -> list[dict]:
    """Every query of the whole mix on both engines: status, total, what was not honoured."""
    rows = []
    for query in mix:
        row: dict[str, Any] = {"name": query.name, "text": query.text, "url": query.url()}
        for engine in ENGINES:
            status, body = get_json(ports[engine], query.url())
            answer = body if isinstance(body, dict) else {}
            row[engine] = {
                "status": status,
                "total": answer.get("total"),
                "not_honoured": answer.get("not_honoured", []),
                "backend": answer.get("backend"),
            }
        row["verdict"] = verdict(query, row)
        rows.append(row)
    return rows


def verdict(query: Query, row: Mapping[str, Any]) -> str:
    """``same``, ``refused`` (a 501 the design expects), ``phrase`` (allowed to differ),
    or ``MISMATCH`` (a difference nothing documents: a bug to report)."""
    whoosh, cluster = row["whoosh"], row["typesense"]
    if whoosh["status"] != 200:
        return "MISMATCH"
    if cluster["status"] == 501 and refused(query):
        return "refused"
    if cluster["status"] != 200:
        return "MISMATCH"
    if whoosh["total"] == cluster["total"]:
        return "same"
    if "phrase-order" in cluster["not_honoured"] and cluster["total"] >= whoosh["total"]:
        return "phrase"
    return "MISMATCH"


# --- load -------------------------------------------------------------------------


def load_rounds(
    servers: Mapping[str, Server], nodes: Pids, mix: Sequence[Query], clients: Sequence[int],
    seconds: float, rounds: int,
) -> list[dict]:  # fmt: skip
    """Round after round, each engine at every client count in turn (A/B/A/B), with the
    CPU each part used per request: the clients, the engine's gunicorn, the nodes."""
    runs = []
    for round_ in range(rounds):
        for engine, server in servers.items():
            for count in clients:
                before = load_average()
                groups = {"gunicorn": lambda s=server: [s.process.pid, *s.workers()],
                          "nodes": nodes}  # fmt: skip
                with cpu_used(groups) as cpu:
                    result = load(server.port, count, seconds, mix)
                answered = max(1, result["requests"])
                result.update(
                    engine=engine, round=round_ + 1, load_average=before,
                    machine_busy=cpu["machine_busy"],
                    cpu_ms_per_request={
                        part: 1000 * cpu[part] / answered for part in ("bench", *groups)
                    },
                )  # fmt: skip
                per = result["cpu_ms_per_request"]
                log(
                    f"  round {round_ + 1} {engine:>13} {count:>2} clients: {result['rps']:.1f} "
                    f"req/s, p50 {result['p50_ms']:.1f} p95 {result['p95_ms']:.1f} p99 "
                    f"{result['p99_ms']:.1f} ms, {result['errors']} errors (load {before:.1f}, "
                    f"machine busy {cpu['machine_busy']:.0%}; CPU ms/request: gunicorn "
                    f"{per['gunicorn']:.1f}, nodes {per['nodes']:.1f}, clients {per['bench']:.1f})"
                )
                runs.append(result)
    return runs


def summarise(runs: Sequence[Mapping[str, Any]]) -> dict[str, dict[int, dict]]:
    """Per engine and client count: medians over the rounds, errors summed."""
    out: dict[str, dict[int, dict]] = {}
    for engine in dict.fromkeys(run["engine"] for run in runs):
        by_clients: dict[int, list[Mapping[str, Any]]] = {}
        for run in runs:
            if run["engine"] == engine:
                by_clients.setdefault(run["clients"], []).append(run)
        out[engine] = {
            count: {
                "rounds": len(group),
                "requests": sum(r["requests"] for r in group),
                "errors": sum(r["errors"] for r in group),
                **{
                    key: statistics.median(r[key] for r in group)
                    for key in ("rps", "p50_ms", "p95_ms", "p99_ms", "machine_busy")
                },
                "cpu_ms_per_request": {
                    part: statistics.median(r["cpu_ms_per_request"][part] for r in group)
                    for part in group[0]["cpu_ms_per_request"]
                },
            }
            for count, group in sorted(by_clients.items())
        }
    return out


def resident_mb(pid: int | None) -> float:
    if pid is None:
        return 0.0
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


# --- the run ----------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict:
    work: Path = args.work
    results: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "python bench/cluster.py " + " ".join(sys.argv[1:]),
        "machine": {
            "cpus": os.cpu_count(),
            "system": f"{platform.system()} {platform.release()}",
            "python": platform.python_version(),
            "typesense_server": SERVER_VERSION,
            "load_average_start": load_average(),
        },
        "settings": {
            key: getattr(args, key)
            for key in ("articles", "seconds", "clients", "rounds", "index_runs", "workers")
        },
    }
    started = time.perf_counter()
    corpus = work / "corpus" / "news.jsonl"
    log(f"generating {args.articles:,} articles into {corpus} …")
    generate.write(args.articles, corpus, data=args.data, seed=args.seed, prefix="cluster")
    results["corpus"] = {"articles": args.articles, "bytes": corpus.stat().st_size}

    cluster = TypesenseCluster(work / "cluster")
    with contextlib.ExitStack() as stack:
        log("starting a 3-node Typesense cluster …")
        stack.callback(cluster.stop_all)
        cluster_started = time.perf_counter()
        cluster.start()
        results["cluster_start_s"] = time.perf_counter() - cluster_started
        env = cluster.environment()

        def nodes() -> list[int]:
            return [node.pid for node in cluster.nodes if node.pid is not None]

        log("indexing …")
        results["indexing"] = indexing(corpus, work, env, args.index_runs, nodes)

        log(f"serving both ({args.workers} gunicorn workers each) …")
        servers = {
            "whoosh": stack.enter_context(
                Server(Path(results["indexing"]["whoosh_index"]), args.workers,
                       log=work / "serve-whoosh.log")
            ),
            "typesense": stack.enter_context(
                Server(work / "no-index", args.workers, log=work / "serve-typesense.log",
                       settings=env)
            ),
        }  # fmt: skip
        if args.cluster_threads > 1:  # its workers wait on the network, not the CPU
            servers[f"typesense-{args.cluster_threads}t"] = stack.enter_context(
                Server(work / "no-index", args.workers, log=work / "serve-threads.log",
                       settings=env, threads=args.cluster_threads)
            )  # fmt: skip
        ports = {engine: server.port for engine, server in servers.items()}

        log("totals, query by query …")
        results["totals"] = totals(ports, MIX)
        for row in results["totals"]:
            if row["verdict"] == "MISMATCH":
                log(f"  MISMATCH {row['name']} {row['text']!r}: {row['whoosh']} {row['typesense']}")
        kept, dropped = split_mix(MIX, results["totals"])
        results["mix"] = {
            "kept": [q.name for q in kept], "dropped": [[q.name, q.text] for q in dropped],
        }  # fmt: skip

        log("warming up …")
        for port in ports.values():
            load(port, max(args.clients), args.warmup, kept)

        log(f"load: {args.rounds} round(s) of {args.clients} clients × {args.seconds:.0f} s …")
        results["runs"] = load_rounds(servers, nodes, kept, args.clients, args.seconds, args.rounds)
        results["summary"] = summarise(results["runs"])
        results["memory_mb"] = {
            **{
                f"{engine} workers": [w["rss_mb"] for w in server.worker_memory_mb()]
                for engine, server in servers.items()
            },
            "typesense nodes": [resident_mb(node.pid) for node in cluster.nodes],
        }
    results["machine"]["load_average_end"] = load_average()
    results["minutes"] = (time.perf_counter() - started) / 60
    return results


# --- the report -------------------------------------------------------------------


def label(engine: str, workers: int) -> str:
    """``typesense-8t`` → "cluster, 2 workers × 8 threads" (the table's words)."""
    name, _, threads = engine.partition("-")
    threads = threads.rstrip("t") or "1"
    plural = "" if threads == "1" else "s"
    served = "Whoosh" if name == "whoosh" else "cluster"
    return f"{served}, {workers} workers × {threads} thread{plural}"


def markdown(results: Mapping[str, Any]) -> str:
    """The RESULTS.md section's figures (the prose around them is written by hand)."""
    lines = []
    m, s = results["machine"], results["settings"]
    lines += [
        f"- **Date**: {results['date']}; **command**: `{results['command'].strip()}` "
        f"({results['minutes']:.1f} min)",
        f"- **Machine**: {m['cpus']} cores, {m['system']}, python {m['python']}, "
        f"typesense-server {m['typesense_server']}; load average {m['load_average_start']:.1f} "
        f"at the start, {m['load_average_end']:.1f} at the end",
        f"- **Corpus**: {results['corpus']['articles']:,} generated articles "
        f"({results['corpus']['bytes'] / 1e6:.1f} MB of JSON Lines); cluster healthy "
        f"{results['cluster_start_s']:.1f} s after its start",
        "",
        "| indexing | runs | seconds | docs/s (median) | CPU s: indexing process, nodes "
        "(median) | machine busy |",
        "|---|---:|---|---:|---:|---:|",
    ]
    for engine in ENGINES:
        runs = results["indexing"]["runs"][engine]
        seconds = ", ".join(f"{r['seconds']:.1f}" for r in runs)
        rate = statistics.median(r["docs_per_s"] for r in runs)
        here = statistics.median(r["cpu_s"]["bench"] for r in runs)
        nodes = statistics.median(r["cpu_s"]["nodes"] for r in runs)
        busy = statistics.median(r["cpu_s"]["machine_busy"] for r in runs)
        lines.append(
            f"| {engine} | {len(runs)} | {seconds} | {rate:,.0f} | {here:.0f}, {nodes:.0f} | "
            f"{busy:.0%} |"
        )
    lines += [
        "",
        f"Load: {s['rounds']} round(s) × {s['seconds']:.0f} s per engine and client count, "
        "medians over the rounds; dropped from the mix for both engines (the cluster "
        "refused them): "
        + (", ".join(f"`{text}` ({name})" for name, text in results["mix"]["dropped"]) or "none")
        + f"; {len(results['mix']['kept'])} queries kept.",
        "",
        "| clients | served by | req/s | ÷ whoosh | p50 ms | p95 ms | p99 ms | requests | errors |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    summary = results["summary"]
    for count in s["clients"]:
        for engine, figures in summary.items():
            f = figures[count]
            ratio = f["rps"] / summary["whoosh"][count]["rps"]
            lines.append(
                f"| {count} | {label(engine, s['workers'])} | {f['rps']:.1f} | {ratio:.2f}× | "
                f"{f['p50_ms']:.1f} | {f['p95_ms']:.1f} | {f['p99_ms']:.1f} | "
                f"{f['requests']:,} | {f['errors']} |"
            )
    lines += [
        "",
        "CPU per request (ms, medians over the rounds) and how busy the whole machine was:",
        "",
        "| clients | served by | gunicorn | typesense nodes | clients | machine busy |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for count in s["clients"]:
        for engine, figures in summary.items():
            f = figures[count]
            cpu = f["cpu_ms_per_request"]
            lines.append(
                f"| {count} | {label(engine, s['workers'])} | {cpu['gunicorn']:.1f} | "
                f"{cpu['nodes']:.1f} | {cpu['bench']:.1f} | {f['machine_busy']:.0%} |"
            )
    lines += [
        "",
        "Resident memory after the runs (MB): "
        + "; ".join(
            f"{name} " + ", ".join(f"{v:.0f}" for v in values)
            for name, values in results["memory_mb"].items()
        )
        + ".",
        "",
        "| query | text | whoosh total | cluster total | verdict |",
        "|---|---|---:|---:|---|",
    ]
    for row in results["totals"]:
        cluster_total = (
            row["typesense"]["total"]
            if row["typesense"]["status"] == 200
            else f"{row['typesense']['status']}"
        )
        text = row["text"].replace("|", "\\|") or "(browse)"
        lines.append(
            f"| {row['name']} | `{text}` | {row['whoosh']['total']} | {cluster_total} | "
            f"{row['verdict']} |"
        )
    return "\n".join(lines) + "\n"


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", type=Path, help="working directory (default: a temporary one)")
    parser.add_argument("--seconds", type=float, default=20.0, help="per engine and client count")
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument(
        "--clients", type=lambda t: [int(n) for n in t.split(",")], default=[1, 8, 32]
    )
    parser.add_argument("--rounds", type=int, default=2, help="A/B rounds of the load")
    parser.add_argument("--index-runs", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per engine")
    parser.add_argument(
        "--cluster-threads", type=int, default=8,
        help="also serve the cluster with this many threads per worker (0: not)",
    )  # fmt: skip
    parser.add_argument("--json", type=Path, help="also write every figure here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    with contextlib.ExitStack() as stack:
        if args.work is None:
            args.work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cluster-")))
        args.work.mkdir(parents=True, exist_ok=True)
        results = run(args)
        if args.json:
            args.json.write_text(json.dumps(results, indent=1, default=str))
        print()
        print(markdown(results))
    mismatches = [row["name"] for row in results["totals"] if row["verdict"] == "MISMATCH"]
    errors = sum(r["errors"] for r in results["runs"])
    if mismatches or errors:
        print(f"not clean: totals differ on {mismatches}; {errors} failed requests")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
