"""A search sees every commit made before it starts, however many came since the last one.

The searcher manager notices a newer commit by the tables of contents Whoosh keeps
(``whoosh_internals.has_commit_after``), not by listing the directory: one commit
leaves the next number's table of contents, two or more delete the one it had open.
"""

from __future__ import annotations

import json
from pathlib import Path

from indexer import SearchRequest, SearchService, build_index, delete_documents


def _add(corpus: Path, index: Path, doc_id: str, word: str, *, rebuild: bool = False) -> None:
    body = f"The {word} committee met on Monday and published its {word} report."
    record = {"id": doc_id, "title": f"{word} report", "lang": "en", "body": body}
    (corpus / f"{doc_id}.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    assert build_index([corpus], index, rebuild=rebuild).errors == []


def _total(service: SearchService, word: str) -> int:
    return service.search(SearchRequest(query=word)).total


def test_one_and_several_commits_between_searches_are_seen(tmp_path: Path) -> None:
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    _add(corpus, index, "a", "alpha")
    with SearchService(index) as service:
        assert _total(service, "alpha") == 1
        opened = service.manager.refresh()
        assert service.manager.refresh() is opened  # no commit: the same generation

        _add(corpus, index, "b", "bravo")  # one commit
        assert _total(service, "bravo") == 1

        _add(corpus, index, "c", "charlie")  # two commits before the next search
        _add(corpus, index, "d", "delta")
        assert _total(service, "charlie") == 1
        assert _total(service, "delta") == 1

        assert delete_documents(["a"], index)[0] == 1  # a deletion is a commit too
        assert delete_documents(["b"], index)[0] == 1
        assert _total(service, "alpha") == 0
        assert _total(service, "bravo") == 0
        assert _total(service, "charlie") == 1


def test_a_rebuild_swapped_in_while_a_reader_opens_the_index_is_seen(tmp_path: Path) -> None:
    """A rebuild whose swap lands just after a reader opened the current directory (the
    store's ``open`` is wrapped only to run the real rebuild at that moment): the reader
    must still move to the new directory and see its later commits."""
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    _add(corpus, index, "a", "alpha")
    with SearchService(index) as service:
        store = service.manager.store
        original = store.open
        swapped: list[bool] = []

        def open_then_rebuild():  # type: ignore[no-untyped-def]
            opened = original()
            if not swapped:
                swapped.append(True)
                _add(corpus, index, "b", "bravo", rebuild=True)
            return opened

        store.open = open_then_rebuild  # type: ignore[method-assign]
        try:
            assert _total(service, "alpha") == 1  # answered from the directory it opened
        finally:
            store.open = original  # type: ignore[method-assign]
        assert swapped
        _add(corpus, index, "c", "charlie")
        assert _total(service, "bravo") == 1
        assert _total(service, "charlie") == 1
