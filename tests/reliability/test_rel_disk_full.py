"""A disk that fills up during indexing: a clear error, and the last committed
index stays usable; once there is room again, the same run completes.

Two ways to fill a disk for real: a small tmpfs mounted for the test (we run
as root), and RLIMIT_FSIZE in the indexing process (SIGXFSZ ignored, so the
write fails with EFBIG as it would on a full quota). Slow: indexing until the
disk is full takes a few seconds per variant.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from indexer import SearchRequest, SearchService

pytestmark = pytest.mark.slow

BASE = 60  # articles committed before the disk fills (~0.4 MB of index)
MORE = 1000  # articles that do not fit (~3 MB): the run fails in its commit
TMPFS_SIZE = "1536k"
FILE_LIMIT = 1024 * 1024  # RLIMIT_FSIZE, bytes
DISK_ERRORS = ("No space left on device", "File too large")


def _limit_file_size() -> None:  # runs in the child between fork and exec
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_LIMIT, FILE_LIMIT))


class Scenario:
    """A committed base index, then a run that fills the disk."""

    def __init__(self, kit, root: Path, index: Path, variant: str) -> None:
        self.kit, self.root, self.index, self.variant = kit, root, index, variant
        self.base_ids = kit.write_articles(root / "corpus" / "a.jsonl", BASE, seed=1, id_prefix="a")
        done = kit.run_dossier("index", root / "corpus", "--index", index)
        assert done.returncode == 0, done.stderr
        self.more_ids = kit.write_articles(root / "corpus" / "b.jsonl", MORE, seed=2, id_prefix="b")
        extra = {"preexec_fn": _limit_file_size} if variant == "rlimit" else {}
        self.failed = kit.run_dossier("index", root / "corpus", "--index", index, **extra)

    def make_room(self) -> None:
        if self.variant == "tmpfs":
            subprocess.run(["mount", "-o", "remount,size=64m", str(self.index.parent)], check=True)


@pytest.fixture(scope="module", params=["tmpfs", "rlimit"])
def full_disk(request, session_kit, tmp_path_factory, require) -> Iterator[Scenario]:
    root = tmp_path_factory.mktemp(f"disk-{request.param}")
    if request.param == "rlimit":
        yield Scenario(session_kit, root, root / "disk" / "index", "rlimit")
        return
    mountpoint = root / "disk"
    mountpoint.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE}", "tmpfs", str(mountpoint)],
        capture_output=True,
        text=True,
        check=False,
    )
    require(mounted.returncode == 0, f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield Scenario(session_kit, root, mountpoint / "index", "tmpfs")
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=False)


def test_full_disk_keeps_the_last_commit_and_a_rerun_completes(full_disk: Scenario) -> None:
    failed = full_disk.failed
    assert failed.returncode != 0, failed.stdout
    assert any(reason in failed.stderr for reason in DISK_ERRORS), failed.stderr[-2000:]

    with SearchService(full_disk.index) as service:
        assert service.stats().documents == BASE
        for doc_id in full_disk.base_ids:
            assert service.document(doc_id).id == doc_id
        assert service.search(SearchRequest(query="minister")).total > 0

    full_disk.make_room()
    again = full_disk.kit.run_dossier(
        "index", full_disk.root / "corpus", "--index", full_disk.index
    )
    assert again.returncode == 0, again.stderr
    assert f"{MORE} added" in again.stdout
    with SearchService(full_disk.index) as service:
        assert service.stats().documents == BASE + MORE
    generation = (full_disk.index / "CURRENT").resolve()
    assert not list(generation.glob("*.tmp/*")), "temporary files of the failed run remain"


def test_full_disk_is_reported_in_one_clear_line(full_disk: Scenario) -> None:
    failed = full_disk.failed
    assert failed.returncode == 2, "a fatal error, not a per-file failure (1)"
    assert "Traceback" not in failed.stderr
    message = failed.stderr.strip().splitlines()[-1]
    assert message.startswith("dossier: ")
    assert any(reason in message for reason in DISK_ERRORS)
    assert str(full_disk.index) in message


# -- the same during a parallel rebuild (input over 4 MB: worker processes write) ---------

REBUILD_ARTICLES = 7000  # ~7 MB of JSON Lines: a parallel build whose segments do not fit


@pytest.fixture(scope="module", params=["tmpfs", "rlimit"])
def full_disk_rebuild(request, session_kit, tmp_path_factory, require) -> Iterator[dict]:
    root = tmp_path_factory.mktemp(f"rebuild-{request.param}")
    disk = root / "disk"
    disk.mkdir()
    if request.param == "tmpfs":
        mounted = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE}", "tmpfs", str(disk)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        require(mounted.returncode == 0, f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    kit = session_kit
    try:
        base_ids = kit.write_articles(root / "old" / "a.jsonl", BASE, seed=5, id_prefix="a")
        index = disk / "index"
        done = kit.run_dossier("index", root / "old", "--index", index)
        assert done.returncode == 0, done.stderr
        kit.write_articles(root / "new" / "b.jsonl", REBUILD_ARTICLES, seed=6, id_prefix="b")
        extra = {"preexec_fn": _limit_file_size} if request.param == "rlimit" else {}
        failed = kit.run_dossier("index", root / "new", "--index", index, "--rebuild", **extra)
        yield {"index": index, "failed": failed, "base_ids": base_ids}
    finally:
        if request.param == "tmpfs":
            subprocess.run(["umount", "-l", str(disk)], check=False)


def test_full_disk_during_a_parallel_rebuild_is_one_line_and_the_old_index_serves(
    full_disk_rebuild: dict,
) -> None:
    failed, index = full_disk_rebuild["failed"], full_disk_rebuild["index"]
    assert failed.returncode == 2, failed
    assert "Traceback" not in failed.stderr
    lines = failed.stderr.strip().splitlines()
    assert len(lines) == 1, failed.stderr[-3000:]
    assert lines[0].startswith("dossier: ") and str(index) in lines[0]
    assert any(reason in lines[0] for reason in DISK_ERRORS), lines[0]
    assert "instead of" not in lines[0], "a count, not the cause"
    kept = {p.name for p in index.glob("gen-*")}
    assert kept == {os.readlink(index / "CURRENT")}, "the failed generation is still on disk"
    with SearchService(index) as service:
        assert service.stats().documents == BASE
        for doc_id in full_disk_rebuild["base_ids"][:5]:
            assert service.document(doc_id).id == doc_id
