"""Building and updating the index from corpus files.

Incremental by default: each document carries a checksum of its raw input,
the pipeline version and the gazetteer, so re-indexing unchanged files
analyzes nothing and commits nothing; a changed file updates its documents
by id; a document whose file no longer has it is deleted, unless that file
failed to load this time (a broken file never deletes what was indexed from
it). ``rebuild=True`` writes a fresh generation and swaps it in atomically.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from whoosh.writing import IndexWriter

from .documents import (
    DocumentBuilder,
    LoadProblem,
    Unchanged,
    checksum,
    iter_corpus_files,
    load_documents,
)
from .entities import Gazetteer
from .model import Document
from .schema import document_fields
from .store import IndexStore

PIPELINE_VERSION = "1"  # bump when cleaning/analysis changes, to re-index everything
WRITER_MEMORY_MB = 256

Progress = Callable[[int, int], None]


@dataclass(slots=True)
class IndexReport:
    index_dir: Path
    generation: str | None = None
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    problems: list[LoadProblem] = field(default_factory=list)
    seconds: float = 0.0
    rebuilt: bool = False

    @property
    def errors(self) -> list[LoadProblem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        return (
            f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.deleted} deleted, {len(self.errors)} failed "
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
) -> IndexReport:
    """Index the .txt/.jsonl files under ``paths`` into ``index_dir``; see module docstring."""
    started = time.perf_counter()
    paths = [Path(p) for p in paths]
    store = IndexStore(index_dir)
    report = IndexReport(index_dir=Path(index_dir))
    gaz = Gazetteer.load(gazetteer)
    salt = checksum(PIPELINE_VERSION, _gazetteer_digest(gaz))
    with store.writer_lock(wait):
        store.remove_stale_generations()
        generation = None
        if rebuild or store.current_generation() is None:
            generation, ix = store.new_generation()
            report.rebuilt = True
        else:
            ix = store.open()
        writer = ix.writer(limitmb=WRITER_MEMORY_MB)
        try:
            existing = {} if generation else _existing_documents(writer)
            builder = DocumentBuilder(
                gaz, salt=salt, known={k: digest for k, (digest, _) in existing.items()}
            )
            seen = _write_documents(writer, paths, builder, existing, report, progress)
            changed = report.added + report.updated
            if prune and not generation:
                changed += _prune(writer, paths, existing, seen, report)
            if changed or generation:
                writer.commit()
            else:
                writer.cancel()
        except BaseException:
            writer.cancel()
            raise
        if generation is not None:
            store.swap(generation)
            store.remove_stale_generations()
        report.generation = store.generation_id()
    report.seconds = time.perf_counter() - started
    return report


def _write_documents(
    writer: IndexWriter,
    paths: list[Path],
    builder: DocumentBuilder,
    existing: dict[str, tuple[str, str]],
    report: IndexReport,
    progress: Progress | None,
) -> dict[str, str]:
    """Add or update every changed document; returns id -> path of every document seen."""
    seen: dict[str, str] = {}
    total = sum(1 for item in iter_corpus_files(paths) if isinstance(item, Path))
    files_done = 0
    last_path = None
    for item in load_documents(paths, builder):
        path = item.path
        if path != last_path:
            last_path = path
            files_done += 1
            if progress:
                progress(min(files_done, total), total)
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
        seen[doc.id] = doc.path or "?"
        writer.update_document(**document_fields(doc))
        if doc.id in existing:
            report.updated += 1
        else:
            report.added += 1
    return seen


def _prune(
    writer: IndexWriter,
    paths: list[Path],
    existing: dict[str, tuple[str, str]],
    seen: dict[str, str],
    report: IndexReport,
) -> int:
    """Delete documents of the indexed paths that their files no longer contain."""
    roots = [p.resolve() for p in paths]
    troubled = {p.path for p in report.errors}
    deleted = 0
    for doc_id, (_, path) in existing.items():
        if doc_id in seen or not path or path in troubled or not _under(path, roots):
            continue
        if Path(path).exists() and path.endswith(".txt"):
            continue  # the file is there but yielded another id: leave it to its own run
        writer.delete_by_term("id", doc_id)
        deleted += 1
    report.deleted += deleted
    return deleted


def delete_documents(
    ids: list[str], index_dir: Path, *, wait: float = 0.0
) -> tuple[int, list[str]]:
    """Delete documents by id; returns (deleted count, ids not found)."""
    store = IndexStore(index_dir)
    with store.writer_lock(wait):
        ix = store.open()
        writer = ix.writer()
        try:
            existing = _existing_documents(writer)
            missing = [doc_id for doc_id in ids if doc_id not in existing]
            found = [doc_id for doc_id in ids if doc_id in existing]
            for doc_id in found:
                writer.delete_by_term("id", doc_id)
            if found:
                writer.commit()
            else:
                writer.cancel()
        except BaseException:
            writer.cancel()
            raise
    return len(found), missing


def _gazetteer_digest(gaz: Gazetteer) -> str:
    if gaz.path is None or not gaz.path.exists():
        return ""
    return checksum(gaz.path.read_text(encoding="utf-8"))
