"""Two writers at once: the second stops with a clear message (exit 2) or waits
with --wait, and the index ends up holding every committed document."""

from __future__ import annotations

import time
from pathlib import Path

from indexer import SearchService


def _wait_for_lock(index: Path, pid: int, process, timeout: float = 60) -> None:
    """Until ``pid`` has written itself into writer.lock (it holds the flock then)."""
    lock = index / "writer.lock"
    deadline = time.monotonic() + timeout
    while not (lock.exists() and lock.read_text().strip() == str(pid)):
        assert process.poll() is None, f"the first writer ended early: {process.communicate()}"
        assert time.monotonic() < deadline, "the first writer never took the lock"
        time.sleep(0.02)


def test_second_writer_stops_or_waits_and_nothing_is_lost(kit, tmp_path: Path) -> None:
    index = tmp_path / "index"
    first_ids = kit.write_articles(tmp_path / "a" / "first.jsonl", 1200, seed=1, id_prefix="first")
    second_ids = kit.write_articles(tmp_path / "b" / "second.jsonl", 40, seed=2, id_prefix="second")

    first = kit.start_dossier("index", tmp_path / "a", "--index", index)
    _wait_for_lock(index, first.pid, first)

    # All three start together, so the waiting one meets the lock when the others do.
    refused = kit.start_dossier("index", tmp_path / "b", "--index", index)
    deleted = kit.start_dossier("delete", "first-00001", "--index", index)
    waiting = kit.start_dossier("index", tmp_path / "b", "--index", index, "--wait", "240")
    refused_err = refused.communicate(timeout=120)[1]
    deleted_err = deleted.communicate(timeout=120)[1]
    still_running = first.poll() is None

    out, err = first.communicate(timeout=240)
    assert first.returncode == 0, err
    assert still_running, (
        "the first writer finished before the others tried: make its corpus bigger"
    )

    assert refused.returncode == 2, refused_err
    assert f"pid {first.pid}" in refused_err
    assert str(index) in refused_err, "the message names the index"
    assert "--wait" in refused_err, "the message says how to wait instead"
    assert "Traceback" not in refused_err
    assert deleted.returncode == 2 and str(index) in deleted_err

    out, err = waiting.communicate(timeout=240)
    assert waiting.returncode == 0, err
    assert "40 added" in out

    with SearchService(index) as service:
        assert service.stats().documents == len(first_ids) + len(second_ids)
        for doc_id in [*first_ids[:: len(first_ids) // 25], first_ids[-1], *second_ids]:
            assert service.document(doc_id).id == doc_id


def test_wait_is_bounded_and_a_killed_writer_leaves_no_lock(kit, tmp_path: Path) -> None:
    """Past --wait the second writer stops with exit status 2; once the first is
    killed with SIGKILL, the kernel has released its lock and a writer goes ahead."""
    index = tmp_path / "index"
    kit.write_articles(tmp_path / "a" / "first.jsonl", 1200, seed=3, id_prefix="first")
    second_ids = kit.write_articles(tmp_path / "b" / "second.jsonl", 5, seed=4, id_prefix="second")
    first = kit.start_dossier("index", tmp_path / "a", "--index", index)
    try:
        _wait_for_lock(index, first.pid, first)
        started = time.monotonic()
        late = kit.run_dossier("index", tmp_path / "b", "--index", index, "--wait", "0.5")
        waited = time.monotonic() - started
        alive = first.poll() is None
    finally:
        first.kill()
        first.communicate(timeout=60)
    assert alive, "the first writer finished before the second gave up: make its corpus bigger"
    assert late.returncode == 2, late
    assert str(index) in late.stderr
    assert waited >= 0.5

    after = kit.run_dossier("index", tmp_path / "b", "--index", index)
    assert after.returncode == 0, after.stderr
    with SearchService(index) as service:
        assert service.stats().documents == len(second_ids)


def _dead_pid() -> int:
    import subprocess

    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_lock_left_by_a_killed_writer_is_taken_over_with_a_message(kit, tmp_path: Path) -> None:
    """A writer killed before clearing writer.lock leaves its pid there; the kernel has
    released the flock, so the next writer goes ahead and says whose lock it took."""
    index = tmp_path / "index"
    kit.write_articles(tmp_path / "a" / "a.jsonl", 5, seed=5, id_prefix="a")
    index.mkdir()
    dead = _dead_pid()
    (index / "writer.lock").write_text(str(dead))
    done = kit.run_dossier("index", tmp_path / "a", "--index", index)
    assert done.returncode == 0, done.stderr
    assert f"warning: took over the writer lock of pid {dead}" in done.stderr
    assert (index / "writer.lock").read_text() == "", "a clean release leaves no pid behind"
    again = kit.run_dossier("index", tmp_path / "a", "--index", index)
    assert "took over" not in again.stderr


def test_lock_held_by_leftovers_of_a_dead_writer_is_named_as_such(kit, tmp_path: Path) -> None:
    """The flock is held but the pid in the file is gone: processes the writer started
    (an older version's workers) still hold it; the message says so and how to end them."""
    import subprocess
    import sys

    index = tmp_path / "index"
    index.mkdir()
    lock = index / "writer.lock"
    lock.write_text(str(_dead_pid()))
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDWR); "
         "fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); time.sleep(60)",
         str(lock)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        kit.write_articles(tmp_path / "a" / "a.jsonl", 5, seed=6, id_prefix="a")
        done = kit.run_dossier("index", tmp_path / "a", "--index", index)
    finally:
        holder.kill()
        holder.communicate()
    assert done.returncode == 2
    assert "no longer running" in done.stderr and str(lock) in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
