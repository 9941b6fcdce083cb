"""Fixtures for the browser tests: a real index built in tmp from the bundled
corpus plus this directory's fixture articles, the real server (gunicorn,
as `dossier serve` runs it) on a free 127.0.0.1 port, and Debian's Chromium
driven by Playwright. Nothing is mocked.

Without Chromium (or Playwright, or axe-core from `npm ci`) the tests skip
with the reason; with DOSSIER_REQUIRE_BROWSER=1 (set by .ci/run) a missing
piece fails them instead, so CI cannot go green without a browser.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CORPUS = REPO / "corpus" / "articles"
AXE_SCRIPT = HERE / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = REPO / "docs" / "screenshots"

REQUIRE_BROWSER = os.environ.get("DOSSIER_REQUIRE_BROWSER", "") not in ("", "0")

# The machines have no internet: keep Chromium from trying (and from
# waiting on refused connections); as root it needs --no-sandbox.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-gpu",
    "--disable-quic",
]

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}

# --------------------------------------------------------------------------
# Fixture articles
# --------------------------------------------------------------------------

HOSTILE = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
)

# Organization tags cycle so the facet has overlapping values to combine.
HARBOUR_ORGS: tuple[list[str], ...] = (["kz-knb"], ["uz-sss"], ["kz-knb", "uz-sss"], [])
HARBOUR_SOURCES = ("Harbour Gazette", "Port Ledger", "Caspian Wire")
HARBOUR_COUNT = 34  # four pages at per_page=10


def _harbour_articles() -> list[dict[str, Any]]:
    """Similar dated English articles: several result pages, years, sources."""
    records = []
    for n in range(1, HARBOUR_COUNT + 1):
        records.append(
            {
                "id": f"harbour-{n:02d}",
                "title": f"Caspian harbour report number {n}",
                "body": (
                    f"The harbour report number {n} covers container traffic, customs "
                    "inspections and grain terminals along the Caspian coast. Officials "
                    f"at the harbour expect {n * 3} more ferries next season.\n\n"
                    "Freight forwarders said the harbour authority had cut waiting times. "
                    # Distinct enough not to be near-duplicates of each other (stories).
                    f"Berth {n * 7} reopened after pier {n * 11 + 100} was dredged to "
                    f"{n + 9} metres."
                ),
                "date": f"{2015 + n % 10}-{1 + n % 12:02d}-{1 + n % 28:02d}",
                "lang": "en",
                "source": HARBOUR_SOURCES[n % 3],
                "organizations": HARBOUR_ORGS[n % 4],
            }
        )
    return records


FIXTURE_ARTICLES: list[dict[str, Any]] = [
    {
        "id": "hostile-payload",
        "title": f"{' '.join(HOSTILE)} Payload bulletin",
        "body": (
            f"This payload bulletin carries hostile markup: {' '.join(HOSTILE)}\n\n"
            f"A second paragraph repeats the payload: {' '.join(reversed(HOSTILE))} "
            "and ends with a very long unbroken word " + "payloadpayloadpayload" * 8 + "."
        ),
        "date": "2023-03-03",
        "lang": "en",
        "source": HOSTILE[1],
        "url": "javascript:alert(1)",
    },
    {
        "id": "de-aktau",
        "title": "Der Hafen von Aktau meldet Rekordumschlag",
        "body": (
            "Der Hafen von Aktau am Kaspischen Meer hat im vergangenen Jahr so viel "
            "Fracht umgeschlagen wie nie zuvor. Die Hafenverwaltung plant neue Terminals."
        ),
        "date": "2021-04-12",
        "lang": "de",
        "source": "Deutsche Hafenzeitung",
    },
    {
        "id": "tr-aktau",
        "title": "Aktau limanında rekor yük hareketi",
        "body": (
            "Hazar Denizi kıyısındaki Aktau limanı geçen yıl rekor miktarda yük elleçledi. "
            "Liman yönetimi yeni terminaller planlıyor."
        ),
        "date": "2022-08-30",
        "lang": "tr",
        "source": "Liman Haber",
    },
    {
        "id": "ru-aktau",
        "title": "Порт Актау отчитался о рекордной перевалке",
        "body": (
            "Порт Актау на Каспийском море в прошлом году перевалил рекордный объём "
            "грузов. Администрация порта планирует новые терминалы."
        ),
        "date": "2020-02-17",
        "lang": "ru",
        "source": "Каспийский вестник",
    },
    *_harbour_articles(),
]


@pytest.fixture(scope="session")
def fixture_jsonl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("browser-fixtures") / "browser-articles.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for record in FIXTURE_ARTICLES:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory: pytest.TempPathFactory, fixture_jsonl: Path) -> Path:
    """The real indexer over corpus/articles and the fixture articles."""
    from indexer import build_index

    path = tmp_path_factory.mktemp("browser-index") / "index"
    report = build_index([CORPUS, fixture_jsonl], path, rebuild=True)
    assert not report.errors, report.errors
    return path


# --------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@dataclass(frozen=True)
class Server:
    """A running Dossier server and a JSON oracle for what its pages must show."""

    base: str

    def url(self, path: str = "/", **params: Any) -> str:
        query = urlencode(params, doseq=True)
        return f"{self.base}{path}" + (f"?{query}" if query else "")

    def api(self, **params: Any) -> dict[str, Any]:
        status, body = _get(self.url("/api/search", **params))
        assert status == 200, body[:300]
        return json.loads(body)


@pytest.fixture(scope="session")
def server(index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """gunicorn through webapp.server.serve() in a child process on a free port."""
    port = _free_port()
    code = (
        "from pathlib import Path; from webapp.server import serve; "
        f"serve(Path({str(index_dir)!r}), '127.0.0.1', {port}, workers=1)"
    )
    # Settings at their defaults whatever the developer's shell holds, but no search
    # time limit: a loaded machine is no reason for a page to fail (bench/ measures speed).
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOSSIER_")}
    env["DOSSIER_SEARCH_TIMEOUT_MS"] = "0"
    log_path = tmp_path_factory.mktemp("browser-server") / "server.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", code], cwd=REPO, env=env, stdout=log, stderr=log
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if _get(base + "/api/health")[0] == 200:
                    break
            except (urllib.error.URLError, ConnectionError):
                pass
            assert process.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, "the server did not start in 30 s"
            time.sleep(0.1)
        yield Server(base)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


# --------------------------------------------------------------------------
# The browser
# --------------------------------------------------------------------------


def _unavailable(reason: str) -> None:
    if REQUIRE_BROWSER:
        pytest.fail(f"{reason} (DOSSIER_REQUIRE_BROWSER is set, so this is a failure)")
    pytest.skip(reason)


def chromium_path() -> str | None:
    """DOSSIER_CHROMIUM if set (a path that is missing counts as no browser),
    else `chromium` on PATH, else Debian's /usr/bin/chromium."""
    chosen = os.environ.get("DOSSIER_CHROMIUM")
    if chosen:
        return chosen if Path(chosen).exists() else None
    found = shutil.which("chromium")
    if found:
        return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, one per test module (a fresh profile each
    launch). Module scope keeps Playwright's event loop from outliving the
    browser tests."""
    executable = chromium_path()
    if executable is None:
        _unavailable("no Chromium found (apt-get install chromium; .ci/run does)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed (`make test` or `make dev` adds it)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class Tab:
    """A page in its own browser context, with everything it did recorded."""

    page: Any
    server: Server
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def goto(self, path: str = "/", **params: Any) -> Any:
        return self.page.goto(self.server.url(path, **params))

    def foreign_requests(self) -> list[str]:
        own = urlsplit(self.server.base).netloc
        return [url for url in self.requests if urlsplit(url).netloc != own]

    def hit_ids(self) -> list[str]:
        hrefs = self.page.locator(".hits .hit-title a").evaluate_all(
            "links => links.map(a => a.getAttribute('href'))"
        )
        return [urlsplit(href).path.removeprefix("/documents/") for href in hrefs]

    def hit_dates(self) -> list[str]:
        return self.page.locator(".hits time").evaluate_all(
            "times => times.map(t => t.getAttribute('datetime'))"
        )

    def params(self) -> dict[str, list[str]]:
        from urllib.parse import parse_qs

        return parse_qs(urlsplit(self.page.url).query)

    def fits_width(self) -> tuple[int, int]:
        """(scrollWidth, innerWidth): the page scrolls sideways if the first is larger."""
        return tuple(
            self.page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
        )


@pytest.fixture
def open_tab(browser: Any, server: Server) -> Iterator[Callable[..., Tab]]:
    """New pages in fresh contexts. Every request, console error, page error
    and dialog is recorded; afterwards no test may have let a dialog open,
    a script error happen or a request leave the server's own origin."""
    tabs: list[tuple[Tab, Any, bool]] = []

    def _open(*, allow_console_errors: bool = False, **context_options: Any) -> Tab:
        context_options.setdefault("viewport", DESKTOP)
        context = browser.new_context(**context_options)
        context.set_default_timeout(10_000)
        page = context.new_page()
        tab = Tab(page=page, server=server)
        context.on("request", lambda request: tab.requests.append(request.url))
        page.on(
            "console",
            lambda message: (
                tab.console_errors.append(message.text) if message.type == "error" else None
            ),
        )
        page.on("pageerror", lambda error: tab.page_errors.append(str(error)))

        def _dialog(dialog: Any) -> None:
            tab.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", _dialog)
        tabs.append((tab, context, allow_console_errors))
        return tab

    yield _open
    for tab, context, allow_console_errors in tabs:
        context.close()
        assert tab.dialogs == [], f"a dialog opened: {tab.dialogs}"
        assert tab.page_errors == [], f"script errors: {tab.page_errors}"
        assert tab.foreign_requests() == [], "requests left the server's origin"
        if not allow_console_errors:
            assert tab.console_errors == [], f"console errors: {tab.console_errors}"


@pytest.fixture
def tab(open_tab: Callable[..., Tab]) -> Tab:
    """One desktop-sized page."""
    return open_tab()


@pytest.fixture(scope="session")
def screenshot() -> Callable[[Any, str], Path]:
    """Write a PNG of a page into docs/screenshots (overwritten every run)."""

    def _shoot(page: Any, name: str, *, full_page: bool = True) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page, animations="disabled")
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        return path

    return _shoot


@pytest.fixture(scope="session")
def axe_script() -> Path:
    if not AXE_SCRIPT.exists():
        _unavailable(
            f"axe-core is not installed ({AXE_SCRIPT.relative_to(REPO)} missing; "
            "`make test` runs npm ci in tests/browser)"
        )
    return AXE_SCRIPT
