"""What `dossier` prints: JSON the API's way, a quiet end on a closed pipe,
its version, and help for every argument."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import pytest
from cli_support import ARTICLES, REPO, clean_env, dossier_command
from flask.testing import FlaskClient

from indexer.cli import build_parser
from webapp import create_app
from webapp.service import close_service

# (command-line arguments after `search`, the same search as GET /api/search parameters)
SAME_SEARCHES = [
    (["security"], {"q": "security"}),
    (
        ["security", "--lang", "en", "--per-page", "3", "--page", "2", "--sort", "date"],
        {"q": "security", "lang": "en", "per_page": "3", "page": "2", "sort": "date"},
    ),
    (["baku", "--org", "az-sss"], {"q": "baku", "org": "az-sss"}),
    (["security", "--sort", "date_asc"], {"q": "security", "sort": "date_asc"}),
    (["", "--year", "undated"], {"year": "undated"}),
    (
        ["forum", "--from", "2019-01-01", "--to", "2025-12-31", "--source", "Trend"],
        {"q": "forum", "from": "2019-01-01", "to": "2025-12-31", "source": "Trend"},
    ),
    (["securty"], {"q": "securty"}),  # a typo: the suggestion must match too
    (["security", "--lang", "EN-gb"], {"q": "security", "lang": "en"}),  # a tag is its language
]


@pytest.fixture(scope="module")
def api(cli_index: Path) -> Iterator[FlaskClient]:
    """The real app on the same index, as `dossier serve` would run it."""
    app = create_app({"INDEX_DIR": cli_index, "RATE_LIMIT": 0})
    yield app.test_client()
    close_service(app)


@pytest.mark.parametrize(("cli_args", "api_args"), SAME_SEARCHES)
def test_search_json_is_the_api_document(
    dossier, cli_index: Path, api: FlaskClient, cli_args: list[str], api_args: dict[str, str]
) -> None:
    done = dossier("search", *cli_args, "--json", "--index", cli_index)
    assert done.returncode == 0, done.stderr
    from_cli = json.loads(done.stdout)

    response = api.get("/api/search", query_string=api_args)
    assert response.status_code == 200, response.get_data(as_text=True)
    from_api = response.get_json()

    for document in (from_cli, from_api):
        assert isinstance(document.pop("took_ms"), float | int)
    # Pagination links are the web server's own URLs; the command line has no server.
    assert set(from_api.pop("links")) == {"self", "next", "prev"}
    assert from_cli == from_api
    assert from_cli["total"] > 0 or from_cli["suggestion"], "compare a search that finds something"


def test_oldest_first_from_the_command_line(dossier, cli_index: Path) -> None:
    """`--sort date_asc`: dates ascending, the undated memo after every dated article."""
    done = dossier(
        "search", "security", "--sort", "date_asc", "--per-page", "100", "--json",
        "--index", cli_index,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    hits = json.loads(done.stdout)["hits"]
    dates = [h["date"] for h in hits]
    dated = [d for d in dates if d is not None]
    assert len(dated) > 2 and dated == sorted(dated)
    assert dates == dated + [None] * (len(dates) - len(dated))
    assert "undated-memo" in [h["id"] for h in hits if h["date"] is None]
    newest = dossier("search", "security", "--sort", "date", "--per-page", "100", "--json",
                     "--index", cli_index)  # fmt: skip
    assert [h["date"] for h in json.loads(newest.stdout)["hits"]][: len(dated)] == dated[::-1]


def test_a_pasted_article_is_searched_for_its_telling_words(dossier, cli_index: Path) -> None:
    """A whole bundled article as the query: it comes first, and the words used are said."""
    article = next(ARTICLES.glob("001_*.txt"))
    text = article.read_text(encoding="utf-8")
    done = dossier("search", text, "--index", cli_index)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[1].startswith("searched for the most telling words: ")
    first_hit = next(line for line in lines[2:] if line.strip().startswith("1. "))
    assert f"[{article.stem}]" in first_hit  # the article itself


def test_search_json_escapes_markup_as_the_api_does(dossier, cli_index: Path) -> None:
    done = dossier("search", "summit", "--json", "--index", cli_index)
    hit = next(h for h in json.loads(done.stdout)["hits"] if h["id"] == "hostile-markup")
    assert "<script>" not in hit["title_html"]
    assert "&lt;script&gt;" in hit["title_html"]
    assert "<img" not in hit["snippet"]


def test_a_closed_pipe_ends_the_search_quietly(cli_index: Path) -> None:
    """The reader is gone before the first byte, as after `| head -1` has its line."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            dossier_command("search", "security", "--index", cli_index),
            cwd=REPO, env=clean_env(), stdout=write_end, stderr=subprocess.PIPE,
            text=True, timeout=120, check=False,
        )  # fmt: skip
    finally:
        os.close(write_end)
    assert (done.returncode, done.stderr) == (0, "")


def test_search_piped_to_head_exits_0_quietly(cli_index: Path) -> None:
    command = " ".join(dossier_command("search", "security", "--json", "--index", cli_index))
    done = subprocess.run(
        ["bash", "-o", "pipefail", "-c", f"{command} | head -1"],
        cwd=REPO, env=clean_env(), capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert (done.returncode, done.stdout, done.stderr) == (0, "{\n", "")


def test_version_is_the_installed_distribution(dossier) -> None:
    done = dossier("--version")
    assert done.returncode == 0
    assert done.stdout == f"dossier {version('dossier')}\n"


def _parsers(parser: argparse.ArgumentParser, name: str = "dossier"):
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for command, sub in action.choices.items():
                yield from _parsers(sub, f"{name} {command}")


def test_every_argument_has_help() -> None:
    """Every option, positional and command of every (sub)command, `serve` included."""
    missing = []
    names = []
    for name, parser in _parsers(build_parser()):
        names.append(name)
        for action in parser._actions:
            if not (action.help or "").strip() or action.help == argparse.SUPPRESS:
                missing.append(f"{name}: {action.dest}")
            if isinstance(action, argparse._SubParsersAction):
                missing += [f"{name} {a.dest}" for a in action._choices_actions if not a.help]
    assert "dossier serve" in names and "dossier orgs suggest" in names
    assert not missing, f"arguments without help: {missing}"


def test_help_lists_the_commands(dossier) -> None:
    done = dossier("--help")
    assert done.returncode == 0
    for command in ("index", "delete", "stats", "search", "orgs", "serve"):
        assert f"\n    {command} " in done.stdout


def test_one_result_is_one_result(dossier, cli_index: Path) -> None:
    found = json.loads(dossier("search", "memo", "--json", "--index", cli_index).stdout)
    assert [hit["id"] for hit in found["hits"]] == ["undated-memo"]
    assert dossier("search", "memo", "--index", cli_index).stdout.startswith("1 result in ")
