"""What `make run` installs is enough to run: indexer/ and webapp/ import nothing else.

Why: `make run` installs only pyproject.toml's `dependencies` (`pip install -e .`);
test, benchmark and evaluation tools are extras, and the test suite runs with all
of them installed. An import of one of those (or of anything undeclared) from the
engine or the web app would pass every test here and fail on the first
`make run` of a fresh clone. This reads every import statement of indexer/ and
webapp/ (top-level or inside a function) and checks that each names the standard
library, Dossier itself, or a distribution the runtime dependencies pull in.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[1]
OWN = {"indexer", "webapp"}


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _runtime_distributions() -> set[str]:
    """The runtime dependencies and everything they require (no extras), canonical names."""
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    pending = [Requirement(r).name for r in pyproject["project"]["dependencies"]]
    seen: set[str] = set()
    while pending:
        name = _canonical(pending.pop())
        if name in seen:
            continue
        seen.add(name)
        for line in importlib.metadata.requires(name) or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(requirement.name)
    return seen


def imported_modules(root: Path) -> dict[str, set[str]]:
    """Top-level module name -> files importing it, for absolute imports under ``root``."""
    found: dict[str, set[str]] = {}
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], set()).add(str(path.relative_to(root.parent)))
    return found


def not_installed_by_make_run(modules: dict[str, set[str]]) -> dict[str, set[str]]:
    runtime = _runtime_distributions()
    owners = importlib.metadata.packages_distributions()
    outside = {}
    for module, files in modules.items():
        if module in OWN or module in sys.stdlib_module_names:
            continue
        distributions = {_canonical(d) for d in owners.get(module, [])}
        if not distributions or not distributions <= runtime:
            outside[module] = files
    return outside


def test_engine_and_web_app_import_only_runtime_dependencies() -> None:
    modules = {}
    for package in OWN:
        for module, files in imported_modules(REPO / package).items():
            modules.setdefault(module, set()).update(files)
    assert {"whoosh", "flask", "Stemmer", "gunicorn"} <= modules.keys()  # the scan sees them
    outside = not_installed_by_make_run(modules)
    assert not outside, (
        f"imported but not installed by `make run` (pyproject.toml dependencies): {outside}"
    )


def test_a_test_tool_import_would_be_caught(tmp_path: Path) -> None:
    """The check fails on what it guards against: the app importing a test or bench tool."""
    package = tmp_path / "webapp"
    package.mkdir()
    (package / "plot.py").write_text(
        "import json\nimport flask\nimport pytest\n\ndef f():\n    import matplotlib.pyplot\n"
    )
    outside = not_installed_by_make_run(imported_modules(package))
    assert outside == {"pytest": {"webapp/plot.py"}, "matplotlib": {"webapp/plot.py"}}
