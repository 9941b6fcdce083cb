"""The benchmark harness works end to end (``bench/run.py --quick``).

Why: `make bench` takes many minutes and needs the shared data, so nobody
runs it by accident; this proves in `make test` that the harness itself is
sound. It runs the quick mode on a tiny corpus generated from the bundled
articles (no shared data), with a real Dossier index, the three baselines,
a real `dossier serve` on 127.0.0.1 and the growth plot, then checks that
every figure is positive and every ratio was computed. Nothing here judges
speed: that is what the benchmark's own report is for.
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
RUN = REPO / "bench" / "run.py"

pytestmark = pytest.mark.slow


def _require(module: str) -> None:
    """Skip without a bench dependency, except in CI, where the skip would hide a gap."""
    if importlib.util.find_spec(module) is None:
        if os.environ.get("CI"):
            pytest.fail(f"{module} is not installed (pyproject.toml bench extra)")
        pytest.skip(f"{module} is not installed; `make test` adds the bench extra")


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    for module in ("tantivy", "matplotlib", "bm25s"):
        _require(module)
    work = tmp_path_factory.mktemp("bench")
    completed = subprocess.run(
        [
            sys.executable,
            str(RUN),
            "--quick",
            "--data",
            str(work / "no-shared-data"),
            "--work",
            str(work),
            "--web-seconds",
            "1.5",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    results = json.loads((work / "results.json").read_text())
    results["_work"] = str(work)
    results["_stdout"] = completed.stdout
    return results


ENGINES = ("dossier", "whoosh", "fts5", "tantivy")


def test_quick_mode_uses_a_generated_corpus(quick_run: dict) -> None:
    assert quick_run["corpus"]["documents"] > 100
    assert "synthetic" in quick_run["corpus"]["kind"]


def test_indexing_figures_are_positive_for_every_engine(quick_run: dict) -> None:
    for name in ENGINES:
        entry = quick_run["indexing"][name]
        for build in ("p1", "pN"):
            assert entry[build]["docs"] == quick_run["corpus"]["documents"], (name, build)
            assert entry[build]["docs_per_s"] > 0
            assert entry[build]["bytes_per_doc"] > 0
            assert entry[build]["peak_rss_mb"] > 0
        assert entry["add"]["docs"] > 0 and entry["add"]["seconds"] > 0


def test_every_engine_answered_every_query(quick_run: dict) -> None:
    for name in ENGINES:
        summary = quick_run["query"][name]
        assert summary["n"] == len(quick_run["per_query"][name]) * quick_run["settings"]["rounds"]
        assert 0 < summary["p50_ms"] <= summary["p95_ms"] <= summary["p99_ms"]
    # The engines see the same documents: a query every engine understands alike
    # (a plain prefix) finds the same number of articles everywhere.
    totals = {quick_run["totals"][name]["en-prefix"] for name in ENGINES}
    assert len(totals) == 1


def test_web_runs_had_requests_and_no_errors(quick_run: dict) -> None:
    runs = quick_run["web"]["runs"]
    assert [r["clients"] for r in runs] == [1, 8]
    for run in runs:
        assert run["requests"] > 0 and run["rps"] > 0 and run["p99_ms"] > 0
        assert run["errors"] == 0, run["statuses"]
    assert quick_run["web"]["worker_memory"], "no gunicorn worker found"


def test_bm25s_baseline_timed_the_same_queries_as_dossier(quick_run: dict) -> None:
    report = quick_run["bm25s"]
    assert "error" not in report, report.get("error")
    assert report["bm25s_build"]["docs"] == quick_run["corpus"]["documents"]
    for side in ("bm25s", "dossier"):
        assert report["summary"][side]["n"] == report["queries"] * report["rounds"]
        assert report["summary"][side]["p50_ms"] > 0


def test_report_has_ratios_targets_and_plot(quick_run: dict) -> None:
    work = Path(quick_run["_work"])
    report = (work / "RESULTS.md").read_text()
    for heading in ("## Targets", "## Indexing", "## Queries", "## bm25s", "## Web", "## Growth"):
        assert heading in report
    assert "× whoosh" in report and "× fts5" in report and "× tantivy" in report
    assert len(quick_run["growth"]) == 2
    png = (work / "growth.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 5000
