"""Fixtures for the command line's tests: the real `dossier` entry point run as
a subprocess (the console script next to this Python, as a user runs it) on
real indexes built by that same command. Nothing is mocked.

This directory has no ``__init__.py``; helpers live in cli_support.py.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_support import ARTICLES, EXTRA_ARTICLES, run_dossier


@pytest.fixture(scope="session")
def dossier() -> Callable[..., subprocess.CompletedProcess]:
    return run_dossier


@pytest.fixture(scope="session")
def cli_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled articles plus EXTRA_ARTICLES as JSON Lines, in one directory."""
    root = tmp_path_factory.mktemp("cli-corpus")
    for article in ARTICLES.glob("*.txt"):
        (root / article.name).write_bytes(article.read_bytes())
    lines = [json.dumps(a, ensure_ascii=False) for a in EXTRA_ARTICLES]
    (root / "extra.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def cli_index(tmp_path_factory: pytest.TempPathFactory, cli_corpus: Path) -> Path:
    """An index of ``cli_corpus`` built by `dossier index` (read-only for the tests)."""
    index = tmp_path_factory.mktemp("cli-index") / "index"
    done = run_dossier("index", cli_corpus, "--index", index)
    assert done.returncode == 0, done.stderr
    return index
