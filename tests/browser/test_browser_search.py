"""The search page driven the way a reader drives it: typing, clicking
facets, dates, sorting, paging, the Back button, the keyboard, and with
JavaScript switched off. What the page shows is checked against the JSON
API of the same server (one index, two views), not against numbers written
into the test.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

QUERY = "harbour"


def _count_heading(tab: Any) -> str:
    return tab.page.locator("#results-heading").inner_text()


def _search(tab: Any, query: str) -> Any:
    """Type into the box on the landing page and press Enter."""
    tab.goto("/")
    box = tab.page.get_by_role("combobox", name="Search the archive")
    box.fill(query)
    with tab.page.expect_navigation() as navigation:
        box.press("Enter")
    return navigation.value


def _facet_link(tab: Any, facet: str, label: str) -> Any:
    section = tab.page.locator(f"section.facet[aria-labelledby='facet-{facet}']")
    return section.locator("a.facet-link", has_text=label)


def _shown_count(link: Any) -> int:
    return int(link.locator(".count").inner_text())


def test_typing_a_query_and_enter_shows_ranked_marked_results(tab: Any, server: Any) -> None:
    response = _search(tab, QUERY)
    page = tab.page
    assert response.status == 200
    assert tab.params()["q"] == [QUERY]
    expected = server.api(q=QUERY)
    assert expected["total"] > 20  # enough for several pages

    # The ranking is the engine's: the same ids in the same order as the API.
    assert tab.hit_ids() == [hit["id"] for hit in expected["hits"]]
    heading = _count_heading(tab)
    assert f"of {expected['total']} results" in heading
    assert re.search(r"\(\d+ ms\)", heading), heading

    # Matches are marked in titles and snippets, and only matches.
    marks = page.locator(".hits mark").all_inner_texts()
    assert len(marks) >= len(expected["hits"])
    assert {m.lower() for m in marks} == {QUERY}
    for hit in page.locator(".hits .hit").all():
        assert hit.locator(".snippet mark").count() >= 1

    # The query stays in the box and the title names it.
    assert page.get_by_role("combobox").input_value() == QUERY
    assert QUERY in page.title()


def test_facets_narrow_and_multi_select(tab: Any, server: Any) -> None:
    tab.goto("/", q=QUERY)
    page = tab.page
    organizations = server.api(q=QUERY)["facets"]["organization"]
    assert len(organizations) >= 2
    first, second = organizations[0], organizations[1]

    link = _facet_link(tab, "organization", first["label"])
    assert _shown_count(link) == first["count"]
    link.click()
    page.wait_for_url(re.compile(r"org="))
    assert tab.params()["org"] == [first["value"]]
    narrowed = server.api(q=QUERY, org=first["value"])
    assert narrowed["total"] == first["count"]
    assert f"{narrowed['total']} results" in _count_heading(tab)
    assert tab.hit_ids() == [hit["id"] for hit in narrowed["hits"]]
    # Every hit on the page names the organization.
    for hit in page.locator(".hits .hit").all():
        assert first["label"] in hit.locator(".hit-orgs").inner_text()

    selected = _facet_link(tab, "organization", first["label"])
    assert "is-selected" in selected.get_attribute("class")
    assert "(selected" in selected.inner_text()
    assert page.locator(".active-filters").get_by_text(first["label"]).is_visible()
    # Multi-select: the other value keeps its count, not narrowed by the first.
    other = _facet_link(tab, "organization", second["label"])
    assert _shown_count(other) == second["count"]
    assert "is-selected" not in other.get_attribute("class")

    other.click()
    page.wait_for_url(re.compile(r"org=.*org="))
    assert sorted(tab.params()["org"]) == sorted([first["value"], second["value"]])
    both = server.api(q=QUERY, org=[first["value"], second["value"]])
    assert both["total"] >= narrowed["total"]  # either organization
    assert f"{both['total']} results" in _count_heading(tab)
    for label in (first["label"], second["label"]):
        assert "is-selected" in _facet_link(tab, "organization", label).get_attribute("class")

    # Following a selected value turns it off again; Back brings it back.
    _facet_link(tab, "organization", first["label"]).click()
    page.wait_for_load_state()
    assert tab.params()["org"] == [second["value"]]
    assert "is-selected" not in _facet_link(tab, "organization", first["label"]).get_attribute(
        "class"
    )
    page.go_back()
    assert sorted(tab.params()["org"]) == sorted([first["value"], second["value"]])
    assert "is-selected" in _facet_link(tab, "organization", first["label"]).get_attribute("class")
    assert f"{both['total']} results" in _count_heading(tab)


def test_date_range(tab: Any, server: Any) -> None:
    tab.goto("/", q=QUERY, org="kz-knb")
    page = tab.page
    page.get_by_label("From").fill("2017-01-01")
    page.get_by_label("To").fill("2020-12-31")
    with page.expect_navigation():
        page.get_by_role("button", name="Apply dates").click()
    params = tab.params()
    assert params["from"] == ["2017-01-01"]
    assert params["to"] == ["2020-12-31"]
    assert params["org"] == ["kz-knb"]  # the other filters survive the form
    assert params["q"] == [QUERY]
    expected = server.api(q=QUERY, org="kz-knb", **{"from": "2017-01-01", "to": "2020-12-31"})
    assert 0 < expected["total"] < server.api(q=QUERY, org="kz-knb")["total"]
    assert f"{expected['total']} result" in _count_heading(tab)
    dates = tab.hit_dates()
    assert dates and all("2017-01-01" <= d <= "2020-12-31" for d in dates)
    # The fields keep the range, and a chip removes it.
    assert page.get_by_label("From").input_value() == "2017-01-01"
    chip = page.locator(".active-filters a", has_text="Dates:")
    chip.click()
    page.wait_for_load_state()
    assert "from" not in tab.params()
    assert tab.params()["org"] == ["kz-knb"]


def test_sort_by_date(tab: Any, server: Any) -> None:
    tab.goto("/", q=QUERY)
    page = tab.page
    relevance_ids = tab.hit_ids()
    page.locator("nav.sort").get_by_role("link", name="date, newest first").click()
    page.wait_for_url(re.compile(r"sort=date"))
    dates = tab.hit_dates()
    assert dates == sorted(dates, reverse=True)
    assert tab.hit_ids() == [hit["id"] for hit in server.api(q=QUERY, sort="date")["hits"]]
    assert tab.hit_ids() != relevance_ids
    current = page.locator("nav.sort [aria-current]")
    assert current.inner_text() == "date, newest first"
    page.locator("nav.sort").get_by_role("link", name="relevance").click()
    page.wait_for_load_state()
    assert tab.hit_ids() == relevance_ids


def test_paging_and_the_back_button(tab: Any, server: Any) -> None:
    tab.goto("/", q=QUERY)
    page = tab.page
    pages = server.api(q=QUERY)["pages"]
    assert pages >= 3
    pagination = page.get_by_role("navigation", name="Result pages")

    first = tab.hit_ids()
    pagination.get_by_role("link", name="Next").click()
    page.wait_for_url(re.compile(r"page=2"))
    second = tab.hit_ids()
    assert second == [hit["id"] for hit in server.api(q=QUERY, page=2)["hits"]]
    assert not set(first) & set(second)
    assert pagination.locator("[aria-current=page]").inner_text() == "2"
    assert page.locator("ol.hits").get_attribute("start") == "11"

    pagination.get_by_role("link", name="3", exact=True).click()
    page.wait_for_url(re.compile(r"page=3"))
    third = tab.hit_ids()
    assert not set(third) & (set(first) | set(second))

    page.go_back()
    assert tab.params()["page"] == ["2"]
    assert tab.hit_ids() == second
    assert pagination.locator("[aria-current=page]").inner_text() == "2"
    page.go_back()
    assert "page" not in tab.params()
    assert tab.hit_ids() == first
    page.go_forward()
    assert tab.hit_ids() == second
    pagination.get_by_role("link", name="Previous").click()
    page.wait_for_load_state()
    assert tab.hit_ids() == first


def test_opening_a_document_shows_its_matches(tab: Any, server: Any) -> None:
    tab.goto("/", q=QUERY, page=2)
    page = tab.page
    first_link = page.locator(".hits .hit-title a").first
    title = first_link.inner_text()
    first_link.click()
    page.wait_for_url(re.compile(r"/documents/"))
    assert page.get_by_role("heading", level=1).inner_text() == title
    assert title in page.title()
    marks = page.locator(".doc-body mark").all_inner_texts()
    assert len(marks) >= 2
    assert {m.lower() for m in marks} == {QUERY}
    assert page.locator(".notice").inner_text() == f"Matches of “{QUERY}” are marked."
    # "Back to results" returns to the same page of the same search.
    page.get_by_role("link", name="Back to results").click()
    page.wait_for_load_state()
    assert tab.params()["q"] == [QUERY]
    assert tab.params()["page"] == ["2"]


def test_an_empty_result_shows_help(tab: Any) -> None:
    response = _search(tab, "qqqzzzx")
    page = tab.page
    assert response.status == 200
    assert _count_heading(tab).startswith("No results")
    assert "Nothing matches “qqqzzzx”" in page.locator(".empty").inner_text()
    assert page.get_by_role("heading", name="Search tips").is_visible()
    assert page.locator(".hits").count() == 0
    assert page.get_by_role("combobox").input_value() == "qqqzzzx"


def test_a_malformed_query_shows_the_message_not_a_trace(
    open_tab: Callable[..., Any],
) -> None:
    # Chromium logs the 400 answer itself as a console error.
    tab = open_tab(allow_console_errors=True)
    response = _search(tab, '"security')
    page = tab.page
    assert response.status == 400
    alert = page.get_by_role("alert")
    assert alert.is_visible()
    assert "quote" in alert.inner_text()
    text = page.locator("body").inner_text()
    assert "Traceback" not in text
    assert "Error" not in text.replace("error", "")  # no exception class names
    assert page.get_by_role("combobox").input_value() == '"security'
    assert page.get_by_role("heading", name="Search tips").is_visible()
    assert all("400" in error for error in tab.console_errors), tab.console_errors


def test_keyboard_only(tab: Any) -> None:
    """The box has focus on arrival; Tab reaches the results; Enter opens one."""
    tab.goto("/")
    page = tab.page
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type(QUERY)
    with page.expect_navigation():
        page.keyboard.press("Enter")

    first_hit = page.locator(".hits .hit-title a").first.get_attribute("href")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    passed_filters = 0
    for _ in range(60):  # bounded
        page.keyboard.press("Tab")
        if page.evaluate("!!document.activeElement.closest('.hit-title')"):
            break
        passed_filters += page.evaluate("!!document.activeElement.closest('#filters')")
    else:
        pytest.fail("Tab never reached a result")
    # The results come before the filters (a link can jump down to them).
    assert passed_filters == 0
    assert page.evaluate("document.activeElement.getAttribute('href')") == first_hit
    # The focused link is visibly marked.
    outline = page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, parseFloat(s.outlineWidth)]; })()"
    )
    assert outline[0] != "none" and outline[1] >= 2, outline
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.startswith(tab.server.url(first_hit.split("?")[0]))


def test_skip_links(tab: Any) -> None:
    """The "Skip to content" and "Refine these results" links appear when focused and jump."""
    tab.goto("/", q=QUERY)
    page = tab.page
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    assert skip.bounding_box()["x"] >= 0  # moved on screen once focused
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")

    refine = page.get_by_role("link", name="Refine these results")
    assert refine.bounding_box()["width"] <= 1  # hidden beside the filters on desktop
    refine.focus()
    assert refine.bounding_box()["width"] > 20
    page.keyboard.press("Enter")
    assert page.url.endswith("#filters")
    page.keyboard.press("Tab")  # focus moves on from the target, into the filters
    assert page.evaluate("!!document.activeElement.closest('#filters')")


def test_multilingual_results_and_language_facet(tab: Any, server: Any) -> None:
    tab.goto("/", q="Aktau")
    page = tab.page
    expected = server.api(q="Aktau")
    languages = {value["value"] for value in expected["facets"]["lang"]}
    assert {"de", "tr", "ru"} <= languages
    shown = set(page.locator(".hits .hit").evaluate_all("hits => hits.map(h => h.lang)"))
    assert {"de", "tr", "ru"} <= shown
    # Each result carries its language, so screen readers read it right.
    assert page.locator(".hits .hit[lang=ru] mark").first.inner_text() == "Актау"
    _facet_link(tab, "lang", "German").click()
    page.wait_for_url(re.compile(r"lang=de"))
    assert set(page.locator(".hits .hit").evaluate_all("hs => hs.map(h => h.lang)")) == {"de"}


def test_the_whole_flow_works_without_javascript(open_tab: Callable[..., Any]) -> None:
    tab = open_tab(java_script_enabled=False)
    page = tab.page
    tab.goto("/")
    page.get_by_role("searchbox").fill(QUERY)
    with page.expect_navigation():
        page.get_by_role("button", name="Search").click()
    assert page.locator(".hits .hit").count() == 10
    _facet_link(tab, "organization", "Kazakhstan").click()
    page.wait_for_url(re.compile(r"org=kz-knb"))
    page.get_by_label("From").fill("2015-01-01")
    with page.expect_navigation():
        page.get_by_role("button", name="Apply dates").click()
    assert tab.params()["from"] == ["2015-01-01"]
    page.get_by_role("navigation", name="Result pages").get_by_role("link", name="Next").click()
    page.wait_for_url(re.compile(r"page=2"))
    page.locator(".hits .hit-title a").first.click()
    page.wait_for_url(re.compile(r"/documents/"))
    assert page.locator(".doc-body mark").count() >= 1
