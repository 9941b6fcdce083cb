"""Peak memory of `dossier index` on one very large JSON Lines file (issue 12).

JSON Lines are streamed line by line, so the indexer's memory should not grow
with the file. This builds a file of the size asked for (default 2 GB; plain
or ``.jsonl.gz``) from ``bench/generate.py`` articles, repeated with fresh ids
(``c<copy>-<id>``) until it is big enough (by default there are enough distinct
articles and none is repeated), indexes it with
``dossier index FILE --rebuild`` and reports the wall time, the peak resident
memory of the indexing process (``VmHWM``) and of its largest worker
(``RUSAGE_CHILDREN``; and its own private pages, without those shared with
the indexing process since the fork), and the index's document count. Not part of
``make test``; ``make bench-stream`` runs it (over an hour for 2 GB).

``--load-only`` measures the streaming loader alone on the file, in this
process: every line read, decoded, parsed, checked and its id claimed, but no
article cleaned, analyzed or written (that work is per article and bounded by
the body limit and Whoosh's posting pool).

    python bench/stream_memory.py [--gigabytes 2] [--articles N] [--gzip] [--work DIR]
    python bench/stream_memory.py --corpus FILE.jsonl[.gz]   # an existing file
    python bench/stream_memory.py --corpus FILE.jsonl --load-only
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
_ID = re.compile(rb'^\{"id": "')


def make_corpus(out: Path, gigabytes: float, articles: int, compress: bool) -> tuple[int, int]:
    """Write the corpus; returns (articles, uncompressed bytes)."""
    source = out.parent / "source.jsonl"
    if not source.exists():
        subprocess.run(
            [sys.executable, REPO / "bench" / "generate.py", str(articles), str(source)],
            check=True,
        )
    target = int(gigabytes * 1e9)
    written = count = copy = 0
    opener = gzip.open if compress else open
    with opener(out, "wb") as sink:
        while written < target:
            with source.open("rb") as lines:
                for line in lines:
                    line = _ID.sub(b'{"id": "c%d-' % copy, line, count=1)
                    sink.write(line)
                    written += len(line)
                    count += 1
                    if written >= target:
                        break
            copy += 1
    return count, written


def peak_of(pid: int) -> int:
    """The process's peak resident set so far (kB), 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def private_of_children(pid: int) -> int:
    """The largest memory (kB) any child of ``pid`` holds on its own: its private pages,
    without those it still shares with the indexing process since the fork (which its
    resident figure counts, so a worker's RSS grows with its parent's)."""
    largest = 0
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0
    for child in children:
        try:
            rollup = Path(f"/proc/{child}/smaps_rollup").read_text()
        except OSError:
            continue
        private = sum(int(line.split()[1]) for line in rollup.splitlines()
                      if line.startswith(("Private_Clean:", "Private_Dirty:")))  # fmt: skip
        largest = max(largest, private)
    return largest


def load_only(corpus: Path) -> int:
    """Stream ``corpus`` through the loader without building documents; print the peak."""
    sys.path.insert(0, str(REPO))
    from indexer.ingest.documents import DocumentBuilder, LoadProblem, load_documents
    from indexer.ingest.organizations import Gazetteer

    class CountingBuilder(DocumentBuilder):
        built = 0

        def build(self, **fields: object) -> tuple[None, list]:
            self.built += 1
            return None, []

    builder = CountingBuilder(Gazetteer([]))
    started = time.monotonic()
    problems = sum(isinstance(item, LoadProblem) for item in load_documents([corpus], builder))
    seconds = time.monotonic() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"loader alone: {builder.built:,} records, {problems} problems in {seconds:.0f} s; "
          f"peak resident memory {peak / 1024:,.0f} MB")  # fmt: skip
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gigabytes", type=float, default=2.0)
    parser.add_argument("--articles", type=int, default=None,
                        help="distinct articles made (default: enough to fill --gigabytes; "
                        "fewer are repeated with fresh ids, i.e. exact duplicates)")  # fmt: skip
    parser.add_argument("--gzip", action="store_true", help="write and read a .jsonl.gz")
    parser.add_argument("--work", type=Path, help="working directory (default: a temporary one)")
    parser.add_argument("--corpus", type=Path, help="index this file instead of making one")
    parser.add_argument("--load-only", action="store_true", help="measure the loader alone")
    args = parser.parse_args(argv)

    work = args.work or Path(tempfile.mkdtemp(prefix="dossier-stream-"))
    work.mkdir(parents=True, exist_ok=True)
    if args.corpus:
        corpus = args.corpus
        with (gzip.open if corpus.name.endswith(".gz") else open)(corpus, "rb") as lines:
            count = size = 0
            for count, line in enumerate(lines, 1):  # noqa: B007 - count is the result
                size += len(line)
    else:
        corpus = work / ("big.jsonl.gz" if args.gzip else "big.jsonl")
        # ~1,220 bytes a generated article: 4% more than fill the file, none repeated
        articles = args.articles or int(args.gigabytes * 1e9 / 1170) + 1
        count, size = make_corpus(corpus, args.gigabytes, articles, args.gzip)
    print(f"corpus: {corpus} ({count:,} articles, {size / 1e9:.2f} GB of JSON Lines, "
          f"{corpus.stat().st_size / 1e9:.2f} GB on disk)")  # fmt: skip
    if args.load_only:
        return load_only(corpus)

    index = work / "index"
    shutil.rmtree(index, ignore_errors=True)
    command = [sys.executable, "-m", "indexer", "index", str(corpus), "--index", str(index),
               "--rebuild"]  # fmt: skip
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    parent_peak = worker_private = 0
    polls = 0
    while process.poll() is None:
        parent_peak = max(parent_peak, peak_of(process.pid))
        if polls % 10 == 0:  # every 5 s: reading smaps costs more than status
            worker_private = max(worker_private, private_of_children(process.pid))
        polls += 1
        time.sleep(0.5)
    out, err = process.communicate()
    seconds = time.monotonic() - started
    largest = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # kB on Linux
    print(out.decode().strip())
    if process.returncode != 0:
        print(err.decode()[-2000:], file=sys.stderr)
        return process.returncode
    print(f"indexed in {seconds / 60:.1f} min ({count / seconds:,.0f} docs/s); "
          f"peak resident memory: indexing process {parent_peak / 1024:,.0f} MB, "
          f"largest single process {largest / 1024:,.0f} MB (pages shared with the "
          f"indexing process included), largest worker's own "
          f"{worker_private / 1024:,.0f} MB")  # fmt: skip
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    os.environ.pop("DOSSIER_INDEX_DIR", None)
    sys.exit(main())
