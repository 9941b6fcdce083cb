"""Dossier's benchmarks, side by side with plain Whoosh, SQLite FTS5 and Tantivy.

    python bench/run.py                 # everything; bench/RESULTS.md and bench/growth.png
    python bench/run.py --quick         # a minute or two on a tiny generated corpus
    python bench/run.py --growth 100000,300000,1000000

Indexing, query, web and growth figures for Dossier, each printed with its
ratio to every baseline measured in the same run on the same documents and
queries. The machine is shared and noisy: every engine runs in a process of
its own, query passes of all engines are interleaved round by round, and
figures are medians and percentiles over all rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate
from bench_corpus import DEFAULT_DATA, corpus_files, read_records, write_jsonl
from engines import ENGINES, organizations_for
from queries import MIX
from report import write_plot, write_results
from serving import Server, percentile
from webload import load

# Engines built a second time with every core: Dossier (its parallel build) and
# Tantivy (writer threads). SQLite writes with one thread; plain Whoosh is
# measured as a typical app runs it, in one process.
MULTICORE = ("dossier", "tantivy")
BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
WORKER = BENCH / "worker.py"
PYTHON = sys.executable


@dataclass
class Settings:
    data: Path | None
    work: Path
    quick: bool
    rounds: int
    growth: list[int]
    growth_rounds: int
    growth_engines: tuple[str, ...]
    clients: list[int]
    web_seconds: float
    web_workers: int
    procs: int
    extra_docs: int
    out: Path
    plot: Path
    command: str
    report_only: bool = False


@dataclass
class Results:
    settings: dict = field(default_factory=dict)
    machine: dict = field(default_factory=dict)
    corpus: dict = field(default_factory=dict)
    indexing: dict = field(default_factory=dict)  # engine -> {"1": build, "N": build, "add": …}
    cold: dict = field(default_factory=dict)  # engine -> open/first query
    query: dict = field(default_factory=dict)  # engine -> latency summary
    per_query: dict = field(default_factory=dict)  # engine -> query name -> median ms
    totals: dict = field(default_factory=dict)  # engine -> query name -> total hits
    web: dict = field(default_factory=dict)
    bm25s: dict = field(default_factory=dict)  # bench/bm25s_baseline.py on the base corpus
    growth: list = field(default_factory=list)  # one entry per (size)
    growth_failed: list = field(default_factory=list)
    seconds: float = 0.0


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- child processes ----------------------------------------------------------------


def run_worker(*args: str) -> dict:
    completed = subprocess.run(
        [PYTHON, str(WORKER), *args], capture_output=True, text=True, cwd=REPO, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(f"worker {args[:2]} failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


class QueryWorker:
    """A long-lived ``worker.py serve`` process answering the mix on each ``pass``."""

    def __init__(self, engine: str, index: Path):
        self.engine = engine
        self.process = subprocess.Popen(
            [PYTHON, str(WORKER), "serve", engine, str(index)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        self.opened = self._read()

    def _read(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"query worker {self.engine} died (exit {self.process.poll()})")
        return json.loads(line)

    def run_pass(self) -> dict:
        self.process.stdin.write("pass\n")
        self.process.stdin.flush()
        return self._read()

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self.process.stdin.write("quit\n")
                self.process.stdin.close()
                self.process.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait(timeout=10)


# --- measurements -----------------------------------------------------------------


def latency_summary(latencies: list[float]) -> dict:
    ordered = sorted(latencies)
    return {
        "n": len(latencies),
        "p50_ms": percentile(ordered, 0.50),
        "p95_ms": percentile(ordered, 0.95),
        "p99_ms": percentile(ordered, 0.99),
        "mean_ms": statistics.fmean(latencies) if latencies else 0.0,
    }


def build_all(engines, corpus: Path, orgs: Path, work: Path, procs: int, tag: str) -> dict:
    """One build per engine, each in a fresh process, in the given (interleaved) order."""
    out = {}
    for name in engines:
        log(f"index {name} ({tag}, procs={procs}) …")
        result = run_worker(
            "build", name, str(work / f"{name}-{tag}"), str(corpus), str(orgs), str(procs)
        )
        result["docs_per_s"] = result["docs"] / result["seconds"] if result["seconds"] else 0.0
        result["bytes_per_doc"] = result["size_bytes"] / max(result["docs"], 1)
        result["docs_per_cpu_s"] = result["docs"] / result["cpu_s"] if result["cpu_s"] else 0.0
        log(
            f"  {result['docs']} docs in {result['seconds']:.1f} s "
            f"= {result['docs_per_s']:.0f} docs/s, peak {result['peak_rss_mb']:.0f} MB"
        )
        out[name] = result
    return out


def query_rounds(indexes: dict[str, Path], rounds: int) -> tuple[dict, dict, dict, dict, dict]:
    """Open every engine, one cold pass, then ``rounds`` warm passes interleaved."""
    workers = {}
    try:
        for name, index in indexes.items():
            workers[name] = QueryWorker(name, index)
        cold = {name: dict(w.opened) for name, w in workers.items()}
        first = {}
        for name, w in workers.items():  # first pass: caches cold
            first[name] = w.run_pass()
            cold[name]["first_pass"] = latency_summary(first[name]["latencies_ms"])
        latencies: dict[str, list[float]] = {name: [] for name in workers}
        by_query: dict[str, list[list[float]]] = {name: [[] for _ in MIX] for name in workers}
        peak: dict[str, float] = {}
        resident: dict[str, dict[str, float]] = {}  # after the last pass
        order = list(workers)
        for r in range(rounds):
            for name in order[r % len(order) :] + order[: r % len(order)]:
                reply = workers[name].run_pass()
                latencies[name].extend(reply["latencies_ms"])
                for i, ms in enumerate(reply["latencies_ms"]):
                    by_query[name][i].append(ms)
                peak[name] = reply["peak_rss_mb"]
                resident[name] = reply.get("resident", {})
        summary = {
            name: {
                **latency_summary(values),
                "peak_rss_mb": peak.get(name, 0.0),
                "resident_mb": resident.get(name, {}).get("rss_mb", 0.0),
                "anon_mb": resident.get(name, {}).get("anon_mb", 0.0),
            }
            for name, values in latencies.items()
        }
        per_query = {
            name: {q.name: statistics.median(v) for q, v in zip(MIX, rows, strict=True)}
            for name, rows in by_query.items()
        }
        totals = {
            name: {q.name: a["total"] for q, a in zip(MIX, first[name]["answers"], strict=True)}
            for name in workers
        }
        answers = {name: first[name]["answers"] for name in workers}
        return summary, per_query, totals, cold, answers
    finally:
        for w in workers.values():
            w.close()


def bm25s_baseline(corpus: Path, index: Path, settings: Settings) -> dict:
    """bench/bm25s_baseline.py in a process of its own on the base corpus and Dossier's
    one-process build; a failure is reported in the results, not fatal to the run."""
    out = settings.work / "bm25s-base.json"
    completed = subprocess.run(
        [PYTHON, str(BENCH / "bm25s_baseline.py"), "--corpus", str(corpus),
         "--index", str(index), "--rounds", str(settings.rounds), "--out", str(out)],
        capture_output=True, text=True, cwd=REPO, check=False,
    )  # fmt: skip
    if completed.returncode != 0:
        log(f"  bm25s baseline failed: {completed.stderr.strip()[-300:]}")
        return {"error": completed.stderr.strip()[-500:]}
    report = json.loads(out.read_text())
    for side, s in report["summary"].items():
        log(f"  {side:8} p50 {s['p50_ms']:7.2f} ms  p95 {s['p95_ms']:7.2f}")
    return report


def web_bench(index: Path, settings: Settings) -> dict:
    log(f"web: dossier serve ({settings.web_workers} workers) on 127.0.0.1 …")
    out: dict = {"workers": settings.web_workers, "runs": []}
    with Server(index, workers=settings.web_workers, log=settings.work / "serve.log") as server:
        load(server.port, max(settings.clients), min(5.0, settings.web_seconds))  # warm-up
        for clients in settings.clients:
            result = load(server.port, clients, settings.web_seconds)
            log(
                f"  {clients:>2} clients: {result['rps']:.1f} req/s, p50 {result['p50_ms']:.1f} "
                f"ms, p99 {result['p99_ms']:.1f} ms, {result['errors']} errors"
            )
            out["runs"].append(result)
        out["worker_memory"] = server.worker_memory_mb()
    return out


# --- corpora --------------------------------------------------------------------


def prepare_base(settings: Settings) -> tuple[Path, Path, dict]:
    """The base corpus (real data, or a small generated one) and its organization tags."""
    base = settings.work / "base"
    corpus = base / "corpus" / "news.jsonl"
    orgs = base / "orgs.json"
    use_real = (
        settings.data is not None and bool(corpus_files(settings.data)) and not settings.quick
    )
    if use_real:
        records = list(read_records(settings.data))
        kind = f"real: {', '.join(p.parent.name for p in corpus_files(settings.data))}"
    else:
        pool = generate.SentencePool.from_data(settings.data)
        records = list(generate.generate(600, pool, seed=3, prefix="quick"))
        kind = "synthetic (quick mode), recombined from " + (
            "the shared data"
            if settings.data and corpus_files(settings.data)
            else "the bundled corpus/articles"
        )
    write_jsonl(records, corpus)
    orgs.write_text(json.dumps(organizations_for(records)))
    langs: dict[str, int] = {}
    for record in records:
        langs[record.lang or "?"] = langs.get(record.lang or "?", 0) + 1
    info = {
        "kind": kind,
        "documents": len(records),
        "languages": langs,
        "bytes": corpus.stat().st_size,
    }
    return corpus.parent, orgs, info


FILE_RECORDS = 50_000  # records per generated file: Dossier refuses files over 256 MiB


def prepare_generated(settings: Settings, count: int, name: str, seed: int) -> tuple[Path, Path]:
    folder = settings.work / name
    corpus = folder / "corpus"
    orgs = folder / "orgs.json"
    if not orgs.exists():
        shutil.rmtree(corpus, ignore_errors=True)
        pool = generate.SentencePool.from_data(settings.data)
        records = list(generate.generate(count, pool, seed=seed, prefix=name))
        for part, start in enumerate(range(0, len(records), FILE_RECORDS)):
            write_jsonl(records[start : start + FILE_RECORDS], corpus / f"{name}-{part:03d}.jsonl")
        orgs.write_text(json.dumps(organizations_for(records)))
    return corpus, orgs


# --- the run ----------------------------------------------------------------------


def machine() -> dict:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = 0.0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    versions = {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version}
    for package in ("whoosh-reloaded", "tantivy", "gunicorn", "flask"):
        try:
            from importlib.metadata import version

            versions[package] = version(package)
        except Exception:  # not installed
            versions[package] = "-"
    load1 = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    return {
        "cpu": cpu,
        "cores": os.cpu_count() or 1,
        "memory_gb": round(memory, 1),
        "system": f"{platform.system()} {platform.release()}",
        "versions": versions,
        "load_at_start": round(load1, 2),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def run(settings: Settings) -> Results:
    started = time.perf_counter()
    results = Results(machine=machine())
    results.settings = {
        k: (str(v) if isinstance(v, Path) else v) for k, v in vars(settings).items()
    }
    work = settings.work
    if work.exists():
        shutil.rmtree(work / "idx", ignore_errors=True)
    (work / "idx").mkdir(parents=True, exist_ok=True)

    log("preparing the corpus …")
    corpus, orgs, info = prepare_base(settings)
    results.corpus = info
    log(f"  {info['documents']} documents ({info['kind']})")
    extra, extra_orgs = prepare_generated(settings, settings.extra_docs, "extra", seed=99)

    # Indexing: one process, then all cores; interleaved engine by engine.
    idx = work / "idx"
    one = build_all(ENGINES, corpus, orgs, idx, 1, "p1")
    many = build_all(MULTICORE, corpus, orgs, idx, settings.procs, "pN")
    for name in ENGINES:
        if name not in many:  # one process is all it has (FTS5) or all a typical app uses
            shutil.copytree(idx / f"{name}-p1", idx / f"{name}-pN")
            many[name] = {**one[name], "same_as_p1": True}
        results.indexing[name] = {"p1": one[name], "pN": many[name]}
        log(f"add {settings.extra_docs} to {name} …")
        added = run_worker("add", name, str(idx / f"{name}-pN"), str(extra), str(extra_orgs))
        added["docs_per_s"] = added["docs"] / added["seconds"] if added["seconds"] else 0.0
        results.indexing[name]["add"] = added

    # Queries on the one-process builds.
    log(f"queries: {len(MIX)} per pass, {settings.rounds} rounds, interleaved …")
    summary, per_query, totals, cold, _ = query_rounds(
        {name: idx / f"{name}-p1" for name in ENGINES}, settings.rounds
    )
    results.query, results.per_query, results.totals, results.cold = (
        summary,
        per_query,
        totals,
        cold,
    )
    for name in ENGINES:
        s = summary[name]
        log(f"  {name:8} p50 {s['p50_ms']:7.2f} ms  p95 {s['p95_ms']:7.2f}  p99 {s['p99_ms']:7.2f}")

    # bm25s beside Dossier where it applies (OR queries, no facets), on the same corpus.
    log("bm25s baseline (any-word queries, no facets) …")
    results.bm25s = bm25s_baseline(corpus, idx / "dossier-p1", settings)

    # Web.
    if settings.clients:
        results.web = web_bench(idx / "dossier-p1", settings)

    # Growth: the base point, then generated corpora.
    # The base point of the growth curve: all-core builds, like the larger points.
    results.growth.append(_growth_point(info["documents"], many, summary, info["kind"]))
    save(results, settings, started)
    for count in settings.growth:
        log(f"growth: {count} synthetic articles …")
        gcorpus, gorgs = prepare_generated(settings, count, f"gen{count}", seed=7)
        gidx = work / "idx" / f"g{count}"
        try:
            builds = build_all(settings.growth_engines, gcorpus, gorgs, gidx, settings.procs, "g")
            gsummary, *_ = query_rounds(
                {name: gidx / f"{name}-g" for name in settings.growth_engines},
                settings.growth_rounds,
            )
        except RuntimeError as exc:  # report the points that worked, and say which did not
            log(f"growth point {count} failed: {exc}")
            results.growth_failed.append({"docs": count, "error": str(exc)[-500:]})
            continue
        finally:
            shutil.rmtree(gidx, ignore_errors=True)
        results.growth.append(_growth_point(count, builds, gsummary, "synthetic"))
        save(results, settings, started)

    results.seconds = time.perf_counter() - started
    return results


def save(results: Results, settings: Settings, started: float) -> None:
    """Keep what is measured so far (``--report-only`` turns it into the report)."""
    results.seconds = time.perf_counter() - started
    (settings.work / "results.json").write_text(json.dumps(vars(results), indent=1, default=str))


def _growth_point(docs: int, builds: dict, summary: dict, kind: str) -> dict:
    return {
        "docs": docs,
        "kind": kind,
        "engines": {
            name: {
                "docs_per_s": builds[name]["docs_per_s"],
                "p50_ms": summary[name]["p50_ms"],
                "p95_ms": summary[name]["p95_ms"],
                "bytes_per_doc": builds[name]["bytes_per_doc"],
                # the query process holds one SearchService, as a web worker does
                "peak_rss_mb": summary[name].get("peak_rss_mb", 0.0),
                "resident_mb": summary[name].get("resident_mb", 0.0),
                "anon_mb": summary[name].get("anon_mb", 0.0),
            }
            for name in summary
            if name in builds
        },
    }


def parse_args(argv: list[str] | None) -> Settings:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA,
        help="folder of the real corpora (default %(default)s)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="a tiny generated corpus, few rounds, short web runs"
    )
    parser.add_argument("--work", type=Path, default=REPO / "var" / "bench")
    parser.add_argument("--rounds", type=int, default=None, help="query rounds (default 5)")
    parser.add_argument(
        "--growth",
        default=None,
        help="comma-separated synthetic corpus sizes (default 100000,300000)",
    )
    parser.add_argument("--clients", default=None, help="web client counts (default 1,8,32)")
    parser.add_argument(
        "--web-seconds", type=float, default=None, help="seconds per web run (default 15)"
    )
    parser.add_argument("--out", type=Path, default=None, help="results file (markdown)")
    parser.add_argument("--plot", type=Path, default=None, help="growth plot (PNG)")
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="rewrite the report and plot from WORK/results.json",
    )
    args = parser.parse_args(argv)
    quick = args.quick
    data = args.data if args.data and args.data.exists() else None

    def ints(text: str | None, default: str) -> list[int]:
        return [int(x) for x in (text if text is not None else default).split(",") if x.strip()]

    return Settings(
        data=data,
        work=args.work,
        quick=quick,
        rounds=args.rounds or (3 if quick else 5),
        growth=ints(args.growth, "1500" if quick else "100000,300000"),
        growth_rounds=2 if quick else 3,
        growth_engines=("dossier", "fts5", "tantivy"),
        clients=ints(args.clients, "1,8" if quick else "1,8,32"),
        web_seconds=args.web_seconds or (2.0 if quick else 15.0),
        web_workers=2,
        procs=os.cpu_count() or 1,
        extra_docs=100 if quick else 1000,
        out=args.out or (args.work / "RESULTS.md" if quick else BENCH / "RESULTS.md"),
        plot=args.plot or (args.work / "growth.png" if quick else BENCH / "growth.png"),
        command="python bench/run.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        report_only=args.report_only,
    )


def main(argv: list[str] | None = None) -> int:
    settings = parse_args(argv)
    settings.work.mkdir(parents=True, exist_ok=True)
    if settings.report_only:
        results = Results(**json.loads((settings.work / "results.json").read_text()))
    else:
        results = run(settings)
        (settings.work / "results.json").write_text(
            json.dumps(vars(results), indent=1, default=str)
        )
    write_plot(results, settings.plot)
    text = write_results(results, settings.out, settings.plot)
    print()
    print(text)
    log(f"done in {results.seconds / 60:.1f} min; wrote {settings.out} and {settings.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
