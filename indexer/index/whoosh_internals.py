"""The one module that reaches into Whoosh's private internals.

Whoosh is Dossier's index of record, but its public API reads postings, field
lengths and columns one document at a time through layers of matcher objects,
which is too slow for a news archive (bench/PROFILES.md). Every use of a
private name (``reader._terms``, ``matcher._read_ids``, ``column._dbfile``,
``FileIndex._reader``, ``MpWriter._enqueue``…) lives here, each with a
fallback to the public way where one exists, so an upgrade of Whoosh is
checked in one file (tests/test_architecture.py keeps it so). Nothing here
patches Whoosh at import: ``install_writer_lengths`` is called explicitly by
the writer.

Field lengths a whole column at a time, for scoring and for writing segments.
Whoosh keeps each field's per-document length as one byte in a column file
and reads it back one document at a time: a seek and a read per call, plus an
``os.path.exists`` per call for fields that have no length column (ids,
facets). Two hot paths ask for millions of them: BM25 scoring (every posting
of a query) and, when a segment is written, ``FieldWriter.add_postings`` (every
posting of the segment, for the block's min/max length). Profiled on 5,000
articles, the writer's lookups were ~15 % of a build. Here a column is read
once into ``bytes`` and indexed in memory.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pickle
import queue
import signal
import sys
import threading
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, W3PerDocReader, _lenfield
from whoosh.index import TOC, FileIndex, Index
from whoosh.matching import Matcher, WrappingMatcher
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.reading import IndexReader, TermNotFound
from whoosh.util import random_name
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter

LENGTH_OF_BYTE = [byte_to_length(n) for n in range(256)]


def length_column(perdoc: Any, fieldname: str, doccount: int) -> bytes | None:
    """One length byte per document of a segment (0: no such field), or None when the
    segment has no lengths for the field at all."""
    try:
        column = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
        if column is None:
            return None
        raw = column._dbfile.get(column._basepos, column._count)
    except AttributeError:  # another codec: ask document by document
        return bytes(
            length_to_byte(perdoc.doc_field_length(d, fieldname, 0) or 0) for d in range(doccount)
        )
    return bytes(raw[:doccount]) + bytes(max(0, doccount - len(raw)))


class InMemoryLengths:
    """A segment's per-document reader whose ``doc_field_length`` reads from memory.

    Answers exactly as ``W3PerDocReader.doc_field_length`` does (``default`` without
    a column, None for a zero byte); everything else goes to the wrapped reader.
    """

    def __init__(self, reader: W3PerDocReader):
        self._reader = reader
        self._doccount = reader.doc_count_all()
        self._columns: dict[str, bytes | None] = {}

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int | None:
        try:
            column = self._columns[fieldname]
        except KeyError:
            column = self._columns[fieldname] = length_column(
                self._reader, fieldname, self._doccount
            )
        if column is None:
            return default
        code = column[docnum]
        return LENGTH_OF_BYTE[code] if code else None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._reader, name)


_original_per_document_reader = SegmentWriter.per_document_reader


def _per_document_reader(self: SegmentWriter) -> Any:
    reader = _original_per_document_reader(self)
    return InMemoryLengths(reader) if isinstance(reader, W3PerDocReader) else reader


def install_writer_lengths() -> None:
    """Make every SegmentWriter (in this process and the workers it forks) hand
    ``add_postings`` in-memory lengths. Idempotent."""
    SegmentWriter.per_document_reader = _per_document_reader


# -- reading: field lengths and columns --------------------------------------------------


def segment_lengths(reader: IndexReader, fieldname: str) -> bytes:
    """One length byte per document of a segment (zeros where it has no lengths)."""
    doccount = reader.doc_count_all()
    try:
        perdoc = reader._perdoc
    except AttributeError:
        perdoc = reader
    return length_column(perdoc, fieldname, doccount) or bytes(doccount)


def segment_uint_column(reader: IndexReader, fieldname: str) -> array:
    """A segment's unsigned 32-bit column (``date_sort``) as an array, 0 where missing."""
    doccount = reader.doc_count_all()
    if not doccount or not reader.has_column(fieldname):
        return array("I", [0]) * doccount
    return _uint_column(reader.column_reader(fieldname, translate=False), doccount)


def perdoc_uint_column(perdoc: Any, schema: Any, fieldname: str, doccount: int) -> array:
    """``segment_uint_column`` from a segment writer's per-document reader."""
    if not doccount or fieldname not in schema or not perdoc.has_column(fieldname):
        return array("I", [0]) * doccount
    return _uint_column(perdoc.column_reader(fieldname, schema[fieldname].column_type), doccount)


def _uint_column(column: Any, doccount: int) -> array:
    values = array("I", [0]) * doccount
    try:
        if column._typecode != "I":
            raise AttributeError(column._typecode)
        count = min(column._count, doccount)
        stored = array("I", column._dbfile.get(column._basepos, count * column._fixedlen))
    except AttributeError:  # another column layout: read value by value
        for docnum in range(doccount):
            values[docnum] = column[docnum]
        return values
    if sys.byteorder == "little":
        stored.byteswap()  # columns are big-endian on disk
    values[:count] = stored
    return values


# -- reading: postings ----------------------------------------------------------------


def term_info(reader: IndexReader, fieldname: str, btext: bytes) -> Any:
    """A term's statistics in one segment, or None; segments without the field cost nothing."""
    try:
        terms = reader._terms
        if fieldname not in terms._fieldmap:
            return None  # no article of this segment has the field (e.g. body_ru)
        return terms.term_info(fieldname, btext)
    except TermNotFound:
        return None
    except AttributeError:  # another reader type: the public way
        return reader.term_info(fieldname, btext) if (fieldname, btext) in reader else None


def raw_postings(reader: IndexReader, fieldname: str, btext: bytes, info: Any) -> Matcher:
    """The raw posting reader of a term in one segment (deletions applied by the caller)."""
    try:
        terms = reader._terms
        fmt = reader.schema[fieldname].format
        return terms._codec.postings_reader(terms._postfile, info, fmt)
    except AttributeError:
        return unwrapped(reader.postings(fieldname, btext))


def expanded_terms(query: Any, reader: IndexReader) -> Iterator[bytes]:
    """The index terms a prefix, wildcard or fuzzy query expands to, lazily, as bytes."""
    return query._btexts(reader)


def unwrapped(matcher: Matcher) -> Matcher:
    """The raw posting reader under Whoosh's wrappers (deletions are applied by the caller)."""
    while isinstance(matcher, WrappingMatcher):
        matcher = matcher.child
    return matcher


Block = tuple[Sequence[int], Sequence[float], Sequence[bytes] | None]


def posting_blocks(
    matcher: Matcher, wanted: list[int] | None, values: bool = False
) -> Iterator[Block]:
    """(document numbers, term frequencies, encoded values if asked) by block; with
    ``wanted`` (sorted), only the blocks that can hold those documents, and only those."""
    if wanted is not None and not wanted:
        return
    keep = None if wanted is None else set(wanted)
    if not isinstance(matcher, W3LeafMatcher):
        yield _only(*_all_postings(matcher, values), keep)
        return
    i = 0
    while matcher.is_active():
        if wanted is not None:
            if i >= len(wanted):
                return
            last = matcher.block_max_id()
            if last < wanted[i]:
                matcher._next_block()
                continue
        matcher._read_ids()
        matcher._read_weights()
        if values:
            matcher._read_values()
        block = (matcher._ids, matcher._weights, matcher._values if values else None)
        if wanted is None:
            yield block
        else:
            yield _only(*block, keep)
            i = bisect_right(wanted, last, lo=i)
        matcher._next_block()


def _all_postings(
    matcher: Matcher, values: bool = False
) -> tuple[list[int], list[float], list[bytes] | None]:
    """(document numbers, term frequencies, encoded values) of any other matcher (inlined
    postings, other codecs), posting by posting."""
    ids, weights, encoded = [], [], []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        if values:
            encoded.append(matcher.value())
        matcher.next()
    return ids, weights, encoded if values else None


def _only(
    ids: Sequence[int],
    weights: Sequence[float],
    values: Sequence[bytes] | None,
    keep: set[int] | None,
) -> Block:
    if keep is None:
        return ids, weights, values
    at = [i for i, d in enumerate(ids) if d in keep]
    return (
        [ids[i] for i in at],
        [weights[i] for i in at],
        None if values is None else [values[i] for i in at],
    )


# -- commits ----------------------------------------------------------------------------


def read_toc(index: Index) -> Any:
    """The table of contents of the index's latest commit (schema, segments, generation)."""
    return index._read_toc()


def has_commit_after(index: Index, generation: int) -> bool:
    """Whether a commit newer than ``generation`` exists: two ``stat`` calls instead of
    listing the directory (``latest_generation``), which every search otherwise did.

    Whoosh numbers each commit one more than the latest (under the writer lock), writes
    its table of contents, then deletes every other one. So while ``generation`` is the
    latest its table of contents exists and the next number's does not; after one
    newer commit the next number's exists, after two or more ``generation``'s is gone.
    The next number's is looked at first: commits that end between the two looks have
    deleted ``generation``'s by the second (the other order would miss two of them).
    """
    storage, name = index.storage, index.indexname
    if storage.file_exists(TOC._filename(name, generation + 1)):
        return True
    return not storage.file_exists(TOC._filename(name, generation))


def pinned_reader(index: Index, toc: Any) -> IndexReader:
    """A reader of exactly the commit ``toc`` describes, not whatever is newest on disk."""
    return FileIndex._reader(index.storage, toc.schema, toc.segments, toc.generation)


# -- writing ----------------------------------------------------------------------------


class WorkerFailure:
    """What went wrong in a worker process, sent to the parent instead of a traceback."""

    def __init__(self, exc: BaseException):
        self.errno = exc.errno if isinstance(exc, OSError) else None
        self.strerror = exc.strerror if isinstance(exc, OSError) else None
        self.filename = exc.filename if isinstance(exc, OSError) else None
        self.message = f"{type(exc).__name__}: {exc}"

    def exception(self) -> OSError | None:
        """The worker's OSError (a full disk, a file size limit…), rebuilt in the parent."""
        if self.errno is None:
            return None
        return OSError(self.errno, self.strerror or os.strerror(self.errno), self.filename)


_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """Have the kernel kill this process when ``parent`` dies (Linux ``PR_SET_PDEATHSIG``);
    elsewhere, a thread that exits the process once its parent is gone."""
    armed = False
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            armed = libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)
    if armed:
        return

    def watch() -> None:
        while os.getppid() == parent:
            threading.Event().wait(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


class _WorkerTask(SubWriterTask):
    """Whoosh's worker process, made safe to kill: it dies with its parent, holds none of
    the parent's locks, leaves Ctrl-C to the parent, and reports a failure (a full disk)
    to the parent as a ``WorkerFailure`` rather than printing a traceback."""

    def __init__(self, *args: Any, parent: int, close_fds: Sequence[int]):
        super().__init__(*args)
        self.parent = parent
        self.close_fds = tuple(close_fds)

    def run(self) -> None:
        die_with_parent(self.parent)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C: the parent stops the workers
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's handler (inherited)
        for fd in self.close_fds:  # an inherited copy would keep the parent's flock held
            with contextlib.suppress(OSError):
                os.close(fd)
        try:
            super().run()
        except BaseException as exc:  # reported to the parent, not printed
            with contextlib.suppress(Exception):
                self.resultqueue.put(WorkerFailure(exc), timeout=5)
            sys.exit(WORKER_FAILED)


WORKER_FAILED = 3  # exit status of a worker that reported a WorkerFailure


class ParallelWriter(MpWriter):
    """Whoosh's multi-process writer, one segment per worker, that never waits on a dead worker.

    Whoosh's own hands batches to its workers with a blocking ``put`` on a bounded
    queue, so a worker that died (killed, out of memory) would hang the build; here
    each hand-off waits in short steps and calls ``check_workers`` in between, which
    raises the worker's own OSError (a full disk: the parent reports it in one line)
    or what ``dead_worker`` makes of its exit code and reason. Workers die with this
    process and close ``close_fds`` (the writer lock) so that a killed build never
    leaves the index locked.
    """

    def __init__(
        self,
        index: Index,
        dead_worker: Callable[[int, str | None], Exception],
        close_fds: Sequence[int] = (),
        **kwargs: Any,
    ):
        super().__init__(index, **kwargs)
        self.dead_worker = dead_worker
        self.close_fds = tuple(close_fds)
        self._results: list[Any] = []

    def _new_task(self) -> _WorkerTask:
        task = _WorkerTask(
            self.storage, self.indexname, self.jobqueue, self.resultqueue, self.subargs,
            self.multisegment, parent=os.getpid(), close_fds=self.close_fds,
        )  # fmt: skip
        self.tasks.append(task)
        task.start()
        return task

    def _enqueue(self) -> None:
        filename = f"{random_name()}.doclist"
        with self.temp_storage().create_file(filename).raw_file() as handle:
            for item in self.docbuffer:
                pickle.dump(item, handle, pickle.HIGHEST_PROTOCOL)
        if len(self.tasks) < self.procs:
            self._new_task()
        job = (filename, len(self.docbuffer))
        self.docbuffer: list[Any] = []
        self._put(job)

    def _put(self, job: Any) -> None:
        while True:
            self.check_workers()
            try:
                self.jobqueue.put(job, timeout=1.0)
                return
            except queue.Full:
                continue

    def _commit(self, mergetype: Any, optimize: Any, merge: Any) -> None:
        """``MpWriter._commit`` that checks its workers before writing the table of contents."""
        if self.docbuffer:
            self._enqueue()
        for _ in self.tasks:
            self._put(None)
        finalsegments = self._merge_segments(mergetype, optimize, merge)
        for task in self.tasks:
            while task.is_alive():
                self._drain(timeout=0.2)  # a worker exits only once its result is read
        self._drain(timeout=0)
        self.check_workers()
        if len(self._results) != len(self.tasks):
            raise self.dead_worker(0, f"{len(self.tasks) - len(self._results)} results missing")
        finalsegments += [segment for _, _, segment in self._results]
        if self._added:
            finalsegments.append(self._finalize_segment())
        else:
            self._close_segment()
        self._commit_toc(finalsegments)
        self._finish()

    def _drain(self, timeout: float) -> None:
        with contextlib.suppress(queue.Empty):
            self._results.append(
                self.resultqueue.get(timeout=timeout) if timeout else self.resultqueue.get_nowait()
            )
            while True:
                self._results.append(self.resultqueue.get_nowait())

    def cancel(self) -> None:
        """Stop this writer's own worker processes (they would wait for work forever)."""
        for task in self.tasks:
            if task.is_alive():
                task.terminate()
        for task in self.tasks:
            task.join(timeout=10)
        SegmentWriter.cancel(self)

    def check_workers(self) -> None:
        failed = [task for task in self.tasks if task.exitcode not in (None, 0)]
        if not failed:
            return
        self._drain(timeout=1.0)
        for result in self._results:
            if isinstance(result, WorkerFailure):
                raise result.exception() or self.dead_worker(failed[0].exitcode, result.message)
        raise self.dead_worker(failed[0].exitcode, None)


# -- reading: a whole segment's postings, for the columnar companion -----------------------


SegmentTerm = tuple[str, bytes, Sequence[int], Sequence[float]]


def segment_postings(reader: IndexReader) -> Iterator[SegmentTerm]:
    """(field, term, document numbers, weights) of every term of one segment, deleted
    documents included, in the terms file's order; blocks are read whole, values never."""
    try:
        terms = reader._terms
        items = terms.items()
        codec, postfile = terms._codec, terms._postfile
    except AttributeError:  # another reader type: the public way, posting by posting
        for fieldname, btext in reader.all_terms():
            ids, weights, _ = _all_postings(unwrapped(reader.postings(fieldname, btext)))
            yield fieldname, btext, ids, weights
        return
    schema = reader.schema
    for (fieldname, btext), info in items:
        if info.is_inlined():
            ids, weights, _ = info.inlined_postings()
            yield fieldname, btext, ids, weights
            continue
        matcher = codec.postings_reader(postfile, info, schema[fieldname].format)
        if not isinstance(matcher, W3LeafMatcher):
            ids, weights, _ = _all_postings(matcher)
            yield fieldname, btext, ids, weights
            continue
        all_ids: list[int] = []
        all_weights: list[float] = []
        while matcher.is_active():
            matcher._read_ids()
            matcher._read_weights()
            all_ids.extend(matcher._ids)
            all_weights.extend(matcher._weights)
            matcher._next_block()
        yield fieldname, btext, all_ids, all_weights


def segment_id(reader: IndexReader) -> str | None:
    """The name Whoosh gives a segment's files (``MAIN_x1y2z3``), or None for other readers."""
    try:
        return str(reader.segment().segment_id())
    except AttributeError:
        return None


# -- writing: the columnar companion of each segment ---------------------------------------


class PostingSink:
    """Receives a segment's postings as Whoosh writes them (see ``install_posting_sink``)."""

    def tee(self, postings: Iterator[Any]) -> Iterator[Any]:
        raise NotImplementedError

    def finish(self, perdoc: Any) -> None:
        raise NotImplementedError


# Called with (generation directory, segment id, document count, schema) for each segment.
SinkFactory = Callable[[str, str, int, Any], PostingSink | None]
_sink_factory: list[SinkFactory] = []


def _flush_segment_with_sink(self: SegmentWriter) -> None:
    """``SegmentWriter._flush_segment`` (whoosh 2.7.5), with the postings also handed to
    the sink as they stream into the field writer."""
    self.perdocwriter.close()
    pdr = self.per_document_reader() if self.codec.length_stats else None
    postings = self.pool.iter_postings()
    segment = self.get_segment()
    folder = getattr(self.storage, "folder", None)
    sink = None
    if _sink_factory and folder is not None:
        sink = _sink_factory[0](folder, segment.segment_id(), segment.doc_count_all(), self.schema)
    if sink is not None:
        postings = sink.tee(postings)
    self.fieldwriter.add_postings(self.schema, pdr, postings)
    self.fieldwriter.close()
    if sink is not None:
        sink.finish(pdr if pdr is not None else self.per_document_reader())
    if pdr:
        pdr.close()


def install_posting_sink(factory: SinkFactory) -> None:
    """Hand every segment any SegmentWriter writes from now on (in this process and the
    workers it forks, merges included) to ``factory``'s sink as well. Idempotent."""
    _sink_factory[:] = [factory]
    SegmentWriter._flush_segment = _flush_segment_with_sink
