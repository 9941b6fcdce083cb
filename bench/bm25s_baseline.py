"""bm25s beside Dossier on the queries where it applies: any-word (OR) queries, no facets.

    python bench/bm25s_baseline.py                 # the 36k real corpus (bench/ab.py's)
    python bench/bm25s_baseline.py --size 300000   # a generated corpus
    python bench/bm25s_baseline.py --corpus DIR --index DIR --out FILE   # bench/run.py's

bm25s ("eager sparse scoring": every term's BM25 precomputed into a scipy
sparse matrix, a query is a sum of its terms' rows) is the published anchor
for scoring with numpy. It has no phrases, prefixes, filters, facets, deletions
or stored fields, so the comparison is the mix's words joined by OR (phrases
as their words; prefix and browse queries left out), top ``page × per_page``
ids. bm25s gets its own tokenizer (lower case, English stop words, no stemming);
Dossier gets the same words as ``w1 OR w2 …`` through ``SearchService.search``
with its facet counts (it always counts them) and without snippets. Both run in
this one process, alternately, on the corpus and index ``bench/ab.py`` builds
(built here with this checkout when missing). Prints p50 / p95 / p99 per side
and per query, and each side's build figures.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run as bench_run
from engines import baseline_rows
from queries import MIX, pieces
from worker import peak_rss_mb  # VmHWM: ru_maxrss starts at bench/run.py's own size

REPO = Path(__file__).resolve().parent.parent


def or_words(text: str) -> list[str]:
    """The words of a mix query that an any-word engine can look up (no prefixes)."""
    found: list[str] = []
    for kind, value in pieces(text):
        if kind in ("word", "phrase"):
            found.extend(re.findall(r"\w+", value))
    return found


def compare(corpus: Path, index: Path, rounds: int) -> dict:
    """bm25s and Dossier alternating on ``corpus`` (bm25s indexes it here) and
    Dossier's built ``index``: latency summaries, per-query medians, bm25s's build."""
    import bm25s

    from indexer import SearchLimits, SearchRequest, SearchService

    queries = [(q, or_words(q.text)) for q in MIX if "*" not in q.text and or_words(q.text)]
    started, rss_before = time.perf_counter(), peak_rss_mb()
    ids, texts = [], []
    for record, _ in baseline_rows(corpus, None):
        ids.append(record.id)
        texts.append(f"{record.title}\n{record.body}")
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(texts, stopwords="en", show_progress=False),
                    show_progress=False)  # fmt: skip
    del texts
    built = {"docs": len(ids), "seconds": time.perf_counter() - started,
             "peak_rss_mb_added": peak_rss_mb() - rss_before}  # fmt: skip
    service = SearchService(index, limits=SearchLimits(timeout_ms=0))  # as bench/engines.py

    def run_bm25s(words: list[str], k: int) -> int:
        tokens = bm25s.tokenize([" ".join(words)], stopwords="en", show_progress=False)
        found, _ = retriever.retrieve(tokens, k=min(k, len(ids)), show_progress=False)
        return len(found[0])

    def run_dossier(words: list[str], q) -> int:
        request = SearchRequest(query=" OR ".join(words), page=q.page, per_page=q.per_page,
                                snippets=False)  # fmt: skip
        return len(service.search(request).hits)

    sides: dict[str, list[float]] = {"bm25s": [], "dossier": []}
    per_query: dict[str, dict[str, list[float]]] = {name: {} for name in sides}
    for round_ in range(rounds + 1):  # the first round warms up
        for q, words in queries:
            order = ["bm25s", "dossier"] if round_ % 2 else ["dossier", "bm25s"]
            for side in order:
                t = time.perf_counter()
                if side == "bm25s":
                    run_bm25s(words, q.page * q.per_page)
                else:
                    run_dossier(words, q)
                ms = (time.perf_counter() - t) * 1000
                if round_:
                    sides[side].append(ms)
                    per_query[side].setdefault(q.name, []).append(ms)
    service.close()
    return {
        "queries": len(queries),
        "rounds": rounds,
        "bm25s_build": built,
        "summary": {name: bench_run.latency_summary(ms) for name, ms in sides.items()},
        "per_query_median_ms": {
            name: {k: sorted(v)[len(v) // 2] for k, v in found.items()}
            for name, found in per_query.items()
        },
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=0, help="generated articles (0: real data)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--work", type=Path, default=REPO / "var" / "bench")
    parser.add_argument("--corpus", type=Path, help="with --index: this corpus and built index")
    parser.add_argument("--index", type=Path, help="Dossier's index of --corpus")
    parser.add_argument("--out", type=Path, help="the JSON report (default WORK/bm25s-SIZE.json)")
    args = parser.parse_args(argv)
    if (args.corpus is None) != (args.index is None):
        parser.error("--corpus and --index go together")
    if args.corpus is not None:
        corpus, index = args.corpus, args.index
    else:
        settings = bench_run.parse_args(["--work", str(args.work)])
        if args.size:
            corpus, orgs = bench_run.prepare_generated(
                settings, args.size, f"gen{args.size}", seed=7
            )
            index = args.work / "ab" / f"dossier-gen{args.size}"
        else:
            corpus, orgs, _ = bench_run.prepare_base(settings)
            index = args.work / "ab" / "dossier-base"
        if not (index / "CURRENT").exists():
            bench_run.run_worker(
                "build", "dossier", str(index), str(corpus), str(orgs), str(settings.procs)
            )
    report = {"size": args.size or "real", **compare(corpus, index, args.rounds)}
    for name, figures in report["summary"].items():
        print(f"{name:8s} p50 {figures['p50_ms']:7.2f}  p95 {figures['p95_ms']:7.2f}  "
              f"p99 {figures['p99_ms']:7.2f} ms")  # fmt: skip
    built = report["bm25s_build"]
    print(f"bm25s built {built['docs']} documents in {built['seconds']:.0f} s, "
          f"+{built['peak_rss_mb_added']:.0f} MB peak RSS")  # fmt: skip
    for name, b in report["per_query_median_ms"]["bm25s"].items():
        d = report["per_query_median_ms"]["dossier"][name]
        print(f"  {name:18s} bm25s {b:7.2f}  dossier {d:7.2f} ms")
    out = args.out or args.work / f"bm25s-{args.size or 'real'}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
