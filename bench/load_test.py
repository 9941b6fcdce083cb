"""Load test: N concurrent clients against a Dossier server on 127.0.0.1 for a fixed time.

Why: a search service is trusted when it keeps answering under load. This
script measures throughput, latency percentiles and error counts with a
realistic request mix (multilingual words, phrases, prefixes, filters,
newest-first, deep pages, document pages, the HTML page), and exits 1 when
any request failed (connection error, time-out, 5xx or an unexpected status),
so a test or CI can use it as a smoke check.

    python bench/load_test.py run --index var/index --clients 32 --duration 60
    python bench/load_test.py run --url http://127.0.0.1:8000 --clients 32 --duration 60
    python bench/load_test.py prepare-big   # the combined benchmark corpus and its index

``run --index`` starts ``dossier serve`` itself on a free 127.0.0.1 port (gunicorn,
the same as ``make run``) and stops it afterwards; ``--url`` must point at
127.0.0.1/localhost. Every loop is bounded by ``--duration`` and ``--max-requests``.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
BIG_SETS = ("reuters21578", "bbc_news", "agnews_test", "gnad10k_test", "ttc3600")
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}

# Words in each supported language, common in news (so most find something in
# the benchmark corpora) plus the bundled corpus' own names.
WORDS = (
    "security", "market", "oil", "government", "bank", "election", "football", "prices",
    "Regierung", "Wirtschaft", "Polizei", "Fußball", "Unternehmen", "Sicherheitsdienst",
    "безопасности", "служба", "Москва", "форум",
    "ekonomi", "futbol", "hükümet", "güvenlik", "Türkiye",
    "təhlükəsizlik", "Bakı", "Nagiyev", "Нагиев", "Naghiyev", "Azerbaijan", "forum",
)  # fmt: skip
PHRASES = (
    '"security service"', '"oil prices"', '"prime minister"', '"interest rates"',
    '"Baku Security Forum"', '"Europäische Union"', '"Devlet Güvenlik"',
)  # fmt: skip
PREFIXES = ("secur*", "Regier*", "ekonom*", "elect*", "Azerb*", "безопас*", "footb*")
COMBOS = (
    "oil OR gas", "bank -interest", "security forum", "Nagiyev~", "title:forum",
    "market NOT stocks", "government election", "Polizei Berlin",
)  # fmt: skip


@dataclass(slots=True)
class Target:
    """What the mix can ask for: facet values and document ids seen on the server."""

    languages: list[str] = field(default_factory=list)
    years: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    organizations: list[str] = field(default_factory=list)
    doc_ids: list[str] = field(default_factory=list)
    max_page: int = 100


@dataclass(slots=True)
class Tally:
    """One client's counts; merged at the end so clients share no lock."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    unexpected: Counter = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)


def _q(params: dict[str, Any]) -> str:
    return urllib.parse.urlencode(params, doseq=True)


def request_mix(target: Target, rng: random.Random) -> tuple[str, str]:
    """One request (kind, path) drawn from the mix; weights sum to 100."""
    roll = rng.randrange(100)
    word = rng.choice(WORDS)
    if roll < 25:
        return "word", "/api/search?" + _q({"q": word})
    if roll < 33:
        return "phrase", "/api/search?" + _q({"q": rng.choice(PHRASES)})
    if roll < 41:
        return "prefix", "/api/search?" + _q({"q": rng.choice(PREFIXES)})
    if roll < 49:
        return "combo", "/api/search?" + _q({"q": rng.choice(COMBOS)})
    if roll < 61:
        params: dict[str, Any] = {"q": word} if rng.random() < 0.5 else {}
        choices = [
            ("lang", target.languages),
            ("year", target.years),
            ("source", target.sources),
            ("org", target.organizations),
        ]
        name, values = rng.choice([c for c in choices if c[1]] or [("lang", ["en"])])
        params[name] = rng.choice(values)
        return "filter", "/api/search?" + _q(params)
    if roll < 69:
        return "sort_date", "/api/search?" + _q({"q": word, "sort": "date", "per_page": 20})
    if roll < 77:
        page = rng.randint(2, target.max_page)
        return "deep_page", "/api/search?" + _q({"q": word, "page": page})
    if roll < 87 and target.doc_ids:
        doc_id = urllib.parse.quote(rng.choice(target.doc_ids), safe="/:")
        prefix = "/api/documents/" if rng.random() < 0.5 else "/documents/"
        return "document", f"{prefix}{doc_id}?" + _q({"q": word})
    if roll < 95:
        return "html_search", "/?" + _q({"q": word, "page": rng.randint(1, 3)})
    return "facets_only", "/api/search?" + _q({"lang": rng.choice(target.languages or ["en"])})


# Statuses a request of the mix may legitimately get: a prefix that expands to
# too many words is refused with a clear 400 by design (README, Query syntax).
EXPECTED = {"prefix": {200, 400}}


class Client(threading.Thread):
    """One simulated user on one keep-alive connection, until the deadline."""

    def __init__(
        self,
        host: str,
        port: int,
        target: Target,
        deadline: float,
        budget: Callable[[], bool],
        seed: int,
        timeout: float,
    ) -> None:
        super().__init__(daemon=True)
        self.host, self.port = host, port
        self.target = target
        self.deadline = deadline
        self.budget = budget
        self.rng = random.Random(seed)
        self.timeout = timeout
        self.tally = Tally()
        self.conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self.conn

    def run(self) -> None:
        while time.monotonic() < self.deadline and self.budget():
            kind, path = request_mix(self.target, self.rng)
            started = time.perf_counter()
            try:
                conn = self._connection()
                conn.request("GET", path, headers={"Accept": "*/*"})
                response = conn.getresponse()
                response.read()
                status = response.status
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
                    self.conn = None
            except (OSError, http.client.HTTPException) as error:
                self.tally.errors[type(error).__name__] += 1
                if len(self.tally.examples) < 5:
                    self.tally.examples.append(f"{type(error).__name__}: {error} on {path}")
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
                continue
            self.tally.latencies[kind].append(time.perf_counter() - started)
            self.tally.statuses[status] += 1
            if status not in EXPECTED.get(kind, {200}):
                self.tally.unexpected[f"{kind} {status}"] += 1
                if len(self.tally.examples) < 5:
                    self.tally.examples.append(f"{status} on {path}")
        if self.conn is not None:
            self.conn.close()


def _get_json(host: str, port: int, path: str, timeout: float = 30) -> tuple[int, Any]:
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
        try:
            return response.status, json.loads(body)
        except ValueError:
            return response.status, None
    finally:
        conn.close()


def discover(host: str, port: int, max_page: int) -> Target:
    """Facet values from /api/stats and document ids from a few searches."""
    status, stats = _get_json(host, port, "/api/stats")
    if status != 200:
        raise SystemExit(f"GET /api/stats answered {status}: is the index built?")
    target = Target(
        languages=list(stats["languages"]),
        years=list(stats["years"])[:30],
        sources=list(stats["sources"])[:30],
        organizations=list(stats["organizations"])[:30],
        max_page=max_page,
    )
    for word in WORDS:
        status, body = _get_json(host, port, "/api/search?" + _q({"q": word, "per_page": 20}))
        if status == 200:
            target.doc_ids.extend(hit["id"] for hit in body["hits"])
    target.doc_ids = sorted(set(target.doc_ids))
    return target


def _percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def summarize(tallies: list[Tally], seconds: float, clients: int) -> dict[str, Any]:
    latencies: dict[str, list[float]] = defaultdict(list)
    statuses: Counter = Counter()
    errors: Counter = Counter()
    unexpected: Counter = Counter()
    examples: list[str] = []
    for tally in tallies:
        for kind, values in tally.latencies.items():
            latencies[kind].extend(values)
        statuses.update(tally.statuses)
        errors.update(tally.errors)
        unexpected.update(tally.unexpected)
        examples.extend(tally.examples)
    every = sorted(v for values in latencies.values() for v in values)
    responses = len(every)
    server_errors = sum(n for status, n in statuses.items() if status >= 500)
    return {
        "clients": clients,
        "seconds": round(seconds, 2),
        "requests": responses + sum(errors.values()),
        "responses": responses,
        "throughput_rps": round(responses / seconds, 1) if seconds else 0.0,
        "latency_ms": {
            "p50": round(_percentile(every, 0.50) * 1000, 1),
            "p95": round(_percentile(every, 0.95) * 1000, 1),
            "p99": round(_percentile(every, 0.99) * 1000, 1),
            "max": round((every[-1] if every else 0.0) * 1000, 1),
        },
        "by_kind": {
            kind: {
                "count": len(values),
                "p50_ms": round(statistics.median(values) * 1000, 1),
                "p95_ms": round(_percentile(sorted(values), 0.95) * 1000, 1),
            }
            for kind, values in sorted(latencies.items())
        },
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "errors": dict(errors),
        "server_errors": server_errors,
        "unexpected": dict(unexpected),
        "failed": sum(errors.values()) + server_errors + sum(unexpected.values()),
        "examples": examples[:10],
    }


def run_load(
    host: str,
    port: int,
    *,
    clients: int,
    duration: float,
    max_requests: int,
    max_page: int,
    seed: int,
    timeout: float,
) -> dict[str, Any]:
    target = discover(host, port, max_page)
    load_before = os.getloadavg()[0]
    lock = threading.Lock()
    issued = [0]

    def budget() -> bool:
        with lock:
            issued[0] += 1
            return issued[0] <= max_requests

    deadline = time.monotonic() + duration
    workers = [
        Client(host, port, target, deadline, budget, seed + n, timeout) for n in range(clients)
    ]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(duration + timeout + 30)
    seconds = time.perf_counter() - started
    summary = summarize([w.tally for w in workers], seconds, clients)
    summary["documents_in_mix"] = len(target.doc_ids)
    summary["load_average"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    return summary


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """``dossier serve`` (gunicorn) in a child process, on a free 127.0.0.1 port."""

    def __init__(self, index: Path, workers: int, log: Path | None) -> None:
        self.port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOSSIER_")}
        env["DOSSIER_RATE_LIMIT"] = "0"
        self.log = open(log or os.devnull, "w")  # noqa: SIM115  # closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "indexer", "serve", "--index", str(index),
             "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(workers)],
            cwd=REPO, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while True:
            try:
                status, _ = _get_json("127.0.0.1", self.port, "/api/health", timeout=5)
                if status == 200:
                    return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SystemExit("the server did not become healthy within 60 s")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def _print_report(summary: dict[str, Any]) -> None:
    lat = summary["latency_ms"]
    print(
        f"{summary['clients']} clients, {summary['seconds']} s: {summary['responses']} responses, "
        f"{summary['throughput_rps']} req/s"
    )
    print(f"latency ms: p50 {lat['p50']}  p95 {lat['p95']}  p99 {lat['p99']}  max {lat['max']}")
    print(f"statuses: {summary['statuses']}  (load average before/after {summary['load_average']})")
    print(
        f"errors: {sum(summary['errors'].values())} {summary['errors'] or ''}  "
        f"5xx: {summary['server_errors']}  unexpected: {summary['unexpected'] or 0}"
    )
    for kind, row in summary["by_kind"].items():
        print(
            f"  {kind:<12} {row['count']:>7}  p50 {row['p50_ms']:>8} ms  p95 {row['p95_ms']:>8} ms"
        )
    for example in summary["examples"]:
        print(f"  e.g. {example}")


def cmd_run(args: argparse.Namespace) -> int:
    server = None
    if args.url:
        parsed = urllib.parse.urlsplit(args.url)
        host, port = parsed.hostname or "", parsed.port or 80
        if host not in LOCAL_HOSTS:
            raise SystemExit(f"{host}: this load test only targets 127.0.0.1 / localhost")
    else:
        index = Path(args.index)
        if not (index / "CURRENT").exists():
            raise SystemExit(f"no index at {index}: build one with `dossier index --index {index}`")
        server = Server(index, args.workers, args.server_log)
        host, port = "127.0.0.1", server.port
    try:
        summary = run_load(
            host, port, clients=args.clients, duration=args.duration,
            max_requests=args.max_requests, max_page=args.max_page, seed=args.seed,
            timeout=args.timeout,
        )  # fmt: skip
        status, health = _get_json(host, port, "/api/health")
        summary["health_after"] = status
        summary["documents"] = (health or {}).get("documents")
    finally:
        if server is not None:
            server.stop()
    summary.update(
        date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        machine=f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        command=" ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        workers=None if args.url else args.workers,
    )
    _print_report(summary)
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    ok = summary["failed"] == 0 and summary["health_after"] == 200
    return 0 if ok else 1


def _records(dataset: Path) -> Iterator[dict[str, Any]]:
    """The records of one data set; ttc3600 and others are plain, reuters21578 is gzipped."""
    plain, packed = dataset / "docs.jsonl", dataset / "docs.jsonl.gz"
    if plain.exists():
        with plain.open(encoding="utf-8") as handle:
            yield from (json.loads(line) for line in handle if line.strip())
    elif packed.exists():
        with gzip.open(packed, "rt", encoding="utf-8") as handle:
            yield from (json.loads(line) for line in handle if line.strip())
    else:
        raise SystemExit(f"{dataset}: neither docs.jsonl nor docs.jsonl.gz")


def cmd_prepare_big(args: argparse.Namespace) -> int:
    """Write the benchmark corpora as one JSONL per set (ids made unique) and index them."""
    out = Path(args.out)
    corpus = out / "big-corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    total = 0
    for name in BIG_SETS:
        count = 0
        with (corpus / f"{name}.jsonl").open("w", encoding="utf-8") as handle:
            for record in _records(Path(args.data) / name):
                record.pop("meta", None)
                record["id"] = f"{name}:{record.get('id') or count}"
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
                count += 1
        print(f"{name}: {count} records", flush=True)
        total += count
    print(f"{total} records in {corpus}; indexing (several minutes)…", flush=True)
    index = out / "big-index"
    started = time.perf_counter()
    code = subprocess.call(
        [sys.executable, "-m", "indexer", "index", str(corpus), "--index", str(index), "--rebuild"],
        cwd=REPO,
    )
    print(f"indexed in {time.perf_counter() - started:.0f} s (exit {code}): {index}", flush=True)
    return 0 if code in (0, 1) else code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the load test")
    run.add_argument("--index", default="var/index", help="index to serve (default var/index)")
    run.add_argument("--url", help="an already running server on 127.0.0.1 instead")
    run.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    run.add_argument("--clients", type=int, default=32)
    run.add_argument("--duration", type=float, default=60.0, help="seconds (default 60)")
    run.add_argument("--max-requests", type=int, default=1_000_000, help="hard request cap")
    run.add_argument("--max-page", type=int, default=100, help="deepest page in the mix")
    run.add_argument("--timeout", type=float, default=60.0, help="seconds per request")
    run.add_argument("--seed", type=int, default=1)
    run.add_argument("--json", help="also write the figures to this file")
    run.add_argument("--server-log", type=Path, help="gunicorn's output (default: discarded)")
    run.set_defaults(func=cmd_run)
    prep = sub.add_parser("prepare-big", help="index the combined benchmark corpora")
    prep.add_argument("--data", default=str(DATA), help=f"data sets (default {DATA})")
    prep.add_argument("--out", default="var/load", help="output directory (default var/load)")
    prep.set_defaults(func=cmd_prepare_big)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
