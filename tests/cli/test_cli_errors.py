"""Bad input to `dossier`: one line naming the flag, a non-zero exit, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

# (arguments after `search`, words the one-line message must hold)
REFUSED_SEARCHES = [
    (["security", "--lang", "xx"], ["--lang 'xx'", "is not a language code"]),
    (["security", "--per-page", "0"], ["--per-page 0", "1 to 100"]),
    (["security", "--per-page", "101"], ["--per-page 101", "1 to 100"]),
    (["security", "--page", "0"], ["--page 0", "1 to 100"]),
    (["security", "--year", "20x5"], ["--year '20x5'", "undated"]),
    (["security", "--from", "2025-13-01"], ["--from", "2025-09-22"]),
    (["security", "--from", "2025-02-01", "--to", "2025-01-01"], ["--from 2025-02-01", "--to"]),
    ([""], ["give a query", "--lang"]),
]


@pytest.mark.parametrize(("args", "words"), REFUSED_SEARCHES)
def test_search_refuses_what_the_api_refuses_naming_the_flag(
    dossier, cli_index: Path, args: list[str], words: list[str]
) -> None:
    done = dossier("search", *args, "--index", cli_index)
    assert done.returncode == 2
    assert done.stdout == ""
    message = done.stderr.strip()
    assert message.startswith("dossier: ") and "\n" not in message, done.stderr
    for word in words:
        assert word in message
    assert "per_page" not in message and "lang=" not in message  # the API's words


def test_index_refuses_a_regular_file_as_index(dossier, cli_corpus: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    index.write_text("not an index")
    done = dossier("index", cli_corpus, "--index", index)
    assert done.returncode == 2
    assert done.stderr == f"dossier: --index {index} is a file, not an index directory\n"
    assert done.stdout == ""
    assert index.read_text() == "not an index"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index"]


@pytest.mark.parametrize("command", [["search", "security"], ["stats"], ["delete", "x"]])
def test_reading_commands_refuse_a_regular_file_as_index(
    dossier, tmp_path: Path, command: list[str]
) -> None:
    index = tmp_path / "index"
    index.write_text("")
    done = dossier(*command, "--index", index)
    assert done.returncode == 2
    assert done.stderr == f"dossier: --index {index} is a file, not an index directory\n"


def test_index_refuses_a_missing_input_without_creating_an_index(
    dossier, cli_corpus: Path, tmp_path: Path
) -> None:
    index = tmp_path / "index"
    missing = tmp_path / "no-such-dir"
    done = dossier("index", cli_corpus, missing, "--index", index)
    assert done.returncode == 2
    assert done.stderr == f"dossier: {missing}: no such file or directory; nothing was done\n"
    assert "[rebuilt]" not in done.stdout and done.stdout == ""
    assert not index.exists()


def test_missing_input_leaves_an_existing_index_untouched(
    dossier, cli_corpus: Path, tmp_path: Path
) -> None:
    """A mistyped path must not prune every document indexed from the real one."""
    index = tmp_path / "index"
    assert dossier("index", cli_corpus, "--index", index).returncode == 0
    before = dossier("stats", "--json", "--index", index).stdout
    done = dossier("index", tmp_path / "typo", "--index", index)
    assert done.returncode == 2
    assert dossier("stats", "--json", "--index", index).stdout == before


def test_orgs_suggest_refuses_a_missing_input(dossier, tmp_path: Path) -> None:
    done = dossier("orgs", "suggest", tmp_path / "nowhere")
    assert done.returncode == 2
    assert done.stderr == (
        f"dossier: {tmp_path / 'nowhere'}: no such file or directory; nothing was done\n"
    )


@pytest.mark.parametrize(
    "args",
    [
        ["orgs", "suggest", "--index", "var/other"],  # it reads files, never an index
        ["delete", "some-id", "--gazetteer", "corpus/organizations.toml"],  # ids need none
    ],
)
def test_no_command_accepts_a_flag_it_would_ignore(dossier, args: list[str]) -> None:
    done = dossier(*args)
    assert done.returncode == 2
    assert f"unrecognized arguments: {args[-2]}" in done.stderr


def test_serve_refuses_a_missing_gazetteer(dossier, cli_index: Path, tmp_path: Path) -> None:
    missing = tmp_path / "missing.toml"
    done = dossier("serve", "--index", cli_index, "--gazetteer", missing, "--port", "1")
    assert done.returncode == 2
    assert done.stderr.startswith(f"dossier: --gazetteer: {missing}: cannot read the gazetteer")
    assert done.stderr.count("\n") == 1
    assert "serving" not in done.stdout


def test_serve_refuses_a_malformed_gazetteer(dossier, cli_index: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[[organization]\nid = ", encoding="utf-8")
    done = dossier("serve", "--index", cli_index, "--gazetteer", broken, "--port", "1")
    assert done.returncode == 2
    assert done.stderr.startswith(f"dossier: --gazetteer: {broken}: not valid TOML")
