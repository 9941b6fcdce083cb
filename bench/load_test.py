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
import json
import os
import platform
import random
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from serving import Client, Request, Server, Tally, get_json, percentile, run_clients, shared_budget

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


def expected(kind: str, status: int) -> bool:
    return status in EXPECTED.get(kind, {200})


def discover(host: str, port: int, max_page: int) -> Target:
    """Facet values from /api/stats and document ids from a few searches."""
    status, stats = get_json(port, "/api/stats", host=host)
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
        status, body = get_json(port, "/api/search?" + _q({"q": word, "per_page": 20}), host=host)
        if status == 200:
            target.doc_ids.extend(hit["id"] for hit in body["hits"])
    target.doc_ids = sorted(set(target.doc_ids))
    return target


def summarize(tallies: list[Tally], seconds: float, clients: int) -> dict[str, Any]:
    total = Tally.merged(tallies)
    every = total.sorted_latencies()
    responses = len(every)
    server_errors = sum(n for status, n in total.statuses.items() if status >= 500)
    return {
        "clients": clients,
        "seconds": round(seconds, 2),
        "requests": responses + sum(total.errors.values()),
        "responses": responses,
        "throughput_rps": round(responses / seconds, 1) if seconds else 0.0,
        "latency_ms": {
            "p50": round(percentile(every, 0.50) * 1000, 1),
            "p95": round(percentile(every, 0.95) * 1000, 1),
            "p99": round(percentile(every, 0.99) * 1000, 1),
            "max": round((every[-1] if every else 0.0) * 1000, 1),
        },
        "by_kind": {
            kind: {
                "count": len(values),
                "p50_ms": round(percentile(sorted(values), 0.50) * 1000, 1),
                "p95_ms": round(percentile(sorted(values), 0.95) * 1000, 1),
            }
            for kind, values in sorted(total.latencies.items())
        },
        "statuses": {str(k): v for k, v in sorted(total.statuses.items())},
        "errors": dict(total.errors),
        "server_errors": server_errors,
        "unexpected": dict(total.unexpected),
        "failed": sum(total.errors.values()) + server_errors + sum(total.unexpected.values()),
        "examples": total.examples[:10],
    }


def _mix(target: Target, seed: int) -> Callable[[], Request]:
    """One client's own random draw from the mix."""
    rng = random.Random(seed)
    return lambda: request_mix(target, rng)


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
    deadline = time.monotonic() + duration
    budget = shared_budget(max_requests)
    workers = [
        Client(
            port, _mix(target, seed + n), deadline, budget, host=host, timeout=timeout,
            expected=expected, headers={"Accept": "*/*"},
        )
        for n in range(clients)
    ]  # fmt: skip
    seconds = run_clients(workers, join_timeout=duration + timeout + 30)
    summary = summarize([w.tally for w in workers], seconds, clients)
    summary["documents_in_mix"] = len(target.doc_ids)
    summary["load_average"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    return summary


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
        try:
            server = Server(index, args.workers, args.server_log)
        except RuntimeError as error:
            raise SystemExit(str(error)) from None
        host, port = "127.0.0.1", server.port
    try:
        summary = run_load(
            host, port, clients=args.clients, duration=args.duration,
            max_requests=args.max_requests, max_page=args.max_page, seed=args.seed,
            timeout=args.timeout,
        )  # fmt: skip
        status, health = get_json(port, "/api/health", host=host)
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
