"""The lines DESIGN.md draws, checked: the web app never touches Whoosh,
bleach lives in one module, templates cannot bypass the <mark>-only policy."""

from __future__ import annotations

import ast
from pathlib import Path

WEBAPP = Path(__file__).resolve().parents[2] / "webapp"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _modules() -> list[Path]:
    modules = sorted(WEBAPP.rglob("*.py"))
    assert modules, "webapp has no modules?"
    return modules


def test_webapp_never_imports_whoosh() -> None:
    offenders = [p.name for p in _modules() if "whoosh" in _imports(p)]
    assert not offenders


def test_only_safety_imports_bleach() -> None:
    importers = {p.name for p in _modules() if "bleach" in _imports(p)}
    assert importers == {"safety.py"}


def test_markup_is_made_only_in_safety() -> None:
    offenders = [p.name for p in _modules() if p.name != "safety.py" and "Markup(" in p.read_text()]
    assert not offenders


def test_templates_cannot_bypass_escaping() -> None:
    for template in (WEBAPP / "templates").glob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert "|safe" not in text.replace(" ", ""), template.name
        assert "autoescape false" not in text, template.name
        assert "<script" not in text, f"{template.name}: the CSP allows no script"
        assert "style=" not in text, f"{template.name}: the CSP allows no inline style"


def test_modules_stay_small() -> None:
    for path in _modules():
        lines = path.read_text(encoding="utf-8").count("\n")
        assert lines < 400, f"{path.name} has {lines} lines"
