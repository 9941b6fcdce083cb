"""Stories: exact and near-duplicate articles share a story id, and results collapse by it.

Every test builds a real index from JSON Lines in tmp_path and searches it
through a real SearchService; the expected stories follow from how the
texts were made (a copy, a copy with a few words changed, unrelated text).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from indexer import SearchRequest, build_index
from indexer.index.writing import delete_documents
from indexer.ingest.duplicates import (
    MIN_WORDS,
    NUM_PERM,
    SEED,
    THRESHOLD,
    minhash,
    normalized_words,
    signature,
    similarity,
)
from indexer.model import ParameterError

WIRE = (
    "The regional railway authority announced on Monday that freight traffic between the "
    "northern harbour and the capital will resume next week after three months of repairs "
    "to the damaged bridge. Engineers replaced the steel girders and tested the new "
    "foundations, the authority said, and passenger trains are expected to follow in the "
    "spring once the signalling system has been upgraded along the whole line."
)
# The same wire republished with a few words changed and a dateline lead-in added.
EDITED = "BAKU, 3 March (Trend) - " + WIRE.replace("on Monday", "on Tuesday").replace(
    "three months", "four months"
)
OTHER = (
    "The national library opened a new reading room for historical newspapers on Friday, "
    "with digitised collections of the nineteenth century press available to visitors. "
    "Librarians spent two years scanning fragile pages and correcting the recognised text, "
    "and researchers can now search the archive from any computer in the building."
)


def record(doc_id: str, body: str, source: str, **extra: Any) -> dict[str, Any]:
    return {"id": doc_id, "title": f"Story {doc_id}", "body": body, "source": source,
            "lang": "en", **extra}  # fmt: skip


def base_records() -> list[dict[str, Any]]:
    return [
        record("wire-1", WIRE, "Wire Agency", date="2024-03-01"),
        record("copy-2", WIRE, "Morning Post", date="2024-03-02"),
        record("edit-3", EDITED, "Evening Star", date="2024-03-03"),
        record("other-4", OTHER, "Morning Post", date="2024-03-04"),
    ]


@pytest.fixture
def corpus(write_corpus: Callable[..., Path], jsonl: Callable[..., str]) -> Callable[..., Path]:
    def _write(records: list[dict[str, Any]]) -> Path:
        return write_corpus({"articles.jsonl": jsonl(*records)})

    return _write


def stories(stored: dict[str, dict[str, Any]]) -> dict[str, str]:
    return {doc_id: fields["story"] for doc_id, fields in stored.items()}


def test_near_copy_is_similar_and_other_text_is_not() -> None:
    assert similarity(signature(WIRE), signature(WIRE)) == 1.0
    assert similarity(signature(WIRE), signature(EDITED)) >= THRESHOLD
    assert similarity(signature(WIRE), signature(OTHER)) < 0.2
    assert signature(" ".join(["word"] * (MIN_WORDS - 1))) == b""  # too short to compare


@pytest.mark.parametrize(
    "body",
    [
        WIRE,
        EDITED,
        OTHER,
        "Нагиев заявил " * 20,
        "un deux trois " * 4 + "quatre cinq six",
        # ~12,000 shingles: several of the minhash's chunks, the last one partial.
        " ".join(f"word{i * 7919 % 10007}" for i in range(12_000)),
    ],
)
def test_signature_is_datasketchs_minhash(body: str) -> None:
    """The signature computed in array expressions, chunk by chunk, is datasketch's own
    MinHash of the same shingles, value for value (stored signatures keep their meaning)."""
    from datasketch import MinHash

    words = normalized_words(body)
    shingles = {" ".join(words[i : i + 3]).encode() for i in range(len(words) - 2)}
    reference = MinHash(NUM_PERM, seed=SEED, hashfunc=zlib.crc32, scheme="affine32")
    reference.update_batch(list(shingles))
    assert signature(body) == np.asarray(reference.hashvalues, dtype="<u4").tobytes()
    assert minhash([]).tolist() == [0xFFFFFFFF] * NUM_PERM  # nothing seen: datasketch's start


def test_exact_and_near_copies_share_the_first_articles_story(
    tmp_path: Path, corpus: Callable[..., Path], stored_documents: Callable[..., Any]
) -> None:
    build_index([corpus(base_records())], tmp_path / "ix")
    assigned = stories(stored_documents(tmp_path / "ix"))
    assert assigned == {
        "wire-1": "wire-1", "copy-2": "wire-1", "edit-3": "wire-1", "other-4": "other-4"
    }  # fmt: skip


def test_short_identical_texts_stay_separate(
    tmp_path: Path, corpus: Callable[..., Path], stored_documents: Callable[..., Any]
) -> None:
    short = "Photo: staff photographer."
    build_index([corpus([record("a", short, "X"), record("b", short, "Y")])], tmp_path / "ix")
    assert stories(stored_documents(tmp_path / "ix")) == {"a": "a", "b": "b"}


def test_results_collapse_to_the_best_ranked_version(
    tmp_path: Path, corpus: Callable[..., Path], open_service: Callable[..., Any]
) -> None:
    build_index([corpus(base_records())], tmp_path / "ix")
    service = open_service(tmp_path / "ix")
    collapsed = service.search(SearchRequest(query="freight OR library"))
    assert collapsed.total == 2
    by_story = {hit.story: hit for hit in collapsed.hits}
    assert set(by_story) == {"wire-1", "other-4"}
    assert by_story["wire-1"].versions == 3 and by_story["other-4"].versions == 1
    every = service.search(SearchRequest(query="freight OR library", collapse="none"))
    assert every.total == 4
    assert {hit.id for hit in every.hits} == {"wire-1", "copy-2", "edit-3", "other-4"}
    # By date, the story shows its newest version.
    newest = service.search(SearchRequest(query="freight", sort="date"))
    assert [hit.id for hit in newest.hits] == ["edit-3"]


def test_facet_counts_count_stories_when_collapsed(
    tmp_path: Path, corpus: Callable[..., Path], open_service: Callable[..., Any]
) -> None:
    build_index([corpus(base_records())], tmp_path / "ix")
    service = open_service(tmp_path / "ix")

    def counts(**params: Any) -> dict[str, int]:
        result = service.search(SearchRequest(query="freight OR library", **params))
        return {v.value: v.count for v in result.facets["source"].values}

    # Morning Post holds a copy of the wire and the other story: two stories either way;
    # the year facet shows the difference: four articles, two stories.
    assert counts(collapse="none") == {"Wire Agency": 1, "Morning Post": 2, "Evening Star": 1}
    assert counts() == {"Wire Agency": 1, "Morning Post": 2, "Evening Star": 1}
    years = service.search(SearchRequest(query="freight OR library")).facets["year"]
    assert {v.value: v.count for v in years.values} == {"2024": 2}
    years = service.search(SearchRequest(query="freight OR library", collapse="none"))
    assert {v.value: v.count for v in years.facets["year"].values} == {"2024": 4}
    # Choosing a value finds as many results as the count promised.
    chosen = service.search(SearchRequest(query="freight OR library", sources=("Morning Post",)))
    assert chosen.total == 2


def test_story_filter_lists_every_version(
    tmp_path: Path, corpus: Callable[..., Path], open_service: Callable[..., Any]
) -> None:
    build_index([corpus(base_records())], tmp_path / "ix")
    service = open_service(tmp_path / "ix")
    result = service.search(SearchRequest(story="wire-1", collapse="none"))
    assert {hit.id for hit in result.hits} == {"wire-1", "copy-2", "edit-3"}
    assert all(hit.versions == 3 for hit in result.hits)


def test_document_lists_the_other_versions(
    tmp_path: Path, corpus: Callable[..., Path], open_service: Callable[..., Any]
) -> None:
    build_index([corpus(base_records())], tmp_path / "ix")
    view = open_service(tmp_path / "ix").document("copy-2")
    assert view.story == "wire-1"
    assert [(v.id, v.source, v.date) for v in view.versions] == [
        ("wire-1", "Wire Agency", "2024-03-01"),
        ("edit-3", "Evening Star", "2024-03-03"),
    ]
    assert open_service(tmp_path / "ix").document("other-4").versions == []


def test_new_article_joins_an_existing_story(
    tmp_path: Path, corpus: Callable[..., Path], stored_documents: Callable[..., Any]
) -> None:
    build_index([corpus(base_records())], tmp_path / "ix")
    later = record("late-5", WIRE.replace("next week", "next month"), "Late Herald")
    report = build_index([corpus([*base_records(), later])], tmp_path / "ix")
    assert (report.added, report.unchanged) == (1, 4)
    assert stories(stored_documents(tmp_path / "ix"))["late-5"] == "wire-1"


def test_deleting_the_representative_keeps_the_story(
    tmp_path: Path, corpus: Callable[..., Path], open_service: Callable[..., Any],
    stored_documents: Callable[..., Any],
) -> None:  # fmt: skip
    build_index([corpus(base_records())], tmp_path / "ix")
    assert delete_documents(["wire-1"], tmp_path / "ix") == (1, [])
    assigned = stories(stored_documents(tmp_path / "ix"))
    assert assigned == {"copy-2": "wire-1", "edit-3": "wire-1", "other-4": "other-4"}
    result = open_service(tmp_path / "ix").search(SearchRequest(query="freight"))
    assert result.total == 1 and result.hits[0].versions == 2
    # A later copy still finds the story through the remaining versions.
    later = record("late-5", WIRE, "Late Herald")
    records = [r for r in base_records() if r["id"] != "wire-1"]
    build_index([corpus([*records, later])], tmp_path / "ix")
    assert stories(stored_documents(tmp_path / "ix"))["late-5"] == "wire-1"


def test_changed_article_leaves_its_story(
    tmp_path: Path, corpus: Callable[..., Path], stored_documents: Callable[..., Any],
    open_service: Callable[..., Any],
) -> None:  # fmt: skip
    build_index([corpus(base_records())], tmp_path / "ix")
    records = base_records()
    records[2] = record("edit-3", OTHER.replace("Friday", "Saturday"), "Evening Star")
    records[0] = record("wire-1", "A correction: " + OTHER[::-1], "Wire Agency")
    report = build_index([corpus(records)], tmp_path / "ix")
    assert report.updated == 2
    assigned = stories(stored_documents(tmp_path / "ix"))
    assert assigned["edit-3"] == "other-4"  # now a near-copy of the other story
    assert assigned["copy-2"] == "wire-1"  # keeps the label of the story it was in
    # The first article left the story its id names, so it gets a story of its own.
    assert assigned["wire-1"] not in {"wire-1", "other-4"}
    result = open_service(tmp_path / "ix").search(SearchRequest(query="library"))
    assert [(hit.story, hit.versions) for hit in result.hits] == [("other-4", 2)]


def test_rebuild_gives_the_same_stories(
    tmp_path: Path, corpus: Callable[..., Path], stored_documents: Callable[..., Any]
) -> None:
    root = corpus(base_records())
    build_index([root], tmp_path / "ix")
    first = stories(stored_documents(tmp_path / "ix"))
    build_index([root], tmp_path / "ix", rebuild=True)
    assert stories(stored_documents(tmp_path / "ix")) == first


def test_the_same_text_in_another_script_is_the_same_story(
    tmp_path: Path, corpus: Callable[..., Path], stored_documents: Callable[..., Any]
) -> None:
    # Azerbaijani written in Cyrillic and in its Latin transliteration: folding makes
    # them one text; a translation (different words) would not be.
    cyrillic = (
        "Азярбайжан Республикасы Президенти бу эун Бакыда кечирилян бейнялхалг "
        "конфрансда иштирак едиб вя ени нягллият лайищяляри щаггында данышыб, "
        "лайищялярин ил сонуна гядяр баша чатачаьыны билдириб."
    )
    from indexer.analysis.folding import fold

    latin = fold(cyrillic)
    records = [record("cyr", cyrillic, "A", lang="az"), record("lat", latin, "B", lang="az")]
    build_index([corpus(records)], tmp_path / "ix")
    assert stories(stored_documents(tmp_path / "ix")) == {"cyr": "cyr", "lat": "cyr"}


def test_collapse_parameter_is_validated(
    tmp_path: Path, corpus: Callable[..., Path], open_service: Callable[..., Any]
) -> None:
    build_index([corpus(base_records())], tmp_path / "ix")
    service = open_service(tmp_path / "ix")
    with pytest.raises(ParameterError, match="collapse must be one of story, none"):
        service.search(SearchRequest(query="freight", collapse="stories"))
    with pytest.raises(ParameterError, match="story must be"):
        service.search(SearchRequest(query="freight", story="x" * 201))
