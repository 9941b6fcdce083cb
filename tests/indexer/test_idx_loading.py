"""Loaders: .txt (date header as a line or a prefix) and .jsonl (given and derived fields),
directory walking, hidden files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from indexer import build_index
from indexer.ingest.documents import (
    DocumentBuilder,
    LoadProblem,
    iter_corpus_files,
    load_documents,
)
from indexer.ingest.organizations import Gazetteer
from indexer.model import Document

Stored = Callable[[Path], dict[str, dict[str, Any]]]


@pytest.fixture(scope="module")
def builder(gazetteer_path: Path) -> DocumentBuilder:
    return DocumentBuilder(Gazetteer.load(gazetteer_path))


def load(paths: list[Path], builder: DocumentBuilder) -> tuple[list[Document], list[LoadProblem]]:
    docs, problems = [], []
    for item in load_documents(paths, builder):
        (docs if isinstance(item, Document) else problems).append(item)
    return docs, problems


def load_one(path: Path, builder: DocumentBuilder) -> Document:
    docs, problems = load([path], builder)
    assert [p for p in problems if p.severity == "error"] == []
    assert len(docs) == 1
    return docs[0]


# --- .txt ---


def test_txt_date_header_on_its_own_line(
    write_corpus: Callable[..., Path], builder: DocumentBuilder
) -> None:
    root = write_corpus(
        {"a.txt": "date 2024-05-01\n\nHarbour talks resumed\n\nThe talks resumed on Monday."}
    )
    doc = load_one(root / "a.txt", builder)
    assert doc.date == "2024-05-01"
    assert doc.title == "Harbour talks resumed"
    assert doc.body == "The talks resumed on Monday."
    assert doc.id == "a"


def test_txt_date_header_as_prefix_before_widget(
    write_corpus: Callable[..., Path], builder: DocumentBuilder
) -> None:
    root = write_corpus(
        {"b.txt": " date 2023-10-11 + ↺ − 16 px\n\nBaku hosted the meeting. Delegates came."}
    )
    doc = load_one(root / "b.txt", builder)
    assert doc.date == "2023-10-11"
    assert doc.body == "Baku hosted the meeting. Delegates came."
    assert "px" not in doc.body and "date" not in doc.body


def test_txt_date_header_as_prefix_of_the_first_sentence(
    write_corpus: Callable[..., Path], builder: DocumentBuilder
) -> None:
    root = write_corpus(
        {
            "c.txt": " date 2025-09-22 BAKU, Azerbaijan, September 22. The forum has been held, "
            "Trend reports.\n\nIt gathered delegations from 90 countries."
        }
    )
    doc = load_one(root / "c.txt", builder)
    assert doc.date == "2025-09-22"
    assert doc.body.startswith("BAKU, Azerbaijan, September 22. The forum")
    assert doc.title == "The forum has been held, Trend reports."
    assert doc.source == "Trend"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("\ufeffdate 2020-01-02\n", "2020-01-02"),
        ("Date 2021-07\n", "2021-07"),
        ("date 1999\n", "1999"),
    ],
)
def test_txt_date_header_keeps_precision_and_tolerates_bom(
    header: str, expected: str, write_corpus: Callable[..., Path], builder: DocumentBuilder
) -> None:
    root = write_corpus({"d.txt": header + "\nThe archive reopened after repairs. Visitors came."})
    doc = load_one(root / "d.txt", builder)
    assert doc.date == expected
    assert doc.body == "The archive reopened after repairs. Visitors came."


def test_txt_invalid_date_header_is_a_warning_and_undated(
    write_corpus: Callable[..., Path], builder: DocumentBuilder
) -> None:
    root = write_corpus({"e.txt": "date 2021-13-40\n\nThe archive reopened. Visitors came."})
    docs, problems = load([root / "e.txt"], builder)
    assert [d.date for d in docs] == [None]
    assert len(problems) == 1
    assert problems[0].severity == "warning"
    assert problems[0].path == str(root / "e.txt")
    assert "2021-13-40" in problems[0].reason


def test_txt_without_header_takes_a_dated_dateline(
    write_corpus: Callable[..., Path], builder: DocumentBuilder
) -> None:
    root = write_corpus({"f.txt": "BERLIN, 22. September 2025. Der Dienst meldete Erfolge."})
    assert load_one(root / "f.txt", builder).date == "2025-09-22"


def test_txt_id_is_the_file_stem_made_safe(
    write_corpus: Callable[..., Path], builder: DocumentBuilder
) -> None:
    root = write_corpus({"my article (1).txt": "Text of the article. More text here."})
    doc = load_one(root / "my article (1).txt", builder)
    assert doc.id == "my_article_1_"
    assert doc.path == str(root / "my article (1).txt")


# --- .jsonl ---


FULL_RECORD = {
    "id": "rec-1",
    "title": "Customs checks at the harbour",
    "body": "Officials reviewed customs checks at the harbour.\n\nGrain exports rose.",
    "date": "2022-03",
    "lang": "en",
    "source": "Harbour Gazette",
    "url": "https://example.org/rec-1",
    "organizations": ["az-sss"],
}


def test_jsonl_record_with_all_fields_is_taken_as_given(
    write_corpus: Callable[..., Path], jsonl: Callable[..., str], builder: DocumentBuilder
) -> None:
    root = write_corpus({"records.jsonl": jsonl(FULL_RECORD)})
    doc = load_one(root / "records.jsonl", builder)
    for name in ("id", "title", "body", "date", "lang", "source", "url", "organizations"):
        assert getattr(doc, name) == FULL_RECORD[name], name
    assert doc.path == str(root / "records.jsonl")


def test_jsonl_missing_fields_are_derived(
    write_corpus: Callable[..., Path], jsonl: Callable[..., str], builder: DocumentBuilder
) -> None:
    body = (
        "BAKU, 22 September 2025 — The State Security Service of Azerbaijan hosted the "
        "Baku Security Forum. Delegations from many countries attended the meeting."
    )
    root = write_corpus({"derived.jsonl": jsonl({"body": body})})
    doc = load_one(root / "derived.jsonl", builder)
    assert doc.id.startswith("derived-")
    assert doc.title == "The State Security Service of Azerbaijan hosted the Baku Security Forum."
    assert doc.date == "2025-09-22"
    assert doc.lang == "en"
    assert set(doc.organizations) == {"az-sss", "baku-security-forum"}
    assert doc.source is None and doc.url is None
    # The derived id is stable: loading again gives the same one.
    assert load_one(root / "derived.jsonl", builder).id == doc.id


def test_jsonl_derived_language_of_a_german_record(
    write_corpus: Callable[..., Path], jsonl: Callable[..., str], builder: DocumentBuilder
) -> None:
    body = (
        "Der Leiter des Staatssicherheitsdienstes von Aserbaidschan eröffnete die Sitzung "
        "und sprach über die Zusammenarbeit der Sonderdienste."
    )
    root = write_corpus({"de.jsonl": jsonl({"id": "de-1", "body": body})})
    doc = load_one(root / "de.jsonl", builder)
    assert doc.lang == "de"
    assert "az-sss" in doc.organizations


def test_jsonl_derived_ids_differ_by_content(
    write_corpus: Callable[..., Path], jsonl: Callable[..., str], builder: DocumentBuilder
) -> None:
    root = write_corpus(
        {"two.jsonl": jsonl({"body": "First article text here."}, {"body": "Second text."})}
    )
    docs, problems = load([root / "two.jsonl"], builder)
    assert problems == []
    assert len({d.id for d in docs}) == 2


def test_jsonl_numeric_id_and_uppercase_language(
    write_corpus: Callable[..., Path], jsonl: Callable[..., str], builder: DocumentBuilder
) -> None:
    record = {"id": 42, "lang": "DE", "body": "Kurzer Text über die Sitzung in Baku."}
    root = write_corpus({"n.jsonl": jsonl(record)})
    doc = load_one(root / "n.jsonl", builder)
    assert doc.id == "42"
    assert doc.lang == "de"


def test_jsonl_unknown_language_is_detected_with_a_warning(
    write_corpus: Callable[..., Path], jsonl: Callable[..., str], builder: DocumentBuilder
) -> None:
    record = {
        "id": "fr-1",
        "lang": "klingon",
        "body": "The security service of the country held a meeting with delegations on Monday.",
    }
    root = write_corpus({"fr.jsonl": jsonl(record)})
    docs, problems = load([root / "fr.jsonl"], builder)
    assert [d.lang for d in docs] == ["en"]
    assert [(p.severity, p.line) for p in problems] == [("warning", 1)]
    assert "'klingon'" in problems[0].reason


def test_jsonl_blank_lines_are_skipped_and_lines_keep_their_numbers(
    write_corpus: Callable[..., Path], builder: DocumentBuilder
) -> None:
    text = '\n{"id": "x1", "body": "One text."}\n\n   \n{"id": "x2", "body": "Two."}\n{oops\n'
    root = write_corpus({"gaps.jsonl": text})
    docs, problems = load([root / "gaps.jsonl"], builder)
    assert [d.id for d in docs] == ["x1", "x2"]
    assert [(p.line, p.severity) for p in problems] == [(6, "error")]


def test_jsonl_invalid_record_date_is_a_warning_and_undated(
    write_corpus: Callable[..., Path], jsonl: Callable[..., str], builder: DocumentBuilder
) -> None:
    root = write_corpus(
        {"bad-date.jsonl": jsonl({"id": "bd", "body": "Text.", "date": "2023-02-30"})}
    )
    docs, problems = load([root / "bad-date.jsonl"], builder)
    assert [(d.id, d.date) for d in docs] == [("bd", None)]
    assert [(p.severity, p.line) for p in problems] == [("warning", 1)]
    assert "2023-02-30" in problems[0].reason


# --- walking directories ---


def test_directories_are_read_recursively_and_hidden_entries_skipped(
    write_corpus: Callable[..., Path], jsonl: Callable[..., str], tmp_path: Path, stored: Stored
) -> None:
    root = write_corpus(
        {
            "top.txt": "Top level article text. More.",
            "sub/deeper/nested.txt": "Nested article text. More.",
            "sub/records.jsonl": jsonl({"id": "from-jsonl", "body": "Record text. More."}),
            ".hidden.txt": "Hidden file text. More.",
            ".git/inside.txt": "Inside a hidden directory. More.",
            "sub/.cache/cached.jsonl": jsonl({"id": "cached", "body": "Cached."}),
            "notes.md": "Not an article format.",
            "sub/data.json": '{"id": "json-not-jsonl"}',
        }
    )
    files = [p for p in iter_corpus_files([root]) if isinstance(p, Path)]
    assert sorted(p.relative_to(root).as_posix() for p in files) == [
        "sub/deeper/nested.txt",
        "sub/records.jsonl",
        "top.txt",
    ]
    assert files == [p for p in iter_corpus_files([root]) if isinstance(p, Path)]  # stable order
    report = build_index([root], tmp_path / "index")
    assert report.problems == []  # other file types in a directory are not problems
    assert set(stored(tmp_path / "index")) == {"top", "nested", "from-jsonl"}


@pytest.fixture
def stored(stored_documents: Stored) -> Stored:
    return stored_documents


def test_indexed_fields_round_trip_through_the_index(
    write_corpus: Callable[..., Path], jsonl: Callable[..., str], tmp_path: Path, stored: Stored
) -> None:
    root = write_corpus({"records.jsonl": jsonl(FULL_RECORD)})
    report = build_index([root], tmp_path / "index")
    assert (report.added, report.ok) == (1, True)
    fields = stored(tmp_path / "index")["rec-1"]
    for name in ("title", "body", "date", "lang", "source", "url", "organizations"):
        assert fields[name] == FULL_RECORD[name], name
    assert fields["path"] == str(root / "records.jsonl")
