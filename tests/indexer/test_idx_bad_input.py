"""Every kind of bad input: the problem names the file (and line) with a readable
reason, the rest of the run goes on, and ``report.ok`` is False for errors only."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from indexer import IndexReport, SearchRequest, build_index
from indexer.ingest.documents import MAX_BODY_CHARS

GOOD = "Harbour authorities reviewed grain exports. Customs checks were discussed."


@dataclass
class Case:
    files: dict[str, str | bytes]
    culprit: str  # relative path the problem must name
    reason: str  # words the reason must contain
    line: int | None = None
    severity: str = "error"
    indexed: frozenset[str] = frozenset({"good"})  # ids that must be in the index


CASES = {
    "broken-utf8-txt": Case(
        {"broken.txt": b"Caf\xe9 au lait in Baku. The meeting ended."},
        "broken.txt",
        "not valid UTF-8 (byte 0xe9 at offset 3)",
    ),
    "invalid-json-line": Case(
        {
            "mixed.jsonl": '{"id": "j1", "body": "First."}\n{"id": "j2", "body": \n'
            '{"id": "j3", "body": "Third."}\n'
        },
        "mixed.jsonl",
        "invalid JSON",
        line=2,
        indexed=frozenset({"good", "j1", "j3"}),
    ),
    "json-line-not-an-object": Case(
        {"list.jsonl": '["id", "body"]\n{"id": "ok1", "body": "Fine."}\n'},
        "list.jsonl",
        "expected a JSON object, got list",
        line=1,
        indexed=frozenset({"good", "ok1"}),
    ),
    "wrong-field-type": Case(
        {"types.jsonl": '{"id": "t1", "title": ["a", "list"], "body": "Text."}\n'},
        "types.jsonl",
        "field 'title' must be a string or null",
        line=1,
    ),
    "boolean-id": Case(
        {"bool.jsonl": '{"id": true, "body": "Text."}\n'},
        "bool.jsonl",
        "field 'id' must be a string or null",
        line=1,
    ),
    "organizations-not-a-list": Case(
        {"orgs.jsonl": '{"id": "o1", "body": "Text.", "organizations": "az-sss"}\n'},
        "orgs.jsonl",
        "field 'organizations' must be a list of strings",
        line=1,
    ),
    "empty-txt": Case({"empty.txt": "  \n\n\t \n"}, "empty.txt", "empty article"),
    "empty-after-cleaning": Case(
        {"furniture.txt": " date 2023-10-11 + ↺ − 16 px\n\nSearch in archive\n\nTags:\n"},
        "furniture.txt",
        "empty article",
    ),
    "empty-jsonl-record": Case(
        {"blank.jsonl": '{"id": "b1", "body": "   "}\n'}, "blank.jsonl", "empty article", line=1
    ),
    "duplicate-ids-in-jsonl": Case(
        {"dupes.jsonl": '{"id": "d1", "body": "First."}\n{"id": "d1", "body": "Second."}\n'},
        "dupes.jsonl",
        "duplicate id 'd1' (first in",
        line=2,
        indexed=frozenset({"good", "d1"}),
    ),
    "duplicate-ids-across-files": Case(
        {"a/same.txt": "First copy. Text.", "b/same.txt": "Second copy. Text."},
        "b/same.txt",
        "duplicate id 'same' (first in",
        indexed=frozenset({"good", "same"}),
    ),
    "invalid-date-header": Case(
        {"baddate.txt": "date 2023-02-30\n\nThe text. More text."},
        "baddate.txt",
        "ignored the date header",
        severity="warning",
        indexed=frozenset({"good", "baddate"}),
    ),
    "invalid-record-date": Case(
        {"rdate.jsonl": '{"id": "r1", "body": "Text.", "date": "soon"}\n'},
        "rdate.jsonl",
        "indexed as undated",
        line=1,
        severity="warning",
        indexed=frozenset({"good", "r1"}),
    ),
}


def run(root: Path, tmp_path: Path, *extra: Path) -> IndexReport:
    return build_index([root, *extra], tmp_path / "index")


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_is_reported_and_the_run_goes_on(
    name: str, write_corpus: Callable[..., Path], tmp_path: Path, stored_documents
) -> None:
    case = CASES[name]
    root = write_corpus({"good.txt": GOOD, **case.files})
    report = run(root, tmp_path)
    assert len(report.problems) == 1, report.problems
    problem = report.problems[0]
    assert problem.path == str(root / case.culprit)
    assert case.reason in problem.reason
    assert problem.line == case.line
    assert problem.severity == case.severity
    assert str(root / case.culprit) in str(problem) and case.severity in str(problem)
    assert report.ok is (case.severity == "warning")
    assert set(stored_documents(tmp_path / "index")) == set(case.indexed)
    assert f"{len(report.errors)} failed" in report.summary()


def test_duplicate_keeps_the_first_version(
    write_corpus: Callable[..., Path], tmp_path: Path, stored_documents
) -> None:
    root = write_corpus(CASES["duplicate-ids-in-jsonl"].files)
    run(root, tmp_path)
    assert stored_documents(tmp_path / "index")["d1"]["body"] == "First."


def test_nonexistent_path(write_corpus: Callable[..., Path], tmp_path: Path, stored_documents):
    root = write_corpus({"good.txt": GOOD})
    missing = tmp_path / "no" / "such" / "dir"
    report = run(root, tmp_path, missing)
    assert [(p.path, p.reason, p.severity) for p in report.problems] == [
        (str(missing), "no such file or directory", "error")
    ]
    assert not report.ok
    assert set(stored_documents(tmp_path / "index")) == {"good"}


def test_unsupported_extension_given_explicitly(
    write_corpus: Callable[..., Path], tmp_path: Path, stored_documents
) -> None:
    root = write_corpus({"good.txt": GOOD, "notes.md": "# Notes"})
    report = build_index([root / "good.txt", root / "notes.md"], tmp_path / "index")
    assert [(p.path, p.severity) for p in report.problems] == [(str(root / "notes.md"), "error")]
    assert "unsupported file type '.md'" in report.problems[0].reason
    assert ".txt or .jsonl" in report.problems[0].reason
    assert not report.ok
    assert set(stored_documents(tmp_path / "index")) == {"good"}


@pytest.mark.skipif(
    os.geteuid() == 0, reason="running as root: chmod 000 does not stop root from reading"
)
def test_unreadable_file(write_corpus: Callable[..., Path], tmp_path: Path, stored_documents):
    root = write_corpus({"good.txt": GOOD, "secret.txt": "Hidden text. More."})
    (root / "secret.txt").chmod(0)
    try:
        report = run(root, tmp_path)
    finally:
        (root / "secret.txt").chmod(0o644)
    assert [(p.path, p.reason) for p in report.problems] == [
        (str(root / "secret.txt"), "permission denied")
    ]
    assert not report.ok
    assert set(stored_documents(tmp_path / "index")) == {"good"}


def test_huge_document_is_truncated_with_a_warning_and_indexed(
    write_corpus: Callable[..., Path], tmp_path: Path, open_service
) -> None:
    filler = "The harbour authority reviewed grain exports and customs checks at the port. "
    body = "Quayside opening. " + filler * (MAX_BODY_CHARS // len(filler) + 10)
    root = write_corpus(
        {"good.txt": GOOD, "huge.txt": f"Huge harbour report\n\n{body}\n\nZyxwordend."}
    )
    report = run(root, tmp_path)
    assert report.ok
    assert [(p.path, p.severity) for p in report.problems] == [(str(root / "huge.txt"), "warning")]
    assert f"{MAX_BODY_CHARS:,}" in report.problems[0].reason
    service = open_service(tmp_path / "index")

    def ids(query: str) -> set[str]:
        # Snippets off: this test is about indexing, not about highlighting a megabyte.
        return {h.id for h in service.search(SearchRequest(query=query, snippets=False)).hits}

    assert ids("Quayside") == {"huge"}
    assert ids("Zyxwordend") == set()  # beyond the limit: cut off
    view = service.document("huge")
    assert MAX_BODY_CHARS - len(filler) < len(view.body_html) <= MAX_BODY_CHARS
    assert view.title == "Huge harbour report"


def test_many_problems_in_one_run_are_all_reported(
    write_corpus: Callable[..., Path], tmp_path: Path, stored_documents
) -> None:
    files: dict[str, str | bytes] = {"good.txt": GOOD}
    for case in CASES.values():
        files.update(case.files)
    root = write_corpus(files)
    report = run(root, tmp_path, tmp_path / "missing")
    expected_errors = 1 + sum(1 for c in CASES.values() if c.severity == "error")
    assert len(report.errors) == expected_errors
    assert len(report.problems) == len(CASES) + 1
    expected_ids = set().union(*(c.indexed for c in CASES.values()))
    assert set(stored_documents(tmp_path / "index")) == expected_ids


@pytest.mark.parametrize("blank", ["", "   ", "\t"], ids=["empty", "spaces", "tab"])
def test_blank_record_id_never_becomes_an_empty_id(
    blank: str,
    write_corpus: Callable[..., Path],
    jsonl: Callable[..., str],
    tmp_path: Path,
    stored_documents,
) -> None:
    """A blank id is no id: derive one (as for a missing id) or report the line."""
    root = write_corpus({"blank-id.jsonl": jsonl({"id": blank, "body": "Harbour text."})})
    report = run(root, tmp_path)
    ids = set(stored_documents(tmp_path / "index"))
    assert all(doc_id.strip() for doc_id in ids), ids
    assert ids or report.problems  # indexed under a real id, or reported


def test_a_text_that_opens_with_the_word_date_is_no_header(
    write_corpus: Callable[..., Path], tmp_path: Path, stored_documents
) -> None:
    """Only "date" and a number is a header; "Date palms…" is the article, kept whole
    and without a warning. A header whose date is impossible stays in the text too
    (it may be the text), with a warning."""
    palms = "Date palms thrive in the desert heat, growers said on Monday."
    root = write_corpus({"palms.txt": palms, "dated.txt": "date 2024-05-06\n\nTitle\nText."})
    report = run(root, tmp_path)
    assert report.problems == []
    stored = stored_documents(tmp_path / "index")
    assert stored["palms"]["body"].startswith("Date palms thrive")
    assert stored["palms"].get("date") is None
    assert (stored["dated"]["date"], stored["dated"]["date_source"]) == ("2024-05-06", "header")
    assert "date 2024" not in stored["dated"]["body"]
