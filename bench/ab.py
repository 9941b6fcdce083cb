"""Before/after: the query mix through two versions of Dossier on the same index, interleaved.

    python bench/ab.py --before /work/main               # the 36k real corpus
    python bench/ab.py --before /work/main --size 300000 # a generated corpus
    python bench/ab.py --size 1000000 --rounds 3         # this version alone (no --before)
    python bench/ab.py --index DIR --rounds 3            # an index built elsewhere

Builds (once, kept under --work) the corpus and an index with *this*
checkout's code, then starts ``worker.py serve dossier`` from this checkout
and, with ``--before``, from another checkout (this interpreter, that checkout first
on ``PYTHONPATH``, e.g. ``git archive main | tar -x -C /tmp/before``), both on
that index (an older version ignores the columnar companions, so both read
the same Whoosh segments), and runs the 32-query mix (facets and snippets on)
alternately, so a shared machine's noise falls on both alike. Prints p50 /
p95 / p99 per side, their ratios, per-query medians, resident memory, and
whether both found the same totals.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run as bench_run
from queries import MIX

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent


class Side(bench_run.QueryWorker):
    def __init__(self, label: str, checkout: Path, index: Path):
        self.engine = label
        self.process = subprocess.Popen(
            [sys.executable, str(checkout / "bench" / "worker.py"), "serve", "dossier", str(index)],
            env={**os.environ, "PYTHONPATH": str(checkout)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=checkout,
        )
        self.opened = self._read()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, default=None, help="the other checkout")
    parser.add_argument("--size", type=int, default=0, help="generated articles (0: real data)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--work", type=Path, default=REPO / "var" / "bench")
    parser.add_argument(
        "--index", type=Path, default=None, help="an index already built (e.g. by stream_memory)"
    )
    args = parser.parse_args(argv)
    settings = bench_run.parse_args(["--work", str(args.work)])
    if args.index is not None:
        if not (args.index / "CURRENT").exists():
            parser.error(f"{args.index} holds no Dossier index (no CURRENT)")
        index = args.index
    elif args.size:
        corpus, orgs = bench_run.prepare_generated(settings, args.size, f"gen{args.size}", seed=7)
        index = args.work / "ab" / f"dossier-gen{args.size}"
    else:
        corpus, orgs, _ = bench_run.prepare_base(settings)
        index = args.work / "ab" / "dossier-base"
    if args.index is None and not (index / "CURRENT").exists():
        bench_run.log(f"building {index}")
        built = bench_run.run_worker(
            "build", "dossier", str(index), str(corpus), str(orgs), str(settings.procs)
        )
        bench_run.log(f"built {built['docs']} documents in {built['seconds']:.0f} s")
    sides = [Side("after", REPO, index)]
    if args.before is not None:
        sides.append(Side("before", args.before, index))
    latencies: dict[str, list[list[float]]] = {s.engine: [] for s in sides}
    totals: dict[str, list[int]] = {}
    rss: dict[str, float] = {}
    resident: dict[str, dict[str, float]] = {}
    opened = {side.engine: side.opened for side in sides}
    for label, first in opened.items():
        print(
            f"{label:7s} opened in {first['open_s']:.2f} s, "
            f"first query {first['first_query_s']:.2f} s"
        )
    try:
        for side in sides:
            side.run_pass()  # warm up
        for round_ in range(args.rounds):
            for side in sides if round_ % 2 == 0 else sides[::-1]:
                result = side.run_pass()
                latencies[side.engine].append(result["latencies_ms"])
                totals[side.engine] = [a["total"] for a in result["answers"]]
                rss[side.engine] = result["peak_rss_mb"]
                resident[side.engine] = result.get("resident", {})
    finally:
        for side in sides:
            side.close()
    summary = {}
    for label, passes in latencies.items():
        flat = [ms for one in passes for ms in one]
        summary[label] = bench_run.latency_summary(flat)
        summary[label]["peak_rss_mb"] = rss[label]
        summary[label]["resident"] = resident[label]
        summary[label]["per_query"] = [
            sorted(one[i] for one in passes)[len(passes) // 2] for i in range(len(MIX))
        ]
    report = {
        "size": str(args.index) if args.index else args.size or "real",
        "rounds": args.rounds,
        "summary": summary,
        "same_totals": len(set(map(tuple, totals.values()))) == 1,
        "opened": opened,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    for label, figures in summary.items():
        print(
            f"{label:7s} p50 {figures['p50_ms']:7.2f}  p95 {figures['p95_ms']:7.2f}  "
            f"p99 {figures['p99_ms']:7.2f} ms  peak RSS {figures['peak_rss_mb']:.0f} MB"
        )
        now = figures["resident"]
        if now:
            print(
                f"        resident after the last pass {now.get('rss_mb', 0):.0f} MB: "
                f"{now.get('anon_mb', 0):.0f} MB its own, {now.get('file_mb', 0):.0f} MB "
                "mapped files: index and libraries (page cache, shared by every worker)"
            )
    if "before" in summary:
        a, b = summary["after"], summary["before"]
        print(
            f"after/before: p50 {a['p50_ms'] / b['p50_ms']:.2f}x, "
            f"p95 {a['p95_ms'] / b['p95_ms']:.2f}x; same totals: {report['same_totals']}"
        )
        for query, after, before in zip(MIX, a["per_query"], b["per_query"], strict=True):
            print(f"  {query.name:18s} {before:8.1f} -> {after:7.1f} ms")
    else:
        for query, after in zip(MIX, summary["after"]["per_query"], strict=True):
            print(f"  {query.name:18s} {after:7.1f} ms")
    args.work.mkdir(parents=True, exist_ok=True)
    label = "-".join(args.index.resolve().parts[-2:]) if args.index else args.size or "real"
    out = args.work / f"ab-{label}.json"
    out.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
