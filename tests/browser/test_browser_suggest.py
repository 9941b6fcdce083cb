"""The search box's completions in a real browser: the WAI-ARIA combobox driven
by the keyboard alone, what a screen reader is told, axe on the open list, and
the page unchanged without JavaScript. What the list shows is checked against
the server's own /api/suggest (one index, two views)."""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_browser_accessibility import axe_violations

TYPED = "Nagi"
PERSON = "Ali Naghiyev"


def api_suggestions(server: Any, q: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(server.url("/api/suggest", q=q, lang="en"), timeout=10) as r:
        return json.loads(r.read())["suggestions"]


def _type_and_wait(tab: Any, text: str) -> Any:
    """Focus the box with the keyboard (it has autofocus on the landing page), type,
    and wait until the list shows the completions of the whole text (the answers
    for what was typed on the way may arrive first)."""
    from playwright.sync_api import expect

    tab.goto("/")
    page = tab.page
    box = page.get_by_role("combobox", name="Search the archive")
    assert box.evaluate("el => el === document.activeElement")
    page.keyboard.type(text, delay=40)
    wanted = [s["text"] for s in api_suggestions(tab.server, text)]
    listbox = page.get_by_role("listbox", name="Suggestions")
    listbox.wait_for(state="visible")
    expect(listbox.locator(".suggestion-text")).to_have_text(wanted)
    return box


def test_keyboard_alone_chooses_a_completion(tab: Any, server: Any) -> None:
    page = tab.page
    box = _type_and_wait(tab, TYPED)
    expected = [s["text"] for s in api_suggestions(server, TYPED)]
    assert PERSON in expected

    listbox = page.get_by_role("listbox", name="Suggestions")
    options = listbox.get_by_role("option")
    assert [o.locator(".suggestion-text").inner_text() for o in options.all()] == expected
    assert box.get_attribute("aria-expanded") == "true"
    assert box.get_attribute("aria-controls") == listbox.get_attribute("id")
    assert box.get_attribute("aria-autocomplete") == "list"
    assert box.get_attribute("aria-activedescendant") is None  # nothing chosen yet

    # Down and Up move the highlighted option; focus never leaves the box.
    page.keyboard.press("ArrowDown")
    first = options.nth(0)
    assert box.get_attribute("aria-activedescendant") == first.get_attribute("id")
    assert first.get_attribute("aria-selected") == "true"
    if len(expected) > 1:
        page.keyboard.press("ArrowDown")
        assert box.get_attribute("aria-activedescendant") == options.nth(1).get_attribute("id")
        assert first.get_attribute("aria-selected") == "false"
        page.keyboard.press("ArrowUp")
    assert box.get_attribute("aria-activedescendant") == first.get_attribute("id")
    assert box.evaluate("el => el === document.activeElement")

    # Escape closes the list and leaves what was typed.
    page.keyboard.press("Escape")
    assert listbox.is_hidden()
    assert box.get_attribute("aria-expanded") == "false"
    assert box.get_attribute("aria-activedescendant") is None
    assert box.input_value() == TYPED

    # Down opens it again; Enter on the person runs that search.
    page.keyboard.press("ArrowDown")
    assert listbox.is_visible()
    for _ in range(expected.index(PERSON)):
        page.keyboard.press("ArrowDown")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert tab.params()["q"] == [PERSON]
    assert tab.hit_ids() == [hit["id"] for hit in server.api(q=PERSON)["hits"]]
    assert tab.hit_ids()


def test_enter_without_a_highlighted_option_searches_what_was_typed(tab: Any) -> None:
    _type_and_wait(tab, "harb")
    with tab.page.expect_navigation():
        tab.page.keyboard.press("Enter")
    assert tab.params()["q"] == ["harb"]


def test_screen_readers_are_told_the_names_and_the_count(tab: Any, server: Any) -> None:
    page = tab.page
    _type_and_wait(tab, "Staatssich")
    expected = api_suggestions(server, "Staatssich")
    status = page.get_by_role("status").filter(has_text="suggestion")
    status.wait_for()
    count = len(expected)
    assert re.match(rf"{count} suggestions? available", status.inner_text())
    assert status.get_attribute("aria-live") == "polite"
    options = page.get_by_role("listbox", name="Suggestions").get_by_role("option")
    for option, suggestion in zip(options.all(), expected, strict=True):
        # Each option's accessible name is its text and what kind of thing it is.
        name = option.evaluate("o => o.textContent")
        assert name == f"{suggestion['text']}, {suggestion['kind']}"
    assert page.get_by_role("option", name=re.compile("State Security Service of Azerbaijan"))


def test_nothing_is_offered_for_nonsense_and_the_list_stays_closed(tab: Any) -> None:
    tab.goto("/")
    page = tab.page
    page.keyboard.type("qqqzzzx", delay=20)
    page.get_by_role("status").filter(has_text="No suggestions").wait_for()
    box = page.get_by_role("combobox", name="Search the archive")
    assert box.get_attribute("aria-expanded") == "false"
    assert page.locator("#q-suggestions").is_hidden()


def test_without_javascript_the_box_is_a_plain_search_form(open_tab: Callable[..., Any]) -> None:
    tab = open_tab(java_script_enabled=False)
    page = tab.page
    tab.goto("/")
    box = page.get_by_role("searchbox", name="Search the archive")
    box.fill(TYPED + "yev")
    assert page.get_by_role("combobox").count() == 0
    assert page.locator("[role=listbox]").count() == 0
    with page.expect_navigation():
        box.press("Enter")
    assert tab.params()["q"] == ["Nagiyev"]
    assert tab.hit_ids()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_nothing_with_the_list_open(
    open_tab: Callable[..., Any], axe_script: Path, scheme: str
) -> None:
    tab = open_tab(bypass_csp=True, color_scheme=scheme)
    _type_and_wait(tab, TYPED)
    tab.page.keyboard.press("ArrowDown")  # a highlighted option's colours too
    violations = axe_violations(tab.page, axe_script)
    assert violations == [], violations


def test_the_document_page_links_related_articles(tab: Any, server: Any) -> None:
    tab.goto("/documents/harbour-07")
    section = tab.page.get_by_role("region", name="Related articles")
    links = section.get_by_role("link")
    with urllib.request.urlopen(server.url("/api/documents/harbour-07/related"), timeout=10) as r:
        expected = [hit["id"] for hit in json.loads(r.read())["related"]]
    assert len(expected) == 5
    hrefs = links.evaluate_all("ls => ls.map(a => a.getAttribute('href'))")
    assert hrefs == [f"/documents/{doc_id}" for doc_id in expected]
    links.first.click()
    tab.page.wait_for_url(re.compile(rf"/documents/{expected[0]}$"))


def test_screenshot_of_the_open_list(tab: Any, screenshot: Callable[..., Path]) -> None:
    """docs/screenshots/suggestions.png: the list open with one option highlighted."""
    _type_and_wait(tab, "Staatssich")
    tab.page.keyboard.press("ArrowDown")
    written = screenshot(tab.page, "suggestions", full_page=False)
    assert written.stat().st_size > 10_000
