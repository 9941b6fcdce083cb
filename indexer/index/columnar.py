"""Columnar postings: a memory-mapped companion of each Whoosh segment, for numpy scoring.

Whoosh stays the index of record (documents, stored fields, segments, commits,
deletions, the generation swap). Beside each of its segments, in the same
generation directory, lives a directory ``columnar-<segment id>/`` holding the
segment's postings as flat arrays, so a query scores a whole posting list with
a few numpy operations instead of unpickling Whoosh's blocks in Python:

* ``docs.bin`` (int32) and ``weights.bin`` (float32, Whoosh's own term
  frequencies, so scores are exactly Whoosh's): every term's postings,
  contiguous, deleted documents included (they are masked per commit, since
  a deletion does not rewrite a segment);
* per field, the terms sorted by a 64-bit hash (``hashes.bin``) with each
  term's bytes (``terms.bin`` + ``term_offsets.bin``, checked on lookup) and
  its postings' start and count (``postings.bin``): a lookup is one
  ``searchsorted`` over a memory-mapped slice, no dictionary in memory;
* ``lengths.bin``: Whoosh's one-byte quantized field length per document, one
  row per scorable field; ``dates.bin``: the ``date_sort`` column.

Positions (``positions.bin``, read only by phrase checks, so they stay out of the
scoring data) and, for fields of ``schema.PositionsAndStarts``, each word's first
character (``starts.bin``, in step with the positions; read only for a result
page's snippets) are copied from the posting stream as the writer sees it.
Companions built later from Whoosh's stored postings have neither: a phrase then
reads Whoosh's positions, a snippet splits its text.

The files are memory-mapped read-only, so every gunicorn worker shares them
through the page cache. A companion is written into a hidden temporary
directory, every file fsynced, then renamed into place: a reader sees a whole
companion or none. A segment never changes after it is written, so its
companion stays valid until Whoosh drops the segment; ``sync_companions`` (run
by the writer after each commit) builds missing ones and removes those of
segments the commit no longer has. A reader that finds none (an index written
by an earlier version, or a crash before the writer got to it) builds it
itself, the same way. Building holds one segment's vocabulary in memory and
streams the postings to disk, so memory stays bounded by the segment size.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from whoosh.index import Index
from whoosh.reading import IndexReader

from indexer.index.schema import PositionsAndStarts
from indexer.index.store import process_alive
from indexer.index.whoosh_internals import (
    PostingSink,
    install_posting_sink,
    length_column,
    perdoc_uint_column,
    segment_id,
    segment_lengths,
    segment_postings,
    segment_uint_column,
)

FORMAT = 1  # bump when the files change: older companions are then rebuilt
PREFIX = "columnar-"
TEMP_PREFIX = ".columnar-"
META = "meta.json"

log = logging.getLogger(__name__)


def term_hash(btext: bytes) -> int:
    """A stable 64-bit hash of a term's bytes (Python's own hash differs per process)."""
    return int.from_bytes(hashlib.blake2b(btext, digest_size=8).digest(), "little")


def _map(path: Path, dtype: Any) -> np.ndarray:
    if path.stat().st_size == 0:
        return np.empty(0, dtype=dtype)
    # A plain ndarray view of the mapping: slices of an np.memmap are memmaps too, each
    # costing a Python-level __array_finalize__ (a third of a rare word's scoring time).
    return np.memmap(path, dtype=dtype, mode="r").view(np.ndarray)


class SegmentColumns:
    """One segment's companion, memory-mapped read-only."""

    def __init__(self, path: Path):
        meta = json.loads((path / META).read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT:
            raise ValueError(f"{path}: columnar format {meta.get('format')}, expected {FORMAT}")
        self.path = path
        self.doccount: int = meta["doccount"]
        self.fields: dict[str, tuple[int, int]] = {k: tuple(v) for k, v in meta["fields"].items()}
        self.docs = _map(path / "docs.bin", np.int32)
        self.weights = _map(path / "weights.bin", np.float32)
        self.hashes = _map(path / "hashes.bin", np.uint64)
        self.terms = _map(path / "terms.bin", np.uint8)
        self.term_offsets = _map(path / "term_offsets.bin", np.int64).reshape(-1, 2)
        self.postings = _map(path / "postings.bin", np.int64).reshape(-1, 2)
        lengths = _map(path / "lengths.bin", np.uint8)
        self.length_rows = {name: row for row, name in enumerate(meta["lengths"])}
        self._lengths = (
            lengths.reshape(len(self.length_rows), self.doccount) if lengths.size else None
        )
        self.dates = _map(path / "dates.bin", np.uint32)
        # Positions (optional: companions built from Whoosh's postings have none): each
        # term's occurrences, posting after posting, from the term's first (-1: none).
        positions = path / "term_positions.bin"
        self._term_positions = _map(positions, np.int64) if positions.exists() else None
        self._positions = _map(path / "positions.bin", np.int32) if positions.exists() else None
        starts = path / "starts.bin"  # in step with positions.bin (-1: not known)
        self._starts = _map(starts, np.int32) if starts.exists() else None

    def row(self, fieldname: str, btext: bytes) -> int | None:
        """The term's row in this segment's term table, or None when it lacks the term."""
        found = self.fields.get(fieldname)
        if found is None:
            return None
        low, high = found
        key = np.uint64(term_hash(btext))
        at = low + int(np.searchsorted(self.hashes[low:high], key))
        return self._checked(at, high, key, btext)

    def _checked(self, at: int, high: int, key: np.uint64, btext: bytes) -> int | None:
        """The row of ``btext`` among the rows from ``at`` that share its hash ``key``."""
        while at < high and self.hashes[at] == key:
            start, end = self.term_offsets[at]
            if self.terms[start:end].tobytes() == btext:
                return at
            at += 1
        return None

    def rows(
        self, fieldname: str, keys: np.ndarray, btexts: Sequence[bytes]
    ) -> list[tuple[int, int]]:
        """(i, row) for each of ``btexts`` (their ``term_hash`` values in ``keys``) that
        this segment has: ``row`` for many terms with one ``searchsorted``."""
        found = self.fields.get(fieldname)
        if found is None or not len(keys):
            return []
        low, high = found
        table = self.hashes[low:high]
        if not len(table):
            return []
        at = np.searchsorted(table, keys)
        hit = table[np.minimum(at, len(table) - 1)] == keys
        result = []
        for i in np.flatnonzero(hit).tolist():
            row = self._checked(low + int(at[i]), high, keys[i], btexts[i])
            if row is not None:
                result.append((i, row))
        return result

    def term(self, fieldname: str, btext: bytes) -> tuple[np.ndarray, np.ndarray] | None:
        """(document numbers, weights) of a term in this segment, or None when it lacks it."""
        at = self.row(fieldname, btext)
        if at is None:
            return None
        first, count = self.postings[at]
        return self.docs[first : first + count], self.weights[first : first + count]

    def field_postings(self, fieldname: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(term row, document) of every posting of every term of a field, rows in
        order: a facet field's values for all documents in a few array operations."""
        found = self.fields.get(fieldname)
        if found is None:
            return None
        low, high = found
        table = self.postings[low:high]
        starts, counts = table[:, 0], table[:, 1]
        ends = np.cumsum(counts)
        total = int(ends[-1]) if len(ends) else 0
        gather = np.repeat(starts - (ends - counts), counts) + np.arange(total)
        return np.repeat(np.arange(low, high), counts), self.docs[gather]

    def term_text(self, row: int) -> bytes:
        start, end = self.term_offsets[row]
        return self.terms[start:end].tobytes()

    @property
    def has_positions(self) -> bool:
        return self._term_positions is not None

    def positions(self, at: int, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """(document, position) of every occurrence of term row ``at`` in ``docs`` (sorted
        segment document numbers that all have the term), or None without positions."""
        if self._term_positions is None or self._positions is None:
            return None
        if self._term_positions[at] < 0:
            return None
        first, count = self.postings[at]
        term_docs = self.docs[first : first + count]
        frequencies = self.weights[first : first + count].astype(np.int64)
        before = np.cumsum(frequencies) - frequencies  # each posting's first position
        which = np.searchsorted(term_docs, docs)
        counts = frequencies[which]
        starts = self._term_positions[at] + before[which]
        total = int(counts.sum())
        ends = np.cumsum(counts)
        gather = np.repeat(starts - (ends - counts), counts) + np.arange(total)
        return np.repeat(docs, counts), self._positions[gather]

    def starts(self, at: int, docs: Sequence[int]) -> list[tuple[int, list[int]]] | None:
        """(document, first characters) of term row ``at`` in each of ``docs`` (segment
        document numbers) that has it, or None when this segment's companion has no
        starts for the term. A page's few documents: a bisection each, in Python,
        costs less than numpy's per-call overhead on such small arrays."""
        if self._term_positions is None or self._starts is None:
            return None
        first_position = int(self._term_positions[at])
        if first_position < 0 or self._starts[first_position] < 0:
            return None
        first, count = (int(v) for v in self.postings[at])
        term_docs = self.docs[first : first + count]
        weights = self.weights[first : first + count]
        found = []
        for doc in docs:
            i = bisect_left(term_docs, doc)
            if i < count and term_docs[i] == doc:
                # Occurrences of the postings before this one (whole counts, summed exactly).
                begin = first_position + int(weights[:i].sum(dtype=np.float64))
                found.append((doc, self._starts[begin : begin + int(weights[i])].tolist()))
        return found

    def lengths(self, fieldname: str) -> np.ndarray:
        """One length byte per document (zeros when the segment has no lengths for it)."""
        row = self.length_rows.get(fieldname)
        if row is None or self._lengths is None:
            return np.zeros(self.doccount, dtype=np.uint8)
        return self._lengths[row]


def companion_path(generation: Path, reader: IndexReader) -> Path | None:
    name = segment_id(reader)
    return None if name is None else generation / f"{PREFIX}{name}"


def open_companion(generation: Path, reader: IndexReader, *, build: bool = True) -> SegmentColumns:
    """The companion of one segment; built (and written atomically) when missing or old.

    Raises OSError or ValueError when there is none and it cannot be built here.
    """
    path = companion_path(generation, reader)
    if path is None:
        raise ValueError("not a Whoosh segment: no columnar postings")
    try:
        columns = SegmentColumns(path)
        if columns.doccount == reader.doc_count_all():
            return columns
    except (OSError, ValueError, KeyError):
        if not build:
            raise
    if not build:
        raise ValueError(f"{path} does not match its segment")
    log.warning("building columnar postings for %s (written by an older version)", path.name)
    try:
        return SegmentColumns(write_companion(generation, reader))
    except OSError:
        columns = SegmentColumns(path)  # another process renamed its copy in first
        if columns.doccount != reader.doc_count_all():
            raise
        return columns


def write_companion(generation: Path, reader: IndexReader) -> Path:
    """Build a segment's companion from Whoosh's postings (an index written before
    companions existed); written to a temporary directory, fsynced, renamed into place."""
    name = segment_id(reader)
    if name is None:
        raise ValueError("not a Whoosh segment: no columnar postings")
    doccount = reader.doc_count_all()
    builder = _Builder(generation, name, doccount, reader.schema)
    try:
        for fieldname, btext, ids, weights in segment_postings(reader):
            builder.add_term(fieldname, btext, ids, weights)
        dates = segment_uint_column(reader, "date_sort") if "date_sort" in reader.schema else None
        return builder.commit(lambda field: segment_lengths(reader, field), dates)
    except BaseException:
        builder.abort()
        raise


class _Builder:
    """Writes one companion: postings streamed to disk term by term, the (smaller)
    vocabulary kept in memory until ``commit``; nothing is visible before the rename."""

    def __init__(self, generation: Path, name: str, doccount: int, schema: Any):
        self.generation = generation
        self.final = generation / f"{PREFIX}{name}"
        self.temp = generation / f"{TEMP_PREFIX}{name}.{os.getpid()}.tmp"
        self.doccount = doccount
        self.schema = schema
        shutil.rmtree(self.temp, ignore_errors=True)
        self.temp.mkdir()
        self.docs = open(self.temp / "docs.bin", "wb")  # noqa: SIM115  # closed in commit/abort
        self.weights = open(self.temp / "weights.bin", "wb")  # noqa: SIM115
        self.positions: BinaryIO | None = None
        self.starts: BinaryIO | None = None
        self.term_positions: list[int] = []  # per term in add order: first position or -1
        self.positions_written = 0
        self.fields: dict[str, list[tuple[int, int, int, int, int, int]]] = {}
        self.blob = bytearray()
        self.written = 0

    def add_term(
        self,
        fieldname: str,
        btext: bytes,
        ids: Sequence[int],
        weights: Sequence[float],
        positions: Sequence[int] | None = None,
        starts: Sequence[int] | None = None,
    ) -> None:
        if positions is None:
            self.term_positions.append(-1)
        else:
            if self.positions is None:
                self.positions = open(self.temp / "positions.bin", "wb")  # noqa: SIM115
                self.starts = open(self.temp / "starts.bin", "wb")  # noqa: SIM115
            self.positions.write(np.asarray(positions, dtype=np.int32).tobytes())
            assert self.starts is not None
            known = starts is not None and len(starts) == len(positions)
            written = starts if known else np.full(len(positions), -1, dtype=np.int32)
            self.starts.write(np.asarray(written, dtype=np.int32).tobytes())
            self.term_positions.append(self.positions_written)
            self.positions_written += len(positions)
        count = len(ids)
        self.docs.write(np.asarray(ids, dtype=np.int32).tobytes())
        self.weights.write(np.asarray(weights, dtype=np.float32).tobytes())
        start = len(self.blob)
        self.fields.setdefault(fieldname, []).append(
            (term_hash(btext), start, start + len(btext), self.written, count,
             len(self.term_positions) - 1)
        )  # fmt: skip
        self.blob += btext
        self.written += count

    def commit(self, lengths: Callable[[str], bytes], dates: Sequence[int] | None) -> Path:
        for handle in (self.docs, self.weights, self.positions, self.starts):
            if handle is not None:
                handle.flush()
                os.fsync(handle.fileno())
                handle.close()
        rows: list[tuple[int, int, int, int, int, int]] = []
        ranges: dict[str, tuple[int, int]] = {}
        for fieldname in sorted(self.fields):
            terms = sorted(self.fields[fieldname])
            ranges[fieldname] = (len(rows), len(rows) + len(terms))
            rows.extend(terms)
        table = np.array(rows, dtype=np.uint64).reshape(-1, 6)
        schema = self.schema
        scorable = [name for name in schema.names() if schema[name].scorable]
        directory = self.temp
        with _Out(directory / "hashes.bin") as out:
            out.write(table[:, 0].tobytes())
        with _Out(directory / "terms.bin") as out:
            out.write(bytes(self.blob))
        with _Out(directory / "term_offsets.bin") as out:
            out.write(table[:, 1:3].astype(np.int64).tobytes())
        with _Out(directory / "postings.bin") as out:
            out.write(table[:, 3:5].astype(np.int64).tobytes())
        if self.positions is not None:
            order = table[:, 5].astype(np.int64)  # each row's place in add order
            firsts = np.array(self.term_positions, dtype=np.int64)
            with _Out(directory / "term_positions.bin") as out:
                out.write(firsts[order].tobytes())
        with _Out(directory / "lengths.bin") as out:
            for name in scorable:
                out.write(lengths(name))
        with _Out(directory / "dates.bin") as out:
            values = dates if dates is not None else [0] * self.doccount
            out.write(np.asarray(values, dtype=np.uint32).tobytes())
        meta = {"format": FORMAT, "segment": self.final.name[len(PREFIX):],
                "doccount": self.doccount, "postings": self.written, "fields": ranges,
                "lengths": scorable}  # fmt: skip
        with _Out(directory / META) as out:
            out.write(json.dumps(meta).encode())
        _fsync_dir(directory)
        if self.final.exists():  # an older format, or another process's: replace it
            old = self.temp.with_name(self.temp.name + ".old")
            os.rename(self.final, old)
            shutil.rmtree(old, ignore_errors=True)
        os.rename(self.temp, self.final)
        _fsync_dir(self.generation)
        return self.final

    def abort(self) -> None:
        for handle in (self.docs, self.weights, self.positions, self.starts):
            if handle is not None:
                with contextlib.suppress(OSError):
                    handle.close()
        shutil.rmtree(self.temp, ignore_errors=True)


class CompanionSink(PostingSink):
    """The writer's side: a segment's postings, taken as Whoosh streams them into its
    field writer, grouped by term into a companion. The companion is a cache of the
    segment: if writing it fails (a full disk), it is dropped and Whoosh's segment is
    still written; a reader then builds it or scores from Whoosh's postings."""

    def __init__(self, generation: str, name: str, doccount: int, schema: Any):
        self.builder: _Builder | None = _Builder(Path(generation), name, doccount, schema)

    def tee(self, postings: Iterator[Any]) -> Iterator[Any]:
        try:
            yield from self._grouped(postings)
        except BaseException:  # Whoosh's write failed: no companion for a half segment
            self._drop()
            raise

    def _grouped(self, postings: Iterator[Any]) -> Iterator[Any]:
        current: tuple[str, bytes] | None = None
        ids: array[int] = array("i")
        weights: array[float] = array("f")
        positions: array[int] | None = None
        starts: array[int] | None = None
        decode: Callable[[bytes], Sequence[int]] | None = None
        places = False  # the field's values are PositionsAndStarts': copied, not decoded
        for item in postings:
            yield item
            fieldname, btext, docnum, weight, value = item
            if docnum < 0:  # Whoosh's spelling-word marker, not a posting
                continue
            if current is None or current[1] != btext or current[0] != fieldname:
                if current is not None:
                    self._add(*current, ids, weights, positions, starts)
                if current is None or current[0] != fieldname:
                    decode, places = self._decoder(fieldname)
                current = (fieldname, btext)
                ids, weights = array("i"), array("f")
                positions = array("i") if places or decode is not None else None
                starts = array("i") if places else None
            ids.append(docnum)
            weights.append(weight)
            if positions is None:
                continue
            if places and starts is not None:
                half = len(value) // 2
                if half != 4 * weight:  # a field boost: weights are not counts
                    positions = starts = None
                else:
                    positions.frombytes(value[:half])  # absolute positions, then starts
                    starts.frombytes(value[half:])
            elif decode is not None:
                found = decode(value)
                if len(found) != weight:
                    positions = None
                else:
                    positions.extend(found)
        if current is not None:
            self._add(*current, ids, weights, positions, starts)

    def _decoder(self, fieldname: str) -> tuple[Callable[[bytes], Sequence[int]] | None, bool]:
        """Whoosh's decoder of a phrase field's encoded positions, and whether its
        values are ``PositionsAndStarts``' (then copied as they are)."""
        if self.builder is None or fieldname not in self.builder.schema:
            return None, False
        fmt = self.builder.schema[fieldname].format
        if fmt is None or not fmt.supports("positions"):
            return None, False
        if isinstance(fmt, PositionsAndStarts):
            return None, True
        decoder: Callable[[bytes], Sequence[int]] = fmt.decoder("positions")
        return decoder, False

    def _add(
        self,
        fieldname: str,
        btext: bytes,
        ids: array[int],
        weights: array[float],
        positions: array[int] | None,
        starts: array[int] | None,
    ) -> None:
        if self.builder is None:
            return
        try:
            self.builder.add_term(fieldname, btext, ids, weights, positions, starts)
        except OSError:
            self._drop()

    def _drop(self) -> None:
        if self.builder is not None:
            self.builder.abort()
            self.builder = None

    def finish(self, perdoc: Any) -> None:
        builder = self.builder
        if builder is None:
            return
        schema, doccount = builder.schema, builder.doccount
        try:
            builder.commit(
                lambda field: length_column(perdoc, field, doccount) or bytes(doccount),
                perdoc_uint_column(perdoc, schema, "date_sort", doccount),
            )
        except OSError:
            self._drop()
        self.builder = None


def _sink(generation: str, name: str, doccount: int, schema: Any) -> PostingSink | None:
    try:
        return CompanionSink(generation, name, doccount, schema)
    except OSError:
        return None


def install_companion_writer() -> None:
    """Make every segment written from now on (forked workers and merges included) get
    its companion as it is written."""
    install_posting_sink(_sink)


class _Out:
    """A file written and fsynced before it is closed."""

    def __init__(self, path: Path):
        self.handle: BinaryIO = open(path, "wb")  # noqa: SIM115  # closed in __exit__

    def __enter__(self) -> BinaryIO:
        return self.handle

    def __exit__(self, *exc: object) -> None:
        try:
            if exc[0] is None:
                self.handle.flush()
                os.fsync(self.handle.fileno())
        finally:
            self.handle.close()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sync_companions(generation: Path, index: Index) -> int:
    """After a commit: a companion for every segment of it, none for segments it dropped;
    returns how many had to be built from Whoosh's postings (segments of an index
    written by an earlier version, or whose companion a crash or full disk lost).

    Only the writer (holding the writer lock) calls this. Readers of an older commit
    that still use a removed companion keep their mapping (the kernel keeps the
    file until it is unmapped); a reader that opens a commit whose companion went
    missing builds it or falls back to Whoosh's postings.
    """
    reader = index.reader()
    built = 0
    try:
        wanted = set()
        for leaf, _ in reader.leaf_readers():
            path = companion_path(generation, leaf)
            if path is None:
                continue
            wanted.add(path.name)
            with contextlib.suppress(OSError, ValueError, KeyError):
                if SegmentColumns(path).doccount == leaf.doc_count_all():
                    continue
            write_companion(generation, leaf)
            built += 1
    finally:
        reader.close()
    for path in generation.iterdir():
        dropped = path.name.startswith(PREFIX) and path.name not in wanted
        orphan = path.name.startswith(TEMP_PREFIX) and not _writer_alive(path.name)
        if dropped or orphan:
            shutil.rmtree(path, ignore_errors=True)
    return built


def _writer_alive(temp_name: str) -> bool:
    """Whether the process that is writing this temporary companion still runs."""
    try:
        pid = int(temp_name.split(".")[-2])
    except (ValueError, IndexError):
        return False
    return pid != os.getpid() and process_alive(pid)
