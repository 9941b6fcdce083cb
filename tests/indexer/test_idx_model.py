"""The model is the one home of errors, limits and sort orders: these tests fail
when another module defines its own error class, limit check or list of sorts."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import indexer.model as model
from indexer import ParameterError, SearchLimits, SearchRequest

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("indexer", "webapp")


def _modules() -> list[Path]:
    return [path for package in PACKAGES for path in sorted((REPO / package).rglob("*.py"))]


def _error_classes(path: Path) -> list[str]:
    """Classes of ``path`` that derive from an exception (by their bases' names)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            bases = [ast.unparse(base) for base in node.bases]
            if any(base.endswith(("Error", "Exception")) for base in bases):
                found.append(node.name)
    return found


def test_the_error_check_sees_an_error_class(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("class Broken(DossierError):\n    pass\n\nclass Fine:\n    pass\n")
    assert _error_classes(sample) == ["Broken"]


def test_every_error_class_is_in_the_model() -> None:
    model_path = REPO / "indexer" / "model.py"
    for path in _modules():
        if path != model_path:
            assert not _error_classes(path), f"{path.relative_to(REPO)} defines its own error"
    for name in _error_classes(model_path):
        assert issubclass(getattr(model, name), model.DossierError), name


def test_moved_errors_keep_their_old_import_paths() -> None:
    from indexer.index.writing import IncompleteIndexError
    from indexer.ingest.organizations import GazetteerError

    assert GazetteerError is model.GazetteerError
    assert IncompleteIndexError is model.IncompleteIndexError


def test_query_length_is_checked_in_one_place() -> None:
    limits = SearchLimits(max_query_chars=5)
    limits.check_query("12345")
    with pytest.raises(ParameterError) as refused:
        limits.check_query("123456")
    assert refused.value.status == 413 and refused.value.parameter == "q"
    assert "6 characters long; the limit is 5" in str(refused.value)
    for path in _modules():
        text = path.read_text(encoding="utf-8")
        if path.name != "model.py":
            assert "characters long" not in text, f"{path.relative_to(REPO)} checks it again"
            assert "max_query_chars <" not in text and "> limits.max_query_chars" not in text


def test_sort_orders_are_listed_once() -> None:
    assert model.DEFAULT_SORT == "relevance"
    assert set(model.SORTS) == {"relevance", "date", "date_asc"}
    assert SearchRequest().sort == model.DEFAULT_SORT
    assert SearchRequest().per_page == SearchLimits().default_per_page
    for path in _modules():
        if path.name == "model.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Tuple | ast.List | ast.Dict):
                items = node.keys if isinstance(node, ast.Dict) else node.elts
                words = {i.value for i in items if isinstance(i, ast.Constant)}
                assert not set(model.SORTS) <= words, f"{path.name}:{node.lineno} lists sorts"
