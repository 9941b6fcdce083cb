"""The analyst views in Chromium: organization pages reached from the results,
their timeline, feed and export links, all by keyboard and without JavaScript;
axe clean in light and dark; no sideways scrolling on a phone."""

from __future__ import annotations

import re
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from test_browser_accessibility import _describe, axe_violations

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}

VIEW_PAGES: list[tuple[str, str, dict[str, Any]]] = [
    ("organizations", "/organizations", {}),
    ("organizations-filtered", "/organizations", {"q": "knb"}),
    ("organizations-none", "/organizations", {"q": "qqqzzzx"}),
    ("organization", "/organizations/kz-knb", {}),
    ("organization-corpus", "/organizations/az-sss", {}),
    ("organization-missing", "/organizations/no-such-body", {}),
    ("results-with-org", "/", {"q": "harbour", "org": "kz-knb"}),
]


def _press_tab_until(page: Any, predicate: str, *, limit: int = 150) -> dict[str, Any]:
    """Press Tab until the focused element satisfies ``predicate`` (a JS
    expression over ``el``); return its tag, text and href."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        found = page.evaluate(
            f"""() => {{ const el = document.activeElement;
                 return ({predicate}) ? {{tag: el.tagName, text: el.innerText,
                 href: el.getAttribute('href')}} : null; }}"""
        )
        if found:
            return found
    raise AssertionError(f"no focusable element matched {predicate} within {limit} tabs")


def test_from_results_to_organization_feed_and_export_without_javascript(
    open_tab: Callable[..., Any], server
) -> None:
    """The issue's journey, by keyboard only, with JavaScript off."""
    tab = open_tab(java_script_enabled=False)
    tab.goto("/", q="harbour", org="kz-knb")
    page = tab.page
    about = _press_tab_until(page, "el.closest('.org-about') && el.tagName === 'A'")
    assert about["href"] == "/organizations/kz-knb"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/organizations/kz-knb$"))
    assert page.locator("h1").inner_text()
    # When it was in the news: a chart whose bars are links narrowing the search.
    bars = page.locator("figure.histogram a.bar-link")
    assert bars.count() >= 2
    # With whom: co-occurring organizations with counts.
    related = page.locator("#related-heading + ul li")
    assert related.count() >= 1
    assert re.search(r"\d", related.first.locator(".count").inner_text())
    # Subscribe: the feed link, announced in <head> too, answers Atom.
    feed = _press_tab_until(page, "el.getAttribute('type') === 'application/atom+xml'")
    alternate = page.locator('head link[rel="alternate"]').get_attribute("href")
    assert feed["href"] == alternate == "/search.atom?org=kz-knb"
    with urllib.request.urlopen(server.base + feed["href"], timeout=10) as response:
        assert response.headers["Content-Type"].startswith("application/atom+xml")
        assert b"<feed" in response.read()
    # Export the list: a download of the whole result set as CSV.
    export = _press_tab_until(page, "el.getAttribute('type') === 'text/csv'")
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    path = download.value.path()
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    assert lines[0] == (
        "id,date,date_source,title,source,language,organizations,url,story,versions,score"
    )
    total = server.api(org="kz-knb")["total"]
    assert len(lines) - 1 == total
    assert export["href"].startswith("/api/export.csv?org=kz-knb")


def test_timeline_bar_narrows_the_search(open_tab: Callable[..., Any], server) -> None:
    tab = open_tab(java_script_enabled=False)
    tab.goto("/organizations/kz-knb")
    page = tab.page
    bar = _press_tab_until(page, "el.classList.contains('bar-link')")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"org=kz-knb"))
    params = parse_qs(urlsplit(page.url).query)
    assert params["org"] == ["kz-knb"]
    period = params.get("year") or params.get("month") or params.get("from")
    assert period, f"the bar {bar['href']} narrows to a period"
    shown = page.locator(".result-count").inner_text()
    assert re.search(r"\d+ results?", shown)


def test_organization_list_filter_by_keyboard(open_tab: Callable[..., Any]) -> None:
    tab = open_tab(java_script_enabled=False)
    tab.goto("/organizations")
    page = tab.page
    box = _press_tab_until(page, "el.id === 'org-filter'")
    assert box["tag"] == "INPUT"
    page.keyboard.type("knb")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"q=knb"))
    rows = page.locator(".org-table tbody tr")
    shown = [rows.nth(i).inner_text().casefold() + " " + rows.nth(i).locator("a").get_attribute(
        "href") for i in range(rows.count())]  # fmt: skip
    assert any("/organizations/kz-knb" in row for row in shown)
    assert all("knb" in row or "кнб" in row for row in shown), shown
    filtered = rows.count()
    tab.goto("/organizations")
    assert page.locator(".org-table tbody tr").count() > filtered


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name,path,params", VIEW_PAGES, ids=[p[0] for p in VIEW_PAGES])
def test_views_are_axe_clean(
    open_tab: Callable[..., Any],
    axe_script: Path,
    scheme: str,
    name: str,
    path: str,
    params: dict[str, Any],
) -> None:
    tab = open_tab(bypass_csp=True, color_scheme=scheme, allow_console_errors=True)
    response = tab.goto(path, **params)
    assert response.status in (200, 404), response.status
    rules = ["color-contrast", "link-in-text-block"] if scheme == "dark" else None
    violations = axe_violations(tab.page, axe_script, rules=rules)
    assert violations == [], f"{name} ({scheme}):\n{_describe(violations)}"


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone-375", "desktop-1280"])
def test_views_fit_the_width(open_tab: Callable[..., Any], viewport: dict[str, int]) -> None:
    tab = open_tab(viewport=viewport, allow_console_errors=True)
    for name, path, params in VIEW_PAGES:
        tab.goto(path, **params)
        scroll_width, inner_width = tab.fits_width()
        assert scroll_width <= inner_width, f"{name} scrolls sideways at {inner_width}px"


@pytest.mark.parametrize(
    ("name", "path", "viewport"),
    [
        ("organization", "/organizations/kz-knb", DESKTOP),
        ("organizations", "/organizations", DESKTOP),
        ("phone-organization", "/organizations/kz-knb", PHONE),
    ],
)
def test_screenshots_of_the_views(
    open_tab: Callable[..., Any], screenshot, name: str, path: str, viewport: dict[str, int]
) -> None:
    tab = open_tab(viewport=viewport)
    assert tab.goto(path).status == 200
    screenshot(tab.page, name)
