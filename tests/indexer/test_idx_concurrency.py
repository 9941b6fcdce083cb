"""One writer at a time, across real processes.

A helper process takes the writer lock and holds it until told (over its
stdin) to let go; synchronization is by pipes, never by sleeping.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from indexer import (
    IndexLockedError,
    IndexReport,
    SearchRequest,
    SearchService,
    build_index,
    delete_documents,
)
from indexer.index.store import IndexStore

HOLDER = """
import sys
from indexer.index.store import IndexStore

with IndexStore(sys.argv[1]).writer_lock():
    print("locked", flush=True)
    sys.stdin.readline()
print("released", flush=True)
"""

INDEXER = """
import sys
from pathlib import Path
from indexer import build_index

print("ready", flush=True)
sys.stdin.readline()
report = build_index([Path(p) for p in sys.argv[2:]], Path(sys.argv[1]), wait=120)
print(report.added, report.unchanged, report.deleted, len(report.problems), flush=True)
"""

pytestmark = pytest.mark.slow


@contextmanager
def helper(script: str, *args: object, cwd: Path) -> Iterator[subprocess.Popen[str]]:
    with subprocess.Popen(
        [sys.executable, "-c", script, *map(str, args)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=cwd,
    ) as proc:
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()


def expect_line(proc: subprocess.Popen[str], expected: str) -> None:
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == expected


def tell(proc: subprocess.Popen[str]) -> None:
    assert proc.stdin is not None
    proc.stdin.write("go\n")
    proc.stdin.flush()


def test_locked_index_refuses_a_second_writer_with_a_clear_message(
    tmp_path: Path, corpus_dir: Path, repo: Path
) -> None:
    root = tmp_path / "index"
    with helper(HOLDER, root, cwd=repo) as holder:
        expect_line(holder, "locked")
        with pytest.raises(IndexLockedError) as excinfo:
            build_index([corpus_dir], root, wait=0)
        message = str(excinfo.value)
        assert str(root) in message
        assert f"pid {holder.pid}" in message
        assert "--wait" in message
        tell(holder)
        expect_line(holder, "released")
    assert IndexStore(root).current_generation() is None  # the refused run wrote nothing
    report = build_index([corpus_dir], root, wait=0)  # released: now it works
    assert report.added == 5


def test_short_wait_still_fails_while_the_lock_is_held(
    tmp_path: Path, corpus_dir: Path, repo: Path, commit_state
) -> None:
    root = tmp_path / "index"
    build_index([corpus_dir], root)
    before = commit_state(root)
    with helper(HOLDER, root, cwd=repo) as holder:
        expect_line(holder, "locked")
        with pytest.raises(IndexLockedError):
            build_index([corpus_dir], root, wait=0.2, rebuild=True)
        with pytest.raises(IndexLockedError, match=str(root)):
            delete_documents(["000_6bd0586f863e6f1a"], root, wait=0)
        tell(holder)
        expect_line(holder, "released")
    assert commit_state(root) == before  # refused writers changed nothing


def _in_writer_lock(thread: threading.Thread) -> bool:
    frame = sys._current_frames().get(thread.ident or -1)
    while frame is not None:
        if frame.f_code.co_name == "writer_lock":
            return True
        frame = frame.f_back
    return False


def test_waiting_writer_proceeds_once_the_holder_releases(
    tmp_path: Path, corpus_dir: Path, repo: Path
) -> None:
    root = tmp_path / "index"
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["report"] = build_index([corpus_dir], root, wait=120)
        except BaseException as exc:  # reported by the assertion below
            outcome["error"] = exc

    with helper(HOLDER, root, cwd=repo) as holder:
        expect_line(holder, "locked")
        waiter = threading.Thread(target=run)
        waiter.start()
        deadline = time.monotonic() + 60
        while not _in_writer_lock(waiter):  # poll for a state, not for a duration
            assert waiter.is_alive(), outcome
            assert time.monotonic() < deadline, "the writer never reached the lock"
            time.sleep(0.01)
        assert "report" not in outcome  # it is waiting, not done
        tell(holder)
        expect_line(holder, "released")
        waiter.join(timeout=120)
    assert not waiter.is_alive()
    assert "error" not in outcome, outcome
    report = outcome["report"]
    assert isinstance(report, IndexReport) and report.added == 5


def test_searches_in_threads_during_commits_all_succeed(
    tmp_path: Path, copy_seeds, open_service
) -> None:
    """Readers share one SearchService while a writer commits: none may fail, and
    each sees a whole index (5 seeds plus however many extras were committed)."""
    corpus = copy_seeds(tmp_path / "corpus")
    root = tmp_path / "index"
    build_index([corpus], root)
    service = open_service(root)
    errors: list[BaseException] = []
    totals: list[int] = []
    done = threading.Event()

    def reader() -> None:
        while not done.is_set():
            try:
                result = service.search(SearchRequest(query="harbour OR Naghiyev", per_page=2))
                totals.append(result.total)
                service.stats()
            except BaseException as exc:  # collected and asserted on below
                errors.append(exc)
                return

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        for i in range(4):
            (corpus / f"extra{i}.txt").write_text(f"Harbour note number {i}. Ships sailed.")
            assert build_index([corpus], root).added == 1
    finally:
        done.set()
        for thread in threads:
            thread.join(timeout=60)
    assert errors == []
    assert totals and set(totals) <= {4, 5, 6, 7, 8}
    assert service.search(SearchRequest(query="harbour OR Naghiyev")).total == 8


def test_two_processes_indexing_at_once_leave_every_document(
    tmp_path: Path, repo: Path, seeds
) -> None:
    root = tmp_path / "index"
    numbers = sorted(seeds.paths)
    first = [seeds.paths[n] for n in numbers[:3]]
    second = [seeds.paths[n] for n in numbers[3:]]
    with (
        helper(INDEXER, root, *first, cwd=repo) as one,
        helper(INDEXER, root, *second, cwd=repo) as two,
    ):
        expect_line(one, "ready")
        expect_line(two, "ready")
        tell(one)
        tell(two)
        outputs = []
        for proc in (one, two):
            assert proc.stdout is not None
            outputs.append(proc.stdout.readline().split())
            assert proc.wait(timeout=120) == 0
    assert outputs == [["3", "0", "0", "0"], ["2", "0", "0", "0"]]
    assert not list(root.glob(".*.tmp"))  # no half-made symlink left
    assert {p.name for p in root.glob("gen-*")} == {IndexStore(root).generation_id()}
    with SearchService(root) as service:
        stats = service.stats()
        assert stats.documents == 5
        assert {service.document(seeds.ids[n]).id for n in numbers} == set(seeds.ids.values())
        assert service.search(SearchRequest(query="Naghiyev")).total == 4


def test_two_processes_rebuilding_at_once_leave_an_intact_index(
    tmp_path: Path, repo: Path, corpus_dir: Path
) -> None:
    root = tmp_path / "index"
    script = INDEXER.replace("wait=120)", "wait=120, rebuild=True)")
    with (
        helper(script, root, corpus_dir, cwd=repo) as one,
        helper(script, root, corpus_dir, cwd=repo) as two,
    ):
        expect_line(one, "ready")
        expect_line(two, "ready")
        tell(one)
        tell(two)
        for proc in (one, two):
            assert proc.stdout is not None
            assert proc.stdout.readline().split() == ["5", "0", "0", "0"]
            assert proc.wait(timeout=120) == 0
    store = IndexStore(root)
    assert len({p.name for p in root.glob("gen-*")}) == 2  # current and previous
    with SearchService(root) as service:
        assert service.stats().documents == 5
        assert service.stats().generation.startswith(str(store.generation_id()))
