"""One engine in a process of its own, driven by ``run.py`` through JSON lines.

A fresh process per build makes peak memory (``ru_maxrss``) and the cold
open honest; a long-lived process per engine lets ``run.py`` interleave
query passes of all engines, so the noise of a shared machine falls on
every engine alike.

    worker.py build ENGINE INDEX CORPUS ORGS PROCS   -> one JSON line
    worker.py add ENGINE INDEX EXTRA ORGS            -> one JSON line
    worker.py serve ENGINE INDEX                     -> JSON line per "pass" on stdin
"""

from __future__ import annotations

import json
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from engines import engine
from queries import MIX


def peak_rss_mb() -> float:
    """Peak resident memory of this process and of any it waited for, in MB.

    This process's own peak is ``VmHWM``, not ``ru_maxrss``: Linux carries
    ``ru_maxrss`` over from the parent at fork and through exec, so every worker
    of ``bench/run.py`` read at least the runner's own size (242 MB for FTS5's
    and Tantivy's workers alike). Children forked by a build report their own."""
    own = resident_mb().get("hwm_mb")
    if own is None:  # not Linux: the inherited figure is all there is
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return max(own, children)


def resident_mb() -> dict[str, float]:
    """Resident memory now (Linux ``/proc/self/status``), split into this process's own
    (anonymous) pages and file-backed ones: the memory-mapped index files and the
    shared libraries, page cache that every web worker on the machine shares."""
    fields = {"VmRSS": "rss_mb", "RssAnon": "anon_mb", "RssFile": "file_mb", "VmHWM": "hwm_mb"}
    found: dict[str, float] = {}
    try:
        with open("/proc/self/status") as status:
            for line in status:
                key, _, value = line.partition(":")
                if key in fields:
                    found[fields[key]] = int(value.split()[0]) / 1024
    except OSError:
        pass
    return found


def _orgs(value: str) -> Path | None:
    return Path(value) if value not in ("", "-") else None


def cpu_seconds() -> float:
    """CPU time (user + system) of this process and of the processes it waited for."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def build(name: str, index: str, corpus: str, orgs: str, procs: str) -> dict:
    eng = engine(name, Path(index))
    cpu = cpu_seconds()
    started = time.perf_counter()
    docs = eng.build(Path(corpus), _orgs(orgs), int(procs))
    seconds = time.perf_counter() - started
    cpu = cpu_seconds() - cpu
    return {
        "docs": docs,
        "seconds": seconds,
        "cpu_s": cpu,
        "size_bytes": eng.size(),
        "peak_rss_mb": peak_rss_mb(),
    }


def add(name: str, index: str, extra: str, orgs: str) -> dict:
    eng = engine(name, Path(index))
    started = time.perf_counter()
    docs = eng.add(Path(extra), _orgs(orgs))
    return {"docs": docs, "seconds": time.perf_counter() - started}


def serve(name: str, index: str) -> None:
    eng = engine(name, Path(index))
    started = time.perf_counter()
    eng.open()
    opened = time.perf_counter()
    eng.search(MIX[0])
    first = time.perf_counter()
    _reply(
        {"open_s": opened - started, "first_query_s": first - opened, "peak_rss_mb": peak_rss_mb()}
    )
    for line in sys.stdin:
        command = line.strip()
        if command == "quit":
            break
        if command != "pass":
            _reply({"error": f"unknown command {command!r}"})
            continue
        latencies, answers = [], []
        for query in MIX:
            started = time.perf_counter()
            answer = eng.search(query)
            latencies.append((time.perf_counter() - started) * 1000)
            answers.append(
                {
                    "total": answer.total,
                    "hits": len(answer.ids),
                    "snippets": answer.snippets,
                    "facets": answer.facets,
                }
            )
        _reply(
            {
                "latencies_ms": latencies,
                "answers": answers,
                "peak_rss_mb": peak_rss_mb(),
                "resident": resident_mb(),
                "median_ms": statistics.median(latencies),
            }
        )


def _reply(payload: dict) -> None:
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


def main(argv: list[str]) -> int:
    command, *args = argv
    if command == "build":
        _reply(build(*args))
    elif command == "add":
        _reply(add(*args))
    elif command == "serve":
        serve(*args)
    else:
        print(f"unknown command {command!r}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
