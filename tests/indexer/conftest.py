"""Fixtures for the indexer's tests: real Whoosh indexes on disk, nothing mocked.

The bundled corpus is indexed once per session (``corpus_index``) and searched
through one ``SearchService``; tests that only read share them. A test that
writes (incremental updates, rebuilds, locks, bad input) builds its own index
under ``tmp_path``.

Expectations are derived from the article texts where that is possible
(``seeds.matching(regex)`` gives the seed articles whose raw text matches), so
a result list is never a copy of what the code printed.

This directory has no ``__init__.py`` (a package named ``indexer`` would shadow
the real one), so helpers reach the tests as fixtures rather than imports.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from indexer import SearchRequest, SearchResult, SearchService, build_index
from indexer.index.store import IndexStore
from indexer.index.writing import IndexReport

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "corpus"
ARTICLES = CORPUS / "articles"
GAZETTEER = CORPUS / "organizations.toml"


class SeedCorpus:
    """The five bundled articles, by their three-digit number ("000" … "004")."""

    def __init__(self, articles: Path):
        self.paths = {p.name[:3]: p for p in sorted(articles.glob("*.txt"))}
        self.ids = {number: path.stem for number, path in self.paths.items()}
        self._numbers = {doc_id: number for number, doc_id in self.ids.items()}

    def text(self, number: str) -> str:
        return self.paths[number].read_text(encoding="utf-8")

    def matching(self, pattern: str, flags: int = re.IGNORECASE) -> set[str]:
        """Numbers of the seeds whose raw text matches ``pattern``."""
        regex = re.compile(pattern, flags)
        return {number for number in self.paths if regex.search(self.text(number))}

    def number(self, doc_id: str) -> str:
        return self._numbers[doc_id]

    def numbers(self, result: SearchResult) -> list[str]:
        """Seed numbers of a result's hits, in rank order."""
        return [self.number(hit.id) for hit in result.hits]

    def header_date(self, number: str) -> str | None:
        """The ``date YYYY-MM-DD`` header of a seed, read with a regex of the test's own."""
        match = re.match(r"\s*date\s+(\d{4}-\d{2}-\d{2})\b", self.text(number))
        return match.group(1) if match else None


@dataclass(frozen=True)
class BuiltIndex:
    root: Path
    report: IndexReport


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return CORPUS


@pytest.fixture(scope="session")
def gazetteer_path() -> Path:
    return GAZETTEER


@pytest.fixture(scope="session")
def seeds() -> SeedCorpus:
    corpus = SeedCorpus(ARTICLES)
    assert sorted(corpus.paths) == ["000", "001", "002", "003", "004"]
    return corpus


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory: pytest.TempPathFactory) -> BuiltIndex:
    """The bundled corpus, indexed once for every read-only test."""
    root = tmp_path_factory.mktemp("corpus-index") / "index"
    return BuiltIndex(root, build_index([CORPUS], root))


@pytest.fixture(scope="session")
def service(corpus_index: BuiltIndex) -> Iterator[SearchService]:
    with SearchService(corpus_index.root) as shared:
        yield shared


@pytest.fixture(scope="session")
def search(service: SearchService) -> Callable[..., SearchResult]:
    """``search("query", languages=("de",), …)`` on the bundled-corpus index."""

    def _search(query: str = "", **params: Any) -> SearchResult:
        return service.search(SearchRequest(query=query, **params))

    return _search


@pytest.fixture(scope="session")
def found(search: Callable[..., SearchResult], seeds: SeedCorpus) -> Callable[..., set[str]]:
    """Seed numbers of every match of a query (all pages)."""

    def _found(query: str, **params: Any) -> set[str]:
        result = search(query, per_page=100, snippets=False, **params)
        assert result.total == len(result.hits)
        return set(seeds.numbers(result))

    return _found


@pytest.fixture
def open_service() -> Iterator[Callable[..., SearchService]]:
    """Open extra SearchServices for one test; all are closed afterwards."""
    opened: list[SearchService] = []

    def _open(root: Path, **kwargs: Any) -> SearchService:
        opened.append(SearchService(root, **kwargs))
        return opened[-1]

    yield _open
    for one in opened:
        one.close()


@pytest.fixture
def write_corpus(tmp_path: Path) -> Callable[..., Path]:
    """Write ``{relative path: text or bytes}`` under tmp_path/corpus and return that dir."""
    root = tmp_path / "corpus"

    def _write(files: dict[str, str | bytes]) -> Path:
        for name, content in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        root.mkdir(parents=True, exist_ok=True)
        return root

    return _write


@pytest.fixture(scope="session")
def jsonl() -> Callable[..., str]:
    """JSON Lines text of the given records (objects, or raw lines given as str)."""

    def _jsonl(*records: object) -> str:
        lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]
        return "\n".join(lines) + "\n"

    return _jsonl


@pytest.fixture
def copy_seeds(seeds: SeedCorpus) -> Callable[[Path], Path]:
    """Copy the bundled articles into a writable directory (the originals are read-only)."""

    def _copy(dest: Path) -> Path:
        dest.mkdir(parents=True, exist_ok=True)
        for path in seeds.paths.values():
            shutil.copyfile(path, dest / path.name)
        return dest

    return _copy


def _stored_documents(root: Path) -> dict[str, dict[str, Any]]:
    index = IndexStore(root).open()
    with index.searcher() as searcher:
        return {fields["id"]: dict(fields) for fields in searcher.all_stored_fields()}


@pytest.fixture(scope="session")
def stored_documents() -> Callable[[Path], dict[str, dict[str, Any]]]:
    """id → stored fields of every live document in the index at ``root``."""
    return _stored_documents


def _commit_state(root: Path) -> tuple[str | None, int, tuple[str, ...]]:
    store = IndexStore(root)
    generation = store.current_generation()
    assert generation is not None
    files = tuple(sorted(p.name for p in generation.iterdir()))
    return store.generation_id(), store.open().latest_generation(), files


@pytest.fixture(scope="session")
def commit_state() -> Callable[[Path], tuple[str | None, int, tuple[str, ...]]]:
    """(generation directory, Whoosh commit generation, files in it) of an index."""
    return _commit_state
