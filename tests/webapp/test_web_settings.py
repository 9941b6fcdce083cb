"""settings.py and create_app: one table for defaults, environment and docs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from indexer.model import SearchLimits
from webapp import create_app
from webapp.service import limits_from_config
from webapp.settings import SETTINGS, load_settings, markdown_table


def test_defaults() -> None:
    values = load_settings(environ={})
    assert values["INDEX_DIR"] == Path("var/index")
    assert values["RATE_LIMIT"] == 0
    assert {s.name for s in SETTINGS} <= values.keys()


def test_limit_defaults_are_the_engines() -> None:
    """The app states no limit of its own: its defaults are SearchLimits' defaults."""
    values = load_settings(environ={})
    assert limits_from_config(values) == SearchLimits()
    changed = load_settings(
        environ={"DOSSIER_MAX_QUERY_CHARS": "77", "DOSSIER_DEFAULT_PER_PAGE": "7"}
    )
    limits = limits_from_config(changed)
    assert (limits.max_query_chars, limits.default_per_page) == (77, 7)


def test_environment_then_config() -> None:
    environ = {"DOSSIER_MAX_PAGE": "7", "DOSSIER_INDEX_DIR": "/srv/index", "OTHER": "x"}
    values = load_settings(environ=environ)
    assert values["MAX_PAGE"] == 7
    assert values["INDEX_DIR"] == Path("/srv/index")
    assert load_settings(environ=environ, overrides={"MAX_PAGE": 3})["MAX_PAGE"] == 3


@pytest.mark.parametrize("value", ["ten", "-1", ""])
def test_bad_environment_value_names_the_variable(value: str) -> None:
    with pytest.raises(ValueError, match="DOSSIER_RATE_LIMIT"):
        load_settings(environ={"DOSSIER_RATE_LIMIT": value})


def test_default_per_page_within_max() -> None:
    with pytest.raises(ValueError, match="DEFAULT_PER_PAGE"):
        load_settings(environ={}, overrides={"DEFAULT_PER_PAGE": 50, "MAX_PER_PAGE": 20})


def test_app_reads_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DOSSIER_MAX_QUERY_CHARS", "77")
    monkeypatch.setenv("DOSSIER_INDEX_DIR", str(tmp_path))
    app = create_app({"TESTING": True})
    assert app.config["MAX_QUERY_CHARS"] == 77
    assert app.config["INDEX_DIR"] == tmp_path


def test_no_debug_unless_asked(tmp_path: Path, config_for) -> None:
    app = create_app(config_for(tmp_path))
    assert not app.debug
    assert create_app(config_for(tmp_path, DEBUG=True)).debug


def test_markdown_table_lists_every_setting() -> None:
    table = markdown_table()
    for setting in SETTINGS:
        assert f"`{setting.env}`" in table


def test_settings_documented(repo: Path) -> None:
    """Every setting and its environment variable appear in the README."""
    readme = (repo / "README.md").read_text(encoding="utf-8")
    missing = [s.env for s in SETTINGS if s.name not in readme or s.env not in readme]
    assert not missing, f"README.md does not document {missing}; paste `python -m webapp.settings`"


def test_settings_table_runs_as_a_module_without_warnings(repo: Path) -> None:
    """`python -m webapp.settings` (the README's command) prints the table, warning-free."""
    completed = subprocess.run(
        [sys.executable, "-W", "error", "-m", "webapp.settings"],
        capture_output=True,
        text=True,
        cwd=repo,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stderr == ""
    assert completed.stdout.strip() == markdown_table()
