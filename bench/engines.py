"""The engines a benchmark run compares, behind one small interface.

- ``dossier``: the real thing — ``indexer.build_index`` (cleaning, language,
  dates, organizations, per-language and folded fields) and
  ``indexer.SearchService`` with facet counts and highlighted snippets on.
- ``whoosh``: plain Whoosh as a typical app uses it: one TEXT field with
  ``StemmingAnalyzer``, ``add_document`` in one writer, a searcher opened
  per query, ``hit.highlights``; no facet counts.
- ``fts5``: SQLite FTS5 the way Datasette / sqlite-utils use it: an
  external-content table (``tokenize='porter unicode61'``), ``bm25()``,
  ``snippet()``, and one ``GROUP BY`` per facet over the matches.
- ``tantivy``: Tantivy through its Python package, the speed ceiling:
  ``en_stem`` text fields, fast fields for facets (terms aggregations),
  ``SnippetGenerator`` for snippets.

Every engine gets the same records (``bench_corpus.Record``); baselines also
get the organization ids Dossier's gazetteer finds, computed once outside
any timing, so an organization filter means the same thing everywhere.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bench_corpus import Record, read_records
from queries import Query, fts5_text, tantivy_text, whoosh_text

ENGINES = ("dossier", "whoosh", "fts5", "tantivy")
BASELINES = ("whoosh", "fts5", "tantivy")
PER_PAGE = 10


@dataclass(slots=True)
class Answer:
    """What a search page needs: total, the page's hits with snippets, facet counts."""

    total: int
    ids: list[str]
    snippets: int  # hits that came with a non-empty snippet
    facets: dict[str, int] = field(default_factory=dict)  # facet -> number of values


def year_of(date: str | None) -> str:
    return date[:4] if date else "undated"


def date_key(date: str | None) -> int:
    if not date:
        return 0
    digits = date.replace("-", "")[:8]
    return int(digits.ljust(8, "0"))


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


def organizations_for(records: Iterable[Record]) -> dict[str, list[str]]:
    """Organization ids per record id, found by Dossier's gazetteer (for the baselines)."""
    from indexer.ingest.organizations import Gazetteer

    gaz = Gazetteer.load(None)
    out = {}
    for record in records:
        orgs = gaz.extract(f"{record.title}\n\n{record.body}", record.lang or "en")
        if orgs:
            out[record.id] = orgs
    return out


def baseline_rows(corpus: Path, orgs_file: Path | None) -> Iterable[tuple[Record, list[str]]]:
    orgs = json.loads(orgs_file.read_text()) if orgs_file and orgs_file.exists() else {}
    for record in read_records(corpus):
        yield record, orgs.get(record.id, [])


# --- Dossier -----------------------------------------------------------------


class DossierEngine:
    name = "dossier"

    def __init__(self, index: Path):
        self.index = Path(index)
        self.service = None

    def build(self, corpus: Path, orgs_file: Path | None, procs: int) -> int:
        from indexer import build_index

        shutil.rmtree(self.index, ignore_errors=True)
        kwargs = {"procs": procs} if _accepts_procs() else {}
        report = build_index([Path(corpus)], self.index, rebuild=True, **kwargs)
        if report.errors:
            raise RuntimeError(f"dossier index failed: {report.errors[:3]}")
        return report.added

    def add(self, extra: Path, orgs_file: Path | None) -> int:
        from indexer import build_index

        report = build_index([Path(extra)], self.index)
        return report.added

    def size(self) -> int:
        from indexer.index.store import IndexStore

        return IndexStore(self.index).size_bytes()

    def open(self) -> None:
        from indexer import SearchLimits, SearchService

        # No deadline: the first search opens the generation (facet and story tables:
        # seconds at 300k on a loaded machine), which the web's 3 s limit would stop.
        # And the mix's prefixes run at every size: from 300k on, `econom*` occurs more
        # often than the default budget of expansions (a user is told to type more).
        limits = SearchLimits(timeout_ms=0, max_expanded_postings=10_000_000)
        self.service = SearchService(self.index, limits=limits)

    def search(self, q: Query) -> Answer:
        from datetime import date

        from indexer import SearchRequest

        request = SearchRequest(
            query=q.text,
            organizations=(q.org,) if q.org else (),
            languages=(q.lang,) if q.lang else (),
            years=(q.year,) if q.year else (),
            date_from=date.fromisoformat(q.date_from) if q.date_from else None,
            date_to=date.fromisoformat(q.date_to) if q.date_to else None,
            sort=q.sort,
            page=q.page,
            per_page=q.per_page,
            snippets=True,
        )
        result = self.service.search(request)
        return Answer(
            total=result.total,
            ids=[hit.id for hit in result.hits],
            snippets=sum(1 for hit in result.hits if hit.snippet),
            facets={name: len(facet.values) for name, facet in result.facets.items()},
        )


def _accepts_procs() -> bool:
    import inspect

    from indexer import build_index

    return "procs" in inspect.signature(build_index).parameters


# --- plain Whoosh --------------------------------------------------------------


class WhooshEngine:
    name = "whoosh"

    def __init__(self, index: Path):
        self.index = Path(index)
        self.ix = None

    @staticmethod
    def schema():
        from whoosh.analysis import StemmingAnalyzer
        from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

        return Schema(
            id=ID(stored=True, unique=True),
            title=STORED(),
            content=TEXT(analyzer=StemmingAnalyzer(), stored=True),
            lang=ID(stored=True),
            year=ID(stored=True),
            org=KEYWORD(commas=True),
            date=NUMERIC(int, bits=32, signed=False, sortable=True),
        )

    def _add(self, writer, rows: Iterable[tuple[Record, list[str]]]) -> int:
        count = 0
        for record, orgs in rows:
            writer.add_document(
                id=record.id,
                title=record.title,
                content=f"{record.title}\n{record.body}",
                lang=record.lang or "en",
                year=year_of(record.date),
                org=",".join(orgs),
                date=date_key(record.date),
            )
            count += 1
        return count

    def build(self, corpus: Path, orgs_file: Path | None, procs: int) -> int:
        from whoosh import index

        shutil.rmtree(self.index, ignore_errors=True)
        self.index.mkdir(parents=True)
        ix = index.create_in(str(self.index), self.schema())
        writer = ix.writer(procs=procs, multisegment=procs > 1) if procs > 1 else ix.writer()
        count = self._add(writer, baseline_rows(corpus, orgs_file))
        writer.commit()
        return count

    def add(self, extra: Path, orgs_file: Path | None) -> int:
        from whoosh import index

        ix = index.open_dir(str(self.index))
        writer = ix.writer()
        count = self._add(writer, baseline_rows(extra, orgs_file))
        writer.commit()
        return count

    def size(self) -> int:
        return dir_size(self.index)

    def open(self) -> None:
        from whoosh import index

        self.ix = index.open_dir(str(self.index))

    def search(self, q: Query) -> Answer:
        from whoosh import query as wq
        from whoosh.qparser import QueryParser

        filters = []
        if q.lang:
            filters.append(wq.Term("lang", q.lang))
        if q.year:
            filters.append(wq.Term("year", q.year))
        if q.org:
            filters.append(wq.Term("org", q.org))
        if q.date_from or q.date_to:
            filters.append(
                wq.NumericRange("date", date_key(q.date_from) or None, date_key(q.date_to) or None)
            )
        with self.ix.searcher() as searcher:
            if q.text:
                parsed = QueryParser("content", self.ix.schema).parse(whoosh_text(q.text))
            else:
                parsed = wq.Every()
            kwargs = {}
            if q.sort == "date" or not q.text:
                kwargs = {"sortedby": "date", "reverse": True}
            page = searcher.search_page(
                parsed,
                q.page,
                pagelen=q.per_page,
                filter=wq.And(filters) if filters else None,
                **kwargs,
            )
            ids, snippets = [], 0
            for hit in page:
                ids.append(hit["id"])
                snippets += bool(hit.highlights("content"))
            return Answer(total=page.total, ids=ids, snippets=snippets)


# --- SQLite FTS5 ----------------------------------------------------------------

_FTS_SCHEMA = """
CREATE TABLE docs (rowid INTEGER PRIMARY KEY, id TEXT UNIQUE, title TEXT, body TEXT,
                   date TEXT, date_key INTEGER, year TEXT, lang TEXT, source TEXT);
CREATE TABLE doc_orgs (doc INTEGER, org TEXT);
CREATE INDEX doc_orgs_org ON doc_orgs (org, doc);
CREATE INDEX doc_orgs_doc ON doc_orgs (doc);
CREATE INDEX docs_date ON docs (date_key);
CREATE VIRTUAL TABLE docs_fts USING fts5 (title, body, content='docs', content_rowid='rowid',
                                          tokenize='porter unicode61');
"""
_FACETS = {
    "lang": "SELECT lang AS value, count(*) AS n FROM docs WHERE rowid IN ({ids}) "
    "GROUP BY value ORDER BY n DESC LIMIT 31",
    "year": "SELECT year AS value, count(*) AS n FROM docs WHERE rowid IN ({ids}) "
    "GROUP BY value ORDER BY n DESC LIMIT 31",
    "source": "SELECT source AS value, count(*) AS n FROM docs WHERE rowid IN ({ids}) "
    "GROUP BY value ORDER BY n DESC LIMIT 31",
    "organization": "SELECT org AS value, count(*) AS n FROM doc_orgs WHERE doc IN ({ids}) "
    "GROUP BY value ORDER BY n DESC LIMIT 31",
}


class Fts5Engine:
    name = "fts5"

    def __init__(self, index: Path):
        self.index = Path(index)
        self.db: sqlite3.Connection | None = None

    @property
    def path(self) -> Path:
        return self.index / "fts.db"

    def _insert(self, db: sqlite3.Connection, rows: Iterable[tuple[Record, list[str]]]) -> int:
        first = db.execute("SELECT coalesce(max(rowid), 0) FROM docs").fetchone()[0] + 1
        docs, orgs = [], []
        for rowid, (record, record_orgs) in enumerate(rows, first):
            docs.append(
                (
                    rowid,
                    record.id,
                    record.title,
                    record.body,
                    record.date,
                    date_key(record.date),
                    year_of(record.date),
                    record.lang or "en",
                    record.source,
                )
            )
            orgs.extend((rowid, org) for org in record_orgs)
        db.executemany("INSERT INTO docs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", docs)
        db.executemany("INSERT INTO doc_orgs VALUES (?, ?)", orgs)
        db.execute(
            "INSERT INTO docs_fts (rowid, title, body) SELECT rowid, title, body FROM docs "
            "WHERE rowid >= ?",
            (first,),
        )
        return len(docs)

    def build(self, corpus: Path, orgs_file: Path | None, procs: int) -> int:
        shutil.rmtree(self.index, ignore_errors=True)
        self.index.mkdir(parents=True)
        db = sqlite3.connect(self.path)
        try:
            db.executescript(_FTS_SCHEMA)
            with db:
                count = self._insert(db, baseline_rows(corpus, orgs_file))
            db.execute("INSERT INTO docs_fts (docs_fts) VALUES ('optimize')")
            db.commit()
        finally:
            db.close()
        return count

    def add(self, extra: Path, orgs_file: Path | None) -> int:
        db = sqlite3.connect(self.path)
        try:
            with db:
                return self._insert(db, baseline_rows(extra, orgs_file))
        finally:
            db.close()

    def size(self) -> int:
        return dir_size(self.index)

    def open(self) -> None:
        self.db = sqlite3.connect(self.path, check_same_thread=False)

    def search(self, q: Query) -> Answer:
        where, args = [], []
        for column, value in (("lang", q.lang), ("year", q.year)):
            if value:
                where.append(f"docs.{column} = ?")
                args.append(value)
        if q.org:
            where.append("docs.rowid IN (SELECT doc FROM doc_orgs WHERE org = ?)")
            args.append(q.org)
        if q.date_from:
            where.append("docs.date_key >= ?")
            args.append(date_key(q.date_from))
        if q.date_to:
            where.append("docs.date_key <= ?")
            args.append(date_key(q.date_to))
        if q.text:
            where.insert(0, "docs_fts MATCH ?")
            args.insert(0, fts5_text(q.text))
            source = "docs_fts JOIN docs ON docs.rowid = docs_fts.rowid"
            snippet = "snippet(docs_fts, 1, '<mark>', '</mark>', '…', 24)"
        else:
            source, snippet = "docs", "substr(docs.body, 1, 200)"
        condition = " AND ".join(where) or "1"
        order = "bm25(docs_fts)" if q.text and q.sort == "relevance" else "docs.date_key DESC"
        db = self.db
        rows = db.execute(
            f"SELECT docs.id, {snippet} FROM {source} WHERE {condition} "
            f"ORDER BY {order} LIMIT ? OFFSET ?",
            [*args, q.per_page, (q.page - 1) * q.per_page],
        ).fetchall()
        matches = f"SELECT docs.rowid FROM {source} WHERE {condition}"
        total = db.execute(f"SELECT count(*) FROM ({matches})", args).fetchone()[0]
        facets = {
            name: len(db.execute(sql.format(ids=matches), args).fetchall())
            for name, sql in _FACETS.items()
        }
        return Answer(
            total=total,
            ids=[row[0] for row in rows],
            snippets=sum(1 for row in rows if row[1]),
            facets=facets,
        )


# --- Tantivy -------------------------------------------------------------------


class TantivyEngine:
    name = "tantivy"
    HEAP = 256_000_000

    def __init__(self, index: Path):
        self.index = Path(index)
        self.ix = None

    @staticmethod
    def schema():
        import tantivy

        builder = tantivy.SchemaBuilder()
        builder.add_text_field("id", stored=True, tokenizer_name="raw")
        builder.add_text_field("title", stored=True, tokenizer_name="en_stem")
        builder.add_text_field("body", stored=True, tokenizer_name="en_stem")
        for name in ("lang", "year", "source", "org"):
            builder.add_text_field(name, stored=False, tokenizer_name="raw", fast=True)
        builder.add_integer_field("date", stored=True, indexed=True, fast=True)
        return builder.build()

    def _add(self, writer, rows: Iterable[tuple[Record, list[str]]]) -> int:
        import tantivy

        count = 0
        for record, orgs in rows:
            doc = tantivy.Document(
                id=record.id,
                title=record.title,
                body=record.body,
                lang=record.lang or "en",
                year=year_of(record.date),
                date=date_key(record.date),
            )
            if record.source:
                doc.add_text("source", record.source)
            for org in orgs:
                doc.add_text("org", org)
            writer.add_document(doc)
            count += 1
        return count

    def build(self, corpus: Path, orgs_file: Path | None, procs: int) -> int:
        import tantivy

        shutil.rmtree(self.index, ignore_errors=True)
        self.index.mkdir(parents=True)
        ix = tantivy.Index(self.schema(), path=str(self.index))
        writer = ix.writer(self.HEAP, procs)
        count = self._add(writer, baseline_rows(corpus, orgs_file))
        writer.commit()
        writer.wait_merging_threads()
        return count

    def add(self, extra: Path, orgs_file: Path | None) -> int:
        import tantivy

        ix = tantivy.Index.open(str(self.index))
        writer = ix.writer(self.HEAP, 1)
        count = self._add(writer, baseline_rows(extra, orgs_file))
        writer.commit()
        writer.wait_merging_threads()
        return count

    def size(self) -> int:
        return dir_size(self.index)

    def open(self) -> None:
        import tantivy

        self.ix = tantivy.Index.open(str(self.index))

    def search(self, q: Query) -> Answer:
        import tantivy

        ix = self.ix
        searcher = ix.searcher()
        clauses = []
        if q.text:
            clauses.append(
                (tantivy.Occur.Must, ix.parse_query(tantivy_text(q.text), ["title", "body"]))
            )
        schema = ix.schema
        for fieldname, value in (("lang", q.lang), ("year", q.year), ("org", q.org)):
            if value:
                clauses.append(
                    (tantivy.Occur.Must, tantivy.Query.term_query(schema, fieldname, value))
                )
        if q.date_from or q.date_to:
            clauses.append(
                (
                    tantivy.Occur.Must,
                    tantivy.Query.range_query(
                        schema,
                        "date",
                        tantivy.FieldType.Integer,
                        date_key(q.date_from),
                        date_key(q.date_to) or 99_999_999,
                    ),
                )
            )
        query = tantivy.Query.boolean_query(clauses) if clauses else tantivy.Query.all_query()
        offset = (q.page - 1) * q.per_page
        if q.sort == "date" or not q.text:
            result = searcher.search(
                query, q.per_page, count=True, order_by_field="date", offset=offset
            )
        else:
            result = searcher.search(query, q.per_page, count=True, offset=offset)
        ids, snippets = [], 0
        generator = None
        if q.text:
            generator = tantivy.SnippetGenerator.create(searcher, query, schema, "body")
        for _, address in result.hits:
            doc = searcher.doc(address)
            ids.append(doc.get_first("id"))
            if generator is not None:
                snippets += bool(generator.snippet_from_doc(doc).to_html())
        aggregations = searcher.aggregate(
            query,
            {
                name: {"terms": {"field": name, "size": 31}}
                for name in ("lang", "year", "source", "org")
            },
        )
        facets = {name: len(agg.get("buckets", [])) for name, agg in aggregations.items()}
        return Answer(total=result.count or 0, ids=ids, snippets=snippets, facets=facets)


def engine(name: str, index: Path):
    return {
        "dossier": DossierEngine,
        "whoosh": WhooshEngine,
        "fts5": Fts5Engine,
        "tantivy": TantivyEngine,
    }[name](index)


def timed(fn, *args) -> tuple[float, object]:
    started = time.perf_counter()
    value = fn(*args)
    return time.perf_counter() - started, value


def peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
