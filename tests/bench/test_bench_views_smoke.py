"""bench/views.py works end to end on a tiny corpus (the 36k run takes minutes).

It generates 400 articles from the bundled corpus (no shared data), builds a
real index, times the organization pages and exports through the real app and
writes its report; this checks the report holds every figure. Speed is not
judged here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def test_views_benchmark_writes_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "VIEWS_RESULTS.md"
    completed = subprocess.run(
        [sys.executable, str(REPO / "bench" / "views.py"), "--count", "400", "--repeats", "2",
         "--data", str(tmp_path / "no-shared-data"), "--work", str(tmp_path), "--out", str(out)],
        capture_output=True, text=True, cwd=REPO, timeout=600, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    report = out.read_text(encoding="utf-8")
    results = json.loads(report.split("```json", 1)[1].split("```", 1)[0])
    assert results["documents"] == 400
    assert results["organizations"] >= 1
    for key in ("organization_page_first", "organization_page", "organization_api"):
        assert results[key]["n"] >= 2 and results[key]["p95"] > 0, key
    exports = results["exports"]
    assert exports["csv, browse (lang=en, newest first)"]["rows"] > 0
    assert exports["csv, browse, gzipped"]["bytes"] < exports["jsonl, browse"]["bytes"]
    assert "| `/organizations/<id>`, profile computed |" in report
