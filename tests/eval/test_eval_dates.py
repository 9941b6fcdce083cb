"""eval/dates.py on a small corpus whose figures are known: one right, one wrong, one missed."""

from __future__ import annotations

import json
from pathlib import Path

from eval.dates import (
    BEGIN,
    END,
    evaluate_corpus,
    format_block,
    jsonl_articles,
    weekday_check,
    write_results,
)
from indexer.ingest.documents import DocumentBuilder
from indexer.ingest.organizations import Gazetteer

RECORDS = [
    # the dateline agrees with the record (to the day; the record has a time)
    {"id": "right", "body": "BAKU, Sept 22, 2025 (Reuters) - Talks began Monday.",
     "date": "2025-09-22T10:00:00"},
    # a dateline that disagrees with its record counts as wrong
    {"id": "wrong", "body": "Baku, 21 September 2025 - Text.", "date": "2025-09-22"},
    # no dateline: missed (recall), not wrong
    {"id": "missed", "body": "Griffin Park\nTuesday, 1 March\n1945 GMT\nText.",
     "date": "2005-03-01"},
    # an undated record with a dateline is listed for the eye, with its weekday check
    {"id": "undated", "body": "MOSCOW Sept. 17, 2004 - Basayev claimed it Friday."},
]  # fmt: skip


def test_counts_precision_recall_and_listings(tmp_path: Path) -> None:
    path = tmp_path / "docs.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in RECORDS), encoding="utf-8")
    builder = DocumentBuilder(Gazetteer.load(None))
    outcome = evaluate_corpus("tiny", jsonl_articles(path), builder)
    assert (outcome.documents, outcome.dated, outcome.inferred, outcome.correct) == (4, 3, 3, 1)
    assert [w[:3] for w in outcome.wrong] == [("wrong", "2025-09-21", "2025-09-22")]
    assert (outcome.precision, outcome.recall) == (0.5, 1 / 3)
    assert [(u[0], u[1], u[3]) for u in outcome.undated_inferred] == [
        ("undated", "2004-09-17", "agrees")
    ]
    block = format_block([outcome], "python eval/dates.py")
    assert "| tiny | 4 | 3 | 3 | 1 | 1 | 50.0 % | 33.3 % |" in block
    results = tmp_path / "DATES.md"
    results.write_text(f"# Kept\n\n{BEGIN}\nold\n{END}\n\nAlso kept.\n", encoding="utf-8")
    write_results(results, block)
    text = results.read_text(encoding="utf-8")
    assert text.startswith("# Kept") and text.endswith("Also kept.\n") and "old" not in text


def test_weekday_check() -> None:
    assert weekday_check("BAKU, Sept 22, 2025 - It began on Monday.", "2025-09-22") == "agrees"
    assert weekday_check("BAKU, Sept 22, 2025 - It began on Tuesday.", "2025-09-22") == "differs"
    assert weekday_check("BAKU, Sept 22, 2025 - It began.", "2025-09-22") == "no day named"
