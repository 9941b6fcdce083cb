"""An index that can no longer be opened (damaged, or written by an older
version) is rebuilt beside itself by the next plain `dossier index`."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from indexer import SearchRequest, SearchService, build_index
from indexer.index.store import IndexStore

REPO = Path(__file__).resolve().parents[2]


# Whoosh leaves the handle of a table of contents it cannot parse open (its bug,
# reported by ResourceWarning at garbage collection); that is not what is tested.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_unreadable_index_is_rebuilt_with_a_warning(tmp_path: Path) -> None:
    root = tmp_path / "index"
    corpus = REPO / "corpus" / "articles"
    first = build_index([corpus], root)
    old = IndexStore(root).current_generation()
    assert old is not None
    for toc in old.glob("_MAIN_*.toc"):
        toc.write_bytes(b"not a table of contents")

    report = build_index([corpus], root)
    gc.collect()  # let Whoosh's leaked handle be reported here, under this test's filters

    assert report.rebuilt and report.ok
    assert report.added == first.added == 5
    warnings = [p for p in report.problems if p.severity == "warning"]
    assert warnings and "rebuilding it" in warnings[0].reason
    assert IndexStore(root).current_generation() != old
    with SearchService(root) as service:
        assert service.search(SearchRequest(query="Naghiyev")).total == 4
