"""Completion latency: GET /api/suggest's engine call over many typed prefixes.

    python bench/suggest.py                       # the 36k news corpus from ../shared/data
    python bench/suggest.py --index var/index     # an index already built
    python bench/suggest.py --write               # also rewrite the section in RESULTS.md

Builds (or opens) a Dossier index, then times ``SearchService.complete`` —
what the route calls — on prefixes made from the corpus with a fixed seed:
every length from one letter to the whole word of words sampled from titles,
two-word prefixes ("oil pri"), and the issue's cross-script examples. The
first call builds the generation's completions (in a child process) and is
reported apart; the others are timed over several rounds and summarised as
p50/p95/p99/max. The retained size of the completions is the serving
process's resident memory before and after that first call.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import resource
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_corpus import DEFAULT_DATA, read_records, write_jsonl  # noqa: E402

from indexer import SearchService, build_index  # noqa: E402

MARKER = "<!-- Everything below is written by bench/suggest.py. -->"
EXAMPLES = ["Staatssich", "Нагиe", "Nagi", "Naghiy", "oil pri", "bank of ", "Wall st", "Regier"]
SEED = 13


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def prefixes(service: SearchService, count: int) -> list[str]:
    """Prefixes of title words and two-word prefixes, sampled with a fixed seed."""
    rng = random.Random(SEED)
    with service.manager.acquire() as generation:
        reader = generation.searcher().reader()
        docnums = list(reader.all_doc_ids())
        titles = [
            reader.stored_fields(d).get("title") or ""
            for d in rng.sample(docnums, min(600, len(docnums)))
        ]
    words = [w for t in titles for w in re.findall(r"\w{3,}", t) if not w.isdigit()]
    out = list(EXAMPLES)
    for word in rng.sample(words, min(count, len(words))):
        out += [word[:n] for n in range(1, len(word) + 1)]
    for title in titles[:200]:
        pair = re.findall(r"\w+", title)[:2]
        if len(pair) == 2 and len(pair[1]) >= 3:
            out.append(f"{pair[0]} {pair[1][: rng.randint(1, len(pair[1]))]}")
    return out


def time_related(service: SearchService, count: int = 100) -> dict[str, float]:
    """Related articles of ``count`` articles sampled with the seed: first view, then again."""
    with service.manager.acquire() as generation:
        reader = generation.searcher().reader()
        docnums = random.Random(SEED).sample(list(reader.all_doc_ids()), count)
        ids = [reader.stored_fields(d)["id"] for d in docnums]
    out = {}
    for view in ("first", "again"):
        timings = []
        for doc_id in ids:
            started = time.perf_counter()
            service.related(doc_id)
            timings.append((time.perf_counter() - started) * 1000)
        timings.sort()
        out[f"{view} p50"] = timings[len(timings) // 2]
        out[f"{view} p95"] = timings[int(len(timings) * 0.95)]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, help="an existing index (else one is built)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--work", type=Path, default=HERE.parent / "var" / "bench-suggest")
    parser.add_argument(
        "--words", type=int, default=300, help="title words whose prefixes are typed"
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="rewrite the section in RESULTS.md")
    args = parser.parse_args()

    index = args.index
    if index is None:
        index = args.work / "index"
        if not (index / "CURRENT").exists():
            records = list(read_records(args.data))
            corpus = write_jsonl(records, args.work / "news.jsonl")
            started = time.perf_counter()
            build_index([corpus], index, rebuild=True)
            print(f"built {len(records):,} articles in {time.perf_counter() - started:.0f} s")
    service = SearchService(index)
    documents = service.stats().documents
    before = _rss_mb()
    started = time.perf_counter()
    service.complete("a")
    first = time.perf_counter() - started
    retained = _rss_mb() - before
    typed = prefixes(service, args.words)
    timings: list[float] = []
    empty = 0
    for _ in range(args.rounds):
        for text in typed:
            started = time.perf_counter()
            found = service.complete(text)
            timings.append((time.perf_counter() - started) * 1000)
            empty += not found
    timings.sort()
    quantile = statistics.quantiles(timings, n=100, method="inclusive")
    shown = {q: [c.text for c in service.complete(q)[:3]] for q in EXAMPLES}
    related_ms = time_related(service)
    service.close()

    load = os.getloadavg()[0]
    lines = [
        MARKER,
        "",
        "## Completions (`GET /api/suggest`, `bench/suggest.py`)",
        "",
        f"- **Date**: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; **command**: "
        f"`python bench/suggest.py{' --index …' if args.index else ''}`; machine "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, load average "
        f"{load:.2f} at the end (shared with other jobs: noisy)",
        f"- **Index**: {documents:,} articles; {len(typed):,} typed prefixes × {args.rounds} "
        f"rounds = {len(timings):,} calls of `SearchService.complete` (what the route calls); "
        f"{empty / len(timings):.0%} of them had nothing to offer",
        f"- **First call** (builds this generation's completions in a child process): "
        f"{first:.1f} s; the serving process grew by {retained:.0f} MB holding them",
        "",
        "| p50 ms | p95 ms | p99 ms | max ms | mean ms |",
        "|---:|---:|---:|---:|---:|",
        f"| {quantile[49]:.3f} | {quantile[94]:.3f} | {quantile[98]:.3f} | {timings[-1]:.2f} | "
        f"{statistics.fmean(timings):.3f} |",
        "",
        f"Related articles (`SearchService.related`, the document page's list) of "
        f"100 sampled articles: first view p50 {related_ms['first p50']:.1f} ms, p95 "
        f"{related_ms['first p95']:.1f} ms; seen again (remembered per generation) p50 "
        f"{related_ms['again p50']:.2f} ms.",
        "",
        "What the issue's examples are offered first:",
        "",
        *[f"- `{q}` → " + "; ".join(texts) for q, texts in shown.items()],
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.write:
        results = HERE / "RESULTS.md"
        current = results.read_text(encoding="utf-8")
        kept = current.split(MARKER, 1)[0].rstrip("\n")
        results.write_text(f"{kept}\n\n{text}", encoding="utf-8")


if __name__ == "__main__":
    main()
