"""Loading articles from disk into cleaned ``Document`` objects.

Formats: ``.txt`` (one article; optional leading ``date YYYY-MM-DD`` line or
prefix) and ``.jsonl`` (one article per line with the document model's field
names), each also gzip-compressed (``.txt.gz``, ``.jsonl.gz``). JSON Lines are
streamed line by line, so memory stays bounded whatever a file's size; a line
ends at LF, CRLF or a lone CR. Directories are read recursively; a symbolic
link that leads out of the directory is skipped with a warning unless links
are followed. A bad file or line becomes a ``LoadProblem`` with its path (and
line) and reason and the run goes on, so one broken file or line never costs
the rest of the corpus.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

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
from indexer.languages import language_code
from indexer.model import LANGUAGE_NAMES, MAX_ID_CHARS, DamagedArchiveError, Document

SUFFIXES = (".txt", ".jsonl", ".txt.gz", ".jsonl.gz")
MAX_FILE_BYTES = 256 * 1024 * 1024  # a .txt article larger than this is refused
MAX_LINE_BYTES = 64 * 1024 * 1024  # a JSON Lines record longer than this is refused
READ_CHUNK = 64 * 1024  # bytes read (and at most decompressed) at a time from a file
MAX_BODY_CHARS = 1_000_000  # longer bodies are indexed up to here, with a warning
# A .txt file's first line "date 2025-09-22"; "Date palms thrive…" is the article's text.
_DATE_HEADER = re.compile(r"^\ufeff?\s*date\s+(\d\S*)\s*", re.IGNORECASE)
_ID_SAFE = re.compile(r"[^\w.:-]+")


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


def corpus_format(path: Path) -> str | None:
    """``.txt`` or ``.jsonl`` for a corpus file (compressed or not), else None."""
    name = path.name
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            return suffix.removesuffix(".gz")
    return None


def iter_corpus_files(
    paths: list[Path], follow_links: bool = False
) -> Iterator[Path | LoadProblem]:
    """Every corpus file under ``paths`` (sorted, hidden entries skipped).

    A symbolic link found inside a directory that points out of it is skipped
    with a warning (a corpus should not read ``/etc/passwd`` because someone
    left a link in it) unless ``follow_links``; links to directories are only
    descended into when following links (each real directory once).
    """
    for path in paths:
        if path.is_dir():
            yield from _walk(path, follow_links)
        elif path.is_file():
            if corpus_format(path):
                yield path
            else:
                yield LoadProblem(
                    str(path),
                    f"unsupported file type {path.suffix!r} (use .txt or .jsonl, or .gz of them)",
                )
        else:
            yield LoadProblem(str(path), "no such file or directory")


def _walk(top: Path, follow_links: bool) -> Iterator[Path | LoadProblem]:
    tree = top.resolve()
    visited = {tree}
    for root, dirs, files in os.walk(top, followlinks=follow_links):
        kept = []
        for name in sorted(d for d in dirs if not d.startswith(".")):
            full = Path(root) / name
            if full.is_symlink():
                real = full.resolve()
                if not follow_links:
                    if not _inside(real, tree):
                        yield _outside_link(full, real, top)
                    continue
                if real in visited:
                    continue  # a loop, or a directory already read
                visited.add(real)
            kept.append(name)
        dirs[:] = kept
        for name in sorted(files):
            if name.startswith(".") or not corpus_format(Path(name)):
                continue
            full = Path(root) / name
            if not follow_links and full.is_symlink():
                real = full.resolve()
                if not _inside(real, tree):
                    yield _outside_link(full, real, top)
                    continue
            yield full


def _inside(path: Path, tree: Path) -> bool:
    return path == tree or tree in path.parents


def _outside_link(link: Path, target: Path, top: Path) -> LoadProblem:
    return LoadProblem(
        str(link),
        f"symbolic link to {target}, outside {top}: skipped (--follow-links reads it)",
        severity="warning",
    )


def _gunzip(raw: IO[bytes]) -> Iterator[bytes]:
    """The decompressed bytes of a gzip file (members one after another), at most
    ``READ_CHUNK`` at a time, however well the data compresses.

    Unlike ``gzip.GzipFile``, every byte decompressed before damage or a cut is
    passed on before ``DamagedArchiveError`` is raised, so the complete lines before it
    are kept rather than the read's last 64 KiB lost with it.
    """
    inflater = zlib.decompressobj(wbits=31)  # 31: gzip header and trailer (CRC, size)
    in_member = False
    pending = b""
    while True:
        if not pending:
            pending = raw.read(READ_CHUNK)
            if not pending:
                if in_member:
                    if tail := inflater.flush():
                        yield tail
                    raise DamagedArchiveError("gzip file is cut short (its data ends mid-stream)")
                return
        if not in_member and not pending.strip(b"\x00"):
            pending = b""  # zero padding after the last member, as gzip allows
            continue
        try:
            out = inflater.decompress(pending, READ_CHUNK)
        except zlib.error as exc:
            raise DamagedArchiveError(f"gzip data is damaged ({exc})") from None
        in_member = True
        if out:
            yield out
        if inflater.eof:  # a member ended: another may follow
            pending, in_member = inflater.unused_data, False
            inflater = zlib.decompressobj(wbits=31)
        else:
            pending = inflater.unconsumed_tail


def _chunks(handle: IO[bytes], path: Path) -> Iterator[bytes]:
    """The file's bytes, gunzipped for ``.gz``, ``READ_CHUNK`` at a time."""
    if path.name.endswith(".gz"):
        yield from _gunzip(handle)
        return
    while chunk := handle.read(READ_CHUNK):
        yield chunk


def _read_text(path: Path) -> str:
    size, parts = 0, []
    with path.open("rb") as handle:
        for chunk in _chunks(handle, path):
            size += len(chunk)
            if size > MAX_FILE_BYTES:
                raise ValueError(f"file is too large (the limit is {MAX_FILE_BYTES // 10**6} MB)")
            parts.append(chunk)
    data = b"".join(parts)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "convert the file to UTF-8"
        ) from None


_LINE_END = re.compile(rb"\r\n?|\n")


def iter_lines(
    chunks: Iterable[bytes], limit: int = MAX_LINE_BYTES
) -> Iterator[tuple[int, bytes | None]]:
    """(line number, bytes) of every line of a byte stream, ends at LF, CRLF or CR.

    Holds at most one line (up to ``limit`` bytes) in memory; a longer line
    comes out as None, so the caller reports it and goes on with the next.
    """
    number = 0
    pending: list[bytes] = []
    size = 0
    too_long = False
    after_cr = False  # the previous chunk ended with CR: a LF starting this one is its pair
    for chunk in chunks:
        if not chunk:
            continue
        if after_cr and chunk.startswith(b"\n"):
            chunk = chunk[1:]
        after_cr = False
        start = 0
        for end in _LINE_END.finditer(chunk):
            number += 1
            if too_long or size + end.start() - start > limit:
                yield number, None
            else:
                pending.append(chunk[start : end.start()])
                yield number, b"".join(pending)
            pending, size, too_long = [], 0, False
            start = end.end()
            after_cr = start == len(chunk) and end.group() == b"\r"
        rest = len(chunk) - start
        if rest and not too_long:
            if size + rest > limit:
                pending, too_long = [], True
            else:
                pending.append(chunk[start:])
                size += rest
    if pending or too_long:
        yield number + 1, None if too_long else b"".join(pending)


OnBytes = Callable[[int], None]  # told how many more bytes of the input files were read


def _counted(chunks: Iterator[bytes], handle: IO[bytes], on_bytes: OnBytes) -> Iterator[bytes]:
    """The chunks, telling ``on_bytes`` how far into the file on disk each one reaches
    (for a .gz, the compressed bytes consumed), so one big file moves a progress bar."""
    done = 0
    for chunk in chunks:
        try:
            position = handle.tell()
        except (OSError, ValueError):
            position = done + len(chunk)
        if position > done:
            on_bytes(position - done)
            done = position
        yield chunk


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
        # id -> where it was first seen in this run, packed as file number << 32 | line
        # (an int, not a "path:line" string: a run over millions of articles holds one each)
        self._claimed: dict[str, int] = {}
        self._files: dict[str, int] = {}

    def start_run(self) -> None:
        """Forget the ids claimed so far: a new run over the corpus begins."""
        self._claimed, self._files = {}, {}

    def claim(self, doc_id: str, path: str, line: int | None = None) -> str | None:
        """Reserve ``doc_id`` for the article at ``path`` (``line``); the reason it is
        refused (too long, or already taken earlier in this run), or None."""
        if len(doc_id) > MAX_ID_CHARS:
            return f"id has {len(doc_id):,} characters; the limit is {MAX_ID_CHARS}"
        first = self._claimed.get(doc_id)
        if first is not None:
            names = list(self._files)
            where, at = names[first >> 32], first & 0xFFFFFFFF
            return f"duplicate id {doc_id!r} (first in {f'{where}:{at}' if at else where})"
        file_number = self._files.setdefault(path, len(self._files))
        self._claimed[doc_id] = file_number << 32 | min(line or 0, 0xFFFFFFFF)
        return None

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


def _stem(path: Path) -> str:
    """A file's name without its corpus suffix (``a.txt.gz`` -> ``a``)."""
    fmt = corpus_format(path)
    name = path.name
    for suffix in (f"{fmt}.gz", fmt) if fmt else ():
        if name.endswith(suffix):
            return name.removesuffix(suffix)
    return path.stem


def load_text_file(
    path: Path, raw: str, builder: DocumentBuilder
) -> Iterator[Document | Unchanged | LoadProblem]:
    date = None
    header = _DATE_HEADER.match(raw)
    if header:
        try:
            date = normalize_record_date(header.group(1))
            raw = raw[header.end() :]
        except ValueError as exc:
            yield LoadProblem(str(path), f"ignored the date header: {exc}", severity="warning")
    doc_id = _ID_SAFE.sub("_", _stem(path))
    refused = builder.claim(doc_id, str(path))
    if refused:
        yield LoadProblem(str(path), refused)
        return
    doc, problems = builder.build(
        doc_id=doc_id, text=raw, path=str(path), date=date, digest=checksum(raw, date or ""),
        date_source=DATE_FROM_HEADER,
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
    path: Path, builder: DocumentBuilder, on_bytes: OnBytes | None = None
) -> Iterator[Document | Unchanged | LoadProblem]:
    """Every record of a JSON Lines file (gzip or not), read as a stream; every bad line
    is a ``path:line`` problem and the next line is read."""
    where = str(path)
    number = 0
    try:
        with path.open("rb") as handle:
            chunks = _chunks(handle, path)
            if on_bytes is not None:
                chunks = _counted(chunks, handle, on_bytes)
            for number, data in iter_lines(chunks):
                if data is None:
                    yield LoadProblem(
                        where, f"line is longer than {MAX_LINE_BYTES // 2**20} MiB", number
                    )
                    continue
                yield from _load_line(path, number, data, builder)
    except (OSError, DamagedArchiveError) as exc:  # unreadable, or a damaged or cut .gz
        yield LoadProblem(where, f"{_reason(exc)}; read stopped after line {number}", number + 1)


def _load_line(
    path: Path, number: int, data: bytes, builder: DocumentBuilder
) -> Iterator[Document | Unchanged | LoadProblem]:
    where = str(path)
    if number == 1 and data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]  # a byte order mark
    try:
        line = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        yield LoadProblem(
            where, f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at column {exc.start + 1})",
            number,
        )  # fmt: skip
        return
    if not line.strip():
        return
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        yield LoadProblem(where, f"invalid JSON: {exc.msg} (column {exc.colno})", number)
        return
    except RecursionError:
        yield LoadProblem(where, "invalid JSON: nested too deeply", number)
        return
    except ValueError:  # json refuses integers of more than sys.get_int_max_str_digits()
        yield LoadProblem(where, "invalid JSON: a number has too many digits", number)
        return
    problem = _record_problem(record)
    if problem:
        yield LoadProblem(where, problem, number)
        return
    yield from _record_to_document(record, path, number, line, builder)


def _record_to_document(
    record: dict, path: Path, number: int, line: str, builder: DocumentBuilder
) -> Iterator[Document | Unchanged | LoadProblem]:
    title = _text(record.get("title"))
    body = _text(record.get("body"))
    digest = checksum(line)
    doc_id = _text(record.get("id")).strip() or f"{_stem(path)}-{checksum(title, body)[:12]}"
    where = sys.intern(str(path))  # one string per file, however many documents keep it
    refused = builder.claim(doc_id, where, number)
    if refused:
        yield LoadProblem(where, refused, number)
        return
    date = None
    try:
        date = normalize_record_date(_text(record.get("date")) or None)
    except ValueError as exc:
        yield LoadProblem(where, f"{exc}; indexed as undated", number, "warning")
    lang = _text(record.get("lang")) or None
    if lang is not None:
        lang = language_code(lang)  # "en-GB" is English
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


def load_documents(
    paths: list[Path],
    builder: DocumentBuilder,
    follow_links: bool = False,
    *,
    on_bytes: OnBytes | None = None,
) -> Iterator[Document | Unchanged | LoadProblem]:
    """Documents and problems from every corpus file under ``paths``, in file order.

    An id seen twice is an error at its second place (with the first): the first
    version is kept. ``on_bytes`` is told how many bytes of the files on disk have
    been read, as they are (for a progress bar): a JSON Lines file chunk by chunk,
    so one big file moves the count too; each file adds up to its size on disk.
    """
    builder.start_run()
    for item in iter_corpus_files(paths, follow_links):
        if isinstance(item, LoadProblem):
            yield item
            continue
        counter = _FileBytes(_size(item), on_bytes) if on_bytes is not None else None
        if corpus_format(item) == ".jsonl":
            yield from load_jsonl_file(item, builder, counter.add if counter else None)
        else:
            try:
                raw = _read_text(item)
            except (OSError, DamagedArchiveError, ValueError) as exc:
                yield LoadProblem(str(item), _reason(exc))
            else:
                yield from load_text_file(item, raw, builder)
        if counter:
            counter.finish()


class _FileBytes:
    """The bytes read of one file, passed on as they grow: a file adds up to its size
    on disk, no more (a .gz is counted in compressed bytes)."""

    def __init__(self, size: int, on_bytes: OnBytes) -> None:
        self.size, self.on_bytes, self.reported = size, on_bytes, 0

    def add(self, count: int) -> None:
        count = min(count, self.size - self.reported)
        if count > 0:
            self.reported += count
            self.on_bytes(count)

    def finish(self) -> None:
        self.add(self.size - self.reported)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
