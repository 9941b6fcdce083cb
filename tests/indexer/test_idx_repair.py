"""Encoding damage (mojibake) is repaired at cleaning time and counted in the report."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from indexer import SearchRequest, build_index
from indexer.ingest.cleaning import clean, repair_encoding

REPO = Path(__file__).resolve().parents[2]
DAMAGED = {
    "id": "bbc-001",
    "title": "Ad sales boost Time Warner profit",
    "body": "Quarterly profits jumped 76% to $1.13bn (Â£600m) for the three months.",
}


def test_mojibake_is_repaired_and_nothing_else_changes() -> None:
    assert repair_encoding("(Â£600m)") == "(£600m)"
    assert repair_encoding("cafÃ© Ã¼ber") == "café über"
    kept = "Nağıyev, Əliyev, Нагиев: “quoted” ﬁ １２ &lt;b&gt; O'Neill — 5 px"
    assert repair_encoding(kept) == kept
    assert clean(DAMAGED["body"]).repaired
    assert not clean(kept).repaired


def test_repaired_text_is_indexed_shown_and_counted(
    write_corpus: Callable[..., Path], jsonl: Callable[..., str], tmp_path: Path, open_service
) -> None:
    clean_record = {"id": "clean", "body": "Profits rose to £600m this year."}
    root = write_corpus({"bbc.jsonl": jsonl(DAMAGED, clean_record)})
    report = build_index([root], tmp_path / "index")
    assert (report.added, report.repaired) == (2, 1)
    assert "1 with encoding repaired" in report.summary()
    service = open_service(tmp_path / "index")
    view = service.document("bbc-001")
    assert "(£600m)" in view.body_html and "Â" not in view.body_html
    hits = service.search(SearchRequest(query="£600m")).hits
    assert {h.id for h in hits} == {"bbc-001", "clean"}


def test_the_cli_summary_counts_repairs(
    write_corpus: Callable[..., Path], jsonl: Callable[..., str], tmp_path: Path
) -> None:
    root = write_corpus({"bbc.jsonl": jsonl(DAMAGED)})
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOSSIER_")}
    done = subprocess.run(
        [sys.executable, "-m", "indexer", "index", str(root), "--index", str(tmp_path / "ix")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "1 added" in done.stdout and "1 with encoding repaired" in done.stdout
