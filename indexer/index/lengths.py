"""Field lengths a whole column at a time, for scoring and for writing segments.

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

from typing import Any

from whoosh.codec.base import PerDocumentReader
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3PerDocReader, _lenfield
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter

LENGTH_OF_BYTE = [byte_to_length(n) for n in range(256)]


def length_column(perdoc: PerDocumentReader, fieldname: str, doccount: int) -> bytes | None:
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


def _per_document_reader(self: SegmentWriter) -> PerDocumentReader | InMemoryLengths:
    reader = _original_per_document_reader(self)
    return InMemoryLengths(reader) if isinstance(reader, W3PerDocReader) else reader


def install_writer_lengths() -> None:
    """Make every SegmentWriter (in this process and the workers it forks) hand
    ``add_postings`` in-memory lengths. Idempotent."""
    SegmentWriter.per_document_reader = _per_document_reader
