"""Searches keep succeeding, and see whole commits only, while another process
adds, updates and deletes documents and commits again and again.

The writer's commits are checkable: in round k the index holds exactly
``size(k)`` documents, every one with the source ``round-k`` and the word
``roundk`` in its title. So one search response is consistent when its
source facet has a single value ``round-k``, its total is ``size(k)`` and
every hit's title names round k; a mix of two commits cannot pass.

Readers: a SearchService in this process (words and browse), and a real
gunicorn server (2 workers) answering JSON searches, a document and the HTML
page. Every request must succeed; a mixed response is a failure, except that
the one mix the engine is known to produce (KNOWN_MIX, reported) is an xfail
until it is fixed.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path

from indexer import SearchRequest, SearchService

KNOWN_MIX = (
    "engine bug (reported): Generation.searcher() opens each thread's searcher at the newest "
    "commit on disk, not the commit its FacetCache was read from, so a commit landing in "
    "between gives one response facets/filters of one commit and matches of another"
)
ROUNDS = 14
REBUILD_EVERY = 5  # every fifth commit is a whole new generation swapped in


def size(k: int) -> int:
    """Documents in round k: grows and shrinks, so rounds add and delete."""
    return 30 + (k * 17) % 41


WRITER = """
import json, sys
from pathlib import Path
from indexer import build_index

index, corpus, progress = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
first, last, rebuild_every = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])

def size(k):
    return 30 + (k * 17) % 41

for k in range(first, last):
    with corpus.open("w", encoding="utf-8") as out:
        for i in range(size(k)):
            out.write(json.dumps({
                "id": f"doc-{i:03d}",
                "title": f"Ledger entry {i} round{k:03d}",
                "body": f"A reliable ledger entry number {i}, written in round {k}. " * 3,
                "lang": "en", "date": "2020-01-01", "source": f"round-{k:03d}",
            }) + "\\n")
    rebuild = k > 0 and k % rebuild_every == 0
    report = build_index([corpus], index, rebuild=rebuild, wait=60)
    assert report.ok, [str(p) for p in report.problems]
    with progress.open("a") as log:
        log.write(f"{k}\\n")
"""

_ROUND = re.compile(r"round(\d{3})")


def run_writer(tmp_path: Path, first: int, last: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path / "index"), str(tmp_path / "ledger.jsonl"),
         str(tmp_path / "progress.txt"), str(first), str(last), str(REBUILD_EVERY)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


class MixedCommit(AssertionError):
    """One response showed parts of two commits."""


def check_consistent(total: int, sources: list[tuple[str, int]], titles: list[str]) -> int:
    """The round one response shows, after checking it shows exactly one commit."""
    shown = f"total {total}, source facet {sources}, hits {len(titles)}: {titles[:2]}"
    if len(sources) != 1:
        raise MixedCommit(f"not one commit: {shown}")
    value, count = sources[0]
    k = int(value.removeprefix("round-"))
    if not count == total == size(k) or len(titles) != min(total, 100):
        raise MixedCommit(f"round {k} has {size(k)} documents; {shown}")
    rounds = {int(m.group(1)) for t in titles for m in _ROUND.finditer(t)}
    if rounds != {k}:
        raise MixedCommit(f"hits of rounds {rounds} in a response of round {k}")
    return k


class Readers:
    """Reader threads that loop until stopped, recording rounds seen and failures."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.failures: list[str] = []
        self.mixed: list[str] = []
        self.seen: dict[str, list[int]] = {}
        self.threads: list[threading.Thread] = []

    def start(self, name: str, read: Callable[[], int]) -> None:
        self.seen[name] = []

        def loop() -> None:
            deadline = time.monotonic() + 180  # bounded even if the writer hangs
            while not self.stop.is_set() and time.monotonic() < deadline:
                try:
                    self.seen[name].append(read())
                except MixedCommit as error:
                    self.mixed.append(f"{name}: {error}")
                except Exception as error:  # recorded and asserted on in the test
                    self.failures.append(f"{name}: {type(error).__name__}: {error}")
                    if len(self.failures) > 20:
                        return

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        self.threads.append(thread)

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)


def test_readers_see_whole_commits_while_another_process_writes(kit, tmp_path: Path) -> None:
    _, err = run_writer(tmp_path, 0, 1).communicate(timeout=120)
    assert (tmp_path / "progress.txt").read_text() == "0\n", err
    server = kit.server(tmp_path / "index", workers=2)
    service = SearchService(tmp_path / "index")
    readers = Readers()

    def in_process(query: str, **filters: tuple[str, ...]) -> Callable[[], int]:
        def read() -> int:
            result = service.search(SearchRequest(query=query, per_page=100, **filters))
            sources = [(v.value, v.count) for v in result.facets["source"].values]
            return check_consistent(result.total, sources, [h.title for h in result.hits])

        return read

    def over_http(params: dict[str, str]) -> Callable[[], int]:
        url = f"{server.url}/api/search?{urllib.parse.urlencode({**params, 'per_page': 100})}"

        def read() -> int:
            status, _, body = kit.fetch(url)
            assert status == 200, f"{status}: {body[:300]!r}"
            data = json.loads(body)
            sources = [(v["value"], v["count"]) for v in data["facets"]["source"]]
            return check_consistent(data["total"], sources, [h["title"] for h in data["hits"]])

        return read

    def document_page() -> int:
        status, _, body = kit.fetch(f"{server.url}/api/documents/doc-000?q=ledger")
        assert status == 200, f"{status}: {body[:300]!r}"
        return int(_ROUND.search(json.loads(body)["title"]).group(1))

    def html_page() -> int:
        status, _, body = kit.fetch(f"{server.url}/?q=reliable+ledger")
        assert status == 200, f"{status}: {body[:300]!r}"
        return int(_ROUND.search(body.decode()).group(1))

    readers.start("service words", in_process("reliable ledger"))
    readers.start("service browse", in_process("", languages=("en",)))
    readers.start("http words", over_http({"q": "reliable"}))
    readers.start("http browse", over_http({"lang": "en"}))
    readers.start("http document", document_page)
    readers.start("http page", html_page)

    writer = run_writer(tmp_path, 1, ROUNDS)
    try:
        _, err = writer.communicate(timeout=240)
    finally:
        readers.finish()
    assert writer.returncode == 0, err
    committed = [int(line) for line in (tmp_path / "progress.txt").read_text().split()]
    assert committed == list(range(ROUNDS))

    final = in_process("reliable ledger")()
    service.close()
    assert final == ROUNDS - 1, "the last commit is visible without reopening anything"
    assert readers.failures == [], readers.failures[:5]
    for name, rounds in readers.seen.items():
        assert len(rounds) >= 5, f"{name} read only {len(rounds)} times"
        assert len(set(rounds)) >= 3, f"{name} saw rounds {sorted(set(rounds))}: too few to test"
    for name in ("service words", "service browse"):
        rounds = readers.seen[name]
        assert rounds == sorted(rounds), f"{name} went back to an older commit: {rounds}"
    assert server.server_errors() == [], server.server_errors()[:5]
    assert readers.mixed == [], f"{KNOWN_MIX}: {readers.mixed[:3]}"
