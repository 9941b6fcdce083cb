"""Accessibility and layout in a real browser: axe-core on every kind of
page in light and dark colours, no sideways scrolling at phone and desktop
widths, and screenshots of the main states for reviewers (docs/screenshots).

axe-core is injected from tests/browser/node_modules (installed by `npm ci`
from package-lock.json); the app's CSP forbids injected script, so only
these contexts bypass it (test_browser_safety proves the CSP holds).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}

# Every state a reader can reach, as (name, path, params).
PAGES: list[tuple[str, str, dict[str, Any]]] = [
    ("landing", "/", {}),
    ("results", "/", {"q": "harbour"}),
    (
        "filtered",
        "/",
        {
            "q": "harbour",
            "org": ["kz-knb", "uz-sss"],
            "from": "2016-01-01",
            "to": "2022-12-31",
            "sort": "date",
            "page": "2",
        },
    ),
    ("multilingual", "/", {"q": "Aktau"}),
    ("browse", "/", {"lang": "de"}),
    ("empty", "/", {"q": "qqqzzzx"}),
    ("malformed", "/", {"q": '"security'}),
    ("document", "/documents/harbour-07", {"q": "harbour"}),
    ("hostile-document", "/documents/hostile-payload", {"q": "payload"}),
    ("not-found", "/documents/no-such-article", {}),
]

# The states the README's screenshots show:
# (file name, path, params, viewport, full page, colour scheme).
SHOTS: list[tuple[str, str, dict[str, Any], dict[str, int], bool, str]] = [
    ("landing", "/", {}, DESKTOP, False, "light"),
    ("results", "/", {"q": "harbour"}, DESKTOP, True, "light"),
    (
        "facet-selected",
        "/",
        {"q": "harbour", "org": ["kz-knb", "uz-sss"], "from": "2017-01-01"},
        DESKTOP,
        True,
        "light",
    ),
    ("document", "/documents/harbour-06", {"q": "harbour"}, DESKTOP, False, "light"),
    ("no-results", "/", {"q": "qqqzzzx"}, DESKTOP, False, "light"),
    ("malformed-query", "/", {"q": '"security'}, DESKTOP, False, "light"),
    ("dark-results", "/", {"q": "Aktau"}, DESKTOP, False, "dark"),
    ("phone-results", "/", {"q": "harbour", "org": "kz-knb"}, PHONE, False, "light"),
    (
        "phone-filters",
        "/",
        {"q": "harbour", "org": "kz-knb", "#": "filters"},
        PHONE,
        False,
        "light",
    ),
    ("phone-document", "/documents/hostile-payload", {"q": "payload"}, PHONE, True, "light"),
]

AXE_RUN = """async (options) => {
  const result = await axe.run(document, options);
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + n.failureSummary),
  }));
}"""


def axe_violations(page: Any, axe_script: Path, *, rules: list[str] | None = None) -> list[dict]:
    """Inject axe-core from disk and run it (every rule, or only ``rules``)."""
    page.add_script_tag(path=str(axe_script))
    options: dict[str, Any] = {"resultTypes": ["violations"]}
    if rules:
        options["runOnly"] = {"type": "rule", "values": rules}
    return page.evaluate(AXE_RUN, options)


def _describe(violations: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"[{v['impact']}] {v['id']}: {v['help']}\n    " + "\n    ".join(v["nodes"])
        for v in violations
    )


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name,path,params", PAGES, ids=[p[0] for p in PAGES])
def test_axe_finds_no_serious_violation(
    open_tab: Callable[..., Any],
    axe_script: Path,
    scheme: str,
    name: str,
    path: str,
    params: dict[str, Any],
) -> None:
    tab = open_tab(bypass_csp=True, color_scheme=scheme, allow_console_errors=True)
    response = tab.goto(path, **params)
    assert response.status in (200, 400, 404), response.status
    # Only colours change with the scheme: in dark, check contrast alone.
    rules = ["color-contrast", "link-in-text-block"] if scheme == "dark" else None
    violations = axe_violations(tab.page, axe_script, rules=rules)
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert serious == [], f"{name} ({scheme}):\n{_describe(serious)}"
    # Minor and moderate findings are fixed too: none are left to excuse.
    assert violations == [], f"{name} ({scheme}):\n{_describe(violations)}"


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone-375", "desktop-1280"])
def test_no_horizontal_scrolling(open_tab: Callable[..., Any], viewport: dict[str, int]) -> None:
    tab = open_tab(viewport=viewport, allow_console_errors=True)
    for name, path, params in PAGES:
        tab.goto(path, **params)
        scroll_width, inner_width = tab.fits_width()
        assert inner_width == viewport["width"]
        assert scroll_width <= inner_width, f"{name} scrolls sideways at {inner_width}px"


def test_phone_layout_puts_results_first(open_tab: Callable[..., Any]) -> None:
    """At 375px the results come before the filters, with a link down to them."""
    tab = open_tab(viewport=PHONE)
    tab.goto("/", q="harbour")
    page = tab.page
    results_top = page.locator("section.results").bounding_box()["y"]
    filters_top = page.locator("#filters").bounding_box()["y"]
    assert results_top < filters_top
    jump = page.get_by_role("link", name="Refine these results")
    assert jump.is_visible()
    jump.click()
    assert page.url.endswith("#filters")
    # Nothing is squeezed off screen: the search box and every hit fit the width.
    for selector in ("#q", ".hits .hit"):
        box = page.locator(selector).first.bounding_box()
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= PHONE["width"]


def test_desktop_layout_puts_filters_beside_results(open_tab: Callable[..., Any]) -> None:
    tab = open_tab()
    tab.goto("/", q="harbour")
    page = tab.page
    results = page.locator("section.results").bounding_box()
    filters = page.locator("#filters").bounding_box()
    assert filters["x"] + filters["width"] <= results["x"]
    assert abs(filters["y"] - results["y"]) < 40
    # The link down to the filters is for keyboard users only here (shown on focus).
    assert page.get_by_role("link", name="Refine these results").bounding_box()["width"] <= 1


@pytest.mark.parametrize(
    "name,path,params,viewport,full_page,scheme", SHOTS, ids=[s[0] for s in SHOTS]
)
def test_screenshots(
    open_tab: Callable[..., Any],
    screenshot: Callable[..., Path],
    name: str,
    path: str,
    params: dict[str, Any],
    viewport: dict[str, int],
    full_page: bool,
    scheme: str,
) -> None:
    """The main states as PNGs in docs/screenshots, rewritten every run."""
    tab = open_tab(viewport=viewport, color_scheme=scheme, allow_console_errors=True)
    params = dict(params)
    fragment = params.pop("#", None)
    url = tab.server.url(path, **params) + (f"#{fragment}" if fragment else "")
    tab.page.goto(url)
    written = screenshot(tab.page, name, full_page=full_page)
    assert written.stat().st_size > 10_000  # a rendered page, not a blank one


def test_axe_would_catch_a_violation(open_tab: Callable[..., Any], axe_script: Path) -> None:
    """The harness is live: break the real page and axe says so."""
    tab = open_tab(bypass_csp=True)
    tab.goto("/", q="harbour")
    tab.page.evaluate(
        """() => {
          document.querySelector('label[for=q]').remove();
          document.querySelector('#q').removeAttribute('placeholder');
          document.querySelector('.hit-title a').style.color = '#d0d0d0';
        }"""
    )
    found = {v["id"]: v["impact"] for v in axe_violations(tab.page, axe_script)}
    assert found.get("label") == "critical", found
    assert found.get("color-contrast") == "serious", found
