"""Loading articles from disk into cleaned ``Document`` objects.

Formats: ``.txt`` (one article; optional leading ``date YYYY-MM-DD`` line or
prefix) and ``.jsonl`` (one article per line with the document model's field
names). Directories are read recursively. A bad file or line becomes a
``LoadProblem`` with its path and reason and the run goes on, so one broken
file never costs the rest of the corpus.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from indexer.analysis.language import detect_language
from indexer.ingest.cleaning import clean, split_title
from indexer.ingest.dates import (
    DATE_FROM_DATELINE,
    DATE_FROM_HEADER,
    DATE_FROM_RECORD,
    date_from_dateline,
    normalize_record_date,
)
from indexer.ingest.organizations import Gazetteer
from indexer.model import LANGUAGE_NAMES, Document

SUFFIXES = (".txt", ".jsonl")
MAX_FILE_BYTES = 256 * 1024 * 1024  # a .txt article or .jsonl file larger than this is refused
MAX_BODY_CHARS = 1_000_000  # longer bodies are indexed up to here, with a warning
_DATE_HEADER = re.compile(r"^\ufeff?\s*date\s+(\S+)\s*", re.IGNORECASE)
_ID_SAFE = re.compile(r"[^\w.:-]+")
Advance = Callable[[int], None]  # told the characters of the input read so far, step by step


@dataclass(slots=True, frozen=True)
class Unchanged:
    """A document whose input has the checksum the index already holds: no work to do."""

    id: str
    path: str


@dataclass(slots=True, frozen=True)
class LoadProblem:
    path: str
    reason: str
    line: int | None = None
    severity: str = "error"  # "error" (not indexed) or "warning" (indexed, with a caveat)

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.severity}: {self.reason}"


def iter_corpus_files(paths: list[Path]) -> Iterator[Path | LoadProblem]:
    """Every .txt/.jsonl file under ``paths`` (sorted, hidden entries skipped)."""
    for path in paths:
        if path.is_dir():
            for root, dirs, files in os.walk(path, onerror=None):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if name.endswith(SUFFIXES) and not name.startswith("."):
                        yield Path(root) / name
        elif path.is_file():
            if path.suffix in SUFFIXES:
                yield path
            else:
                yield LoadProblem(
                    str(path), f"unsupported file type {path.suffix!r} (use .txt or .jsonl)"
                )
        else:
            yield LoadProblem(str(path), "no such file or directory")


def _read_text(path: Path) -> str:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ValueError(
            f"file is too large ({size / 1e6:.0f} MB; the limit is {MAX_FILE_BYTES // 10**6} MB)"
        )
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "convert the file to UTF-8"
        ) from None


def checksum(*parts: str) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
    return digest.hexdigest()


class DocumentBuilder:
    """Turns raw fields into a cleaned, enriched Document (language, date, organizations)."""

    def __init__(
        self,
        gazetteer: Gazetteer,
        *,
        salt: str = "",
        known: Mapping[str, str] | None = None,
    ):
        self.gazetteer = gazetteer
        self.known_sources: Mapping[str, str] = gazetteer.news_agencies()
        self.salt = salt  # pipeline version + gazetteer: a change re-indexes everything
        self.known = known or {}  # id -> checksum already in the index

    def build(
        self,
        *,
        doc_id: str,
        text: str,
        path: str,
        title: str | None = None,
        date: str | None = None,
        lang: str | None = None,
        source: str | None = None,
        url: str | None = None,
        organizations: list[str] | None = None,
        digest: str,
        date_source: str = DATE_FROM_RECORD,
    ) -> tuple[Document | Unchanged | None, list[LoadProblem]]:
        # The path is part of the digest: a moved file is re-indexed so its stored path
        # stays true (pruning relies on it).
        digest = checksum(digest, path, self.salt)
        if self.known.get(doc_id) == digest:
            return Unchanged(doc_id, path), []
        problems: list[LoadProblem] = []
        cleaned = clean(text, self.known_sources)
        paragraphs = cleaned.paragraphs
        cleaned_title = clean(title) if title else None
        clean_title = cleaned_title.paragraphs if cleaned_title else []
        if clean_title:
            title_text = " ".join(clean_title)
        else:
            title_text, paragraphs = split_title(paragraphs)
        body = "\n\n".join(paragraphs)
        if not body.strip() and not title_text.strip():
            return None, [LoadProblem(path, "empty article: no text left after cleaning")]
        if len(body) > MAX_BODY_CHARS:
            problems.append(
                LoadProblem(
                    path,
                    f"body has {len(body):,} characters; indexed the first {MAX_BODY_CHARS:,}",
                    severity="warning",
                )
            )
            body = body[:MAX_BODY_CHARS]
        if lang is None:
            lang = detect_language(f"{title_text}\n{body}")
        if date is None:
            date = date_from_dateline(body or title_text)
            date_source = DATE_FROM_DATELINE
        if organizations is None:
            organizations = self.gazetteer.extract(f"{title_text}\n\n{body}", lang)
        return (
            Document(
                id=doc_id,
                title=title_text,
                body=body,
                date=date,
                lang=lang,
                source=source or cleaned.source,
                url=url,
                organizations=organizations,
                path=path,
                checksum=digest,
                date_source=date_source if date else None,
                repaired=cleaned.repaired or bool(cleaned_title and cleaned_title.repaired),
            ),
            problems,
        )


def load_text_file(
    path: Path, raw: str, builder: DocumentBuilder, advance: Advance | None = None
) -> Iterator[Document | Unchanged | LoadProblem]:
    date = None
    header = _DATE_HEADER.match(raw)
    if header:
        try:
            date = normalize_record_date(header.group(1))
            raw = raw[header.end() :]
        except ValueError as exc:
            yield LoadProblem(str(path), f"ignored the date header: {exc}", severity="warning")
    doc, problems = builder.build(
        doc_id=_ID_SAFE.sub("_", path.stem), text=raw, path=str(path), date=date,
        digest=checksum(raw, date or ""), date_source=DATE_FROM_HEADER,
    )  # fmt: skip
    yield from problems
    if doc:
        yield doc


_TEXT_FIELDS = ("id", "title", "body", "date", "lang", "source", "url")


def _record_problem(record: object) -> str | None:
    if not isinstance(record, dict):
        return f"expected a JSON object, got {type(record).__name__}"
    for name in _TEXT_FIELDS:
        value = record.get(name)
        if (value is not None and not isinstance(value, str | int)) or isinstance(value, bool):
            return f"field {name!r} must be a string or null"
    orgs = record.get("organizations")
    if orgs is not None and not (isinstance(orgs, list) and all(isinstance(o, str) for o in orgs)):
        return "field 'organizations' must be a list of strings"
    return None


def load_jsonl_file(
    path: Path, raw: str, builder: DocumentBuilder, advance: Advance | None = None
) -> Iterator[Document | Unchanged | LoadProblem]:
    """One document per line; ``advance`` hears of each line's characters as it is read."""
    for number, line in enumerate(raw.split("\n"), 1):
        if advance is not None:
            advance(len(line) + 1)
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield LoadProblem(str(path), f"invalid JSON: {exc.msg} (column {exc.colno})", number)
            continue
        problem = _record_problem(record)
        if problem:
            yield LoadProblem(str(path), problem, number)
            continue
        yield from _record_to_document(record, path, number, line, builder)


def _record_to_document(
    record: dict, path: Path, number: int, line: str, builder: DocumentBuilder
) -> Iterator[Document | Unchanged | LoadProblem]:
    title = _text(record.get("title"))
    body = _text(record.get("body"))
    digest = checksum(line)
    doc_id = _text(record.get("id")).strip() or f"{path.stem}-{checksum(title, body)[:12]}"
    where = str(path)
    date = None
    try:
        date = normalize_record_date(_text(record.get("date")) or None)
    except ValueError as exc:
        yield LoadProblem(where, f"{exc}; indexed as undated", number, "warning")
    lang = _text(record.get("lang")) or None
    if lang is not None:
        lang = lang.strip().lower().replace("_", "-")
        if lang not in LANGUAGE_NAMES and lang.split("-")[0] in LANGUAGE_NAMES:
            lang = lang.split("-")[0]  # "en-GB" is English
        if lang not in LANGUAGE_NAMES:
            yield LoadProblem(
                where, f"language {lang!r} is not known; detected it instead", number, "warning"
            )
            lang = None
    doc, problems = builder.build(
        doc_id=doc_id, text=body, path=where, title=title or None, date=date, lang=lang,
        source=_text(record.get("source")) or None, url=_text(record.get("url")) or None,
        organizations=[_text(o) for o in orgs] if (orgs := record.get("organizations")) is not None
        else None,
        digest=digest,
    )  # fmt: skip
    for problem in problems:
        yield LoadProblem(problem.path, problem.reason, number, problem.severity)
    if doc:
        yield doc


_SURROGATE = re.compile("[\ud800-\udfff]")


def _text(value: object) -> str:
    """A field's text; lone surrogates (valid JSON, invalid Unicode) become U+FFFD."""
    return "" if value is None else _SURROGATE.sub("\ufffd", str(value))


def _reason(exc: Exception) -> str:
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, IsADirectoryError):
        return "is a directory"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc)


LOADERS = {".txt": load_text_file, ".jsonl": load_jsonl_file}


def load_documents(
    paths: list[Path], builder: DocumentBuilder, *, on_bytes: Callable[[int], None] | None = None
) -> Iterator[Document | Unchanged | LoadProblem]:
    """Documents and problems from every corpus file under ``paths``, in file order.

    ``on_bytes`` is told how many bytes of the input files have been read, as they
    are (for a progress bar): within a JSON Lines file line by line, so one big
    file moves the count too; each file adds up to its size on disk.
    """
    for item in iter_corpus_files(paths):
        if isinstance(item, LoadProblem):
            yield item
            continue
        try:
            raw = _read_text(item)
        except (OSError, ValueError) as exc:
            yield LoadProblem(str(item), _reason(exc))
            if on_bytes is not None:
                on_bytes(_size(item))
            continue
        if on_bytes is None:
            yield from LOADERS[item.suffix](item, raw, builder)
            continue
        counter = _ByteCounter(_size(item), len(raw), on_bytes)
        yield from LOADERS[item.suffix](item, raw, builder, counter.advance)
        counter.finish()


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


class _ByteCounter:
    """Characters read of one file -> its bytes read, reported as they grow.

    Characters are scaled to the file's size (UTF-8 text has more bytes than
    characters), so the count reaches the size exactly at the end of the file.
    """

    def __init__(self, size: int, chars: int, report: Callable[[int], None]) -> None:
        self.size, self.chars, self.report = size, max(1, chars), report
        self.read_chars = 0
        self.reported = 0

    def advance(self, chars: int) -> None:
        self.read_chars += chars
        done = min(self.size, self.size * self.read_chars // self.chars)
        if done > self.reported:
            self.report(done - self.reported)
            self.reported = done

    def finish(self) -> None:
        if self.size > self.reported:
            self.report(self.size - self.reported)
            self.reported = self.size
