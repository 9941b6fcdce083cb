"""The layout's lines, checked so they do not drift.

indexer/ is the engine: it never imports the web app, Flask or bleach; only
indexer/ imports Whoosh; the web app reaches the engine only through the
names the indexer package exports and its model dataclasses.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def package_imports(package: str) -> dict[Path, set[str]]:
    return {path: imported_modules(path) for path in sorted((ROOT / package).rglob("*.py"))}


def test_indexer_never_imports_web_layers() -> None:
    for path, modules in package_imports("indexer").items():
        bad = {m for m in modules if m.split(".")[0] in {"webapp", "flask", "bleach", "werkzeug"}}
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_webapp_uses_only_the_engine_public_surface() -> None:
    allowed = {"indexer", "indexer.model"}
    for path, modules in package_imports("webapp").items():
        engine = {m for m in modules if m.split(".")[0] == "indexer"}
        assert engine <= allowed, f"{path.relative_to(ROOT)} imports {sorted(engine - allowed)}"


# Plain Whoosh is measured as a baseline on purpose, in these files only.
WHOOSH_BASELINES = {"eval/baseline_whoosh.py", "bench/engines.py"}


def test_whoosh_is_imported_only_by_the_engine() -> None:
    for package in ("webapp", "bench", "eval"):
        if not (ROOT / package).is_dir():
            continue
        for path, modules in package_imports(package).items():
            if path.relative_to(ROOT).as_posix() in WHOOSH_BASELINES:
                continue
            bad = {m for m in modules if m.split(".")[0] == "whoosh"}
            assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_serve_command_is_registered_by_the_web_app() -> None:
    from indexer.cli import build_parser

    parser = build_parser()
    args = parser.parse_args(["serve", "--port", "8765"])
    assert args.port == 8765
    assert args.func.__module__ == "webapp.cli"
