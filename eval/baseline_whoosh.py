"""The baseline every figure is compared with: plain Whoosh as a typical application uses it.

One TEXT field holding title and body with Whoosh's ``StemmingAnalyzer``
(English Porter stemmer and stop words), the query's words joined by
``QueryParser`` with ``OrGroup``, and Whoosh's default BM25F (B=0.75,
K1=1.2). Documents are read and cleaned by Dossier's own loader, so both
systems index the same text. (This file is the one place in eval/ that
imports Whoosh; tests/test_architecture.py allows it by its name.)
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from whoosh import index as windex
from whoosh.analysis import StemmingAnalyzer
from whoosh.fields import ID, TEXT, Schema
from whoosh.qparser import OrGroup, QueryParser

from indexer.ingest.documents import DocumentBuilder, load_documents
from indexer.ingest.organizations import Gazetteer
from indexer.model import Document

Run = dict[str, list[tuple[str, float]]]


def whoosh_ranking(
    corpus: list[Path], queries: dict[str, str], index_dir: Path, depth: int
) -> tuple[Run, float, float]:
    """Index ``corpus`` into a fresh ``index_dir`` and run ``queries`` (id -> plain words).

    Returns the ranking per query id, the indexing seconds and the search seconds.
    """
    started = time.perf_counter()
    if index_dir.exists():
        shutil.rmtree(index_dir)
    index_dir.mkdir(parents=True)
    schema = Schema(id=ID(stored=True, unique=True), text=TEXT(analyzer=StemmingAnalyzer()))
    ix = windex.create_in(str(index_dir), schema)
    writer = ix.writer(limitmb=256)
    for doc in load_documents(corpus, DocumentBuilder(Gazetteer([]))):
        if isinstance(doc, Document):
            writer.add_document(id=doc.id, text=f"{doc.title}\n{doc.body}")
    writer.commit()
    index_seconds = time.perf_counter() - started
    parser = QueryParser("text", ix.schema, group=OrGroup)
    run: Run = {}
    started = time.perf_counter()
    with ix.searcher() as searcher:
        for qid, text in queries.items():
            results = searcher.search(parser.parse(text), limit=depth)
            run[qid] = [(hit["id"], float(hit.score)) for hit in results]
    search_seconds = time.perf_counter() - started
    ix.close()
    return run, index_seconds, search_seconds


def whoosh_more_like(
    corpus: list[Path], doc_ids: list[str], index_dir: Path, top: int
) -> dict[str, list[str]]:
    """Whoosh's own "more like this" (``Searcher.more_like``: the article's most
    significant words by tf·idf as an OR query) over the plain index, for each id."""
    if index_dir.exists():
        shutil.rmtree(index_dir)
    index_dir.mkdir(parents=True)
    schema = Schema(id=ID(stored=True, unique=True), text=TEXT(analyzer=StemmingAnalyzer()))
    ix = windex.create_in(str(index_dir), schema)
    writer = ix.writer(limitmb=256)
    texts = {}
    for doc in load_documents(corpus, DocumentBuilder(Gazetteer([]))):
        if isinstance(doc, Document):
            texts[doc.id] = f"{doc.title}\n{doc.body}"
            writer.add_document(id=doc.id, text=texts[doc.id])
    writer.commit()
    found: dict[str, list[str]] = {}
    with ix.searcher() as searcher:
        for doc_id in doc_ids:
            docnum = searcher.document_number(id=doc_id)
            hits = searcher.more_like(docnum, "text", text=texts[doc_id], top=top)
            found[doc_id] = [hit["id"] for hit in hits]
    ix.close()
    return found
