"""Where Dossier's time goes: sampling profiles of indexing, queries and the web app.

    python bench/profile.py [--docs 4000]

Runs the same workers as ``run.py`` under py-spy (a sampling profiler that
attaches from outside, so the code runs unchanged) on a sample of the real
corpus: a one-process index build, the query mix (Dossier, and plain
Whoosh for comparison), and one gunicorn worker serving 8 clients. Each
profile is summarized as its top functions by cumulative and by own share
of the samples, and written into bench/PROFILES.md below the hand-written
analysis (which this script leaves as it is).
"""

from __future__ import annotations

import argparse
import collections
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate
from bench_corpus import DEFAULT_DATA, corpus_files, read_records, write_jsonl
from serving import Server
from webload import load

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
WORKER = BENCH / "worker.py"
MARKER = "<!-- Everything below is written by bench/profile.py. -->"
PY_SPY = Path(sys.executable).with_name("py-spy")


def record(output: Path, *target: str) -> list[str]:
    """py-spy's command line: raw samples at 200 Hz into ``output``, of ``target``."""
    return [str(PY_SPY), "record", "--rate", "200", "--format", "raw", "--output", str(output),
            *target]  # fmt: skip


def py_spy(output: Path, command: list[str], stdin: str | None = None) -> None:
    subprocess.run(
        record(output, "--subprocesses", "--", *command),
        input=stdin,
        text=True,
        cwd=REPO,
        check=True,
        capture_output=True,
    )


def summarize(
    raw: Path, top: int = 25
) -> tuple[int, list[tuple[float, str]], list[tuple[float, str]]]:
    """Samples, top functions by cumulative share, top by own (self) share."""
    cumulative: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [_frame(f) for f in stack.split(";")]
        frames = [f for f in frames if f]
        for name in set(frames):
            cumulative[name] += n
        if frames:
            own[frames[-1]] += n
    if not total:
        return 0, [], []

    def share(counter: collections.Counter[str], k: int) -> list[tuple[float, str]]:
        return [(100 * v / total, name) for name, v in counter.most_common(k)]

    return total, share(cumulative, top), share(own, 15)


def _frame(frame: str) -> str:
    """'func (path/to/file.py:12)' -> 'func (file.py)'; drops process/thread frames."""
    if " (" not in frame:
        return ""
    name, _, where = frame.partition(" (")
    path = where.split(":")[0]
    parts = Path(path).parts
    short = "/".join(parts[-2:]) if len(parts) >= 2 else path
    for prefix in ("site-packages/", "python3.11/"):
        short = short.replace(prefix, "")
    return f"{name} ({short})"


def section(title: str, note: str, raw: Path) -> list[str]:
    total, cumulative, own = summarize(raw)
    lines = [
        f"### {title}",
        "",
        note,
        "",
        f"{total:,} samples at 200 Hz.",
        "",
        "| cumulative % | function |",
        "|---:|---|",
    ]
    lines += [f"| {pct:.1f} | `{name}` |" for pct, name in cumulative]
    lines += ["", "| own % | function |", "|---:|---|"]
    lines += [f"| {pct:.1f} | `{name}` |" for pct, name in own]
    return [*lines, ""]


def profile_web(index: Path, work: Path, seconds: float) -> Path:
    raw = work / "web.txt"
    with Server(index, workers=1, log=work / "serve.log") as server:
        load(server.port, 8, 3.0)  # warm the worker's caches
        pid = server.workers()[0]
        spy = subprocess.Popen(
            record(raw, "--pid", str(pid), "--duration", str(int(seconds))),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(0.5)
        result: dict = {}
        thread = threading.Thread(target=lambda: result.update(load(server.port, 8, seconds)))
        thread.start()
        thread.join(seconds + 60)
        spy.wait(timeout=60)
    print(
        f"web under profile: {result.get('rps', 0):.1f} req/s, p50 {result.get('p50_ms', 0):.0f} ms"
    )
    return raw


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--docs", type=int, default=4000)
    parser.add_argument("--work", type=Path, default=REPO / "var" / "bench-profile")
    parser.add_argument("--out", type=Path, default=BENCH / "PROFILES.md")
    parser.add_argument("--web-seconds", type=float, default=15.0)
    args = parser.parse_args(argv)
    if not PY_SPY.exists():
        print("py-spy is not installed: `make bench` adds the bench extra", file=sys.stderr)
        return 2
    work = args.work
    shutil.rmtree(work, ignore_errors=True)
    (work / "corpus").mkdir(parents=True)
    if args.data.exists() and corpus_files(args.data):
        records = list(read_records(args.data))
        step = max(1, len(records) // args.docs)
        sample = records[::step][: args.docs]  # every language and data set, spread evenly
    else:
        sample = list(generate.generate(args.docs, generate.SentencePool.from_data(None)))
    write_jsonl(sample, work / "corpus" / "sample.jsonl")
    py = sys.executable
    print(f"profiling on {len(sample)} articles …")
    index = work / "dossier"
    py_spy(
        work / "index.txt",
        [py, str(WORKER), "build", "dossier", str(index), str(work / "corpus"), "-", "1"],
    )
    subprocess.run(
        [py, str(WORKER), "build", "whoosh", str(work / "whoosh"), str(work / "corpus"), "-", "1"],
        check=True,
        cwd=REPO,
    )
    passes = "pass\n" * 5 + "quit\n"
    py_spy(work / "query.txt", [py, str(WORKER), "serve", "dossier", str(index)], passes)
    py_spy(work / "whoosh.txt", [py, str(WORKER), "serve", "whoosh", str(work / "whoosh")], passes)
    web = profile_web(index, work, args.web_seconds)

    out = args.out
    head = out.read_text().split(MARKER)[0].rstrip() if out.exists() else "# Profiles"
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = [
        head,
        "",
        MARKER,
        "",
        "## Profile summaries",
        "",
        f"Made by `python bench/profile.py --docs {args.docs}` on {stamp} "
        f"({len(sample):,} articles sampled evenly from the corpus; "
        f"{os.cpu_count()} cores, shared machine). Percentages are shares of all "
        "samples of the process; *cumulative* counts a function with everything it "
        "calls.",
        "",
    ]
    lines += section(
        "Indexing: `build_index`, one process",
        f"`worker.py build dossier` on the {len(sample):,}-article sample.",
        work / "index.txt",
    )
    lines += section(
        "Queries: `SearchService.search`, facets and snippets on",
        "`worker.py serve dossier`: open, then the 32-query mix 5 times.",
        work / "query.txt",
    )
    lines += section(
        "Queries: plain Whoosh, for comparison",
        "`worker.py serve whoosh`: the same mix 5 times (searcher per query, "
        "`hit.highlights`, no facets).",
        work / "whoosh.txt",
    )
    lines += section(
        "Web: one gunicorn worker (4 threads) under 8 clients",
        f"`dossier serve --workers 1`, the mix as `/api/search` URLs for "
        f"{args.web_seconds:.0f} s; py-spy attached to the worker.",
        web,
    )
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
