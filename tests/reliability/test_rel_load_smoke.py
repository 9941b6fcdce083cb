"""Load smoke test: bench/load_test.py, 32 clients for 15 s against `dossier serve`
(gunicorn) over the bundled corpus: zero errors, zero 5xx, a healthy server
afterwards. Figures are printed, never asserted on (the machine is shared);
bench/LOAD_RESULTS.md holds the full-length runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
def test_32_clients_for_15_seconds_without_errors(kit, bundled_index: Path, tmp_path: Path):
    figures = tmp_path / "load.json"
    done = subprocess.run(
        [sys.executable, str(kit.repo / "bench" / "load_test.py"), "run",
         "--index", str(bundled_index), "--clients", "32", "--duration", "15",
         "--max-requests", "200000", "--json", str(figures),
         "--server-log", str(tmp_path / "gunicorn.log")],
        cwd=kit.repo, env=kit.clean_env(), capture_output=True, text=True, timeout=180,
        check=False,
    )  # fmt: skip
    print(done.stdout)
    summary = json.loads(figures.read_text())
    assert summary["errors"] == {}, summary["examples"]
    assert summary["server_errors"] == 0, summary["examples"]
    assert summary["unexpected"] == {}, summary["examples"]
    assert summary["health_after"] == 200
    assert summary["responses"] >= 32, "every client got answers"
    assert set(summary["by_kind"]) >= {"word", "phrase", "filter", "deep_page", "document"}
    assert done.returncode == 0, done.stderr[-2000:]
    log = (tmp_path / "gunicorn.log").read_text()
    assert "Traceback" not in log and "WORKER TIMEOUT" not in log
