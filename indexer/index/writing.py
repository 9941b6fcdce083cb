"""Building and updating the index from corpus files.

Incremental by default: each document carries a checksum of its raw input,
the pipeline version and the gazetteer, so re-indexing unchanged files
analyzes nothing and commits nothing; a changed file updates its documents
by id; a document whose file no longer has it is deleted, unless that file
failed to load this time (a broken file never deletes what was indexed from
it). ``rebuild=True`` writes a fresh generation and swaps it in atomically.

A fresh generation (the first build, or ``rebuild=True``) of a large corpus
is written by several processes (``procs``, default: every core): this
process loads and enriches the documents and hands them in batches to
Whoosh's multi-process writer, whose workers analyze them and write one
segment each, side by side. Analysis and segment writing are most of the
cost of indexing (bench/PROFILES.md), so this is what scales with cores.
A worker that dies makes the build fail loudly (the old index keeps
serving); it never hangs the build or loses documents silently.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from whoosh.index import Index
from whoosh.writing import IndexWriter

from indexer.analysis.language import analysis_signature
from indexer.index.columnar import install_companion_writer, sync_companions
from indexer.index.schema import build_schema, document_fields, layout_notice
from indexer.index.store import IndexStore
from indexer.index.whoosh_internals import ParallelWriter, install_writer_lengths
from indexer.ingest.documents import (
    DocumentBuilder,
    LoadProblem,
    Unchanged,
    checksum,
    iter_corpus_files,
    load_documents,
)
from indexer.ingest.duplicates import StoryAssigner, signature
from indexer.ingest.organizations import Gazetteer
from indexer.model import BuildInterrupted, Document, IncompleteIndexError, IndexUnavailableError

PIPELINE_VERSION = "5"  # bump when cleaning/analysis changes, to re-index everything
# 3: dates only from datelines (with provenance), mojibake repaired, every language
# 4: stories (near-duplicates, ingest.duplicates)
# 5: Turkish words keyed by their lemma where simplemma's tables know them
WRITER_MEMORY_MB = 256
# A fresh generation is written in segments, each sorted in memory: one segment
# for everything makes Whoosh spill its posting pool to disk and merge it back,
# pickling every posting one by one, which costs more than a quarter of a build
# (bench/PROFILES.md). A segment holds about SEGMENT_CHARS characters of text,
# more for large inputs so that a build makes at most about MAX_SEGMENTS of them
# (each extra segment costs every query a little, and every searcher a few files).
SEGMENT_CHARS = 6_000_000  # about 4,000 news articles
MAX_SEGMENTS = 10
# ...but never more than this per segment: past ~18 M characters a segment's posting
# pool outgrows SEGMENT_MEMORY_MB and Whoosh spills it (seen at 300k articles, where
# 35 M-character segments spilled every half minute and the rate fell by a third).
MAX_SEGMENT_CHARS = 12_000_000
SEGMENT_MEMORY_MB = 512  # Whoosh's estimate of its posting pool; past it, it spills
# Segments are written as plain files, not one compound file: Whoosh reads a file
# inside a compound segment by copying it into memory (BytesIO over the mmap), in
# every searcher of every thread, which made a web worker hold the index several
# times over; plain files are read through the OS page cache, shared by all.
COMPOUND = False
# Below this much input, starting worker processes costs more than it saves.
PARALLEL_MIN_BYTES = 4 * 1024 * 1024
PARALLEL_BATCH = 256  # documents handed to a worker at a time

# Told (documents read, bytes of the input read, bytes in all) as indexing goes.
Progress = Callable[[int, int, int], None]


@dataclass(slots=True)
class IndexReport:
    index_dir: Path
    generation: str | None = None
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    repaired: int = 0  # documents whose text had encoding damage (mojibake) repaired
    problems: list[LoadProblem] = field(default_factory=list)
    seconds: float = 0.0
    rebuilt: bool = False
    # (id, checksum) of the last document written, checksum None for a deletion: what a
    # replicated backend waits for every node to have applied (cluster.writing)
    last_write: tuple[str, str | None] | None = None

    @property
    def errors(self) -> list[LoadProblem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        return (
            f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.deleted} deleted, {len(self.errors)} failed, "
            f"{self.repaired} with encoding repaired "
            f"in {self.seconds:.1f} s ({self.index_dir})"
        )


def _existing_documents(writer: IndexWriter) -> dict[str, tuple[str, str]]:
    reader = writer.reader()
    try:
        return {
            fields["id"]: (fields.get("checksum") or "", fields.get("path") or "")
            for fields in reader.all_stored_fields()
        }
    finally:
        reader.close()


def _indexed_stories(writer: IndexWriter) -> Iterator[tuple[str, str | None, bytes | None]]:
    """The indexed articles' stories and signatures, which new articles are matched with
    (one at a time: the assigner copies each signature into its own arrays)."""
    reader = writer.reader()
    try:
        for fields in reader.all_stored_fields():
            yield fields["id"], fields.get("story"), fields.get("sketch")
    finally:
        reader.close()


def _under(path: str, roots: list[Path]) -> bool:
    resolved = Path(path).resolve()
    return any(resolved == root or root in resolved.parents for root in roots)


def build_index(
    paths: list[Path],
    index_dir: Path,
    *,
    gazetteer: Path | None = None,
    rebuild: bool = False,
    prune: bool = True,
    wait: float = 0.0,
    progress: Progress | None = None,
    procs: int | None = None,
    follow_links: bool = False,
) -> IndexReport:
    """Index the .txt/.jsonl files under ``paths`` into ``index_dir``; see module docstring.

    ``procs`` caps the processes that write a fresh generation (default: one per
    core, when the input is large enough to gain from it); updates of an existing
    generation always run in this process. ``follow_links`` reads symbolic links
    that lead out of the directories given (skipped with a warning otherwise).
    """
    started = time.perf_counter()
    paths = [Path(p) for p in paths]
    store = IndexStore(index_dir)
    report = IndexReport(index_dir=Path(index_dir))
    gaz = Gazetteer.load(gazetteer)
    # The schema's field names are part of the salt too: a document indexed before a
    # field existed is re-indexed rather than left without it.
    salt = run_salt(gaz)
    with store.writer_lock(wait) as stale_writer, _stop_on_signals(Path(index_dir)):
        if stale_writer is not None:
            report.problems.append(
                LoadProblem(
                    str(index_dir),
                    f"took over the writer lock of pid {stale_writer}, which ended "
                    "without releasing it (killed?)",
                    severity="warning",
                )
            )
        store.remove_stale_generations()
        generation = None
        ix = None
        if not rebuild and store.current_generation() is not None:
            try:
                ix = store.open()
            except IndexUnavailableError as exc:
                # Written by an incompatible version (or damaged): build a fresh
                # generation beside it; the old one serves until the swap.
                report.problems.append(
                    LoadProblem(str(index_dir), f"{exc}; rebuilding it", severity="warning")
                )
        if ix is not None and (notice := layout_notice(ix.schema)):
            # Still readable and searchable, and updated in its own layout; rebuilding
            # here would drop documents indexed from paths not given this time.
            report.problems.append(LoadProblem(str(index_dir), notice, severity="warning"))
        if ix is None:
            generation, ix = store.new_generation()
            report.rebuilt = True
        try:
            size = _input_bytes(paths) if generation else None
            workers = _worker_count(procs, size or 0) if generation else 1
            writer = _open_writer(ix, workers, size, close_fds=(store.lock_fd,))
            try:
                existing = {} if generation else _existing_documents(writer)
                stories = StoryAssigner(None if generation else lambda: _indexed_stories(writer))
                builder = DocumentBuilder(
                    gaz, salt=salt, known={k: digest for k, (digest, _) in existing.items()}
                )
                seen = _write_documents(
                    writer, paths, builder, existing, report, progress,
                    fresh=generation is not None, follow_links=follow_links, stories=stories,
                )  # fmt: skip
                changed = report.added + report.updated
                if prune and not generation:
                    changed += _prune(writer, paths, existing, seen, report)
            except BaseException:
                _discard(writer)
                raise
            _finish(writer, commit=bool(changed or generation))
            # Columnar postings of the commit's segments, before a new generation is
            # swapped in: readers never see a generation without them.
            upgraded = _sync_columnar(store, generation)
            if generation is not None:
                _check_complete(generation, report.added)
                store.swap(generation)
        except BaseException:
            if generation is not None and store.current_generation() != generation:
                # A failed or stopped rebuild: its half generation goes now, not at the
                # next run (it may be what filled the disk); the old one keeps serving.
                shutil.rmtree(generation, ignore_errors=True)
            raise
        if upgraded:
            report.problems.append(
                LoadProblem(str(index_dir), f"built columnar postings for {upgraded} segment(s) "
                            "written by an earlier version (a one-time upgrade)",
                            severity="warning")
            )  # fmt: skip
        if generation is not None:
            store.remove_stale_generations()
        report.generation = store.generation_id()
    report.seconds = time.perf_counter() - started
    return report


def _write_documents(
    writer: IndexWriter | _SegmentedWriter,
    paths: list[Path],
    builder: DocumentBuilder,
    existing: dict[str, tuple[str, str]],
    report: IndexReport,
    progress: Progress | None,
    *,
    fresh: bool = False,
    follow_links: bool = False,
    stories: StoryAssigner | None = None,
) -> dict[str, str]:
    """Add or update every changed document; returns id -> path of every document seen
    (none in a fresh build: one entry per article is memory a large archive can spare).

    In a fresh generation nothing can need replacing (duplicate ids are refused
    here), so documents are added without the per-document delete-by-id lookup.
    """
    # fresh is True whenever the writer is a _SegmentedWriter (a new generation)
    write = writer.add_document if fresh else writer.update_document  # type: ignore[union-attr]
    # An index of an older layout is updated in its own fields (README, "Upgrades").
    layout = None if fresh else frozenset(writer.schema.names())  # type: ignore[union-attr]
    seen: dict[str, str] = {}
    for doc in changed_documents(paths, builder, existing, report, seen, progress,
                                 remember=not fresh, follow_links=follow_links,
                                 stories=stories):  # fmt: skip
        fields = document_fields(doc)
        if layout is not None:
            fields = {name: value for name, value in fields.items() if name in layout}
        write(**fields)
    return seen


def changed_documents(
    paths: list[Path],
    builder: DocumentBuilder,
    existing: dict[str, tuple[str, str]],
    report: IndexReport,
    seen: dict[str, str],
    progress: Progress | None,
    *,
    remember: bool = True,
    follow_links: bool = False,
    stories: StoryAssigner | None = None,
) -> Iterator[Document]:
    """Every new or changed document of ``paths``, placed in its story, to be written by a
    backend; problems, unchanged and duplicate ids go into ``report``, and each document
    seen into ``seen`` (id -> path; new ones only when ``remember``: pruning needs them,
    a fresh build keeps only the loader's record of ids)."""
    read = _ReadCount(_input_bytes(paths, follow_links) if progress else 0)
    documents = 0
    on_bytes = read.add if progress else None
    for item in load_documents(paths, builder, follow_links, on_bytes=on_bytes):
        if progress:
            progress(documents, read.done, read.total)
        if isinstance(item, LoadProblem):
            report.problems.append(item)
            continue
        if isinstance(item, Unchanged):
            seen.setdefault(item.id, item.path)
            report.unchanged += 1
            continue
        doc: Document = item
        if doc.id in seen:
            report.problems.append(
                LoadProblem(doc.path or "?", f"duplicate id {doc.id!r} (first in {seen[doc.id]})")
            )
            continue
        if remember:
            seen[doc.id] = doc.path or "?"
        documents += 1
        if stories is not None:
            doc.sketch = signature(doc.body)
            doc.story = stories.assign(doc.id, doc.sketch)
        yield doc
        report.repaired += doc.repaired
        if doc.id in existing:
            report.updated += 1
        else:
            report.added += 1
    if progress:
        progress(documents, read.done, read.total)


@dataclass(slots=True)
class _ReadCount:
    """Bytes of the input read so far, of ``total``: what a progress bar shows."""

    total: int
    done: int = 0

    def add(self, count: int) -> None:
        self.done += count


def _prune(
    writer: IndexWriter,
    paths: list[Path],
    existing: dict[str, tuple[str, str]],
    seen: dict[str, str],
    report: IndexReport,
) -> int:
    """Delete documents of the indexed paths that their files no longer contain."""
    deleted = 0
    for doc_id in gone_documents(paths, existing, seen, report):
        writer.delete_by_term("id", doc_id)
        deleted += 1
    report.deleted += deleted
    return deleted


def gone_documents(
    paths: list[Path],
    existing: dict[str, tuple[str, str]],
    seen: dict[str, str],
    report: IndexReport,
) -> Iterator[str]:
    """Ids of indexed documents (``existing``: id -> (checksum, path)) of the indexed paths
    that their files no longer contain: what a run deletes, whichever backend holds them.
    A file that failed to load this time deletes nothing."""
    roots = [p.resolve() for p in paths]
    troubled = {p.path for p in report.errors}
    for doc_id, (_, path) in existing.items():
        if doc_id in seen or not path or path in troubled or not _under(path, roots):
            continue
        if Path(path).exists() and path.endswith((".txt", ".txt.gz")):
            continue  # the file is there but yielded another id: leave it to its own run
        yield doc_id


def run_salt(gaz: Gazetteer, *extra: str) -> str:
    """What every document's checksum is salted with: the pipeline version, the analysis,
    the schema's field names and the gazetteer (a change in any re-indexes everything),
    and ``extra`` (a backend's own layout)."""
    return checksum(PIPELINE_VERSION, analysis_signature(), *sorted(build_schema().names()),
                    _gazetteer_digest(gaz), *extra)  # fmt: skip


def _input_bytes(paths: list[Path], follow_links: bool = False) -> int:
    size = 0
    for item in iter_corpus_files(paths, follow_links):
        if isinstance(item, Path):
            try:
                size += item.stat().st_size
            except OSError:
                continue
    return size


def _worker_count(procs: int | None, size: int) -> int:
    """Processes for a fresh build: ``procs``, or every core when the input is large."""
    if procs is not None:
        return max(1, procs)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if not cores or cores < 2 or size < PARALLEL_MIN_BYTES:
        return 1
    return cores


def _finish(writer: IndexWriter | _SegmentedWriter, *, commit: bool) -> None:
    """Commit the writer's changes, or leave no trace of it when there are none."""
    if commit:
        try:
            writer.commit()
        except BaseException:
            _discard(writer)
            raise
    else:
        _discard(writer)


def _discard(writer: IndexWriter | _SegmentedWriter) -> None:
    """Cancel a writer and delete the files of the segment it had started.

    Whoosh's ``cancel()`` leaves the new segment's files behind; nothing refers to
    them, but they pile up with every no-op run. Never raises: it runs on the way
    out of an error (a full disk) that must be reported, not replaced.
    """
    segment = getattr(writer, "newsegment", None)
    storage = getattr(writer, "storage", None)
    with contextlib.suppress(Exception):
        writer.cancel()
    if segment is None or storage is None:
        return
    prefix = segment.make_filename("")
    with contextlib.suppress(Exception):
        for name in list(storage.list()):
            if name.startswith(prefix):
                storage.delete_file(name)


def _open_writer(
    ix: Index, workers: int, size: int | None, close_fds: tuple[int | None, ...] = ()
) -> IndexWriter | _SegmentedWriter:
    """A writer for an existing generation (``size`` None), or a segmented one for a fresh
    one; worker processes close ``close_fds`` (the writer lock) as they start."""
    install_writer_lengths()  # inherited by forked workers
    install_companion_writer()  # each segment's columnar postings, as it is written
    if size is None:
        return ix.writer(limitmb=WRITER_MEMORY_MB, compound=COMPOUND)
    chars = min(max(SEGMENT_CHARS, size // MAX_SEGMENTS), MAX_SEGMENT_CHARS)
    if workers <= 1:
        return _SegmentedWriter(
            lambda: ix.writer(limitmb=SEGMENT_MEMORY_MB, compound=COMPOUND), chars
        )
    return _SegmentedWriter(
        lambda: ParallelWriter(
            ix, _dead_worker, close_fds=[fd for fd in close_fds if fd is not None],
            procs=workers, batchsize=PARALLEL_BATCH, multisegment=True,
            limitmb=SEGMENT_MEMORY_MB, compound=COMPOUND,
        ),
        chars * workers,
    )  # fmt: skip


class _SegmentedWriter:
    """Adds documents to a fresh generation, committing a segment every ``batch`` characters.

    Only for a generation nobody reads yet: its intermediate commits are invisible
    until the swap, and a failed build leaves an orphan generation that the next
    writer removes.
    """

    def __init__(self, make_writer: Callable[[], IndexWriter], batch: int):
        self._make = make_writer
        self._batch = batch
        self._writer = make_writer()
        self._pending = 0

    def add_document(self, **fields: object) -> None:
        if self._pending >= self._batch:
            self._writer.commit(merge=False)
            self._writer = self._make()
            self._pending = 0
        self._writer.add_document(**fields)
        self._pending += len(str(fields.get("body") or "")) + len(str(fields.get("title") or ""))

    def commit(self) -> None:
        self._writer.commit(merge=False)

    def cancel(self) -> None:
        self._writer.cancel()


def _sync_columnar(store: IndexStore, generation: Path | None) -> int:
    """Columnar postings for every segment of the commit, none for segments it dropped
    (``indexer.index.columnar``); they are a cache, so a failure here only logs."""
    path = generation or store.current_generation()
    if path is None:
        return 0
    from whoosh import index as whoosh_index

    try:
        ix = whoosh_index.open_dir(str(path))
        try:
            return sync_companions(path, ix)
        finally:
            ix.close()
    except (OSError, ValueError) as exc:
        logging.getLogger(__name__).warning("columnar postings not written: %s", exc)
        return 0


def _dead_worker(exitcode: int, reason: str | None) -> IncompleteIndexError:
    how = f"failed ({reason})" if reason else f"died (exit code {exitcode})"
    return IncompleteIndexError(f"an indexing worker process {how}; the index was not changed")


@contextlib.contextmanager
def _stop_on_signals(index_dir: Path) -> Iterator[None]:
    """Turn SIGTERM and SIGINT into ``BuildInterrupted`` (main thread only), so a stopped
    build unwinds: workers stopped, the half generation removed, the lock released.
    A second signal during that clean-up is ignored rather than cutting it short."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: object) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, signal.SIG_IGN)
        raise BuildInterrupted(signum, index_dir)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _check_complete(generation: Path, expected: int) -> None:
    """Refuse a new generation that lacks documents (a parallel worker's segment went missing)."""
    from whoosh import index as whoosh_index

    ix = whoosh_index.open_dir(str(generation))
    try:
        count = ix.doc_count_all()
    finally:
        ix.close()
    if count != expected:
        raise IncompleteIndexError(
            f"the new index holds {count} documents instead of {expected}; "
            "the index was not changed"
        )


def delete_documents(
    ids: list[str], index_dir: Path, *, wait: float = 0.0
) -> tuple[int, list[str]]:
    """Delete documents by id; returns (deleted count, ids not found)."""
    store = IndexStore(index_dir)
    with store.writer_lock(wait):
        ix = store.open()
        install_companion_writer()
        writer = ix.writer(compound=COMPOUND)
        try:
            existing = _existing_documents(writer)
            missing = [doc_id for doc_id in ids if doc_id not in existing]
            found = [doc_id for doc_id in ids if doc_id in existing]
            for doc_id in found:
                writer.delete_by_term("id", doc_id)
        except BaseException:
            _discard(writer)
            raise
        _finish(writer, commit=bool(found))
        _sync_columnar(store, None)
    return len(found), missing


def _gazetteer_digest(gaz: Gazetteer) -> str:
    if gaz.path is None or not gaz.path.exists():
        return ""
    return checksum(gaz.path.read_text(encoding="utf-8"))
