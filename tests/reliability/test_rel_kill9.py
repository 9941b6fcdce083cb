"""``kill -9`` of an indexing process before, during and after its commit: the
index opens afterwards with every previously committed document, shows one
whole commit (the old or the new, never a part), and re-running the indexer
finishes the job. The same for an interrupted ``dossier index --rebuild``:
CURRENT keeps pointing at a complete generation that goes on serving.

Kill moments are random delays over the whole run plus moments read off the
index directory: when the commit starts writing its column files, and when
its table of contents appears (the commit is done; clean-up, swap and exit
are under way). Slow: each round copies a base index and runs the indexer
twice.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from indexer import SearchRequest, SearchService

pytestmark = pytest.mark.slow

BASE_FILES = 4  # files of 300 articles indexed before the kills: the committed state
MORE_FILES = 3  # files added for the killed run
PER_FILE = 200
REVISED = "revised"  # word put into every title of part-0 by the killed run (updates)


def _ids(service: SearchService) -> set[str]:
    """Every document id in the index, by browsing all pages."""
    ids: set[str] = set()
    page = 1
    while True:
        request = SearchRequest(languages=("en",), per_page=100, page=page, snippets=False)
        result = service.search(request)
        ids.update(hit.id for hit in result.hits)
        if page >= result.pages:
            return ids
        page += 1


def _state(index: Path) -> tuple[set[str], int]:
    """(document ids, documents whose title has the revised word) of a fresh reader."""
    with SearchService(index) as service:
        revised = service.search(SearchRequest(query=f"title:{REVISED}", per_page=1)).total
        return _ids(service), revised


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory, session_kit) -> dict:
    """A base index of 800 articles, and the corpus of the run to kill."""
    root = tmp_path_factory.mktemp("kill9")
    write, run = session_kit.write_articles, session_kit.run_dossier
    old_ids: set[str] = set()
    for n in range(BASE_FILES):
        old_ids |= set(write(root / "old" / f"part-{n}.jsonl", PER_FILE, seed=n, id_prefix=f"p{n}"))
    done = run("index", root / "old", "--index", root / "base")
    assert done.returncode == 0, done.stderr

    new_ids = set(old_ids)
    shutil.copytree(root / "old", root / "new")
    for n in range(BASE_FILES, BASE_FILES + MORE_FILES):
        new_ids |= set(write(root / "new" / f"part-{n}.jsonl", PER_FILE, seed=n, id_prefix=f"p{n}"))
    part0 = root / "new" / "part-0.jsonl"
    part0.write_text(part0.read_text().replace('"title": "', f'"title": "{REVISED.title()} '))
    return {"root": root, "old": old_ids, "new": new_ids}


def _generation(index: Path) -> Path:
    return (index / "CURRENT").resolve()


def _files(path: Path) -> set[str]:
    try:
        return set(os.listdir(path))
    except FileNotFoundError:
        return set()


def _kill_when(process: subprocess.Popen, index: Path, trigger: str, delay: float) -> str:
    """SIGKILL ``process`` at ``trigger``; returns where it was (for the tally)."""
    deadline = time.monotonic() + (delay if trigger == "delay" else 120)
    start_gens = {p.name for p in index.glob("gen-*")}
    watched = _generation(index)
    before = _files(watched)
    while process.poll() is None and time.monotonic() < deadline:
        if trigger != "delay":
            new_gens = {p.name for p in index.glob("gen-*")} - start_gens
            if new_gens:  # a rebuild: watch the generation it is writing
                watched = index / sorted(new_gens)[0]
            added = _files(watched) - before
            if trigger == "commit" and any(f.endswith((".col", ".seg")) for f in added):
                break
            if trigger == "toc" and any(f.endswith(".toc") for f in added):
                break
        time.sleep(0.002)
    if process.poll() is not None:
        process.communicate()
        return "finished"
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    return f"killed at {trigger}"


def _plan(rounds: int, seed: int) -> list[tuple[str, float]]:
    rng = random.Random(seed)
    triggers = ["commit", "toc"] * (rounds // 4)
    triggers += ["delay"] * (rounds - len(triggers))
    return [(t, rng.uniform(0.05, 0.9)) for t in triggers]


def _full_run_seconds(kit, corpora: dict, tmp_path: Path, *extra: str) -> float:
    index = tmp_path / "timing"
    shutil.copytree(corpora["root"] / "base", index, symlinks=True)
    started = time.monotonic()
    done = kit.run_dossier("index", corpora["root"] / "new", "--index", index, *extra)
    assert done.returncode == 0, done.stderr
    return time.monotonic() - started


def test_kill_9_during_incremental_indexing_loses_nothing(kit, corpora, tmp_path: Path) -> None:
    seconds = _full_run_seconds(kit, corpora, tmp_path)
    outcomes: Counter = Counter()
    for number, (trigger, fraction) in enumerate(_plan(10, seed=9)):
        index = tmp_path / f"round-{number}"
        shutil.copytree(corpora["root"] / "base", index, symlinks=True)
        process = kit.start_dossier("index", corpora["root"] / "new", "--index", index)
        outcome = _kill_when(process, index, trigger, fraction * seconds * 1.1)

        ids, revised = _state(index)
        if ids == corpora["old"]:
            assert revised == 0, "old documents but some updates: half a commit"
            outcomes[f"{outcome}: old state"] += 1
        else:
            assert ids == corpora["new"], f"{len(ids)} documents: neither the old nor the new state"
            assert revised == PER_FILE, "new documents but not the updates: half a commit"
            outcomes[f"{outcome}: new state"] += 1

        again = kit.run_dossier("index", corpora["root"] / "new", "--index", index)
        assert again.returncode == 0, again.stderr
        assert "Traceback" not in again.stderr
        assert _state(index) == (corpora["new"], PER_FILE)
        shutil.rmtree(index)
    print(dict(outcomes))
    killed = sum(n for key, n in outcomes.items() if key.startswith("killed"))
    assert killed >= 5, f"too few kills landed while the indexer ran: {dict(outcomes)}"
    assert any("old state" in key for key in outcomes), dict(outcomes)


def test_kill_9_during_rebuild_keeps_the_old_index_serving(kit, corpora, tmp_path: Path) -> None:
    seconds = _full_run_seconds(kit, corpora, tmp_path, "--rebuild")
    outcomes: Counter = Counter()
    for number, (trigger, fraction) in enumerate(_plan(6, seed=10)):
        index = tmp_path / f"round-{number}"
        shutil.copytree(corpora["root"] / "base", index, symlinks=True)
        serving = SearchService(index)
        assert serving.stats().documents == len(corpora["old"])
        process = kit.start_dossier("index", corpora["root"] / "new", "--index", index, "--rebuild")
        outcome = _kill_when(process, index, trigger, fraction * seconds * 1.1)

        assert _generation(index).is_dir(), "CURRENT points at nothing"
        total = serving.stats().documents  # the reader opened before the kill still answers
        assert total in (len(corpora["old"]), len(corpora["new"]))
        assert serving.search(SearchRequest(query="minister")).total > 0
        serving.close()
        ids, revised = _state(index)
        assert (ids, revised) in ((corpora["old"], 0), (corpora["new"], PER_FILE))
        outcomes[f"{outcome}: {'old' if ids == corpora['old'] else 'new'} state"] += 1

        again = kit.run_dossier("index", corpora["root"] / "new", "--index", index, "--rebuild")
        assert again.returncode == 0, again.stderr
        assert _state(index) == (corpora["new"], PER_FILE)
        kept = {p.name for p in index.glob("gen-*")}
        linked = {os.readlink(index / "CURRENT"), os.readlink(index / "PREVIOUS")}
        assert kept == linked, f"orphan generations left behind: {kept - linked}"
        shutil.rmtree(index)
    print(dict(outcomes))
    killed = sum(n for key, n in outcomes.items() if key.startswith("killed"))
    assert killed >= 3, f"too few kills landed while the rebuild ran: {dict(outcomes)}"


# -- a parallel rebuild (input over PARALLEL_MIN_BYTES: several worker processes) ----------

PARALLEL_ARTICLES = 7000  # ~7 MB of JSON Lines, above the 4 MB where workers start


@pytest.fixture(scope="module")
def parallel_corpus(tmp_path_factory: pytest.TempPathFactory, session_kit) -> dict:
    """A small committed index, and an input big enough for a parallel rebuild."""
    from indexer.index.writing import PARALLEL_MIN_BYTES

    root = tmp_path_factory.mktemp("parallel")
    old = set(session_kit.write_articles(root / "old" / "a.jsonl", 50, seed=21, id_prefix="o"))
    session_kit.write_articles(root / "big" / "a.jsonl", PARALLEL_ARTICLES, seed=22, id_prefix="b")
    assert (root / "big" / "a.jsonl").stat().st_size > PARALLEL_MIN_BYTES
    done = session_kit.run_dossier("index", root / "old", "--index", root / "base")
    assert done.returncode == 0, done.stderr
    return {"root": root, "old": old}


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
def test_stopped_parallel_rebuild_leaves_no_workers_no_lock_no_half_generation(
    kit, parallel_corpus: dict, tmp_path: Path, signum: int
) -> None:
    """Workers die with the writer, the lock is free at once, the old index serves; a
    SIGTERM or SIGINT stops the build in one line, with 128 + signal as exit status."""
    rng = random.Random(signum)
    root = parallel_corpus["root"]
    for number in range(2):
        index = tmp_path / f"round-{number}"
        shutil.copytree(root / "base", index, symlinks=True)
        before = os.readlink(index / "CURRENT")
        process = kit.start_dossier(
            "index", root / "big", "--index", index, "--rebuild", start_new_session=True
        )
        deadline = time.monotonic() + 120
        while len(_children(process.pid)) < 2:  # the workers have started
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "no worker processes started"
            time.sleep(0.05)
        workers = _children(process.pid)
        time.sleep(rng.uniform(0.2, 2.5))
        process.send_signal(signum)
        _, err = process.communicate(timeout=60)

        deadline = time.monotonic() + 10
        while _group_alive(process.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _group_alive(process.pid):
            os.killpg(process.pid, signal.SIGKILL)  # leave no orphan behind, then fail
            pytest.fail(f"workers outlived the writer: {sorted(workers)}")
        if signum == signal.SIGKILL:
            assert process.returncode == -signal.SIGKILL
        else:
            assert process.returncode == 128 + signum, err
            assert "Traceback" not in err
            lines = err.strip().splitlines()
            assert len(lines) == 1, err
            assert lines[0].startswith("dossier: stopped by ") and str(index) in lines[0]
            assert {p.name for p in index.glob("gen-*")} == {before}, "half generation kept"
        assert os.readlink(index / "CURRENT") == before
        assert _state(index)[0] == parallel_corpus["old"]

        again = kit.run_dossier("index", root / "old", "--index", index)
        assert again.returncode == 0, again.stderr  # not "another process is writing"
        assert "50 unchanged" in again.stdout
        if signum == signal.SIGKILL:
            assert f"took over the writer lock of pid {process.pid}" in again.stderr
        shutil.rmtree(index)
