"""A disk that fills up during indexing: a clear error, and the last committed
index stays usable; once there is room again, the same run completes.

Two ways to fill a disk for real: a small tmpfs mounted for the test (we run
as root), and RLIMIT_FSIZE in the indexing process (SIGXFSZ ignored, so the
write fails with EFBIG as it would on a full quota). Slow: indexing until the
disk is full takes a few seconds per variant.
"""

from __future__ import annotations

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
