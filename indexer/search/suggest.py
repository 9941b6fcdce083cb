"""Completions while typing: words, title phrases, names and organizations.

One pass over an index generation's stored articles gathers four kinds of
entries, each with the number of articles it occurs in:

* ``word``: every word of titles and bodies (stop words, digits and one- or
  two-letter words left out), shown as most articles write it;
* ``phrase``: runs of two to four title words found in at least two titles,
  kept only where no longer run covers nearly the same articles;
* ``name``: pairs of capitalised words in the text (people, places, bodies),
  dropped when the pair is usually the start of a longer run ("President
  Ilham" before "Aliyev") or part of an organization's name;
* ``organization``: the gazetteer's organizations that some article is
  tagged with, matched by every name and alias in every language.

Every word of an entry is keyed by its folded spelling skeleton
(``indexer.analysis.folding.name_key``), so "Нагие", "Nagi" and "Naghi"
all reach "Ali Naghiyev", and "Staatssich" reaches the State Security
Service of Azerbaijan through its German alias. The keys of every suffix of
an entry (each word it could be typed from) go into one sorted list; a
completion is a binary search for the typed prefix, and the few short
prefixes whose ranges are large have their best entries precomputed, so
an answer costs well under a millisecond whatever is typed.

Memory is bounded by the ``MAX_*`` caps (the most frequent entries win).
"""

from __future__ import annotations

import heapq
import itertools
import os
import pickle
import re
import subprocess
import sys
import threading
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from whoosh.searching import Searcher

from indexer.analysis.folding import name_key
from indexer.analysis.language import folded_term
from indexer.analysis.stopwords import STOPWORDS
from indexer.analysis.tokens import WORD_PATTERN, iter_words, strip_suffix_after_apostrophe
from indexer.ingest.organizations import Gazetteer
from indexer.model import (
    SUPPORTED_LANGUAGES,
    Completion,
    IndexUnavailableError,
    ParameterError,
    SearchLimits,
)
from indexer.search.generations import SearcherManager

MAX_WORDS = 60_000
MAX_PHRASES = 20_000
MAX_NAMES = 20_000
MIN_PHRASE_DOCS = 2  # a title phrase must recur to be a phrase at all
MAX_PHRASE_WORDS = 4
COVERED = 0.8  # a phrase whose longer run has ≥ 80 % of its articles is that run's part
CONTINUED = 0.5  # a name pair followed by another capitalised word this often is cut short
MAX_TAIL_WORDS = 3  # how many typed words a phrase completion may continue
CANDIDATES = 48  # entries ranked per prefix (the short prefixes' precomputed lists)
SHORT_PREFIX_CHARS = 3
MAX_NAME_RUN = 5

_LANG_BIT = {lang: 1 << i for i, lang in enumerate(SUPPORTED_LANGUAGES)}
_STOP = frozenset().union(*STOPWORDS.values())
_KIND_ORDER = {"organization": 0, "name": 1, "phrase": 2, "word": 3}


def _letter_class(upper: bool) -> str:
    chars = [
        chr(c)
        for c in (*range(0x41, 0x250), *range(0x400, 0x530))
        if chr(c).isalpha() and (chr(c).isupper() if upper else chr(c).islower())
    ]
    return "".join(re.escape(c) for c in chars)


_UPPER = _letter_class(True)
_LOWER = _letter_class(False)
_NAME_WORD = rf"[{_UPPER}][{_LOWER}]+"
# A run of capitalised words separated by single spaces (not across punctuation).
_NAME_RUN = re.compile(rf"(?<![\w'’-]){_NAME_WORD}(?: {_NAME_WORD})+(?![\w-])")


def _key_words(text: str) -> list[str]:
    return [key for w in WORD_PATTERN.findall(text) if (key := folded_term(w))]


def prefix_keys(partial: str) -> set[str]:
    """Keys a partly typed word may be the start of.

    The skeleton of a whole word depends on what follows ("iy" before a
    vowel becomes "i", "kh" becomes "h"), so the key of "Naghiy" is also
    read as if a vowel came next.
    """
    word = strip_suffix_after_apostrophe(partial)
    keys = {name_key(word)}
    if word:
        keys.add(name_key(word + "a")[:-1])
    return {k for k in keys if k}


class Entry:
    """One thing that can be offered; ``forms`` holds other languages' spellings."""

    __slots__ = ("count", "display", "forms", "kind", "langs", "org")

    def __init__(self, kind: str, display: str, count: int, langs: int,
                 forms: dict[str, str] | None = None, org: str | None = None):  # fmt: skip
        self.kind = kind
        self.display = display
        self.count = count
        self.langs = langs
        self.forms = forms
        self.org = org

    def text(self, lang: str | None) -> str:
        if lang and self.forms:
            return self.forms.get(lang, self.display)
        return self.display


@dataclass(slots=True)
class _Gathered:
    """What the pass over the articles found, before it becomes an index.

    Phrases and names are counted by their words' keys joined with spaces
    (short strings: the pass holds one per distinct pair or phrase); how
    they are written is put together afterwards from their words' spellings.
    """

    words: Counter
    word_langs: dict[str, int]
    display: dict[str, str]  # key → the spelling most articles use
    capitalized: dict[str, dict[str, str]]  # lang ("" for all) → key → capitalised spelling
    phrases: Counter
    names: Counter
    continued: Counter
    orgs: Counter
    documents: int


class PrefixTable:
    """Sorted keys with their entries; the best entries of every short prefix precomputed."""

    def __init__(self, keyed: list[tuple[str, int]], counts: array):
        keyed.sort()
        self.keys = [key for key, _ in keyed]
        self.ids = array("I", (entry for _, entry in keyed))
        self.counts = counts
        self._short = self._short_prefixes()

    def _short_prefixes(self) -> dict[str, list[int]]:
        """The best ``CANDIDATES`` entries of every prefix up to ``SHORT_PREFIX_CHARS``."""
        order = sorted(range(len(self.keys)), key=lambda i: -self.counts[self.ids[i]])
        short: dict[str, list[int]] = {}
        for i in order:
            key, entry = self.keys[i], self.ids[i]
            for n in range(1, min(SHORT_PREFIX_CHARS, len(key)) + 1):
                best = short.setdefault(key[:n], [])
                if len(best) < CANDIDATES and entry not in best:
                    best.append(entry)
        return short

    def lookup(self, prefix: str) -> Iterable[int]:
        """The most frequent entries (up to ``CANDIDATES``) with a key starting ``prefix``."""
        if len(prefix) <= SHORT_PREFIX_CHARS:
            return self._short.get(prefix, ())
        lo = bisect_left(self.keys, prefix)
        hi = bisect_left(self.keys, prefix + "\uffff", lo)
        found = set(self.ids[lo:hi])
        if len(found) <= CANDIDATES:
            return found
        return heapq.nlargest(CANDIDATES, found, key=self.counts.__getitem__)


class CompletionIndex:
    """The completions of one index generation (immutable once built).

    ``starts`` keys each entry from its first word; ``inner`` from each later
    word that is not a stop word ("Nagi" reaches "Ali Naghiyev"), used only
    when the whole query is what the entry would replace.
    """

    def __init__(self, entries: list[Entry], keyed: list[tuple[str, int, bool]], documents: int):
        self.entries = entries
        self.counts = array("I", (e.count for e in entries))
        self.starts = PrefixTable([(k, e) for k, e, inner in keyed if not inner], self.counts)
        self.inner = PrefixTable([(k, e) for k, e, inner in keyed if inner], self.counts)
        self.documents = documents

    def __len__(self) -> int:
        return len(self.entries)

    def complete(self, query: str, lang: str | None = None, limit: int = 8) -> list[Completion]:
        """Completions of ``query``: its last word completed, or its last words continued
        by a phrase, name or organization; most articles first, at most half single words."""
        spans = list(iter_words(query))
        if not spans:
            return []
        typing = spans[-1].end == len(query)  # the last word may be unfinished
        keys = [folded_term(s.text) for s in spans]
        scored: dict[str, tuple[tuple, Completion]] = {}
        matched: set[int] = set()  # each entry once, continuing the most typed words
        for tail in range(min(MAX_TAIL_WORDS, len(spans)), 0, -1):
            head = " ".join(keys[len(spans) - tail : -1])
            lasts = prefix_keys(spans[-1].text) if typing else {keys[-1] + " "} - {" "}
            start = spans[len(spans) - tail].start
            tables = [self.starts, self.inner] if tail == len(spans) else [self.starts]
            for last, table in itertools.product(lasts, tables):
                for entry_id in table.lookup(f"{head} {last}" if head else last):
                    entry = self.entries[entry_id]
                    if entry_id in matched or (entry.kind == "word" and tail > 1):
                        continue
                    matched.add(entry_id)
                    text = query[:start] + entry.text(lang)
                    rank = (
                        -tail,
                        0 if lang is None or entry.langs & _LANG_BIT.get(lang, 0) else 1,
                        -entry.count,
                        _KIND_ORDER[entry.kind],
                        text,
                    )
                    found = scored.get(text.casefold())
                    if found is None or rank < found[0]:
                        completion = Completion(text, entry.kind, entry.count, entry.org)
                        scored[text.casefold()] = (rank, completion)
        typed = query.strip().casefold()
        ranked = [c for rank, c in sorted(scored.values(), key=lambda item: item[0])
                  if c.text.casefold() != typed]  # fmt: skip
        # At most half the list are single words, so names and phrases are not crowded
        # out by common words; if there are too few of those, words fill the rest.
        others = [c for c in ranked if c.kind != "word"]
        words = [c for c in ranked if c.kind == "word"]
        wanted = max(limit - len(others), (limit + 1) // 2)
        chosen = {id(c) for c in [*others[: limit - min(wanted, len(words))], *words[:wanted]]}
        return [c for c in ranked if id(c) in chosen][:limit]


# --- building ---


def build_completions(searcher: Searcher, gazetteer: Gazetteer) -> CompletionIndex:
    """Read every stored article of ``searcher`` once and index what can be offered."""
    gathered = _gather(searcher)
    entries: list[Entry] = []
    keyed: list[tuple[str, int, bool]] = []

    def add(entry: Entry, key_lists: Iterable[list[str]]) -> None:
        entry_id = len(entries)
        entries.append(entry)
        for keys in key_lists:
            for i in range(len(keys)):
                if i == 0 or keys[i] not in _STOP:
                    keyed.append((" ".join(keys[i:]), entry_id, i > 0))

    _add_words(gathered, add)
    _add_phrases(gathered, add)
    _add_names(gathered, gazetteer, add)
    _add_organizations(gathered, gazetteer, add)
    return CompletionIndex(entries, keyed, gathered.documents)


def _gather(searcher: Searcher) -> _Gathered:
    reader = searcher.reader()
    words: Counter = Counter()
    surfaces: dict[str, Counter] = {lang: Counter() for lang in SUPPORTED_LANGUAGES}
    by_lang: dict[str, Counter] = {lang: Counter() for lang in SUPPORTED_LANGUAGES}
    keymap: dict[str, str] = {}
    phrases: Counter = Counter()
    names: Counter = Counter()
    continued: Counter = Counter()
    orgs: Counter = Counter()
    documents = 0
    for docnum in reader.all_doc_ids():
        fields = reader.stored_fields(docnum)
        documents += 1
        lang = fields.get("lang") or "en"
        title = fields.get("title") or ""
        body = fields.get("body") or ""
        seen = set(WORD_PATTERN.findall(title))
        seen.update(WORD_PATTERN.findall(body))
        for word in seen.difference(keymap):
            keymap[word] = _word_key(word)
        surfaces.setdefault(lang, Counter()).update(seen)
        keys = set(map(keymap.__getitem__, seen))
        keys.discard("")
        words.update(keys)
        by_lang.setdefault(lang, Counter()).update(keys)
        phrases.update(_title_phrases(title))
        pairs, cut_short = _name_pairs(f"{title}\n{body}")
        names.update(pairs)
        continued.update(cut_short)
        orgs.update(set(fields.get("organizations") or ()))
    word_langs: dict[str, int] = {}
    for lang, counts in by_lang.items():
        bit = _LANG_BIT.get(lang, 0)
        for key in counts:
            word_langs[key] = word_langs.get(key, 0) | bit
    display, capitalized = _spellings(surfaces)
    return _Gathered(words, word_langs, display, capitalized, phrases, names, continued,
                     orgs, documents)  # fmt: skip


def _spellings(surfaces: dict[str, Counter]) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """Per key, the spelling most articles use; and per language, the commonest
    capitalised one (how a name is written there)."""
    best: dict[str, tuple[int, str]] = {}
    best_cap: dict[str, dict[str, tuple[int, str]]] = {"": {}}
    for lang, counts in surfaces.items():
        mine = best_cap.setdefault(lang, {})
        for surface, count in counts.items():
            bare = strip_suffix_after_apostrophe(surface)
            key = folded_term(bare)
            if not key:
                continue
            if key not in best or best[key][0] < count:
                best[key] = (count, bare)
            if bare[:1].isupper():
                for table in (mine, best_cap[""]):
                    if key not in table or table[key][0] < count:
                        table[key] = (count, bare)
    display = {key: surface for key, (_, surface) in best.items()}
    capitalized = {
        lang: {key: surface for key, (_, surface) in table.items()}
        for lang, table in best_cap.items()
    }
    return display, capitalized


def _word_key(word: str) -> str:
    """The key of a word worth completing to, or "" (stop words, numbers, short words)."""
    bare = strip_suffix_after_apostrophe(word)
    if len(bare) < 3 or bare.isdigit() or bare.lower() in _STOP or "_" in bare:
        return ""
    return folded_term(word)


def _title_phrases(title: str) -> set[str]:
    """Keys of the runs of two to four title words not starting or ending with a stop word."""
    tokens = [strip_suffix_after_apostrophe(w) for w in WORD_PATTERN.findall(title)]
    keys = [folded_term(w) for w in tokens]
    stop = [w.lower() in _STOP or not k for w, k in zip(tokens, keys, strict=True)]
    grams = set()
    for size in range(2, MAX_PHRASE_WORDS + 1):
        for i in range(len(tokens) - size + 1):
            if not (stop[i] or stop[i + size - 1] or not all(keys[i : i + size])):
                grams.add(" ".join(keys[i : i + size]))
    return grams


def _name_pairs(text: str) -> tuple[set[str], set[str]]:
    """Keys of the pairs of capitalised words in ``text``, and of those a longer run continues."""
    pairs: set[str] = set()
    cut_short: set[str] = set()
    for match in _NAME_RUN.finditer(text):
        run = match.group().split(" ")
        while run and run[0].lower() in _STOP:
            run = run[1:]
        run = run[:MAX_NAME_RUN]
        for i in range(len(run) - 1):
            if run[i + 1].lower() in _STOP:
                continue
            pair = f"{folded_term(run[i])} {folded_term(run[i + 1])}"
            pairs.add(pair)
            if i + 2 < len(run):
                cut_short.add(pair)
    return pairs, cut_short


Adder = Callable[[Entry, Iterable[list[str]]], None]


def _add_words(gathered: _Gathered, add: Adder) -> None:
    for key, count in gathered.words.most_common(MAX_WORDS):
        add(Entry("word", gathered.display[key], count, gathered.word_langs.get(key, 0)), [[key]])


def _add_phrases(gathered: _Gathered, add: Adder) -> None:
    frequent = {g: n for g, n in gathered.phrases.items() if n >= MIN_PHRASE_DOCS}
    covered: set[str] = set()
    for gram, count in frequent.items():
        keys = gram.split(" ")
        if len(keys) > 2:
            for part in (" ".join(keys[:-1]), " ".join(keys[1:])):
                if part in frequent and count >= COVERED * frequent[part]:
                    covered.add(part)
    kept = sorted((g for g in frequent if g not in covered), key=lambda g: -frequent[g])
    for gram in kept[:MAX_PHRASES]:
        keys = gram.split(" ")
        langs = 0
        for key in keys:
            langs |= gathered.word_langs.get(key, 0)
        text = " ".join(gathered.display.get(key, key) for key in keys)
        add(Entry("phrase", text, frequent[gram], langs), [keys])


def _add_names(gathered: _Gathered, gazetteer: Gazetteer, add: Adder) -> None:
    in_org_names: set[str] = set()
    for org in gazetteer.organizations.values():
        for alias in (*org.all_names(), *org.ambiguous):
            keys = _key_words(alias)
            in_org_names.update(f"{a} {b}" for a, b in itertools.pairwise(keys))
    candidates = [
        (pair, count)
        for pair, count in gathered.names.items()
        if pair not in in_org_names
        and gathered.continued[pair] < CONTINUED * count
        and (count >= 2 or gathered.documents < 1000)
    ]
    candidates.sort(key=lambda item: -item[1])
    spelled = gathered.capitalized
    for pair, count in candidates[:MAX_NAMES]:
        keys = pair.split(" ")
        display = _spell(spelled[""], keys)
        if display is None:
            continue
        langs = gathered.word_langs.get(keys[0], 0) & gathered.word_langs.get(keys[1], 0)
        forms = {}
        for lang, table in spelled.items():
            form = _spell(table, keys) if lang else None
            if form and form != display:
                forms[lang] = form
        add(Entry("name", display, count, langs, forms or None), [keys])


def _spell(table: dict[str, str], keys: list[str]) -> str | None:
    spelled = [table.get(key) for key in keys]
    return " ".join(spelled) if all(spelled) else None  # type: ignore[arg-type]


def _add_organizations(gathered: _Gathered, gazetteer: Gazetteer, add: Adder) -> None:
    for org_id, count in gathered.orgs.most_common():
        org = gazetteer.organizations.get(org_id)
        if org is None:
            continue
        names = {**org.names}
        forms = {lang: name for lang, name in names.items() if name != org.name("en")}
        key_lists = [_key_words(n) for n in {*names.values(), *org.all_names()}]
        add(
            Entry("organization", org.name("en"), count, sum(_LANG_BIT.values()), forms, org_id),
            [keys for keys in key_lists if keys],
        )


# --- one index per generation ---

MAX_COMPLETIONS = 20
BUILD_TIMEOUT = 900  # seconds; a build of 36k articles takes about ten


def check_completion_request(
    query: str, lang: str | None, limit: int, limits: SearchLimits
) -> None:
    """Refuse what cannot be completed, naming the parameter (a 400 in the web app;
    413 for text too long to complete, as for a search)."""
    if not query.strip():
        raise ParameterError("Type something in q to get completions.", parameter="q")
    limits.check_query(query, limits.max_completion_chars)
    if lang is not None and lang not in SUPPORTED_LANGUAGES:
        raise ParameterError(
            f"lang={lang!r} is not one of {', '.join(SUPPORTED_LANGUAGES)}.", parameter="lang"
        )
    if not 1 <= limit <= MAX_COMPLETIONS:
        raise ParameterError(f"limit must be between 1 and {MAX_COMPLETIONS}.", parameter="limit")


class CompletionCache:
    """The completions of the newest generation, built off the request path.

    A new generation (a commit or a rebuild) starts one build in a background
    thread; meanwhile requests are answered from the previous generation's
    completions, which differ only by what the commit changed. Only when
    there are none yet (the first request of a process) does a request wait.
    One index is kept, so memory does not grow with the number of commits.
    """

    def __init__(self, gazetteer: Gazetteer):
        self.gazetteer = gazetteer
        self._cond = threading.Condition()
        self._ready: tuple[tuple[str, int], CompletionIndex] | None = None
        self._building: tuple[str, int] | None = None
        self._error: BaseException | None = None

    def get(self, manager: SearcherManager) -> CompletionIndex:
        with manager.acquire() as generation:
            token = generation.token
        with self._cond:
            if self._ready is None or self._ready[0] != token:
                if self._building is None:
                    self._building = token
                    self._error = None
                    threading.Thread(
                        target=self._build, args=(manager,), name="dossier-completions",
                        daemon=True,
                    ).start()  # fmt: skip
                while self._building is not None and self._ready is None:
                    self._cond.wait()
            if self._ready is None:
                raise self._error or RuntimeError("the completions could not be built")
            return self._ready[1]

    def _build(self, manager: SearcherManager) -> None:
        try:
            token, index = _build_elsewhere(manager.store.root, self.gazetteer)
        except BaseException as exc:  # reported to the waiting requests
            with self._cond:
                self._error = exc
                self._building = None
                self._cond.notify_all()
            return
        with self._cond:
            self._ready = (token, index)
            self._building = None
            self._cond.notify_all()


def build_for_directory(
    index_dir: str, gazetteer_path: str | None
) -> tuple[tuple[str, int], CompletionIndex]:
    """Build the completions of the index's current generation (in whatever process)."""
    from indexer.index.store import IndexStore

    manager = SearcherManager(IndexStore(index_dir))
    try:
        with manager.acquire() as generation:
            gazetteer = Gazetteer.load(gazetteer_path)
            return generation.token, build_completions(generation.searcher(), gazetteer)
    finally:
        manager.close()


def _build_elsewhere(
    index_dir: Path, gazetteer: Gazetteer
) -> tuple[tuple[str, int], CompletionIndex]:
    """Build in a short-lived child process, so the pass over every article (a few
    hundred megabytes at its peak for 36k articles) never stays in the serving
    process's memory nor holds its interpreter lock; only the result comes back,
    pickled on the child's standard output. Where no process can be started,
    build here."""
    path = str(gazetteer.path) if gazetteer.path else ""
    root = str(Path(__file__).resolve().parents[2])
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])),
    }
    code = "from indexer.search.suggest import child_main; child_main()"
    try:
        done = subprocess.run(
            [sys.executable, "-c", code, str(index_dir), path],
            capture_output=True, env=env, check=False, timeout=BUILD_TIMEOUT,
        )  # fmt: skip
    except OSError:  # no process can be started here
        return build_for_directory(str(index_dir), path or None)
    except subprocess.TimeoutExpired:
        raise IndexUnavailableError(
            f"the completions took over {BUILD_TIMEOUT} s to build; giving up"
        ) from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise IndexUnavailableError(
            f"the completions could not be built: {message[-1] if message else done.returncode}"
        )
    return pickle.loads(done.stdout)


def child_main() -> None:
    """Entry point of the child process: build, then write the pickle to stdout."""
    index_dir, gazetteer_path = sys.argv[1], sys.argv[2]
    result = build_for_directory(index_dir, gazetteer_path or None)
    sys.stdout.buffer.write(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.flush()
