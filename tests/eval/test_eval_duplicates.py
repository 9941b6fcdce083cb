"""eval/duplicates.py on a small corpus whose stories are known: copies, a near copy, others."""

from __future__ import annotations

import json
from pathlib import Path

from eval.duplicates import BEGIN, END, main

WIRE = (
    "The regional railway authority announced on Monday that freight traffic between the "
    "northern harbour and the capital will resume next week after three months of repairs "
    "to the damaged bridge. Engineers replaced the steel girders and tested the new "
    "foundations, the authority said, and passenger trains are expected to follow."
)
OTHER = (
    "The national library opened a new reading room for historical newspapers on Friday, "
    "with digitised collections of the nineteenth century press available to visitors."
)
RECORDS = [
    {"id": "a", "title": "Freight", "body": WIRE},
    {"id": "b", "title": "Freight again", "body": WIRE},  # a copy
    {"id": "c", "title": "Freight copy", "body": "  " + WIRE.upper() + " "},  # case, spacing
    {"id": "d", "title": "Freight edited", "body": WIRE.replace("Monday", "Tuesday")},
    {"id": "e", "title": "Library", "body": OTHER},
]


def test_counts_copies_and_near_duplicates(tmp_path: Path, capsys) -> None:
    corpus = tmp_path / "data" / "bbc_news" / "docs.jsonl"
    corpus.parent.mkdir(parents=True)
    corpus.write_text("".join(json.dumps(r) + "\n" for r in RECORDS), encoding="utf-8")
    out = tmp_path / "DUPLICATES.md"
    out.write_text(f"# kept\n\n{BEGIN}\nold\n{END}\n\nkept too\n", encoding="utf-8")
    assert main(["--data", str(tmp_path / "data"), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "BBC News: 5 articles, 2 stories, 2/2 exact copies collapsed, 2 near-duplicates" in (
        printed
    )
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# kept\n\n") and text.endswith("kept too\n") and "\nold\n" not in text
    assert "| BBC News | 5 | 2 | 2 | 2 | 1 | 1 | 2 |" in text
    # Both near-duplicate pairs are listed for the eye, with the words that differ.
    assert "| a: Freight | d: Freight edited |" in text and "| monday | tuesday |" in text
    assert "| a: Freight | c: Freight copy |" in text
