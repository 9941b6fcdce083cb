"""Index storage: generations on disk, an atomic swap, and the writer lock.

Layout of an index directory (``var/index`` by default)::

    CURRENT -> gen-1732390000000    symlink to the generation readers open
    PREVIOUS -> gen-1732380000000   the one before, kept for readers in flight
    gen-…/                          a complete Whoosh index each
    writer.lock                     held (flock) by the one process writing

A rebuild writes a new generation beside the current one and then replaces
the ``CURRENT`` symlink with ``rename(2)``, which is atomic: a reader sees the
old index or the new one, never a half-built one. A killed rebuild leaves
an orphan generation that the next writer removes. The lock is an advisory
``flock``, released by the kernel when its holder dies, so ``kill -9`` never
leaves the index locked: worker processes close their inherited copy of the
lock and die with the writer. A writer that finds the pid of a dead writer in
the lock file (killed before it could clear it) says so and takes over.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.index import Index

from indexer.index.schema import build_schema
from indexer.model import IndexLockedError, IndexUnavailableError

CURRENT = "CURRENT"
PREVIOUS = "PREVIOUS"
LOCK_FILE = "writer.lock"
GENERATION_PREFIX = "gen-"


OPEN_ATTEMPTS = 5  # a commit replaced mid-open is retried (readers during commits)


class IndexStore:
    """One index directory: find, create, swap and clean up generations."""

    def __init__(self, root: Path | str):
        self.root = Path(root)

    def current_generation(self) -> Path | None:
        try:
            target = os.readlink(self.root / CURRENT)
        except OSError:
            return None
        path = self.root / target
        return path if path.is_dir() else None

    def generation_id(self) -> str | None:
        current = self.current_generation()
        return current.name if current else None

    def open(self) -> Index:
        """Open the current generation for reading (or incremental writing)."""
        current = self.current_generation()
        if current is None:
            raise IndexUnavailableError(
                f"no index at {self.root}: build one with `dossier index --index {self.root}`"
            )
        for attempt in range(OPEN_ATTEMPTS):
            try:
                return whoosh_index.open_dir(str(current))
            except FileNotFoundError:
                # A writer committed between Whoosh listing the commits and reading the
                # newest one, and removed it: the next listing finds the newer commit.
                if attempt == OPEN_ATTEMPTS - 1:
                    raise IndexUnavailableError(
                        f"the index at {current} kept changing while it was opened"
                    ) from None
            except Exception as exc:  # whoosh raises assorted errors for damaged files
                raise IndexUnavailableError(
                    f"the index at {current} cannot be opened: {exc}"
                ) from exc
        raise AssertionError("unreachable")

    def new_generation(self) -> tuple[Path, Index]:
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / f"{GENERATION_PREFIX}{time.time_ns() // 1000:d}"
        path.mkdir()
        try:
            return path, whoosh_index.create_in(str(path), build_schema())
        except BaseException:
            shutil.rmtree(path, ignore_errors=True)
            raise

    def swap(self, generation: Path) -> None:
        """Make ``generation`` current, atomically; remember the old one as previous."""
        old = self.current_generation()
        _fsync_tree(generation)
        _replace_symlink(self.root, CURRENT, generation.name)
        if old is not None and old != generation:
            _replace_symlink(self.root, PREVIOUS, old.name)
        _fsync_dir(self.root)

    def remove_stale_generations(self) -> list[Path]:
        """Delete generations that are neither current nor previous (crashed rebuilds, old ones).

        Only called while holding the writer lock, so no rebuild is in progress.
        """
        keep = {self.current_generation(), self._previous_generation()}
        removed = []
        for path in self.root.glob(f"{GENERATION_PREFIX}*"):
            if path.is_dir() and path not in keep:
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
        return removed

    def _previous_generation(self) -> Path | None:
        try:
            return self.root / os.readlink(self.root / PREVIOUS)
        except OSError:
            return None

    def size_bytes(self) -> int:
        current = self.current_generation()
        if current is None:
            return 0
        total = 0
        for path in current.rglob("*"):  # the columnar companions are directories in it
            with contextlib.suppress(FileNotFoundError):  # a writer removed it meanwhile
                if path.is_file():
                    total += path.stat().st_size
        return total

    @contextlib.contextmanager
    def writer_lock(self, wait: float = 0.0) -> Iterator[int | None]:
        """Hold the one-writer lock; wait up to ``wait`` seconds, then raise IndexLockedError.

        Yields the pid of a writer that died holding it (killed, so it never cleared
        its pid from the lock file), or None. The lock file descriptor is
        ``self.lock_fd`` while held: a process forked by the writer must close it,
        or its copy would keep the lock held after the writer dies.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            deadline = time.monotonic() + max(wait, 0.0)
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise IndexLockedError(self._locked_message(fd)) from None
                    time.sleep(0.05)
            stale = _pid(os.pread(fd, 32, 0))
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
            self.lock_fd = fd
            try:
                yield stale if stale != os.getpid() else None
            finally:
                self.lock_fd = None
                os.ftruncate(fd, 0)  # a clean release leaves no pid behind
        finally:
            os.close(fd)  # closing releases the flock

    lock_fd: int | None = None

    def _locked_message(self, fd: int) -> str:
        holder = _pid(os.pread(fd, 32, 0))
        if holder is not None and not process_alive(holder):
            # The writer is gone but the lock is held: by processes it started
            # (a version of Dossier whose workers outlived it).
            return (
                f"the writer lock of {self.root} is held by processes left over from "
                f"pid {holder}, which is no longer running; end them "
                f"(`fuser -k {self.root / LOCK_FILE}`) and try again"
            )
        return (
            f"another process (pid {holder or '?'}) is writing to {self.root}; "
            "wait for it to finish, or pass --wait SECONDS"
        )


def _pid(raw: bytes) -> int | None:
    text = raw.decode(errors="replace").strip()
    return int(text) if text.isdigit() else None


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (one this user may not signal counts as running)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _replace_symlink(root: Path, name: str, target: str) -> None:
    tmp = root / f".{name}.{os.getpid()}.tmp"
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    os.symlink(target, tmp)
    os.replace(tmp, root / name)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(path: Path) -> None:
    for child in path.iterdir():
        if child.is_file():
            fd = os.open(child, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    _fsync_dir(path)
