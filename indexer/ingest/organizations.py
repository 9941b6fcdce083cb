"""The organization gazetteer and organization extraction.

Each alias is matched as a sequence of word keys. A key is the word
normalized for the article's language, Snowball-stemmed, then folded, so
ordinary inflection matches (``Staatssicherheitsdienstes`` →
``Staatssicherheitsdienst``, ``Службы`` → ``Служба``) and spelling variants
across scripts fold together. Acronyms (all capitals, at most six letters)
match case-sensitively as whole words only, since ``sss`` in lower case is
noise. ``ambiguous`` names count only when one of the organization's
``context`` words is in the same article (a bare "State Security Service"
is Azerbaijan's only in an article about Azerbaijan).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from indexer.analysis.folding import fold
from indexer.analysis.language import stem_word
from indexer.analysis.tokens import words
from indexer.model import SUPPORTED_LANGUAGES, GazetteerError, OrganizationRef

DEFAULT_GAZETTEER = Path(__file__).resolve().parents[2] / "corpus" / "organizations.toml"
NEWS_AGENCY = "news agency"


@dataclass(slots=True)
class Organization:
    id: str
    kind: str
    country: str
    names: dict[str, str]
    aliases: list[str] = field(default_factory=list)
    ambiguous: list[str] = field(default_factory=list)
    context: list[str] = field(default_factory=list)

    def name(self, lang: str = "en") -> str:
        return self.names.get(lang) or self.names.get("en") or self.id

    def all_names(self) -> list[str]:
        return [*self.names.values(), *self.aliases]


def is_acronym(alias: str) -> bool:
    letters = alias.replace(".", "").replace("-", "")
    return 2 <= len(letters) <= 6 and letters.isalpha() and letters.isupper()


def word_keys(text: str, lang: str) -> tuple[str, ...]:
    return tuple(_key(word, lang) for word in words(text))


@lru_cache(maxsize=100_000)
def _key(word: str, lang: str) -> str:
    return fold(stem_word(word, lang))


@dataclass(slots=True, frozen=True)
class _Pattern:
    keys: tuple[str, ...]
    org_id: str
    ambiguous: bool


class Gazetteer:
    """Organizations by canonical id, and a matcher over article text."""

    def __init__(self, organizations: Iterable[Organization], path: Path | None = None):
        self.path = path
        self.organizations: dict[str, Organization] = {}
        for org in organizations:
            if org.id in self.organizations:
                raise GazetteerError(f"{path}: organization id {org.id!r} appears twice")
            self.organizations[org.id] = org
        self._acronyms: dict[str, list[tuple[str, bool]]] = {}
        for org in self.organizations.values():
            for alias, ambiguous in self._names_with_flags(org):
                if is_acronym(alias):
                    self._acronyms.setdefault(alias.replace(".", ""), []).append(
                        (org.id, ambiguous)
                    )
        self._patterns: dict[str, dict[str, list[_Pattern]]] = {}

    @staticmethod
    def _names_with_flags(org: Organization) -> list[tuple[str, bool]]:
        return [(n, False) for n in org.all_names()] + [(n, True) for n in org.ambiguous]

    @classmethod
    def load(cls, path: Path | str | None = None) -> Gazetteer:
        path = Path(path) if path else DEFAULT_GAZETTEER
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise GazetteerError(f"{path}: cannot read the gazetteer: {exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise GazetteerError(f"{path}: not valid TOML: {exc}") from None
        entries = data.get("organization", [])
        if not isinstance(entries, list):
            raise GazetteerError(f"{path}: expected [[organization]] tables")
        return cls((_parse_entry(entry, path, i) for i, entry in enumerate(entries, 1)), path)

    def __len__(self) -> int:
        return len(self.organizations)

    def ref(self, org_id: str, lang: str = "en") -> OrganizationRef:
        org = self.organizations.get(org_id)
        return OrganizationRef(org_id, org.name(lang) if org else org_id)

    def label(self, org_id: str) -> str:
        return self.ref(org_id).name

    def news_agencies(self) -> dict[str, str]:
        """Folded agency name or alias → display name, for source recognition."""
        out: dict[str, str] = {}
        for org in self.organizations.values():
            if org.kind == NEWS_AGENCY:
                for name in org.all_names():
                    out[fold(name).strip()] = org.name("en")
        return out

    def resolve(self, text: str) -> str | None:
        """Canonical id for an id or any alias typed by a user, else None."""
        if text in self.organizations:
            return text
        for lang in SUPPORTED_LANGUAGES:
            matches = self.find_spans(words(text), lang, require_context=False)
            if len(matches) == 1 and matches[0][1] - matches[0][0] == len(words(text)):
                return matches[0][2]
        return None

    def _patterns_for(self, lang: str) -> dict[str, list[_Pattern]]:
        if lang not in self._patterns:
            by_first: dict[str, list[_Pattern]] = {}
            for org in self.organizations.values():
                for alias, ambiguous in self._names_with_flags(org):
                    if is_acronym(alias):
                        continue
                    keys = word_keys(alias, lang)
                    if keys:
                        by_first.setdefault(keys[0], []).append(_Pattern(keys, org.id, ambiguous))
            for patterns in by_first.values():
                patterns.sort(key=lambda p: len(p.keys), reverse=True)
            self._patterns[lang] = by_first
        return self._patterns[lang]

    def find_spans(
        self, tokens: list[str], lang: str, *, require_context: bool = True
    ) -> list[tuple[int, int, str]]:
        """Longest non-overlapping alias matches as (start, end, org id) word spans."""
        patterns = self._patterns_for(lang)
        keys = [_key(token, lang) for token in tokens]
        found: list[tuple[int, int, str, bool]] = []
        i = 0
        while i < len(tokens):
            match = None
            for pattern in patterns.get(keys[i], ()):
                n = len(pattern.keys)
                if tuple(keys[i : i + n]) == pattern.keys:
                    match = (i, i + n, pattern.org_id, pattern.ambiguous)
                    break
            if match is None:
                for org_id, ambiguous in self._acronyms.get(tokens[i], ()):
                    match = (i, i + 1, org_id, ambiguous)
                    break
            if match:
                found.append(match)
                i = match[1]
            else:
                i += 1
        if not require_context:
            return [(s, e, o) for s, e, o, _ in found]
        keyset = set(keys)
        return [
            (s, e, o)
            for s, e, o, ambiguous in found
            if not ambiguous or self._context_present(o, keyset, lang)
        ]

    def _context_present(self, org_id: str, keyset: set[str], lang: str) -> bool:
        return any(
            all(k in keyset for k in word_keys(word, lang))
            for word in self.organizations[org_id].context
        )

    def extract(self, text: str, lang: str) -> list[str]:
        """Canonical ids of the organizations named in ``text``, in order of first mention.

        News agencies are left out: naming one is almost always the attribution
        ("…, Trend reports"), which the source facet already carries.
        """
        seen: dict[str, None] = {}
        for _, _, org_id in self.find_spans(words(text), lang):
            if self.organizations[org_id].kind != NEWS_AGENCY:
                seen.setdefault(org_id, None)
        return list(seen)


def _parse_entry(entry: object, path: Path, number: int) -> Organization:
    where = f"{path}: organization #{number}"
    if not isinstance(entry, dict):
        raise GazetteerError(f"{where}: expected a table")
    org_id = entry.get("id")
    if not isinstance(org_id, str) or not org_id:
        raise GazetteerError(f"{where}: missing 'id'")
    names = entry.get("names", {})
    if not isinstance(names, dict) or not all(isinstance(v, str) for v in names.values()):
        raise GazetteerError(f"{where} ({org_id}): 'names' must map language codes to strings")
    lists = {}
    for key in ("aliases", "ambiguous", "context"):
        value = entry.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise GazetteerError(f"{where} ({org_id}): '{key}' must be a list of strings")
        lists[key] = value
    if lists["ambiguous"] and not lists["context"]:
        raise GazetteerError(f"{where} ({org_id}): 'ambiguous' names need 'context' words")
    return Organization(
        id=org_id,
        kind=str(entry.get("kind", "")),
        country=str(entry.get("country", "")),
        names=names,
        **lists,
    )
