"""The fixed query mix every engine answers, and its translation per engine.

Thirty-two searches as readers of the three corpus languages (English,
German, Turkish) type them: single words, several words, phrases, prefixes,
OR/NOT, organization, language, year and date-range filters, newest-first
sorting, deep result pages and one browse (filters, no words). Each is
written once in Dossier's syntax (README, "Query syntax") from a few
pieces — words, ``"phrases"``, ``prefix*``, ``OR``, ``-word`` — that every
engine has, and translated mechanically for the others.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Query:
    """One search of the mix: words plus the filters and paging of a search page."""

    name: str
    text: str = ""
    lang: str | None = None
    year: str | None = None
    org: str | None = None
    date_from: str | None = None  # YYYY-MM-DD
    date_to: str | None = None
    sort: str = "relevance"  # or "date", newest first
    page: int = 1
    per_page: int = 10

    def url(self) -> str:
        """The JSON API address of this search (``/api/search?…``)."""
        params = [("q", self.text)] if self.text else []
        for key, value in (
            ("lang", self.lang),
            ("year", self.year),
            ("org", self.org),
            ("from", self.date_from),
            ("to", self.date_to),
        ):
            if value:
                params.append((key, value))
        if self.sort != "relevance":
            params.append(("sort", self.sort))
        if self.page != 1:
            params.append(("page", str(self.page)))
        params.append(("per_page", str(self.per_page)))
        return "/api/search?" + urllib.parse.urlencode(params)


MIX: tuple[Query, ...] = (
    # single words
    Query("en-word", "oil"),
    Query("en-word-rare", "cocoa"),
    Query("en-word-common", "government"),
    Query("de-word", "Regierung"),
    Query("tr-word", "ekonomi"),
    Query("tr-word-2", "futbol"),
    # several words (all required)
    Query("en-2words", "interest rates"),
    Query("en-3words", "oil prices opec"),
    Query("en-4words", "trade deficit japan exports"),
    Query("de-2words", "Flüchtlinge Österreich"),
    Query("tr-2words", "merkez bankası"),
    # phrases
    Query("en-phrase", '"stock exchange"'),
    Query("en-phrase-3", '"prime minister said"'),
    Query("de-phrase", '"Europäische Union"'),
    # prefixes
    Query("en-prefix", "econom*"),
    Query("de-prefix", "Regier*"),
    Query("tr-prefix", "seçim*"),
    # boolean
    Query("en-or", "gold OR silver"),
    Query("en-not", "oil -opec"),
    # organization, language, year and date filters
    Query("org-filter", "security", org="cis"),
    Query("org-browse", org="cis"),
    Query("lang-filter-de", "Wien", lang="de"),
    Query("lang-filter-tr", "maç", lang="tr"),
    Query("year-filter", "wheat", year="1987"),
    Query("date-range", "coffee", date_from="1987-03-01", date_to="1987-04-30"),
    # newest first
    Query("sort-date", "dollar", sort="date"),
    Query("sort-date-filter", "bank", sort="date", lang="en", year="1987"),
    # deep pages
    Query("deep-page-10", "market", page=10),
    Query("deep-page-50", "said", page=50),
    Query("deep-page-date", "shares", sort="date", page=20),
    # long-tail and browse
    Query("en-long", "european community agriculture ministers farm subsidies"),
    Query("browse-lang", lang="tr", sort="date"),
)

_PIECE = re.compile(r'-?"[^"]*"|\S+')


def pieces(text: str) -> list[tuple[str, str]]:
    """(kind, value) pieces of a query: word, phrase, prefix, or, not-word."""
    out = []
    for raw in _PIECE.findall(text):
        if raw == "OR":
            out.append(("or", ""))
        elif raw.startswith("-"):
            out.append(("not", raw[1:]))
        elif raw.startswith('"'):
            out.append(("phrase", raw.strip('"')))
        elif raw.endswith("*"):
            out.append(("prefix", raw[:-1]))
        else:
            out.append(("word", raw))
    return out


def _groups(text: str) -> tuple[list[list[tuple[str, str]]], list[str]]:
    """Required groups (alternatives joined by OR) and excluded words."""
    groups: list[list[tuple[str, str]]] = []
    excluded: list[str] = []
    join_next = False
    for kind, value in pieces(text):
        if kind == "or":
            join_next = True
        elif kind == "not":
            excluded.append(value)
        elif join_next and groups:
            groups[-1].append((kind, value))
            join_next = False
        else:
            groups.append([(kind, value)])
    return groups, excluded


def whoosh_text(text: str) -> str:
    """Whoosh's default parser: AND by default, NOT instead of a leading minus."""
    groups, excluded = _groups(text)
    parts = []
    for group in groups:
        alts = [_plain(kind, value) for kind, value in group]
        parts.append(alts[0] if len(alts) == 1 else "(" + " OR ".join(alts) + ")")
    parts += [f"NOT {word}" for word in excluded]
    return " ".join(parts)


def fts5_text(text: str) -> str:
    """An FTS5 MATCH expression: AND by default, ``a NOT b`` for exclusion."""
    groups, excluded = _groups(text)
    parts = []
    for group in groups:
        alts = [_fts_piece(kind, value) for kind, value in group]
        parts.append(alts[0] if len(alts) == 1 else "(" + " OR ".join(alts) + ")")
    expression = " AND ".join(parts)
    for word in excluded:
        expression = f"({expression}) NOT {_fts_piece('word', word)}"
    return expression


def tantivy_text(text: str) -> str:
    """Tantivy's parser ORs by default: every group becomes a required (+) clause."""
    groups, excluded = _groups(text)
    parts = []
    for group in groups:
        # Tantivy does not analyze a prefix term: lower-case it as its tokenizer would.
        alts = [_plain(kind, value.lower() if kind == "prefix" else value) for kind, value in group]
        parts.append("+" + (alts[0] if len(alts) == 1 else "(" + " OR ".join(alts) + ")"))
    parts += [f"-{word}" for word in excluded]
    return " ".join(parts)


def _plain(kind: str, value: str) -> str:
    if kind == "phrase":
        return f'"{value}"'
    if kind == "prefix":
        return f"{value}*"
    return value


def _fts_piece(kind: str, value: str) -> str:
    quoted = '"' + value.replace('"', '""') + '"'
    return f"{quoted}*" if kind == "prefix" else quoted
