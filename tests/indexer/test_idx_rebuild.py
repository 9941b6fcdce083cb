"""Atomic rebuilds: a new generation beside the old one, an atomic CURRENT switch,
readers that carry on, and clean-up of what a crashed rebuild leaves behind."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from indexer import DocumentNotFoundError, IndexUnavailableError, SearchRequest, build_index
from indexer.index.store import CURRENT, PREVIOUS, IndexStore


def generations(root: Path) -> set[str]:
    return {p.name for p in root.glob("gen-*") if p.is_dir()}


def link(root: Path, name: str) -> str:
    return os.readlink(root / name)


@pytest.fixture
def corpus(tmp_path: Path, copy_seeds) -> Path:
    return copy_seeds(tmp_path / "corpus")


def test_rebuild_switches_current_to_a_new_generation(
    corpus: Path, tmp_path: Path, open_service, seeds
) -> None:
    root = tmp_path / "index"
    first = build_index([corpus], root)
    assert first.rebuilt and first.generation == link(root, CURRENT)
    service = open_service(root)
    assert service.stats().documents == 5

    (corpus / seeds.paths["004"].name).unlink()
    (corpus / "extra.txt").write_text("Quarantine of the harbour ended. Ships sailed.")
    second = build_index([corpus], root, rebuild=True)

    assert second.rebuilt and (second.added, second.updated, second.deleted) == (5, 0, 0)
    assert second.generation != first.generation
    assert link(root, CURRENT) == second.generation
    assert link(root, PREVIOUS) == first.generation
    assert generations(root) == {first.generation, second.generation}
    assert not Path(link(root, CURRENT)).is_absolute()  # the index directory can move

    # The service opened before the rebuild answers from the new generation.
    assert service.stats().generation.startswith(second.generation)
    assert {h.id for h in service.search(SearchRequest(query="quarantine")).hits} == {"extra"}
    with pytest.raises(DocumentNotFoundError):
        service.document(seeds.ids["004"])
    assert service.stats().documents == 5


def test_readers_survive_repeated_rebuilds(corpus: Path, tmp_path: Path, open_service) -> None:
    root = tmp_path / "index"
    first = build_index([corpus], root).generation
    service = open_service(root)
    assert service.search(SearchRequest(query="Naghiyev")).total == 4
    second = build_index([corpus], root, rebuild=True).generation
    third = build_index([corpus], root, rebuild=True).generation
    assert generations(root) == {second, third}  # the oldest is gone, previous is kept
    assert first not in generations(root)
    result = service.search(SearchRequest(query="Naghiyev"))
    assert result.total == 4 and len(result.hits) == 4
    assert service.stats().generation.startswith(third)


def test_stale_generation_of_a_crashed_rebuild_is_removed_by_the_next_writer(
    corpus: Path, tmp_path: Path, open_service
) -> None:
    root = tmp_path / "index"
    current = build_index([corpus], root).generation
    service = open_service(root)
    assert service.stats().documents == 5
    # What a rebuild killed before its swap leaves: a generation that is not CURRENT.
    crashed, _ = IndexStore(root).new_generation()
    (crashed / "MAIN_partial.seg").write_bytes(b"\x00" * 64)
    junk = root / "gen-1"
    junk.mkdir()
    assert generations(root) == {current, crashed.name, "gen-1"}
    # CURRENT is untouched by the crash: readers still see the complete index.
    assert link(root, CURRENT) == current
    assert service.search(SearchRequest(query="Naghiyev")).total == 4

    report = build_index([corpus], root)  # nothing changed: still cleans up
    assert report.unchanged == 5
    assert generations(root) == {current}
    assert link(root, CURRENT) == current
    assert service.search(SearchRequest(query="Naghiyev")).total == 4


def test_index_directory_can_be_moved(corpus: Path, tmp_path: Path, open_service) -> None:
    root = tmp_path / "index"
    build_index([corpus], root)
    moved = tmp_path / "moved" / "index"
    moved.parent.mkdir()
    shutil.move(root, moved)
    assert open_service(moved).stats().documents == 5


def test_store_reports_missing_index(tmp_path: Path) -> None:
    store = IndexStore(tmp_path / "none")
    assert store.current_generation() is None and store.generation_id() is None
    assert store.size_bytes() == 0
    with pytest.raises(IndexUnavailableError, match=str(tmp_path / "none")):
        store.open()


def test_dangling_current_is_unavailable_not_a_crash(
    corpus: Path, tmp_path: Path, open_service
) -> None:
    root = tmp_path / "index"
    generation = build_index([corpus], root).generation
    shutil.rmtree(root / str(generation))
    service = open_service(root)
    assert service.health()["status"] == "unavailable"
    report = build_index([corpus], root)  # the next writer builds a fresh generation
    assert report.rebuilt and report.added == 5
    assert service.health()["status"] == "ok"


def test_an_index_of_an_older_field_layout_is_updated_in_place_with_a_warning(
    tmp_path: Path, corpus: Path, open_service
) -> None:
    """An index written by an older version (here: one with the date_start field that
    versions before the date column had) keeps working and is updated in its own
    layout, never silently rebuilt from a subset of its sources; the report says how to
    move it to the current layout, and --rebuild does."""
    from whoosh import index as whoosh_index
    from whoosh.fields import NUMERIC

    from indexer.index.schema import build_schema
    from indexer.index.store import GENERATION_PREFIX

    root = tmp_path / "index"
    old = root / f"{GENERATION_PREFIX}1"
    old.mkdir(parents=True)
    schema = build_schema()
    schema.add("date_start", NUMERIC(int, bits=32, signed=False))
    whoosh_index.create_in(str(old), schema)
    IndexStore(root).swap(old)

    report = build_index([corpus], root)
    assert report.added == 5 and not report.errors and not report.rebuilt
    warnings = [p for p in report.problems if "older field layout" in p.reason]
    assert len(warnings) == 1 and warnings[0].severity == "warning"
    assert "--rebuild" in warnings[0].reason
    fresh = tmp_path / "fresh"
    build_index([corpus], fresh)
    for request in (SearchRequest(query="Nagiyev", sort="date"), SearchRequest(query="forum")):
        expected = [hit.id for hit in open_service(fresh).search(request).hits]
        assert expected
        assert [hit.id for hit in open_service(root).search(request).hits] == expected

    rebuilt = build_index([corpus], root, rebuild=True)
    assert rebuilt.rebuilt and not [p for p in rebuilt.problems if "layout" in p.reason]
    assert not [p for p in build_index([corpus], root).problems if "layout" in p.reason]


def test_an_index_without_the_newer_fields_is_updated_in_its_own_layout(
    tmp_path: Path, corpus: Path, open_service
) -> None:
    """An index from before date provenance and the languages beyond five (no
    date_source, no body_fr…) takes updates without those fields, and warns."""
    from whoosh import index as whoosh_index

    from indexer.index.schema import build_schema
    from indexer.index.store import GENERATION_PREFIX

    root = tmp_path / "index"
    old = root / f"{GENERATION_PREFIX}1"
    old.mkdir(parents=True)
    schema = build_schema()
    for name in list(schema.names()):
        if name == "date_source" or (
            name.startswith(("title_", "body_")) and name[-2:] not in ("en", "de", "ru", "tr", "az")
        ):
            schema.remove(name)
    whoosh_index.create_in(str(old), schema)
    IndexStore(root).swap(old)
    french = tmp_path / "fr.jsonl"
    french.write_text(
        '{"id": "fr", "body": "Les élections présidentielles se sont déroulées dimanche dans '
        'tout le pays et les électeurs ont voté en grand nombre."}\n',
        encoding="utf-8",
    )

    report = build_index([corpus, french], root)
    assert report.added == 6 and not report.errors
    assert [p for p in report.problems if "older field layout" in p.reason]
    service = open_service(root)
    assert service.document("fr").lang == "fr"
    assert [h.id for h in service.search(SearchRequest(query="présidentielles")).hits] == ["fr"]
    # whoever reads it learns it wants a rebuild, not only `dossier index`
    assert service.stats().notice and "--rebuild" in (service.stats().notice or "")
    assert service.health()["notice"] == service.stats().notice
    assert build_index([corpus, french], root, rebuild=True).rebuilt
    rebuilt = open_service(tmp_path / "index")
    assert rebuilt.stats().notice is None and "notice" not in rebuilt.health()
