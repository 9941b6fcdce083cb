"""The web app's settings: one table from which defaults, environment
variables and the README's configuration section all derive.

Keeping them in one place means a setting cannot exist without a default, an
environment variable and a line of help (a test checks the README lists
every one). ``python -m webapp.settings`` prints the table as Markdown.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from indexer.model import SearchLimits

ENV_PREFIX = "DOSSIER_"
_ENGINE_DEFAULTS = SearchLimits()  # the engine's defaults are the app's defaults


@dataclass(frozen=True, slots=True)
class Setting:
    name: str
    default: Any
    parse: Callable[[str], Any]
    help: str

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name


def _optional_path(text: str) -> Path | None:
    return Path(text) if text.strip() else None


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError(f"{value} is negative")
    return value


def _non_negative_number(text: str) -> float:
    value = float(text)
    if not value >= 0:  # also refuses nan
        raise ValueError(f"{text} is not a number of at least 0")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(f"{value} is not at least 1")
    return value


def _origins(text: str) -> tuple[str, ...]:
    origins = tuple(o.strip().rstrip("/") for o in text.split(",") if o.strip())
    for origin in origins:
        if origin != "*" and not origin.startswith(("http://", "https://")):
            raise ValueError(f"{origin!r} is not an origin like https://example.org")
    return origins


SETTINGS: tuple[Setting, ...] = (
    Setting("INDEX_DIR", Path("var/index"), Path, "Directory of the search index to serve."),
    Setting(
        "GAZETTEER",
        None,
        _optional_path,
        "Organizations gazetteer (TOML); empty means the bundled corpus/organizations.toml.",
    ),
    Setting(
        "MAX_QUERY_CHARS",
        _ENGINE_DEFAULTS.max_query_chars,
        _positive_int,
        "Longest query accepted; longer answers 413.",
    ),
    Setting(
        "MAX_TERMS",
        _ENGINE_DEFAULTS.max_terms,
        _positive_int,
        "Most words a query is read with its syntax; a longer one is read as a description "
        "of its most telling words.",
    ),
    Setting(
        "MAX_EXPANDED_WORDS",
        _ENGINE_DEFAULTS.max_expanded_words,
        _positive_int,
        "Most words (in all fields) the *, ? and ~ words of one query may expand to.",
    ),
    Setting(
        "MAX_EXPANDED_POSTINGS",
        _ENGINE_DEFAULTS.max_expanded_postings,
        _positive_int,
        "Most occurrences in the index those expanded words may have together.",
    ),
    Setting(
        "SEARCH_TIMEOUT_MS",
        _ENGINE_DEFAULTS.timeout_ms,
        _non_negative_number,
        "A search running longer is stopped and answers 503; 0 turns the limit off.",
    ),
    Setting(
        "MAX_PAGE",
        _ENGINE_DEFAULTS.max_page,
        _positive_int,
        "Deepest result page that can be requested.",
    ),
    Setting(
        "MAX_PER_PAGE",
        _ENGINE_DEFAULTS.max_per_page,
        _positive_int,
        "Largest per_page a client may ask for.",
    ),
    Setting(
        "DEFAULT_PER_PAGE",
        _ENGINE_DEFAULTS.default_per_page,
        _positive_int,
        "Results per page when per_page is not given.",
    ),
    Setting(
        "MAX_CONTENT_LENGTH",
        128 * 1024,
        _positive_int,
        "Largest request body in bytes (a search sent by POST); bigger answers 413. "
        "The default holds a query of 10,000 characters however it is escaped.",
    ),
    Setting(
        "RATE_LIMIT",
        0,
        _non_negative_int,
        "Requests per minute per client address, per worker process; 0 turns the limit off.",
    ),
    # Analyst views (exports.py, conventions.py)
    Setting(
        "EXPORT_MAX_ROWS",
        10_000,
        _positive_int,
        "Most rows one CSV or JSON Lines export holds (the first rows of the result set).",
    ),
    Setting(
        "CORS_ORIGINS",
        None,
        _origins,
        "Origins allowed to read responses cross-site, comma-separated (`*` for any); "
        "empty turns CORS off.",
    ),
)

SETTINGS_BY_NAME: dict[str, Setting] = {setting.name: setting for setting in SETTINGS}


def load_settings(
    environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Defaults, then ``DOSSIER_*`` environment variables, then ``overrides``.

    A malformed environment value stops the app at start with a message naming
    the variable, rather than surfacing later as a confusing request error.
    """
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        value = setting.default
        if setting.env in environ:
            raw = environ[setting.env]
            try:
                value = setting.parse(raw)
            except ValueError as error:
                raise ValueError(f"{setting.env}={raw!r} is not valid: {error}") from None
        values[setting.name] = value
    values.update(overrides or {})
    if values["DEFAULT_PER_PAGE"] > values["MAX_PER_PAGE"]:
        raise ValueError("DEFAULT_PER_PAGE must not exceed MAX_PER_PAGE")
    return values


def markdown_table() -> str:
    """The configuration table for the README, generated from SETTINGS."""
    lines = [
        "| Setting | Environment variable | Default | Meaning |",
        "|---|---|---|---|",
    ]
    for setting in SETTINGS:
        default = "(none)" if setting.default is None else f"`{setting.default}`"
        lines.append(f"| `{setting.name}` | `{setting.env}` | {default} | {setting.help} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown_table())
