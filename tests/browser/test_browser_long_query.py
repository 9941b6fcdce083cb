"""A pasted article in a real browser: the search box posts a query too long for
an address (static/suggest.js), the page it answers keeps working (facets,
pages, a short query by address again), and without JavaScript the landing
page's long-text form does the same. Checked against the JSON API of the same
server, posted the same way.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

RUSSIAN = (
    "Порт Актау на Каспийском море отчитался о рекордной перевалке грузов: "
    "администрация порта планирует новые терминалы и ждёт больше паромов. "
)
# 10,000 characters, each sentence numbered so the text does not repeat itself.
LONG_RUSSIAN = "".join(f"{RUSSIAN}Отчёт номер {n}. " for n in range(80))[:10_000]

AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => v.id + ": " + v.help + " :: " +
    v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", "));
}"""


def _posted_api(server: Any, **body: Any) -> dict[str, Any]:
    request = urllib.request.Request(
        server.base + "/api/search",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def test_the_box_posts_a_pasted_article_and_the_page_keeps_working(
    open_tab: Callable[..., Any], server: Any
) -> None:
    tab = open_tab()
    page = tab.page
    documents: list[tuple[str, str]] = []
    page.on(
        "request",
        lambda r: documents.append((r.method, r.url)) if r.resource_type == "document" else None,
    )
    tab.goto("/")
    box = page.get_by_role("combobox", name="Search the archive")
    box.fill(LONG_RUSSIAN)
    assert box.input_value() == LONG_RUSSIAN  # maxlength is the query limit, 10,000
    with page.expect_navigation() as navigation:
        box.press("Enter")
    assert navigation.value.status == 200
    method, url = documents[-1]
    assert method == "POST" and urlsplit(url).query == ""

    expected = _posted_api(server, q=LONG_RUSSIAN)
    assert tab.hit_ids() == [hit["id"] for hit in expected["hits"]]
    assert tab.hit_ids()[0] == "ru-aktau"
    used = page.locator(".words-used").inner_text()
    assert all(word in used for word in expected["query_words_used"])

    # A facet value is a button of the posted form: it narrows the same search.
    russian = page.locator("section.facet[aria-labelledby='facet-lang'] .facet-link",
                           has_text="Russian")  # fmt: skip
    assert russian.evaluate("e => e.tagName") == "BUTTON"
    with page.expect_navigation():
        russian.click()
    method, url = documents[-1]
    assert method == "POST" and "lang=ru" in url and "q=" not in url
    narrowed = _posted_api(server, q=LONG_RUSSIAN, lang="ru")
    assert tab.hit_ids() == [hit["id"] for hit in narrowed["hits"]]
    assert "(selected, follow to remove)" in page.locator("#facet-lang + ul").inner_text()

    # An article, then the browser's Back: the posted results again, not a request to
    # send the form again.
    with page.expect_navigation():
        page.locator(".hits .hit-title a").first.click()
    assert "/documents/" in page.url
    with page.expect_navigation():
        page.go_back()
    assert tab.hit_ids() == [hit["id"] for hit in narrowed["hits"]]

    # A short query typed on that page goes by address again (bookmarkable).
    box = page.get_by_role("combobox", name="Search the archive")
    box.fill("harbour")
    with page.expect_navigation():
        box.press("Enter")
    method, url = documents[-1]
    assert method == "GET" and "q=harbour" in url and "lang=ru" in url


def test_a_posted_page_is_accessible(
    open_tab: Callable[..., Any], axe_script: Path, screenshot: Callable[..., Path]
) -> None:
    """axe-core on the page a posted search answers (its links are buttons), in a tab
    that lets axe's injected script run (bypass_csp), as the accessibility tests do."""
    tab = open_tab(bypass_csp=True, allow_console_errors=True)
    tab.goto("/")
    box = tab.page.get_by_role("combobox", name="Search the archive")
    box.fill(LONG_RUSSIAN)
    with tab.page.expect_navigation():
        box.press("Enter")
    assert tab.page.locator("button.link-button").count() > 5
    screenshot(tab.page, "posted-results")
    tab.page.add_script_tag(path=str(axe_script))
    assert tab.page.evaluate(AXE_RUN) == []


def test_without_javascript_the_long_text_form_posts(
    open_tab: Callable[..., Any], server: Any
) -> None:
    tab = open_tab(java_script_enabled=False)
    page = tab.page
    tab.goto("/")
    page.get_by_text("Search with a long text").click()
    page.get_by_label("Paste the text to find articles like it").fill(LONG_RUSSIAN)
    with page.expect_navigation() as navigation:
        page.locator(".long-query-form button").click()
    assert navigation.value.request.method == "POST"
    expected = _posted_api(server, q=LONG_RUSSIAN)
    assert tab.hit_ids() == [hit["id"] for hit in expected["hits"]]
    # Sorting, a button of the posted form, works without a script too.
    with page.expect_navigation() as navigation:
        page.get_by_role("navigation", name="Sort order").get_by_role(
            "button", name="date, newest first"
        ).click()
    assert navigation.value.request.method == "POST"
    newest = _posted_api(server, q=LONG_RUSSIAN, sort="date")
    assert tab.hit_ids() == [hit["id"] for hit in newest["hits"]]
