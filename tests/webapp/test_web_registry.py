"""The facet registry (indexer.model.FACETS) drives every place a facet shows up:
the engine's fields, the URL parameters, the API's facets, the OpenAPI
document, the page's sidebar and links, and the command line's flags. Adding
a facet is one entry there; these tests fail if a place keeps its own list."""

from __future__ import annotations

import ast
import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict

from indexer.index.schema import build_schema
from indexer.model import (
    FACETS,
    FACETS_BY_NAME,
    SORTS,
    Completion,
    DocumentView,
    Hit,
    ParameterError,
    SearchRequest,
)
from webapp.links import SearchLinks
from webapp.params import parse_search_request, request_args

WEBAPP = Path(__file__).resolve().parents[2] / "webapp"
FACET_WORDS = {word for facet in FACETS for word in (facet.name, facet.param)}
# Hits and documents have fields named like a facet ("lang", "source"); as keys of
# their JSON (serialize.py, the OpenAPI schemas) those are record fields, not facets.
RECORD_FIELDS = {
    f.name for record in (Hit, DocumentView, Completion) for f in dataclasses.fields(record)
}


def _year_with_hits(client: FlaskClient) -> str:
    """A dated year of the fixture index, so the month facet is listed."""
    body = client.get("/api/search?q=bulletin").get_json()
    return next(v["value"] for v in body["facets"]["year"] if v["value"].isdigit())


def test_every_facet_is_complete() -> None:
    schema = build_schema()
    request_fields = {f.name for f in dataclasses.fields(SearchRequest)}
    assert len({facet.name for facet in FACETS}) == len(FACETS)
    assert len({facet.param for facet in FACETS}) == len(FACETS)
    for facet in FACETS:
        assert facet.index_field in schema.names(), facet.name
        assert facet.request_field in request_fields, facet.name
        assert facet.label and facet.help and facet.example, facet.name
        assert facet.accepts(facet.example), facet.name
        if facet.allowed or facet.pattern:
            assert facet.expected, f"{facet.name}: a refusal must say what is expected"
        if facet.within is not None:
            assert facet.within in FACETS_BY_NAME, facet.name


def test_api_lists_every_facet_in_registry_order(client: FlaskClient, validate) -> None:
    year = _year_with_hits(client)
    body = client.get(f"/api/search?q=bulletin&year={year}").get_json()
    validate(body, "SearchResponse")
    assert list(body["facets"]) == [facet.name for facet in FACETS]


def test_openapi_documents_every_facet(openapi: dict[str, Any], validate) -> None:
    parameters = openapi["components"]["parameters"]
    listed = [
        p["$ref"].rsplit("/", 1)[1] for p in openapi["paths"]["/api/search"]["get"]["parameters"]
    ]
    facets = openapi["components"]["schemas"]["SearchResponse"]["properties"]["facets"]
    assert facets["propertyNames"]["enum"] == [facet.name for facet in FACETS]
    assert parameters["sort"]["schema"]["enum"] == list(SORTS)
    from jsonschema import Draft202012Validator

    for facet in FACETS:
        assert facet.param in listed
        parameter = parameters[facet.param]
        assert parameter["name"] == facet.param and parameter["explode"] is True
        values = Draft202012Validator(parameter["schema"])
        assert values.is_valid([facet.example]), facet.name
        if facet.allowed or facet.pattern:
            assert not values.is_valid(["not-a-value"]), facet.name


def test_every_facet_parameter_parses_and_round_trips(app: Flask) -> None:
    config = app.config
    for facet in FACETS:
        request = parse_search_request(MultiDict([(facet.param, facet.example)]), config)
        assert getattr(request, facet.request_field) == (facet.example,)
        assert request.selections()[facet.name] == (facet.example,)
        assert request.has_filters()
        assert request_args(request, config["DEFAULT_PER_PAGE"]) == MultiDict(
            [(facet.param, facet.example)]
        )
        if facet.allowed or facet.pattern:
            with pytest.raises(ParameterError) as refused:
                parse_search_request(MultiDict([(facet.param, "not-a-value")]), config)
            assert refused.value.parameter == facet.param
            assert facet.expected in str(refused.value)


def test_page_sidebar_follows_registry_order(client: FlaskClient) -> None:
    year = _year_with_hits(client)
    html = client.get(f"/?q=bulletin&year={year}").get_data(as_text=True)
    counted = client.get(f"/api/search?q=bulletin&year={year}").get_json()["facets"]
    with_values = [facet.name for facet in FACETS if counted[facet.name]]
    assert len(with_values) >= 3  # the page lists a facet only when it has values
    assert re.findall(r'<h3 id="facet-([a-z]+)">', html) == with_values


def test_links_toggle_every_facet(app: Flask) -> None:
    with app.test_request_context():
        for facet in FACETS:
            url = SearchLinks(SearchRequest(query="x"), 10).toggle(facet.name, facet.example)
            assert f"{facet.param}={facet.example}" in url.replace("%2F", "/"), url
            selected = SearchRequest(query="x", **{facet.request_field: (facet.example,)})
            assert facet.param not in SearchLinks(selected, 10).toggle(facet.name, facet.example)
        # Choosing another year drops the months chosen inside the old one.
        for facet in FACETS:
            if facet.within is not None:
                outer = FACETS_BY_NAME[facet.within]
                inside = SearchRequest(
                    query="x",
                    **{
                        outer.request_field: (outer.example,),
                        facet.request_field: (facet.example,),
                    },
                )
                url = SearchLinks(inside, 10).toggle(outer.name, "1999")
                assert f"{facet.param}=" not in url, url


def _dossier() -> str:
    beside = Path(sys.executable).parent / "dossier"
    found = str(beside) if beside.exists() else shutil.which("dossier")
    assert found, "the dossier command is not installed (make install)"
    return found


def test_command_line_filters_come_from_the_registry(client: FlaskClient, index_dir: Path) -> None:
    usage = subprocess.run(
        [_dossier(), "search", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for facet in FACETS:
        assert f"--{facet.param}" in usage
    # A real search through every facet's flag finds what the API finds.
    year = _year_with_hits(client)
    month = next(
        v["value"]
        for v in client.get(f"/api/search?q=bulletin&year={year}").get_json()["facets"]["month"]
    )
    filters = [("year", year), ("month", month)]
    run = subprocess.run(
        [_dossier(), "search", "bulletin", "--index", str(index_dir), "--json"]
        + [arg for param, value in filters for arg in (f"--{param}", value)],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    api = client.get(
        "/api/search?q=bulletin&" + "&".join(f"{param}={value}" for param, value in filters)
    ).get_json()
    assert api["total"] >= 1
    assert json.loads(run.stdout)["total"] == api["total"]


def facet_literals(source: str) -> list[str]:
    """Facet names or parameters written as string literals in Python code."""
    tree = ast.parse(source)
    keys = {
        id(key)
        for node in ast.walk(tree)
        if isinstance(node, ast.Dict)
        for key in node.keys
        if key is not None
    }
    # A list of a record's fields (it names "id" too), such as an export's columns.
    keys |= {
        id(item)
        for node in ast.walk(tree)
        if isinstance(node, ast.Tuple | ast.List)
        and any(isinstance(e, ast.Constant) and e.value == "id" for e in node.elts)
        for item in node.elts
    }
    return [
        f"line {node.lineno}: {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value in FACET_WORDS
        and not (id(node) in keys and node.value in RECORD_FIELDS)
    ]


def template_facet_literals(text: str) -> list[str]:
    words = "|".join(map(re.escape, sorted(FACET_WORDS)))
    return re.findall(rf"""(["'])({words})\1""", text)


def test_the_literal_check_catches_a_facet_list() -> None:
    assert len(facet_literals('ORDER = ("organization", "lang", "month")')) == 3
    assert facet_literals('param = "org"')
    assert not facet_literals('hit = {"lang": value, "source": other}')
    assert not facet_literals('COLUMNS = ("id", "title", "source")')
    assert facet_literals('COLUMNS = ("title", "source")')
    assert template_facet_literals("{{ links.toggle('year', v) }}")
    assert not template_facet_literals('<p lang="en">')


def test_webapp_names_no_facet_itself() -> None:
    for path in sorted(WEBAPP.rglob("*.py")):
        found = facet_literals(path.read_text(encoding="utf-8"))
        assert not found, f"{path.name} names facets itself (read indexer.model.FACETS): {found}"
    for path in sorted((WEBAPP / "templates").glob("*.html")):
        found = template_facet_literals(path.read_text(encoding="utf-8"))
        assert not found, f"{path.name} names facets itself: {found}"
