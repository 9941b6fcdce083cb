"""Fixtures for the web app's tests: a real index built once per session from
the bundled corpus plus fixture articles (hostile markup, several languages,
dates and no date), and apps created by the real factory. Nothing is mocked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from webapp import create_app
from webapp.settings import SETTINGS

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "corpus" / "articles"

HOSTILE_MARKUP = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "<svg onload=alert(1)>",
    '<iframe src="javascript:alert(1)"></iframe>',
    "<mark onclick=alert(1)>marked</mark>",
    '"><script>alert(1)</script>',
)

BULLETIN_SOURCES = ("Bulletin Weekly", "Daily Courier")


def _bulletins() -> list[dict[str, Any]]:
    """25 dated English articles: enough for several result pages and years."""
    records = []
    for n in range(1, 26):
        year = 2010 + n % 15
        records.append(
            {
                "id": f"bulletin-{n:02d}",
                "title": f"Archive bulletin number {n}",
                "body": (
                    f"The archive bulletin number {n} reports on regional cooperation, "
                    "customs checks and railway freight. Analysts of the bulletin "
                    "discussed tariffs, harbours and grain exports at length. "
                    # Distinct enough not to be near-duplicates of each other (stories).
                    f"Edition {n} was compiled by desk {n * 7} in room {n * 13 + 100}."
                ),
                "date": f"{year}-{1 + n % 12:02d}-{1 + n % 27:02d}",
                "lang": "en",
                "source": BULLETIN_SOURCES[n % 2],
                "url": f"https://example.org/bulletin/{n}",
            }
        )
    return records


FIXTURE_ARTICLES: list[dict[str, Any]] = [
    {
        "id": "hostile-script",
        "title": "<script>alert(1)</script> Security summit in Baku",
        "body": (
            "The security summit in Baku gathered delegations. "
            + " ".join(HOSTILE_MARKUP)
            + "\n\nA second paragraph about the security summit and its hostile payloads."
        ),
        "date": "2024-05-01",
        "lang": "en",
        "source": "<b>Evil</b> Press",
        "url": "javascript:alert(1)",
    },
    {
        "id": "hostile-img",
        "title": "<img src=x onerror=alert(1)> Intelligence report on payloads",
        "body": (
            "An intelligence report about payloads. "
            + " ".join(reversed(HOSTILE_MARKUP))
            + " The intelligence report ends here."
        ),
        "date": "2023-02-14",
        "lang": "en",
        "source": "Payload Monthly",
        "url": "https://example.org/payload?a=1&b=<2>",
    },
    {
        "id": "de-forum",
        "title": "Sicherheitsforum in Baku eröffnet",
        "body": (
            "Der Staatssicherheitsdienst Aserbaidschans eröffnete das Sicherheitsforum in "
            "Baku. Vertreter der Geheimdienste aus vielen Ländern nahmen teil und sprachen "
            "über die Zusammenarbeit gegen den Terrorismus."
        ),
        "date": "2021-03-15",
        "lang": "de",
        "source": "Deutsche Rundschau",
        "url": "https://example.de/forum",
    },
    {
        "id": "tr-forum",
        "title": "Bakü'de güvenlik forumu düzenlendi",
        "body": (
            "Azerbaycan Devlet Güvenlik Servisi tarafından düzenlenen güvenlik forumuna "
            "birçok ülkeden istihbarat temsilcileri katıldı. Forumda terörle mücadele ve "
            "işbirliği konuşuldu."
        ),
        "date": "2022-06-10",
        "lang": "tr",
        "source": "Istanbul Haber",
        "url": "https://example.com.tr/forum",
    },
    {
        "id": "ru-forum",
        "title": "Форум безопасности прошёл в Баку",
        "body": (
            "Служба государственной безопасности Азербайджана провела форум безопасности "
            "в Баку. В нём участвовали представители спецслужб многих стран, обсуждалось "
            "сотрудничество в борьбе с терроризмом."
        ),
        "date": "2020-11-05",
        "lang": "ru",
        "source": "Московский вестник",
        "url": "https://example.ru/forum",
    },
    {
        "id": "undated-memo",
        "title": "Undated memo on the security archive",
        "body": (
            "This memo about the security archive carries no date at all. It describes "
            "how the archive of the security service is catalogued."
        ),
        "lang": "en",
        "source": "Archive Desk",
    },
    *_bulletins(),
]


@pytest.fixture(scope="session")
def fixture_jsonl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fixtures") / "fixture-articles.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for record in FIXTURE_ARTICLES:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


@pytest.fixture(scope="session")
def build(fixture_jsonl: Path) -> Callable[[Path], Any]:
    """Build the fixture index into a directory (the real indexer)."""
    from indexer import build_index

    def _build(index_dir: Path) -> Any:
        return build_index([CORPUS, fixture_jsonl], index_dir, rebuild=True)

    return _build


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory: pytest.TempPathFactory, build: Callable[[Path], Any]) -> Path:
    path = tmp_path_factory.mktemp("index") / "index"
    build(path)
    return path


def app_config(index_dir: Path, **overrides: Any) -> dict[str, Any]:
    """Every setting at its default (so a developer's DOSSIER_* variables
    cannot change a test), then the test's own values."""
    config = {setting.name: setting.default for setting in SETTINGS}
    config.update(TESTING=True, INDEX_DIR=index_dir)
    # The default (10,000 characters) is more than an address may carry (8,000 bytes:
    # 414 first); a shorter limit keeps the query-length refusal (413) testable by GET.
    config.update(MAX_QUERY_CHARS=500)
    config.update(overrides)
    return config


@pytest.fixture
def make_app(index_dir: Path) -> Iterator[Callable[..., Flask]]:
    """Create extra apps with their own settings; their indexes close afterwards."""
    apps: list[Flask] = []

    def _make(**overrides: Any) -> Flask:
        app = create_app(app_config(index_dir, **overrides))
        apps.append(app)
        return app

    yield _make
    from webapp.service import close_service

    for app in apps:
        close_service(app)


@pytest.fixture(scope="session")
def app(index_dir: Path) -> Iterator[Flask]:
    """One app over the fixture index for the read-only tests."""
    application = create_app(app_config(index_dir))
    yield application
    from webapp.service import close_service

    close_service(application)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class MarkupAudit(HTMLParser):
    """Collects every element and attribute a browser would see as markup."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    handle_startendtag = handle_starttag


DANGEROUS_TAGS = {"script", "iframe", "object", "embed", "svg", "img", "math", "base", "frame"}
_SCHEME_NOISE = re.compile(r"[\x00-\x20]+")


def markup_of(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    audit = MarkupAudit()
    audit.feed(html)
    audit.close()
    return audit.tags


# The app's own script element (base.html): a static file, deferred, nothing inline.
APP_SCRIPT = ("script", [("src", "/static/suggest.js"), ("defer", None)])


def assert_no_active_markup(html: str) -> None:
    """No script, event handler or javascript: URL is markup in ``html``
    (escaped text that merely reads like it is fine); the app's one script
    file is the only script element allowed."""
    for tag, attrs in markup_of(html):
        if (tag, attrs) == APP_SCRIPT:
            continue
        assert tag not in DANGEROUS_TAGS, f"<{tag}> reached the page"
        for name, value in attrs:
            assert not name.startswith("on"), f"<{tag} {name}=…> reached the page"
            if value and name in {"href", "src", "action", "formaction", "xlink:href"}:
                scheme = _SCHEME_NOISE.sub("", value).lower()
                assert not scheme.startswith(("javascript:", "data:", "vbscript:")), (
                    f"<{tag} {name}={value!r}> reached the page"
                )


def assert_only_plain_marks(fragment: str) -> None:
    """A snippet or title: the only elements are <mark> without attributes."""
    for tag, attrs in markup_of(fragment):
        assert tag == "mark", f"<{tag}> in {fragment!r}"
        assert attrs == [], f"<mark {attrs}> in {fragment!r}"


# Helpers reach the tests as fixtures: this directory has no __init__.py, so
# the test modules cannot import from conftest.


@pytest.fixture(scope="session")
def hostile_markup() -> tuple[str, ...]:
    return HOSTILE_MARKUP


@pytest.fixture(scope="session")
def no_active_markup() -> Callable[[str], None]:
    return assert_no_active_markup


@pytest.fixture(scope="session")
def only_plain_marks() -> Callable[[str], None]:
    return assert_only_plain_marks


@pytest.fixture(scope="session")
def config_for() -> Callable[..., dict[str, Any]]:
    return app_config


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def openapi(app: Flask) -> dict[str, Any]:
    response = app.test_client().get("/api/openapi.json")
    assert response.status_code == 200
    return response.get_json()


@pytest.fixture(scope="session")
def validate(openapi: dict[str, Any]) -> Callable[[Any, str], None]:
    """Validate a JSON body against one of the OpenAPI document's schemas."""
    from jsonschema import Draft202012Validator

    def _validate(instance: Any, schema_name: str) -> None:
        schema = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$ref": f"#/components/schemas/{schema_name}",
            "components": openapi["components"],
        }
        Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER).validate(
            instance
        )

    return _validate


HIT_LINK = re.compile(r'<h3 class="hit-title"><a href="/documents/([^"?]+)')
HIT_DATE = re.compile(r'<time datetime="([^"]+)"')


@pytest.fixture(scope="session")
def hit_ids() -> Callable[[str], list[str]]:
    """Document ids of the hits listed on a search page, in order."""
    from urllib.parse import unquote

    return lambda html: [unquote(m) for m in HIT_LINK.findall(html)]


# --- Analyst views: an index whose gazetteer and articles are hostile on purpose ---

VIEWS_GAZETTEER = r"""
[[organization]]
id = "evil-org"
kind = "<b>security</b> service"
country = "<i>XX</i>"
aliases = ["Evil Org"]
[organization.names]
en = "<script>alert(1)</script> Evil Org"
de = "Böse <img src=x onerror=alert(1)> Org"
ru = "Злая организация"
tr = "=HYPERLINK(\"http://x.example\")"
az = "Pis Təşkilat"

[[organization]]
id = "harbour-board"
kind = "council"
country = "INT"
aliases = ["Harbour Board"]
[organization.names]
en = "Harbour Board"
de = "Hafenbehörde"
ru = "Портовый совет"
tr = "Liman Kurulu"
az = "Liman Şurası"

[[organization]]
id = "quiet-org"
kind = "council"
country = "INT"
aliases = ["Zzyzx Quiet Council"]
[organization.names]
en = "Quiet Council"
de = "Stiller Rat"
ru = "Тихий совет"
tr = "Sessiz Konsey"
az = "Sakit Şura"
"""
# Ids that only articles carry (no gazetteer entry): shown as they are, never as markup.
HOSTILE_ORG_IDS = ("<script>alert(2)</script>", "a/b?c=d#e")
# Spreadsheet formulas in titles: an export must not let them run.
FORMULA_TITLES = ("=cmd|' /C calc'!A0", "+1+2", "-2+3 harbour", "@SUM(1,2)")


def _views_articles() -> list[dict[str, Any]]:
    """Harbour articles from 1950 to 2020 (a span drawn in decades), naming the
    hostile organization, the harbour board, or ids the gazetteer lacks."""
    records = []
    for n, year in enumerate(range(1950, 2021, 5)):
        records.append(
            {
                "id": f"views-{n:02d}",
                "title": FORMULA_TITLES[n % len(FORMULA_TITLES)] + f" harbour dispatch {n}\x0b",
                "body": f"Harbour dispatch {n} about the Evil Org and the Harbour Board. "
                + HOSTILE_MARKUP[n % len(HOSTILE_MARKUP)],
                "date": f"{year}-{1 + n % 12:02d}-15",
                "lang": "en",
                "source": ("<b>Evil</b> Press", "=Formula Source", "Port Ledger")[n % 3],
                "url": f"https://example.org/views/{n}",
                "organizations": ["evil-org", "harbour-board"] if n % 3 else ["evil-org"],
            }
        )
    records.append(
        {
            "id": "views-hostile-ids",
            "title": "Harbour note naming unknown bodies",
            "body": "A harbour note whose organizations the gazetteer does not know.",
            "date": "2020-06",
            "lang": "en",
            "source": "Port Ledger",
            "organizations": [*HOSTILE_ORG_IDS, "evil-org"],
        }
    )
    records.append(
        {
            "id": "views-undated",
            "title": "Undated harbour rumour",
            "body": "An undated harbour rumour about the Evil Org.",
            "lang": "en",
            "organizations": ["evil-org"],
        }
    )
    return records


@pytest.fixture(scope="session")
def views_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(index directory, gazetteer) of the hostile analyst-views index."""
    from indexer import build_index

    root = tmp_path_factory.mktemp("views")
    gazetteer = root / "organizations.toml"
    gazetteer.write_text(VIEWS_GAZETTEER, encoding="utf-8")
    articles = root / "views.jsonl"
    with articles.open("w", encoding="utf-8") as out:
        for record in _views_articles():
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    build_index([articles], root / "index", gazetteer=gazetteer, rebuild=True)
    return root / "index", gazetteer


@pytest.fixture(scope="session")
def views_app(views_index: tuple[Path, Path]) -> Iterator[Flask]:
    index, gazetteer = views_index
    application = create_app(app_config(index, GAZETTEER=gazetteer))
    yield application
    from webapp.service import close_service

    close_service(application)


@pytest.fixture
def views_client(views_app: Flask) -> FlaskClient:
    return views_app.test_client()


@pytest.fixture(scope="session")
def views_data() -> dict[str, Any]:
    return {
        "articles": _views_articles(),
        "hostile_ids": HOSTILE_ORG_IDS,
        "formula_titles": FORMULA_TITLES,
    }
