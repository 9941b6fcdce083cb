"""The layout's lines (ARCHITECTURE.md), checked so they do not drift.

- indexer/ is layered: model ← analysis ← ingest ← index ← search ← cluster ← cli. A
  module imports only from its own layer or those before it.
- Only indexer/index/whoosh_internals.py reaches Whoosh's private names.
- indexer/ never imports the web app, Flask or bleach; the web app reaches the
  engine only through the names ``indexer`` exports and its model; nothing
  outside indexer/ imports Whoosh (bar the baselines measured against it).
- In the web app, bleach and ``Markup`` live in safety.py alone, templates
  cannot bypass escaping, and modules stay small.

Each check is a function over source text, so the tests of the tests below
can show each one failing on a module that breaks its rule.
"""

from __future__ import annotations

import ast
import re
import textwrap
import warnings
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
INDEXER = ROOT / "indexer"
WEBAPP = ROOT / "webapp"

# The layers of indexer/, first to last; a module may import from its own layer or earlier.
LAYERS = ("model", "analysis", "ingest", "index", "search", "cluster", "cli")
# Top-level modules of the model layer: the shapes, and tables too long to sit in model.py.
MODEL_MODULES = {"model", "languages"}
# indexer/__init__.py and __main__.py are the public surface over every layer.
SURFACE = {"__init__", "__main__"}
WHOOSH_INTERNALS = "indexer/index/whoosh_internals.py"
# Plain Whoosh is measured as a baseline on purpose, in these files only.
WHOOSH_BASELINES = {"eval/baseline_whoosh.py", "bench/engines.py"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(source: str, module: str = "", is_package: bool = False) -> set[str]:
    """Every module an import statement names, relative imports resolved against ``module``."""
    names: set[str] = set()
    package = module.split(".") if is_package else module.split(".")[:-1]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                stem = ".".join([*base, node.module] if node.module else base)
            else:
                stem = node.module or ""
            names.add(stem)
            names.update(f"{stem}.{alias.name}" for alias in node.names)
    return names


def layer_of(module: str) -> str | None:
    """The layer of an ``indexer.…`` module, or None for the public surface and non-engine code."""
    parts = module.split(".")
    if parts[0] != "indexer" or len(parts) < 2 or parts[1] in SURFACE:
        return None
    if parts[1] in MODEL_MODULES:
        return "model"
    return parts[1] if parts[1] in LAYERS else None


def layer_violations(source: str, module: str, is_package: bool = False) -> list[str]:
    """The imports of ``module`` that reach a later layer than its own."""
    own = layer_of(module)
    if own is None:
        return []
    bad = []
    for name in imported_modules(source, module, is_package):
        target = layer_of(name)
        if target is not None and LAYERS.index(target) > LAYERS.index(own):
            bad.append(f"{module} ({own}) imports {name} ({target})")
    return sorted(bad)


@cache
def whoosh_private_names() -> frozenset[str]:
    """Every ``_name`` Whoosh defines: its private functions, methods and attributes."""
    import whoosh

    names: set[str] = set()
    for path in Path(whoosh.__file__).parent.rglob("*.py"):
        with warnings.catch_warnings():  # Whoosh's own invalid escape sequences
            warnings.simplefilter("ignore")
            tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.ClassDef) and _private(node.name):
                names.add(node.name)
            elif isinstance(node, ast.Attribute) and _private(node.attr):
                names.add(node.attr)
            elif isinstance(node, ast.Name) and _private(node.id):
                names.add(node.id)
    return frozenset(names)


# Whoosh's hooks for subclasses: every compound query implements ``_matcher`` and every
# wrapping matcher ``_replacement``; overriding them is how Whoosh is meant to be extended.
SUBCLASS_HOOKS = {"_matcher", "_replacement"}


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def whoosh_internal_uses(source: str) -> list[str]:
    """Where a module reaches Whoosh's private names: ``from whoosh… import _x``, ``obj._x``
    on anything but ``self``/``cls`` when Whoosh defines ``_x``, and a private method
    overridden in a subclass of a Whoosh class."""
    tree = ast.parse(source)
    private = whoosh_private_names()
    from_whoosh: set[str] = set()
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "whoosh":
            for alias in node.names:
                from_whoosh.add(alias.asname or alias.name)
                if _private(alias.name):
                    found.append(f"line {node.lineno}: imports {node.module}.{alias.name}")
        elif isinstance(node, ast.Import):
            from_whoosh.update(
                (a.asname or a.name).split(".")[0]
                for a in node.names
                if a.name.startswith("whoosh")
            )
    if not from_whoosh:
        return found
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in private
            and not (isinstance(node.value, ast.Name) and node.value.id in {"self", "cls"})
        ):
            found.append(f"line {node.lineno}: .{node.attr}")
        elif isinstance(node, ast.ClassDef) and any(
            isinstance(base, ast.Name | ast.Attribute)
            and ast.unparse(base).split(".")[0] in from_whoosh
            for base in node.bases
        ):
            for item in node.body:
                if (
                    isinstance(item, ast.FunctionDef)
                    and item.name in private
                    and item.name not in SUBCLASS_HOOKS
                ):
                    found.append(f"line {item.lineno}: overrides {node.name}.{item.name}")
    return found


def _sources(folder: Path) -> dict[Path, str]:
    return {p: p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*.py"))}


# -- the rules, on the real tree --------------------------------------------------------


def test_indexer_layers_import_only_downward() -> None:
    assert {p.name for p in INDEXER.iterdir() if p.is_dir() and p.name != "__pycache__"} == set(
        LAYERS[1:-1]
    ), "a new folder in indexer/ needs its place in LAYERS"
    top_level = {p.stem for p in INDEXER.glob("*.py")}
    assert top_level == MODEL_MODULES | SURFACE | {"cli"}, "a new module needs its layer"
    bad = []
    for path, source in _sources(INDEXER).items():
        bad += layer_violations(source, _module_name(path), path.name == "__init__.py")
    assert not bad, "\n".join(bad)


def test_only_the_storage_module_reaches_whoosh_internals() -> None:
    offenders = {}
    for path, source in _sources(INDEXER).items():
        rel = path.relative_to(ROOT).as_posix()
        if rel != WHOOSH_INTERNALS and (uses := whoosh_internal_uses(source)):
            offenders[rel] = uses
    assert not offenders, offenders
    assert whoosh_internal_uses((ROOT / WHOOSH_INTERNALS).read_text(encoding="utf-8")), (
        "the storage module no longer touches Whoosh internals: drop this exception"
    )


def test_indexer_never_imports_web_layers() -> None:
    for path, source in _sources(INDEXER).items():
        modules = imported_modules(source, _module_name(path), path.name == "__init__.py")
        bad = {m for m in modules if m.split(".")[0] in {"webapp", "flask", "bleach", "werkzeug"}}
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_webapp_uses_only_the_engine_public_surface() -> None:
    for path, source in _sources(WEBAPP).items():
        modules = imported_modules(source, _module_name(path), path.name == "__init__.py")
        engine = {m for m in modules if m.split(".")[0] == "indexer"}
        allowed = {m for m in engine if m in {"indexer", "indexer.model"}}
        allowed |= {m for m in engine if m.rsplit(".", 1)[0] in {"indexer", "indexer.model"}}
        assert engine <= allowed, f"{path.relative_to(ROOT)} imports {sorted(engine - allowed)}"


def test_whoosh_is_imported_only_by_the_engine() -> None:
    for package in ("webapp", "bench", "eval"):
        for path, source in _sources(ROOT / package).items():
            if path.relative_to(ROOT).as_posix() in WHOOSH_BASELINES:
                continue
            bad = {m for m in imported_modules(source) if m.split(".")[0] == "whoosh"}
            assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_serve_command_is_registered_by_the_web_app() -> None:
    from indexer.cli import build_parser

    parser = build_parser()
    args = parser.parse_args(["serve", "--port", "8765"])
    assert args.port == 8765
    assert args.func.__module__ == "webapp.cli"


def test_only_safety_imports_bleach() -> None:
    importers = {
        p.name
        for p, source in _sources(WEBAPP).items()
        if any(m.split(".")[0] == "bleach" for m in imported_modules(source))
    }
    assert importers == {"safety.py"}


def test_markup_is_made_only_in_safety() -> None:
    offenders = [
        p.name for p, s in _sources(WEBAPP).items() if p.name != "safety.py" and "Markup(" in s
    ]
    assert not offenders


# The one script element the templates may hold: a static file, deferred, with nothing
# inside (the CSP is script-src 'self': a file from the app, never inline code).
EXTERNAL_SCRIPT = re.compile(
    r"""<script src="\{\{ url_for\('static', filename='[\w-]+\.js'\) \}\}" defer></script>"""
)


def script_elements(text: str) -> tuple[int, list[str]]:
    """(how many allowed external script tags ``text`` holds, the other script markup)."""
    allowed = len(EXTERNAL_SCRIPT.findall(text))
    rest = EXTERNAL_SCRIPT.sub("", text)
    return allowed, re.findall(r"<script[^>]*>[^<]*(?:</script>)?", rest, flags=re.IGNORECASE)


def test_templates_cannot_bypass_escaping() -> None:
    external = 0
    for template in (WEBAPP / "templates").glob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert "|safe" not in text.replace(" ", ""), template.name
        assert "autoescape false" not in text, template.name
        allowed, others = script_elements(text)
        assert not others, f"{template.name}: the CSP allows no inline script: {others}"
        external += allowed
        assert "style=" not in text, f"{template.name}: the CSP allows no inline style"
    assert external == 1, "exactly one external script tag (static/suggest.js) is expected"


def test_webapp_modules_stay_small() -> None:
    for path, source in _sources(WEBAPP).items():
        lines = source.count("\n")
        assert lines < 400, f"{path.name} has {lines} lines"


# -- the tests of the tests: each rule catches a module that breaks it --------------------


def test_script_check_catches_inline_script() -> None:
    external = """<script src="{{ url_for('static', filename='suggest.js') }}" defer></script>"""
    assert script_elements(external) == (1, [])
    assert script_elements("<script>alert(1)</script>")[1] == ["<script>alert(1)</script>"]
    inline_in_tag = external.replace("></script>", ">alert(1)</script>")
    assert script_elements(inline_in_tag)[1]
    assert script_elements('<script src="https://cdn.example/x.js"></script>')[1]
    assert script_elements("<SCRIPT>alert(1)</SCRIPT>")[1]


def test_layer_check_catches_an_upward_import() -> None:
    upward = "from indexer.search.service import SearchService\n"
    assert layer_violations(upward, "indexer.ingest.documents") == [
        "indexer.ingest.documents (ingest) imports indexer.search.service (search)",
        "indexer.ingest.documents (ingest) imports indexer.search.service.SearchService (search)",
    ]
    relative = "from ..search import parsing\n"
    assert layer_violations(relative, "indexer.analysis.language")
    assert not layer_violations(
        "from indexer.analysis.folding import fold\n", "indexer.index.schema"
    )
    assert not layer_violations("from indexer.model import Document\n", "indexer.analysis.tokens")
    assert layer_violations("from indexer.analysis import folding\n", "indexer.languages")


@pytest.mark.parametrize(
    "source",
    [
        "from whoosh.codec.whoosh3 import _lenfield\n",
        "from whoosh.searching import Searcher\n\ndef f(reader):\n    return reader._terms\n",
        "from whoosh.multiproc import MpWriter\n\n"
        "class W(MpWriter):\n    def _enqueue(self):\n        pass\n",
        "import whoosh.index\n\ndef f(index):\n    return index._read_toc()\n",
    ],
)
def test_internals_check_catches_a_private_reach(source: str) -> None:
    assert whoosh_internal_uses(textwrap.dedent(source))


def test_internals_check_lets_our_own_private_names_be() -> None:
    ours = "import whoosh\n\ndef f(generation):\n    return generation._dossier_own\n"
    assert "_dossier_own" not in whoosh_private_names()
    assert not whoosh_internal_uses(ours)
