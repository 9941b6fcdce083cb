"""Regression guard for related articles, measured as eval/related.py measures them.

For each judged topic of eval/multilingual, the top hit's related list must hold
a judged-relevant article (other than the top hit) for nearly every topic where
one exists, and do at least as well as Whoosh's own ``more_like`` on the same
top hits. Measured 36 of 36 possible (eval/RESULTS.md); the floor is a little under.
"""

from __future__ import annotations

from pathlib import Path

from eval.related import measure

SET = Path(__file__).resolve().parents[2] / "eval" / "multilingual"


def test_related_articles_hold_judged_relevant_ones(tmp_path: Path) -> None:
    figures = measure(SET, tmp_path)
    assert figures["with_top_hit"] == figures["topics"]
    assert figures["dossier:served"] >= 0.9 * figures["possible"], figures
    assert figures["dossier:served"] >= figures["whoosh:served"], figures
    assert figures["dossier:p5"] >= figures["whoosh:p5"], figures
