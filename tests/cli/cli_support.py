"""Helpers of the command line's tests (a module with a name of its own: the
test directories' conftest.py files would shadow one another as imports)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
ARTICLES = REPO / "corpus" / "articles"
SCRIPT = Path(sys.executable).parent / "dossier"

# Articles beside the bundled ones: markup to escape, several languages, no date.
EXTRA_ARTICLES: list[dict[str, Any]] = [
    {
        "id": "hostile-markup",
        "title": "<script>alert(1)</script> Security summit in Baku",
        "body": "The security summit in Baku met. <img src=x onerror=alert(1)> <b>bold</b> & co.",
        "date": "2024-05-01",
        "lang": "en",
        "source": "<b>Evil</b> Press",
    },
    {
        "id": "de-forum",
        "title": "Sicherheitsforum in Baku eröffnet",
        "body": "Der Staatssicherheitsdienst Aserbaidschans eröffnete das Sicherheitsforum.",
        "date": "2021-03-15",
        "lang": "de",
        "source": "Deutsche Rundschau",
    },
    {
        "id": "undated-memo",
        "title": "Undated memo on the security archive",
        "body": "This memo about the security archive of the security service has no date.",
        "lang": "en",
        "source": "Archive Desk",
    },
]


def dossier_command(*args: str | Path) -> list[str]:
    """The installed `dossier` script when there is one, else ``python -m indexer``."""
    head = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "indexer"]
    return [*head, *map(str, args)]


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without a developer's DOSSIER_* or TQDM_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOSSIER_", "TQDM_"))}
    env["DOSSIER_RATE_LIMIT"] = "0"
    env.update(extra)
    return env


def run_dossier(
    *args: str | Path, timeout: float = 120, **popen: Any
) -> subprocess.CompletedProcess:
    return subprocess.run(
        dossier_command(*args), cwd=popen.pop("cwd", REPO), env=popen.pop("env", clean_env()),
        capture_output=True, text=True, timeout=timeout, check=False, **popen,
    )  # fmt: skip
