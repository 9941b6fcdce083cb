"""Incremental indexing: unchanged input commits nothing, edits update exactly their
document, removed files are pruned, broken files keep what was indexed, and a
SearchService sees every change without being recreated."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from indexer import DocumentNotFoundError, SearchRequest, SearchService, build_index
from indexer import delete_documents as delete


@dataclass
class Setup:
    corpus: Path
    root: Path
    service: SearchService

    def ids(self, query: str) -> set[str]:
        result = self.service.search(SearchRequest(query=query, per_page=100))
        return {hit.id for hit in result.hits}

    def build(self, **kwargs):
        return build_index([self.corpus], self.root, **kwargs)


@pytest.fixture
def setup(tmp_path: Path, copy_seeds, open_service) -> Setup:
    corpus = copy_seeds(tmp_path / "corpus")
    root = tmp_path / "index"
    report = build_index([corpus], root)
    assert report.added == 5
    service = open_service(root)
    assert service.stats().documents == 5  # opened (and cached) before any change
    return Setup(corpus, root, service)


def test_unchanged_corpus_commits_nothing(setup: Setup, commit_state) -> None:
    generation, commit, _ = commit_state(setup.root)
    report = setup.build()
    assert (report.added, report.updated, report.deleted, report.unchanged) == (0, 0, 0, 5)
    assert report.ok and not report.rebuilt and report.problems == []
    assert commit_state(setup.root)[:2] == (generation, commit)
    assert report.generation == generation
    assert setup.service.stats().generation == f"{generation}.{commit}"


def test_unchanged_corpus_leaves_no_files_behind(setup: Setup, commit_state) -> None:
    """A run with nothing to do must not touch the index directory (cron re-runs it)."""
    before = commit_state(setup.root)
    for _ in range(2):
        setup.build()
    assert commit_state(setup.root) == before


def test_editing_one_file_updates_exactly_that_document(
    setup: Setup, commit_state, stored_documents, seeds
) -> None:
    before = stored_documents(setup.root)
    path = setup.corpus / seeds.paths["003"].name
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("News.Az", "Zanzibarwort closes the letter.\n\nNews.Az"))
    report = setup.build()
    assert (report.added, report.updated, report.deleted, report.unchanged) == (0, 1, 0, 4)
    assert commit_state(setup.root)[1] > 0
    after = stored_documents(setup.root)
    changed = {i for i in before if before[i]["checksum"] != after[i]["checksum"]}
    assert changed == {seeds.ids["003"]}
    assert {i: after[i] for i in after if i not in changed} == {
        i: before[i] for i in before if i not in changed
    }
    assert setup.ids("Zanzibarwort") == {seeds.ids["003"]}  # same service, refreshed
    assert after[seeds.ids["003"]]["source"] == "News.Az"


def test_adding_and_renaming_files(setup: Setup, seeds) -> None:
    (setup.corpus / "new.txt").write_text("Harbour quarantine ended. Ships sailed again.")
    old = setup.corpus / seeds.paths["000"].name
    old.rename(setup.corpus / "renamed.txt")
    report = setup.build()
    assert (report.added, report.deleted, report.unchanged) == (2, 1, 4)
    assert setup.ids("quarantine") == {"new"}
    assert "renamed" in setup.ids("COP29")
    with pytest.raises(DocumentNotFoundError):
        setup.service.document(seeds.ids["000"])


def test_removing_a_file_deletes_its_document(setup: Setup, seeds) -> None:
    (setup.corpus / seeds.paths["004"].name).unlink()
    report = setup.build()
    assert (report.deleted, report.unchanged, report.added) == (1, 4, 0)
    with pytest.raises(DocumentNotFoundError):
        setup.service.document(seeds.ids["004"])
    assert setup.service.stats().languages == {"en": 4}
    assert setup.ids("Staatssicherheitsdienst") == {seeds.ids[n] for n in ("000", "001", "002")}


def test_prune_false_keeps_documents_of_removed_files(setup: Setup, seeds) -> None:
    (setup.corpus / seeds.paths["004"].name).unlink()
    report = setup.build(prune=False)
    assert report.deleted == 0
    assert setup.service.document(seeds.ids["004"]).lang == "de"


def test_indexing_a_subset_leaves_other_documents_alone(setup: Setup, seeds) -> None:
    one = setup.corpus / seeds.paths["001"].name
    report = build_index([one], setup.root)
    assert (report.unchanged, report.deleted) == (1, 0)
    assert setup.service.stats().documents == 5


def test_a_file_that_fails_to_load_keeps_its_document(setup: Setup, seeds) -> None:
    path = setup.corpus / seeds.paths["002"].name
    path.write_bytes(path.read_bytes() + b"\n\nbroken \xff\xfe byte")
    report = setup.build()
    assert not report.ok
    assert [(p.path, p.severity) for p in report.errors] == [(str(path), "error")]
    assert "UTF-8" in report.errors[0].reason
    assert (report.deleted, report.updated, report.unchanged) == (0, 0, 4)
    assert setup.service.document(seeds.ids["002"]).source == "News.Az"
    assert seeds.ids["002"] in setup.ids("SORB")


def test_a_file_emptied_keeps_its_document(setup: Setup, seeds) -> None:
    path = setup.corpus / seeds.paths["003"].name
    path.write_text("   \n\n  ")
    report = setup.build()
    assert not report.ok and "empty" in report.errors[0].reason
    assert setup.service.document(seeds.ids["003"]).date == "2019-09-06"


def test_jsonl_records_update_delete_and_survive_a_broken_line(
    tmp_path: Path, jsonl: Callable[..., str], open_service
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    records = [{"id": f"r{i}", "body": f"Record number {i} about harbours."} for i in range(3)]
    path = corpus / "records.jsonl"
    path.write_text(jsonl(*records))
    root = tmp_path / "index"
    assert build_index([corpus], root).added == 3
    service = open_service(root)

    def ids() -> set[str]:
        return {h.id for h in service.search(SearchRequest(query="harbours")).hits}

    assert ids() == {"r0", "r1", "r2"}
    path.write_text(jsonl(records[0], {"id": "r1", "body": "Record one about harbours, edited."}))
    report = build_index([corpus], root)
    assert (report.unchanged, report.updated, report.deleted) == (1, 1, 1)
    assert ids() == {"r0", "r1"}
    path.write_text(jsonl(records[0], '{"id": "r1", "body": broken'))
    report = build_index([corpus], root)
    assert not report.ok and report.errors[0].line == 2
    assert report.deleted == 0
    assert ids() == {"r0", "r1"}  # the record on the broken line keeps its last good version


def test_delete_documents_by_id(setup: Setup, seeds, commit_state) -> None:
    count, missing = delete([seeds.ids["001"], "no-such-id"], setup.root)
    assert (count, missing) == (1, ["no-such-id"])
    with pytest.raises(DocumentNotFoundError):
        setup.service.document(seeds.ids["001"])
    assert setup.service.stats().documents == 4
    generation, commit, _ = commit_state(setup.root)
    assert delete(["no-such-id"], setup.root) == (0, ["no-such-id"])
    assert commit_state(setup.root)[:2] == (generation, commit)  # nothing deleted: no commit


def test_deleting_nothing_leaves_no_files_behind(setup: Setup, commit_state) -> None:
    before = commit_state(setup.root)
    assert delete(["no-such-id"], setup.root) == (0, ["no-such-id"])
    assert commit_state(setup.root) == before


def test_deleted_document_comes_back_when_its_file_is_indexed_again(setup: Setup, seeds) -> None:
    delete([seeds.ids["001"]], setup.root)
    report = setup.build()
    assert (report.added, report.unchanged) == (1, 4)
    assert setup.service.document(seeds.ids["001"]).source == "Trend"


def test_gazetteer_change_reindexes_everything(
    setup: Setup, tmp_path: Path, gazetteer_path: Path
) -> None:
    changed = tmp_path / "organizations.toml"
    shutil.copyfile(gazetteer_path, changed)
    with changed.open("a", encoding="utf-8") as f:
        f.write("\n# a curator's note\n")
    report = setup.build(gazetteer=changed)
    assert (report.updated, report.unchanged) == (5, 0)
    assert setup.build(gazetteer=changed).unchanged == 5


def test_moved_file_keeps_its_document_and_records_the_new_path(setup: Setup, seeds) -> None:
    name = seeds.paths["000"].name
    (setup.corpus / "moved").mkdir()
    (setup.corpus / name).rename(setup.corpus / "moved" / name)
    report = setup.build()
    assert (report.added, report.deleted) == (0, 0)
    assert setup.service.document(seeds.ids["000"]).path == str(setup.corpus / "moved" / name)
