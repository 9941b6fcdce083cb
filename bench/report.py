"""Tables, ratios, targets and the growth plot of a benchmark run (``run.py``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engines import BASELINES, ENGINES
from queries import MIX

SUGGEST_MARKER = "<!-- Everything below is written by bench/suggest.py. -->"

LABELS = {
    "dossier": "Dossier",
    "whoosh": "plain Whoosh",
    "fts5": "SQLite FTS5",
    "tantivy": "Tantivy",
}


def ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def fmt_ratio(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.2f}×" if value < 100 else f"{value:.0f}×"


def ratios(results: Any, figure) -> str:
    """'×a vs whoosh, ×b vs fts5, ×c vs tantivy' for one Dossier figure."""
    try:
        dossier = figure("dossier")
    except (KeyError, TypeError):
        return "–"
    parts = []
    for name in BASELINES:
        try:
            parts.append(f"{fmt_ratio(ratio(dossier, figure(name)))} {name}")
        except (KeyError, TypeError):
            continue
    return ", ".join(parts)


def _num(value: float, digits: int = 1) -> str:
    if value >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def growth_points(results: Any) -> list[dict]:
    """The growth points, the base one with the all-core indexing rate of the base run.

    (Growth builds use every core; so must the point they are compared with.)
    """
    points = [dict(g, engines={k: dict(v) for k, v in g["engines"].items()})
              for g in results.growth]  # fmt: skip
    if points and "synthetic" not in points[0]["kind"]:
        for name, entry in points[0]["engines"].items():
            build = results.indexing.get(name, {}).get("pN")
            if build:
                entry["docs_per_s"] = build["docs_per_s"]
    return points


# Plain Whoosh's p50 on the 36k mix on the machine issue 15's targets were set on
# (bench/RESULTS.md of 2026-11-24). Whoosh's code does not change, so its p50 in a
# run says how fast that run's machine is; absolute targets are judged on the
# figure divided by that factor (ratios to baselines need no such correction).
REFERENCE_WHOOSH_P50_MS = 58.01


def machine_factor(results: Any) -> float | None:
    """How much slower this run's machine is than the targets' (plain Whoosh p50 ratio);
    None unless the base corpus is the real 36k one the reference was measured on."""
    corpus = results.corpus or {}
    if not str(corpus.get("kind", "")).startswith("real") or corpus.get("documents") != 36_030:
        return None
    whoosh = (results.query or {}).get("whoosh")
    if not whoosh or not whoosh.get("p50_ms"):
        return None
    return whoosh["p50_ms"] / REFERENCE_WHOOSH_P50_MS


def targets(results: Any) -> list[tuple[str, str, bool | None]]:
    """(target, figure, met) rows for issue 15's targets; None when not measured.

    Latency and throughput targets are absolute, set on the reference machine:
    each is judged on the figure scaled by ``machine_factor`` and shows both."""
    rows: list[tuple[str, str, bool | None]] = []
    factor = machine_factor(results) or 1.0

    def scaled(ms: float) -> str:
        return f"{ms:.1f} ms" + (f" (≈ {ms / factor:.1f})" if factor != 1.0 else "")

    ix = results.indexing
    q = results.query
    if "dossier" in q:
        d50, d95 = q["dossier"]["p50_ms"], q["dossier"]["p95_ms"]
        rows.append(("36k query p50 ≤ 3 ms (facets + snippets)", scaled(d50), d50 / factor <= 3))
        rows.append(("36k query p95 ≤ 10 ms", scaled(d95), d95 / factor <= 10))
    points = growth_points(results)
    for size, limit in ((300_000, 30.0), (1_000_000, 100.0)):
        point = next((g for g in points if g["docs"] == size), None)
        entry = (point or {}).get("engines", {}).get("dossier")
        if entry:
            p95 = entry["p95_ms"]
            rows.append(
                (f"{size:,} query p95 ≤ {limit:.0f} ms", scaled(p95), p95 / factor <= limit)
            )
        else:
            rows.append((f"{size:,} query p95 ≤ {limit:.0f} ms", "not measured in this run", None))
    runs = {r["clients"]: r for r in (results.web or {}).get("runs", [])}
    if 8 in runs:
        r = runs[8]
        rps = r["rps"] * factor
        rows.append(
            ("web ≥ 400 req/s at 8 clients, 36k", f"{r['rps']:.1f} req/s (≈ {rps:.0f})", rps >= 400)
        )
        rows.append(
            ("web p99 ≤ 60 ms at 8 clients", scaled(r["p99_ms"]), r["p99_ms"] / factor <= 60)
        )
    if runs:
        errors = sum(r["errors"] for r in runs.values())
        rows.append(("web: zero errors", f"{errors} errors", errors == 0))
    if "dossier" in ix and "whoosh" in ix:
        d = max(ix["dossier"]["p1"]["docs_per_s"], ix["dossier"]["pN"]["docs_per_s"])
        w = ix["whoosh"]["p1"]["docs_per_s"]
        rows.append(
            (
                "indexing, 36k, ≥ 1.19× plain Whoosh docs/s (no lower than before the engine)",
                f"{d:.0f} vs {w:.0f} docs/s = {d / w:.2f}×",
                d / w >= 1.19,
            )
        )
    million = next((g for g in points if g["docs"] == 1_000_000), None)
    entry = (million or {}).get("engines", {}).get("dossier") or {}
    label = "query process (one SearchService, as a web worker) at 1M < 1 GB resident"
    if entry.get("resident_mb"):
        resident, own = entry["resident_mb"], entry.get("anon_mb", 0.0)
        rows.append(
            (
                label,
                f"{resident:.0f} MB ({own:.0f} MB its own, the rest mapped files)",
                resident < 1024,
            )
        )
    else:
        rows.append((label, "not measured in this run", None))
    return rows


def write_results(results: Any, out: Path, plot: Path) -> str:
    m = results.machine
    s = results.settings
    c = results.corpus
    lines = [
        "# Benchmark results",
        "",
        f"- **Date**: {m['date']}; **command**: `{s['command'].strip()}` "
        f"({results.seconds / 60:.1f} min in all)",
        f"- **Machine**: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, {m['system']}; "
        f"load average {m['load_at_start']} at the start (shared with other jobs: noisy)",
        "- **Software**: " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()),
        f"- **Corpus**: {c['documents']:,} articles ({c['kind']}); languages "
        + ", ".join(f"{k} {v:,}" for k, v in sorted(c["languages"].items(), key=lambda x: -x[1]))
        + f"; {c['bytes'] / 1e6:.1f} MB of JSON Lines",
        "- Ratios are Dossier's figure divided by the baseline's, measured in the same run on",
        "  the same documents and queries: above 1× is more throughput or more milliseconds.",
        "- Hit counts differ where the engines mean different things: Dossier also searches",
        "  a folded cross-script field and German compound heads, and (by design) matches a",
        "  query of many words as a coordinated OR when few articles have every word, which",
        "  makes those queries slower too. Synthetic growth articles are about 20% longer",
        "  than the real ones. Causes and remedies: bench/PROFILES.md.",
        "",
    ]
    lines += _targets_table(results)
    lines += _indexing_table(results)
    lines += _query_tables(results)
    lines += _bm25s_table(results)
    lines += _web_table(results)
    lines += _growth_table(results, plot)
    text = "\n".join(lines) + "\n"
    text += _kept_sections(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return text


# Sections other scripts write, at the end of the file, in this order: the engine's
# before/after (bench/ab.py), bench/views.py's, the hand-measured streaming figures
# (bench/stream_memory.py), bench/cluster.py's, bench/suggest.py's.
KEPT_STARTS = (
    "\n## Columnar engine",
    "\n## Analyst views",
    "\n## Streaming",
    "\n## Whoosh vs a 3-node Typesense cluster",
    "\n" + SUGGEST_MARKER,
)


def _kept_sections(out: Path) -> str:
    """The sections other scripts wrote at the end of an existing results file, as they are."""
    try:
        old = out.read_text(encoding="utf-8")
    except OSError:
        return ""
    found = [at for at in (old.find(start) for start in KEPT_STARTS) if at >= 0]
    return old[min(found) :] if found else ""


def _targets_table(results: Any) -> list[str]:
    factor = machine_factor(results)
    lines = ["## Targets", ""]
    if factor:
        lines += [
            f"Issue 15's targets. This machine answers plain Whoosh's mix {factor:.2f}× as slowly "
            f"as the machine the targets were set on (p50 {results.query['whoosh']['p50_ms']:.1f} "
            f"against {REFERENCE_WHOOSH_P50_MS} ms): figures in brackets are divided by that "
            "factor (throughput multiplied), and those are what is judged.",
            "",
        ]
    lines += ["| target | measured | met |", "|---|---|---|"]
    for name, figure, met in targets(results):
        mark = "–" if met is None else ("yes" if met else "**no**")
        lines.append(f"| {name} | {figure} | {mark} |")
    return [*lines, ""]


def _indexing_table(results: Any) -> list[str]:
    ix = results.indexing
    procs = results.settings.get("procs", "N")
    extra = results.settings.get("extra_docs", 1000)
    lines = [
        f"## Indexing ({results.corpus['documents']:,} articles, full build)",
        "",
        f"| engine | docs/s, 1 process | docs/s, {procs} cores | docs per CPU-second | "
        f"index bytes/doc | peak memory MB | add {extra:,} to the built index | "
        "cold open + first query |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in ENGINES:
        if name not in ix:
            continue
        p1, pn, add = ix[name]["p1"], ix[name]["pN"], ix[name]["add"]
        cold = results.cold.get(name, {})
        lines.append(
            f"| {LABELS[name]} | {_num(p1['docs_per_s'], 0)} | "
            f"{'(1 process only)' if pn.get('same_as_p1') else _num(pn['docs_per_s'], 0)} | "
            f"{_num(p1.get('docs_per_cpu_s', 0), 0)} | {p1['bytes_per_doc']:,.0f} | "
            f"{max(p1['peak_rss_mb'], pn['peak_rss_mb']):.0f} | "
            f"{add['seconds']:.2f} s | "
            f"{(cold.get('open_s', 0) + cold.get('first_query_s', 0)) * 1000:.0f} ms |"
        )
    if "dossier" in ix:
        d = ix["dossier"]
        lines += [
            "",
            "Dossier's ratios: "
            f"docs/s (1 process) {ratios(results, lambda n: ix[n]['p1']['docs_per_s'])}; "
            f"docs/s (all cores) {ratios(results, lambda n: ix[n]['pN']['docs_per_s'])}; "
            f"docs per CPU-second {ratios(results, lambda n: ix[n]['p1']['docs_per_cpu_s'])}; "
            f"bytes/doc {ratios(results, lambda n: ix[n]['p1']['bytes_per_doc'])}; "
            f"add {extra:,} (seconds) {ratios(results, lambda n: ix[n]['add']['seconds'])}; "
            f"peak memory {ratios(results, lambda n: ix[n]['p1']['peak_rss_mb'])}; "
            "cold open + first query "
            + ratios(
                results, lambda n: results.cold[n]["open_s"] + results.cold[n]["first_query_s"]
            )
            + ".",
            f"Dossier's full build: {d['p1']['seconds']:.1f} s in one process, "
            f"{d['pN']['seconds']:.1f} s on all cores.",
        ]
    return [*lines, ""]


def _query_tables(results: Any) -> list[str]:
    q = results.query
    rounds = results.settings.get("rounds")
    lines = [
        f"## Queries ({len(MIX)} searches × {rounds} rounds, engines interleaved)",
        "",
        "Dossier answers through `indexer.SearchService` with facet counts (organization, "
        "language, year, source) and highlighted snippets on; FTS5 and Tantivy also count "
        "facets and make snippets; plain Whoosh makes snippets (`hit.highlights`) without "
        "facets. *First pass* is the first run of the mix in a fresh process (caches cold); "
        "the others are warm rounds.",
        "",
        "| engine | p50 ms | p95 ms | p99 ms | mean ms | first pass p50 / p95 ms | "
        "query process peak MB |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name in ENGINES:
        if name not in q:
            continue
        s = q[name]
        first = results.cold.get(name, {}).get("first_pass", {})
        lines.append(
            f"| {LABELS[name]} | {s['p50_ms']:.2f} | {s['p95_ms']:.2f} | {s['p99_ms']:.2f} | "
            f"{s['mean_ms']:.2f} | {first.get('p50_ms', 0):.1f} / {first.get('p95_ms', 0):.1f} | "
            f"{s['peak_rss_mb']:.0f} |"
        )
    if "dossier" in q:
        lines += [
            "",
            f"Dossier's ratios: p50 {ratios(results, lambda n: q[n]['p50_ms'])}; "
            f"p95 {ratios(results, lambda n: q[n]['p95_ms'])}; "
            f"p99 {ratios(results, lambda n: q[n]['p99_ms'])}.",
        ]
    engines = [n for n in ENGINES if n in results.per_query]
    lines += [
        "",
        "### Per query (median ms over the rounds; hits found)",
        "",
        "| query | "
        + " | ".join(f"{n} ms" for n in engines)
        + " | hits "
        + " / ".join(engines)
        + " |",
        "|---|" + "---:|" * len(engines) + "---|",
    ]
    for query in MIX:
        cells = [f"{results.per_query[n][query.name]:.1f}" for n in engines]
        hits = " / ".join(str(results.totals[n][query.name]) for n in engines)
        text = query.text or "(browse)"
        filters = ", ".join(
            f"{k}={getattr(query, k)}"
            for k in ("lang", "year", "org", "date_from", "date_to")
            if getattr(query, k)
        )
        extras = [filters] if filters else []
        if query.sort != "relevance":
            extras.append(f"sort={query.sort}")
        if query.page != 1:
            extras.append(f"page {query.page}")
        label = f"`{text}`" + (f" ({'; '.join(extras)})" if extras else "")
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {hits} |")
    return [*lines, ""]


def _bm25s_table(results: Any) -> list[str]:
    """bm25s beside Dossier on the mix's any-word queries (bench/bm25s_baseline.py)."""
    report = getattr(results, "bm25s", None) or {}
    if report.get("error"):
        return ["## bm25s (any-word queries, no facets)", "", f"Failed: `{report['error']}`", ""]
    if not report.get("summary"):
        return []
    lines = [
        f"## bm25s (any-word queries, no facets): {report['queries']} queries × "
        f"{report['rounds']} rounds, alternating in one process",
        "",
        "The mix's queries without a prefix, their words joined by OR (phrases as their",
        "words), top page × per_page ids, no filters and no snippets: what bm25s (eager",
        "sparse scoring with scipy) can answer. Dossier still counts its facets and",
        "searches every language's fields and the folded field.",
        "",
        "| engine | p50 ms | p95 ms | p99 ms |",
        "|---|---:|---:|---:|",
    ]
    for side in ("dossier", "bm25s"):
        s = report["summary"][side]
        lines.append(f"| {side} | {s['p50_ms']:.2f} | {s['p95_ms']:.2f} | {s['p99_ms']:.2f} |")
    d, b = report["summary"]["dossier"], report["summary"]["bm25s"]
    built = report["bm25s_build"]
    lines += [
        "",
        f"Dossier ÷ bm25s: p50 {fmt_ratio(ratio(d['p50_ms'], b['p50_ms']))}, "
        f"p95 {fmt_ratio(ratio(d['p95_ms'], b['p95_ms']))}. bm25s indexed "
        f"{built['docs']:,} articles in {built['seconds']:.0f} s "
        f"(+{built['peak_rss_mb_added']:.0f} MB peak memory, in memory only: no stored "
        "fields, no incremental updates).",
        "",
    ]
    if report.get("note"):
        lines += [f"Note: {report['note']}.", ""]
    return lines


def _web_table(results: Any) -> list[str]:
    web = results.web or {}
    if not web.get("runs"):
        return []
    lines = [
        f"## Web: `/api/search` on `dossier serve` (gunicorn, {web['workers']} gthread workers), "
        "127.0.0.1",
        "",
        "| clients | seconds | requests | req/s | p50 ms | p95 ms | p99 ms | errors |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in web["runs"]:
        lines.append(
            f"| {r['clients']} | {r['seconds']:.1f} | {r['requests']:,} | {r['rps']:.1f} | "
            f"{r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['p99_ms']:.1f} | {r['errors']} |"
        )
    memory = web.get("worker_memory") or []
    if memory:
        lines += [
            "",
            "Worker memory after the runs: "
            + "; ".join(
                f"pid {m['pid']}: {m['rss_mb']:.0f} MB resident, peak {m['peak_mb']:.0f} MB"
                for m in memory
            )
            + ".",
        ]
    return [*lines, ""]


def _growth_table(results: Any, plot: Path) -> list[str]:
    if not results.growth:
        return []
    engines = [n for n in ENGINES if any(n in g["engines"] for g in results.growth)]
    lines = [
        "## Growth",
        "",
        f"![growth]({plot.name})",
        "",
        "The base point is the corpus above; larger points are synthetic corpora made by "
        "`bench/generate.py` (real sentences of each language recombined into new articles, "
        "with dates, sources and organization mentions). Growth builds use all cores.",
        "",
        "| articles | corpus | "
        + " | ".join(f"{n} docs/s | {n} p50 ms | {n} p95 ms" for n in engines)
        + " |",
        "|---:|---|" + "---:|---:|---:|" * len(engines),
    ]
    for g in growth_points(results):
        cells = []
        for n in engines:
            e = g["engines"].get(n)
            cells.append(
                f"{_num(e['docs_per_s'], 0)} | {e['p50_ms']:.1f} | {e['p95_ms']:.1f}"
                if e
                else "– | – | –"
            )
        lines.append(
            f"| {g['docs']:,} | {'synthetic' if 'synthetic' in g['kind'] else 'real'} | "
            + " | ".join(cells)
            + " |"
        )
    memory = [
        f"{g['docs']:,}: {g['engines']['dossier']['peak_rss_mb']:.0f} MB"
        for g in growth_points(results)
        if g["engines"].get("dossier", {}).get("peak_rss_mb")
    ]
    if memory:
        lines += ["", "Dossier's query process, peak resident memory: " + "; ".join(memory) + "."]
    for failed in getattr(results, "growth_failed", None) or []:
        lines += ["", f"The {failed['docs']:,}-article point failed: `{failed['error'][-200:]}`"]
    return [*lines, ""]


def write_plot(results: Any, out: Path) -> None:
    """Query p95 and indexing rate against corpus size, one line per engine."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), dpi=100)
    engines = [n for n in ENGINES if any(n in g["engines"] for g in results.growth)]
    for name in engines:
        points = [
            (g["docs"], g["engines"][name]) for g in growth_points(results) if name in g["engines"]
        ]
        xs = [p[0] for p in points]
        left.plot(xs, [p[1]["p95_ms"] for p in points], marker="o", label=LABELS[name])
        right.plot(xs, [p[1]["docs_per_s"] for p in points], marker="o", label=LABELS[name])
    for ax, title, unit in ((left, "Query p95", "ms"), (right, "Indexing rate", "docs/s")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("articles in the index")
        ax.set_ylabel(unit)
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
    left.axhline(150, color="grey", linestyle="--", linewidth=1)
    left.legend(fontsize=8)
    fig.suptitle("Dossier and baselines as the archive grows")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
