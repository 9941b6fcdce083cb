"""The bm25s baseline runs end to end on a tiny generated corpus (``bench/bm25s_baseline.py``).

Why: the baseline is run by hand beside `bench/ab.py`; this proves the script
builds both sides from the same corpus and times every applicable query on
each. Nothing here judges speed.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bench"))

from bm25s_baseline import or_words  # noqa: E402


def test_or_words_keep_words_and_phrase_words_but_not_prefixes_or_excluded_words() -> None:
    assert or_words('"prime minister said" oil') == ["prime", "minister", "said", "oil"]
    assert or_words("gold OR silver") == ["gold", "silver"]
    assert or_words("oil -opec") == ["oil"]
    assert or_words("econom*") == []


def test_baseline_times_both_sides_on_the_same_corpus(tmp_path: Path) -> None:
    if importlib.util.find_spec("bm25s") is None:
        if os.environ.get("CI"):
            pytest.fail("bm25s is not installed (pyproject.toml bench extra)")
        pytest.skip("bm25s is not installed; `make test` adds the bench extra")
    completed = subprocess.run(
        [sys.executable, str(REPO / "bench" / "bm25s_baseline.py"), "--size", "300",
         "--rounds", "1", "--work", str(tmp_path)],
        capture_output=True, text=True, cwd=REPO, timeout=600, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    report = json.loads((tmp_path / "bm25s-300.json").read_text())
    assert report["bm25s_build"]["docs"] == 300
    assert report["queries"] > 20
    for side in ("bm25s", "dossier"):
        assert report["summary"][side]["n"] == report["queries"]
        assert report["summary"][side]["p50_ms"] > 0
