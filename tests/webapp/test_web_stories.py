"""Stories on the web: collapse=story|none, the "N more versions" link, versions of a document.

A real index of a wire, its copies and an unrelated article, built by the real
indexer, served by a real Flask app.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient

from indexer import build_index
from webapp import create_app
from webapp.settings import SETTINGS

WIRE = (
    "The regional railway authority announced on Monday that freight traffic between the "
    "northern harbour and the capital will resume next week after three months of repairs "
    "to the damaged bridge. Engineers replaced the steel girders and tested the new "
    "foundations, the authority said, and passenger trains are expected to follow in the "
    "spring once the signalling system has been upgraded along the whole line."
)
OTHER = (
    "The national library opened a new reading room for historical newspapers on Friday, "
    "with digitised collections of the nineteenth century press available to visitors. "
    "Librarians spent two years scanning fragile pages and correcting the recognised text, "
    "and researchers can now search the archive from any computer in the building."
)
RECORDS = [
    {"id": "wire-1", "title": "Freight resumes", "body": WIRE, "source": "Wire Agency",
     "date": "2024-03-01", "lang": "en"},
    {"id": "copy-2", "title": "Freight to resume", "body": WIRE, "source": "Morning Post",
     "date": "2024-03-02", "lang": "en"},
    {"id": "edit-3", "title": "Bridge repaired",
     "body": WIRE.replace("on Monday", "on Tuesday"), "source": "Evening Star",
     "date": "2024-03-03", "lang": "en"},
    {"id": "other-4", "title": "Library reading room", "body": OTHER,
     "source": "Morning Post", "date": "2024-03-04", "lang": "en"},
]  # fmt: skip
MORE = re.compile(r'<p class="hit-versions"><a href="([^"]+)">(\d+) more versions?<')


@pytest.fixture(scope="module")
def story_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlaskClient]:
    root = tmp_path_factory.mktemp("stories")
    corpus = root / "stories.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in RECORDS), encoding="utf-8")
    build_index([corpus], root / "index")
    config = {setting.name: setting.default for setting in SETTINGS}
    config.update(TESTING=True, INDEX_DIR=root / "index")
    app = create_app(config)
    yield app.test_client()
    from webapp.service import close_service

    close_service(app)


def api(client: FlaskClient, url: str, status: int = 200) -> Any:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def test_api_collapses_stories_by_default(
    story_client: FlaskClient, validate: Callable[[Any, str], None]
) -> None:
    body = api(story_client, "/api/search?q=freight+OR+library")
    validate(body, "SearchResponse")
    assert body["total"] == 2
    assert {(h["story"], h["versions"]) for h in body["hits"]} == {("wire-1", 3), ("other-4", 1)}
    assert {v["value"]: v["count"] for v in body["facets"]["year"]} == {"2024": 2}
    every = api(story_client, "/api/search?q=freight+OR+library&collapse=none")
    validate(every, "SearchResponse")
    assert every["total"] == 4
    assert {v["value"]: v["count"] for v in every["facets"]["year"]} == {"2024": 4}
    assert sorted(h["id"] for h in every["hits"]) == ["copy-2", "edit-3", "other-4", "wire-1"]


def test_api_story_filter(story_client: FlaskClient) -> None:
    body = api(story_client, "/api/search?story=wire-1&collapse=none")
    assert sorted(h["id"] for h in body["hits"]) == ["copy-2", "edit-3", "wire-1"]
    assert api(story_client, "/api/search?story=no-such-story")["total"] == 0


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("q=freight&collapse=stories", "collapse='stories' is not one of story, none."),
        ("q=freight&collapse=", None),  # empty: the default
        ("q=freight&story=a&story=b", "story is given more than once; give one story id."),
        ("q=freight&story=" + "x" * 201, "story value is longer than 200 characters."),
    ],
)
def test_api_validates_collapse_and_story(
    story_client: FlaskClient, query: str, message: str | None
) -> None:
    if message is None:
        assert api(story_client, f"/api/search?{query}")["total"] == 1
        return
    body = api(story_client, f"/api/search?{query}", status=400)
    assert body["error"]["message"] == message


def test_page_links_to_the_other_versions(story_client: FlaskClient) -> None:
    page = story_client.get("/?q=freight").get_data(as_text=True)
    links = MORE.findall(page)
    assert len(links) == 1
    href, count = links[0]
    assert count == "2"
    params = parse_qs(urlsplit(html.unescape(href)).query)
    assert params == {"q": ["freight"], "story": ["wire-1"], "collapse": ["none"]}
    expanded = story_client.get(html.unescape(href)).get_data(as_text=True)
    assert "3 results" in expanded
    assert "Showing every version of one story." in expanded
    assert not MORE.findall(expanded)
    for doc_id in ("wire-1", "copy-2", "edit-3"):
        assert f'href="/documents/{doc_id}?' in expanded


def test_document_page_and_api_list_versions(
    story_client: FlaskClient, validate: Callable[[Any, str], None]
) -> None:
    body = api(story_client, "/api/documents/copy-2")
    validate(body, "DocumentResponse")
    assert body["story"] == "wire-1"
    assert body["versions"] == [
        {"id": "wire-1", "title": "Freight resumes", "source": "Wire Agency",
         "date": "2024-03-01"},
        {"id": "edit-3", "title": "Bridge repaired", "source": "Evening Star",
         "date": "2024-03-03"},
    ]  # fmt: skip
    page = story_client.get("/documents/copy-2").get_data(as_text=True)
    section = page.split('<section class="versions"', 1)[1].split("</section>", 1)[0]
    assert "Other versions of this story" in section
    assert "Freight resumes" in section and "Wire Agency" in section
    assert "Bridge repaired" in section and "Evening Star" in section
    assert api(story_client, "/api/documents/other-4")["versions"] == []
    assert '<section class="versions"' not in story_client.get("/documents/other-4").get_data(
        as_text=True
    )


def _export(client: FlaskClient, query: str) -> tuple[list[dict[str, str]], list[dict[str, Any]]]:
    import csv
    import io

    sheet = client.get(f"/api/export.csv?{query}")
    lines = client.get(f"/api/export.jsonl?{query}")
    assert sheet.status_code == lines.status_code == 200
    rows = list(csv.DictReader(io.StringIO(sheet.get_data(as_text=True))))
    assert sheet.headers["X-Total-Count"] == str(len(rows))
    records = [json.loads(line) for line in lines.get_data(as_text=True).splitlines()]
    return rows, records


def test_exports_collapse_stories_as_the_results_do(story_client: FlaskClient) -> None:
    """One row per story by default, its versions counted; collapse=none: every article."""
    rows, records = _export(story_client, "q=freight+OR+library")
    shown = api(story_client, "/api/search?q=freight+OR+library")["hits"]
    assert [r["id"] for r in rows] == [r["id"] for r in records] == [h["id"] for h in shown]
    assert {(r["story"], r["versions"]) for r in rows} == {("wire-1", "3"), ("other-4", "1")}
    assert {(r["story"], r["versions"]) for r in records} == {("wire-1", 3), ("other-4", 1)}
    assert {r["date_source"] for r in rows} == {"record"}
    rows, records = _export(story_client, "q=freight+OR+library&collapse=none")
    assert sorted(r["id"] for r in rows) == ["copy-2", "edit-3", "other-4", "wire-1"]
    assert {r["id"]: r["story"] for r in records} == {
        "wire-1": "wire-1", "copy-2": "wire-1", "edit-3": "wire-1", "other-4": "other-4",
    }  # fmt: skip
    assert {r["versions"] for r in records if r["story"] == "wire-1"} == {3}


TOGGLE = re.compile(r'<nav class="sort collapse-toggle"[^>]*>(.*?)</nav>', re.S)


def test_page_toggles_between_one_version_per_story_and_every_version(
    story_client: FlaskClient,
) -> None:
    page = story_client.get("/?q=freight+OR+library&lang=en").get_data(as_text=True)
    assert "2 results" in page
    toggle = TOGGLE.search(page)
    assert toggle is not None
    assert '<strong aria-current="true">one version per story</strong>' in toggle.group(1)
    href = html.unescape(re.search(r'href="([^"]+)"[^>]*>every version<', toggle.group(1))[1])
    params = parse_qs(urlsplit(href).query)
    assert params == {"q": ["freight OR library"], "lang": ["en"], "collapse": ["none"]}
    every = story_client.get(href).get_data(as_text=True)
    assert "4 results" in every and not MORE.findall(every)
    assert '<strong aria-current="true">every version</strong>' in every
    assert every.count("One of 3 versions of a story here") == 3
    back = re.search(r'href="([^"]+)"[^>]*>one version per story<', every)
    assert back is not None
    assert parse_qs(urlsplit(html.unescape(back[1])).query) == {
        "q": ["freight OR library"], "lang": ["en"],
    }  # fmt: skip
    # clearing the filters keeps the choice; an archive without copies shows no toggle
    clear = re.search(r'href="([^"]+)"[^>]*>Clear all filters<', every)
    assert clear is not None and "collapse=none" in html.unescape(clear[1])
    assert not TOGGLE.search(story_client.get("/?q=library").get_data(as_text=True))
