"""From the user's query string to a Whoosh query over every language.

Whoosh's parser reads the syntax (words, ``OR``, ``NOT``/``-word``,
``"phrases"``, ``prefix*``, ``word~``, ``title:``…) into a tree over one
virtual ``text`` field; this module then rewrites every leaf for the real
index: each word becomes a disjunction-max over the title and body fields of
every language the index holds (each analyzed with that language's stemmer;
languages no article is in are skipped, so a query costs what the index's
languages cost, not all ~35 stemmers) and the folded field, so the best
field per document wins and nobody picks a language first. Words that name
a gazetteer organization also match articles tagged with it, in any language.
Guards refuse what would be slow or meaningless (a lone ``*``, two-letter
prefixes that expand to thousands of words) with a message saying what to
type instead.
"""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from math import log

from whoosh import query as wq
from whoosh.analysis import RegexTokenizer
from whoosh.fields import ID, TEXT, Schema
from whoosh.qparser import QueryParser, plugins, syntax
from whoosh.reading import IndexReader

from indexer.analysis.folding import fold, name_key
from indexer.analysis.language import (
    LANGUAGES,
    analyze_words,
    detect_language,
    fold_words,
    folded_term,
    is_stopword,
    normalize_word,
    preload_analysis,
    stem_word,
)
from indexer.analysis.tokens import WORD_PATTERN, words
from indexer.index.schema import FOLDED_BODY, FOLDED_TITLE, body_field, title_field
from indexer.index.whoosh_internals import expanded_terms
from indexer.ingest.organizations import Gazetteer
from indexer.languages import language_code
from indexer.model import (
    FACETS,
    LANGUAGE_NAMES,
    SUPPORTED_LANGUAGES,
    UNDATED,
    QueryError,
    SearchLimits,
)
from indexer.search.scoring import (
    FOLDED_BOOST,
    ORG_BOOST,
    STOPWORD_FOLDED_BOOST,
    TIEBREAK,
    TITLE_BOOST,
    BestField,
    Coordinated,
    Exhaustive,
)

_SURROGATE = re.compile("[\ud800-\udfff]")
MIN_FOLDED_CHARS = 2  # "SSS" folds to the skeleton "s", which would match every "U.S."
# Up to this many required words, every one must match (the relaxed OR only when nothing
# has them all); a longer query is read as a description: any of its words, ranked.
ALL_REQUIRED_UP_TO = 3
COORD_POWER = 0.0  # (matched/words)**power scaling for descriptions; 0.3 and 1.0 measured worse
# A query of more words than SearchLimits.max_terms is pasted text (a paragraph, an
# article): read as a description of its most telling words, this many at most
# (eval/RESULTS.md, "Long queries": measured on CACM and Cranfield's full topics).
TELLING_WORDS = 32
# Shorter text is read the same way when it is written as prose: more than
# ALL_REQUIRED_UP_TO words, sentence punctuation, and none of the operators below
# (a topic such as "papers on shock-sound wave interaction ." or "(the ?slip? effect)").
_SENTENCE_PUNCTUATION = re.compile(r"[.,;:!?](?:\s|$)|(?:^|\s)[?(]")
_OPERATOR_SYNTAX = re.compile(
    r'"|\*|~|\w\?\w|\b(?:AND|OR|NOT)\b|(?:^|(?<=[\s(]))[-+](?=[\w"(])'
    r"|(?:^|(?<=[\s(]))(?:text|title|body):"
)

_SCOPES = {
    "text": ("title", "body"),
    "title": ("title",),
    "body": ("body",),
}
# Query-syntax field (a facet's URL parameter, as in org:az-sss) → its index field.
_FILTER_FIELDS = {facet.param: facet.index_field for facet in FACETS}
SYNTAX_FIELDS = (*_SCOPES, *_FILTER_FIELDS)
_FIELD_PREFIX = re.compile(r"(?:^|(?<=[\s(]))([A-Za-z_]\w*):(?=[^\s/])")
# Prefix operators, at the start of a word, a group or a phrase: "-" and "NOT" exclude,
# "+" requires. "Turkic-speaking" and "a - b" keep their hyphens as text.
_PREFIX_START = r"(?:^|(?<=[\s(]))"
_EXCLUDE = _PREFIX_START + r"(?:NOT(?=[\s(])|-(?=[\w\"(]))"
_REQUIRE = _PREFIX_START + r"\+(?=[\w\"(])"
_LONE_OPERATOR = re.compile(r"^\s*(AND|OR)\b|\b(AND|OR|NOT)\s*$")


def _parse_schema() -> Schema:
    analyzer = RegexTokenizer(WORD_PATTERN)
    text_fields = {name: TEXT(analyzer=analyzer, multitoken_query="phrase") for name in _SCOPES}
    return Schema(**text_fields, **{name: ID() for name in _FILTER_FIELDS})


class Required(wq.WrappingQuery):
    """``+part``: required even where the parts around it are optional (stop words, the
    words of a long description); the rewriter marks its rewritten child."""

    boost = 1.0

    def normalize(self) -> wq.Query:
        child = self.child.normalize()
        return wq.NullQuery if child is wq.NullQuery else Required(child)


class _RequiredGroup(syntax.Wrapper):
    qclass = Required


def _prefix_operators() -> plugins.OperatorsPlugin:
    """ "-" is "NOT" (Whoosh's PlusMinusPlugin reads "-" only in the top group and drops
    it before a group); both bind to the next word, phrase or group, innermost first, so
    ``-(a OR b)``, ``NOT -a`` and ``x (a -b)`` all nest."""
    tagger = plugins.OperatorsPlugin.OpTagger
    prefix = syntax.PrefixOperator
    return plugins.OperatorsPlugin(
        ops=[
            (tagger(_EXCLUDE, syntax.NotGroup, prefix, leftassoc=False, memo="not"), 0),
            (tagger(_REQUIRE, _RequiredGroup, prefix, leftassoc=False, memo="plus"), 0),
        ],
        Not=None,
    )


def _parser() -> QueryParser:
    parser = QueryParser("text", _parse_schema(), group=syntax.AndGroup)
    parser.remove_plugin_class(plugins.PlusMinusPlugin)
    parser.replace_plugin(_prefix_operators())
    parser.add_plugin(plugins.FuzzyTermPlugin())
    parser.remove_plugin_class(plugins.RangePlugin)
    parser.remove_plugin_class(plugins.BoostPlugin)
    return parser


@dataclass(slots=True)
class CompiledQuery:
    query: wq.Query
    relaxed: wq.Query | None = None  # an OR of the parts, when the query required several
    organizations: set[str] = field(default_factory=set)
    words: list[str] = field(default_factory=list)  # plain words, for "did you mean"
    browse: bool = False  # no text query: filters only
    words_used: list[str] = field(default_factory=list)  # a long query's telling words


def indexed_languages(reader: IndexReader) -> tuple[str, ...]:
    """The languages with their own fields that some article in the index is in."""
    return _lexicon(reader).languages()


def _indexed_languages(reader: IndexReader) -> tuple[str, ...]:
    schema = reader.schema
    if "lang" not in schema:
        return ()
    present = set(reader.field_terms("lang"))
    return tuple(lang for lang in LANGUAGES if lang in present and body_field(lang) in schema)


LEXICON_KEPT = 65_536  # prefix expansions and document frequencies remembered per reader


class _Lexicon:
    """What compiling reads from one reader's lexicon, remembered: a reader sees one
    commit, which never changes, and walking Whoosh's term files was a third of a
    short query's time (the languages, each prefix's words, their frequencies)."""

    def __init__(self, reader: IndexReader):
        self.reader = weakref.ref(reader)
        self._languages: tuple[str, ...] | None = None
        self._prefixes: dict[tuple[str, str], list[bytes]] = {}
        self._frequencies: dict[tuple[str, bytes | str], int] = {}

    def _reader(self) -> IndexReader:
        reader = self.reader()
        assert reader is not None  # the cache lives only as long as its reader
        return reader

    def languages(self) -> tuple[str, ...]:
        if self._languages is None:
            self._languages = _indexed_languages(self._reader())
        return self._languages

    def prefix(self, fieldname: str, form: str) -> list[bytes]:
        key = (fieldname, form)
        found = self._prefixes.get(key)
        if found is None:
            found = list(self._reader().expand_prefix(fieldname, form))
            if len(self._prefixes) >= LEXICON_KEPT:
                self._prefixes.clear()
            self._prefixes[key] = found
        return found

    def frequency(self, fieldname: str, term: bytes | str) -> int:
        key = (fieldname, term)
        found = self._frequencies.get(key)
        if found is None:
            found = self._reader().doc_frequency(fieldname, term)
            if len(self._frequencies) >= LEXICON_KEPT:
                self._frequencies.clear()
            self._frequencies[key] = found
        return found


_LEXICONS: weakref.WeakKeyDictionary[IndexReader, _Lexicon] = weakref.WeakKeyDictionary()
_LEXICONS_LOCK = threading.Lock()


def _lexicon(reader: IndexReader) -> _Lexicon:
    with _LEXICONS_LOCK:
        found = _LEXICONS.get(reader)
        if found is None:
            found = _LEXICONS[reader] = _Lexicon(reader)
        return found


class QueryCompiler:
    """Compiles query strings for one gazetteer and set of limits (thread-safe)."""

    def __init__(self, gazetteer: Gazetteer, limits: SearchLimits):
        self.gazetteer = gazetteer
        self.limits = limits
        self.telling_words = TELLING_WORDS  # words a long query keeps (eval varies it)
        self._parser = _parser()
        # Every query is read in Turkish too (and the gazetteer's aliases with it): load
        # the Turkish lemma tables now, not inside the first search's time limit.
        preload_analysis()

    def compile(self, text: str, reader: IndexReader) -> CompiledQuery:
        # A lone surrogate (valid in a Python string, not in UTF-8) cannot be an index term.
        text = _SURROGATE.sub("\ufffd", text or "").strip()
        if not text:
            return CompiledQuery(wq.Every(), browse=True)
        if self.is_description(text):
            return self._describe(text, reader)
        self._check_syntax(text)
        parsed = self._parser.parse(text)
        leaves = 1 if parsed.is_leaf() else sum(1 for _ in parsed.leaves())
        if leaves > self.limits.max_terms:
            raise QueryError(
                f"the query has {leaves} terms; the limit is {self.limits.max_terms}. "
                "Remove some words."
            )
        return self._compiled(parsed, reader, CompiledQuery(wq.NullQuery))

    def is_description(self, text: str) -> bool:
        """Whether ``text`` is read as a description of its most telling words: more
        than ``max_terms`` words besides AND, OR and NOT (pasted text), or prose
        without query operators."""
        count = sum(1 for word in words(text) if word not in _OPERATOR_WORDS)
        if count > self.limits.max_terms:
            return True
        return (
            count > ALL_REQUIRED_UP_TO
            and _SENTENCE_PUNCTUATION.search(text) is not None
            and _OPERATOR_SYNTAX.search(_with_filter_fields_marked(text)) is None
        )

    def _describe(self, text: str, reader: IndexReader) -> CompiledQuery:
        """A long text (a pasted paragraph or article) as a description: its most telling
        words, any of them enough, more of them ranking higher. Its operators, quotes
        and wildcards are read as text, so nothing costly is expanded and nothing fails."""
        chosen = telling_words(text, reader, self.telling_words)
        state = CompiledQuery(wq.NullQuery, words_used=chosen)
        parsed = wq.And([wq.Term("text", word) for word in chosen])
        return self._compiled(parsed, reader, state)

    def _compiled(
        self, parsed: wq.Query, reader: IndexReader, state: CompiledQuery
    ) -> CompiledQuery:
        compiled = _Rewriter(self, reader, state).rewrite(parsed)
        if compiled is wq.NullQuery or isinstance(compiled, wq.NullQuery.__class__):
            raise QueryError("the query has no searchable words; type at least one word")
        relaxed = _relaxed(compiled)
        state.query = Exhaustive(compiled)
        state.relaxed = Exhaustive(relaxed) if relaxed is not None else None
        return state

    def _check_syntax(self, text: str) -> None:
        if text.count('"') % 2:
            raise QueryError('unbalanced quote: close the phrase with " or remove the quote')
        depth = 0
        for ch in text:
            depth += {"(": 1, ")": -1}.get(ch, 0)
            if depth < 0:
                raise QueryError("unbalanced parenthesis: ')' without a matching '('")
        if depth:
            raise QueryError("unbalanced parenthesis: '(' without a matching ')'")
        outside_quotes = re.sub(r'"[^"]*"', " ", text)
        for match in _FIELD_PREFIX.finditer(outside_quotes):
            if match.group(1) not in SYNTAX_FIELDS:
                allowed = ", ".join(f"{name}:" for name in SYNTAX_FIELDS if name != "text")
                raise QueryError(f"unknown field {match.group(1)!r}; use one of {allowed}")
        for match in _EMPTY_FIELD.finditer(re.sub(r'"[^"]*"', "Q", text)):
            name = match.group(1)
            if name in SYNTAX_FIELDS:
                example = _EXAMPLES.get(name, "forum")
                raise QueryError(
                    f"{name}: needs a value right after the colon, e.g. {name}:{example}"
                )
        operator = _LONE_OPERATOR.search(re.sub(r'"[^"]*"', " Q ", text))  # a phrase is a word
        if operator:
            word = operator.group(1) or operator.group(2)
            raise QueryError(f"{word} needs a word on both sides (or write it in lower case)")
        if not any(WORD_PATTERN.search(part) for part in [outside_quotes, text]):
            raise QueryError("the query has no words; type at least one word")


class _Rewriter:
    def __init__(self, compiler: QueryCompiler, reader: IndexReader, state: CompiledQuery):
        self.compiler = compiler
        self.gazetteer = compiler.gazetteer
        self.limits = compiler.limits
        self.reader = reader
        self.state = state
        self.expanding = 0  # words with * or ?
        self.fuzzy = 0  # words with ~
        self.expanded_words = 0  # the words those expand to, in every field
        self.postings = 0  # and their occurrences
        self.languages = indexed_languages(reader)

    def rewrite(self, node: wq.Query) -> wq.Query:
        if isinstance(node, wq.Every):
            raise QueryError("a lone * would match every article; type a word or use the filters")
        if isinstance(node, wq.And | wq.Or):
            # A part repeated in one group counts once ("a a b c" is three words).
            unique: dict[str, wq.Query] = {}
            for child in node.subqueries:
                unique.setdefault(repr(child), child)
            children = self._children_with_aliases(list(unique.values()))
            children = [c for c in children if c is not wq.NullQuery]
            if not children:
                return wq.NullQuery
            if isinstance(node, wq.And):
                return _and_with_optional_stopwords(children)
            return wq.Or(children)
        if isinstance(node, wq.Not):
            inner = self.rewrite(node.query)
            return wq.NullQuery if inner is wq.NullQuery else wq.Not(inner)
        if isinstance(node, Required):
            inner = self.rewrite(node.child)
            if inner is not wq.NullQuery:
                inner._dossier_required = True
            return inner
        return self._leaf(node)

    def _children_with_aliases(self, children: list[wq.Query]) -> list[wq.Query]:
        """Rewrite children; a run of plain words naming an organization also matches its tag."""
        out: list[wq.Query] = []
        i = 0
        while i < len(children):
            run: list[str] = []
            while i + len(run) < len(children) and _plain_word(children[i + len(run)]):
                run.append(children[i + len(run)].text)
            if not run:
                out.append(self.rewrite(children[i]))
                i += 1
                continue
            out.extend(self._words_with_aliases(run))
            i += len(run)
        return out

    def _words_with_aliases(self, run: list[str]) -> list[wq.Query]:
        spans = self._alias_spans(run)
        out: list[wq.Query] = []
        j = 0
        for start, end, org_id in spans:
            out.extend(self._word(w) for w in run[j:start])
            matched = [self._word(w) for w in run[start:end]]
            text_query = matched[0] if len(matched) == 1 else wq.And(matched)
            out.append(wq.Or([text_query, wq.Term("org", org_id, boost=ORG_BOOST)]))
            self.state.organizations.add(org_id)
            j = end
        out.extend(self._word(w) for w in run[j:])
        return out

    def _alias_spans(self, run: list[str]) -> list[tuple[int, int, str]]:
        best: list[tuple[int, int, str]] = []
        for lang in SUPPORTED_LANGUAGES:
            spans = self.gazetteer.find_spans(run, lang, require_context=False)
            if sum(e - s for s, e, _ in spans) > sum(e - s for s, e, _ in best):
                best = spans
        return best

    # --- leaves ---

    def _leaf(self, node: wq.Query) -> wq.Query:
        fieldname = getattr(node, "fieldname", "text")
        if fieldname in _FILTER_FIELDS:
            return self._filter_term(fieldname, node)
        scope = _SCOPES.get(fieldname, _SCOPES["text"])
        if isinstance(node, wq.Term):
            if fieldname == "text" and node.text:
                return self._words_with_aliases([node.text])[0]
            return self._word(node.text, scope)
        if isinstance(node, wq.Phrase):
            return self._phrase(list(node.words), scope)
        if isinstance(node, wq.Prefix):
            return self._prefix(node.text, scope)
        if isinstance(node, wq.FuzzyTerm):
            return self._fuzzy(node.text, node.maxdist, scope)
        if isinstance(node, wq.Wildcard):
            return self._wildcard(node.text, scope)
        raise QueryError("this query syntax is not supported; see the query syntax help")

    def _fields(self, scope: tuple[str, ...]) -> list[tuple[str, str | None, float]]:
        """(field, language or None for folded, boost) for a scope."""
        out: list[tuple[str, str | None, float]] = []
        for part in scope:
            boost = TITLE_BOOST if part == "title" else 1.0
            make = title_field if part == "title" else body_field
            out.extend((make(lang), lang, boost) for lang in self.languages)
            out.append(
                (FOLDED_TITLE if part == "title" else FOLDED_BODY, None, boost * FOLDED_BOOST)
            )
        return out

    def _word(self, word: str, scope: tuple[str, ...] = _SCOPES["text"]) -> wq.Query:
        self.state.words.append(word)
        stopword = any(is_stopword(normalize_word(word, lang), lang) for lang in self.languages)
        subqueries: list[wq.Query] = []
        for fieldname, lang, boost in self._fields(scope):
            if lang is None:
                term = folded_term(word)
                if len(term) < MIN_FOLDED_CHARS <= len(word):
                    continue  # "SSS" folds to "s": a skeleton that short matches noise
                if stopword:
                    boost *= STOPWORD_FOLDED_BOOST
            else:
                if is_stopword(normalize_word(word, lang), lang):
                    continue
                term = stem_word(word, lang)
            if term:
                subqueries.append(wq.Term(fieldname, term, boost=boost))
        if not subqueries:
            return wq.NullQuery
        query = BestField(subqueries, tiebreak=TIEBREAK)
        query._dossier_stopword = stopword
        return query

    def _phrase(self, phrase_words: list[str], scope: tuple[str, ...]) -> wq.Query:
        text = " ".join(phrase_words)
        subqueries: list[wq.Query] = []
        for fieldname, lang, boost in self._fields(scope):
            terms = fold_words(text) if lang is None else analyze_words(text, lang)
            if len(terms) == 1:
                subqueries.append(wq.Term(fieldname, terms[0], boost=boost))
            elif terms:
                subqueries.append(wq.Phrase(fieldname, terms, boost=boost))
        if not subqueries:
            return wq.NullQuery
        self.state.words.extend(phrase_words)
        query: wq.Query = BestField(subqueries, tiebreak=TIEBREAK)
        if scope == _SCOPES["text"]:
            spans = self._alias_spans(phrase_words)
            if len(spans) == 1 and spans[0][1] - spans[0][0] == len(phrase_words):
                self.state.organizations.add(spans[0][2])
                query = wq.Or([query, wq.Term("org", spans[0][2], boost=ORG_BOOST)])
        return query

    def _check_expansion(
        self, fieldname: str, terms: Iterable[bytes | str], shown: str, *, count_words: bool = True
    ) -> list[str]:
        """The words ``terms`` expands to, within the limits: at most ``max_expansions``
        words per term; for the query's expanded words together, at most
        ``max_expanded_words`` words (each costs a lookup in every segment, ~0.2 ms)
        and ``max_expanded_postings`` occurrences (~1 µs each to read and score)."""
        limits = self.limits
        found: list[str] = []
        for term in terms:
            found.append(term.decode("utf-8") if isinstance(term, bytes) else term)
            if count_words and len(found) > limits.max_expansions:
                raise QueryError(
                    f"{shown} matches more than {limits.max_expansions} different words; "
                    "make it more specific"
                )
            self.expanded_words += 1
            if self.expanded_words > limits.max_expanded_words:
                raise QueryError(
                    f"{shown} and the query's other *, ? and ~ words expand to more than "
                    f"{limits.max_expanded_words:,} words in all fields, more than one search "
                    "may read; type more letters before * or ?, or use fewer of them"
                )
            self.postings += _lexicon(self.reader).frequency(fieldname, term)
            if self.postings > limits.max_expanded_postings:
                raise QueryError(
                    f"the words that {shown} and the query's other *, ? and ~ words match "
                    f"occur more than {limits.max_expanded_postings:,} times in the index, "
                    "more than one search may read; type more letters before * or ?, "
                    "or use fewer of them"
                )
        return found

    def _prefix(self, prefix: str, scope: tuple[str, ...]) -> wq.Query:
        self._count_expanding(f"{prefix}*")
        letters = len(re.sub(r"\W", "", prefix))
        if letters < self.limits.min_prefix_chars:
            raise QueryError(
                f"{prefix}* is too short: type at least {self.limits.min_prefix_chars} letters "
                "before *"
            )
        fields = [
            (fieldname, name_key(prefix) if lang is None else normalize_word(prefix, lang), boost)
            for fieldname, lang, boost in self._fields(scope)
        ]
        # The folded fields first: "matches more than 512 words" says more than the budget.
        for fieldname, form, _ in sorted(fields, key=lambda f: f[0] not in _FOLDED_FIELDS):
            self._check_expansion(
                fieldname,
                _lexicon(self.reader).prefix(fieldname, form),
                f"{prefix}*",
                count_words=fieldname in _FOLDED_FIELDS,
            )
        subqueries = [wq.Prefix(fieldname, form, boost=boost) for fieldname, form, boost in fields]
        return BestField(subqueries, tiebreak=TIEBREAK)

    def _wildcard(self, pattern: str, scope: tuple[str, ...]) -> wq.Query:
        self._count_expanding(pattern)
        if pattern[:1] in "*?":
            raise QueryError(f"{pattern} starts with a wildcard; put at least two letters first")
        literal = re.split(r"[*?]", pattern, maxsplit=1)[0]
        if len(literal) < self.limits.min_prefix_chars:
            raise QueryError(
                f"{pattern}: type at least {self.limits.min_prefix_chars} letters before * or ?"
            )
        parts = re.split(r"([*?])", pattern)
        subqueries: list[wq.Query] = []
        for fieldname, lang, boost in self._fields(scope):
            # The folded field for any spelling; each language's field for its surface
            # forms (the folded skeleton turns Naghiyev into "nagiev", so Na?hiyev needs them).
            norm = fold if lang is None else (lambda part, lang=lang: normalize_word(part, lang))
            form = "".join(part if part in "*?" else norm(part) for part in parts)
            query = wq.Wildcard(fieldname, form, boost=boost)
            self._check_expansion(fieldname, expanded_terms(query, self.reader), pattern)
            subqueries.append(query)
        return BestField(subqueries, tiebreak=TIEBREAK)

    def _count_expanding(self, shown: str, *, fuzzy: bool = False) -> None:
        """Each prefix/wildcard/fuzzy term walks the vocabulary: allow only a few per query."""
        if fuzzy:
            self.fuzzy += 1
            if self.fuzzy > self.limits.max_fuzzy_words:
                raise QueryError(
                    f"{shown}: at most {self.limits.max_fuzzy_words} words with ~ in one query"
                )
            return
        self.expanding += 1
        if self.expanding > self.limits.max_wildcard_terms:
            raise QueryError(
                f"{shown}: at most {self.limits.max_wildcard_terms} words with * or ? in one query"
            )

    def _fuzzy(self, word: str, maxdist: int, scope: tuple[str, ...]) -> wq.Query:
        key = folded_term(word)
        if len(key) < 3:
            raise QueryError(f"{word}~ is too short for a fuzzy search; use at least 3 letters")
        self._count_expanding(f"{word}~", fuzzy=True)
        # Two edits only for longer words, and then with two fixed leading letters:
        # the vocabulary walk is what costs, and short words drift into noise.
        maxdist = 2 if int(maxdist) >= 2 and len(key) >= 5 else 1
        prefix = 2 if maxdist == 2 else 1
        self.state.words.append(word)
        subqueries: list[wq.Query] = []
        for fieldname, lang, boost in self._fields(scope):
            if lang is None:
                fuzzy = wq.FuzzyTerm(fieldname, key, maxdist=maxdist, prefixlength=prefix)
                terms = self._check_expansion(
                    fieldname, expanded_terms(fuzzy, self.reader), f"{word}~"
                )
                # The expansion, walked once, as plain terms (scored like any word).
                subqueries.extend(wq.Term(fieldname, t, boost=boost) for t in terms)
        if not subqueries:
            return wq.NullQuery
        return wq.Or(subqueries)

    def _filter_term(self, fieldname: str, node: wq.Query) -> wq.Query:
        value = " ".join(node.words) if isinstance(node, wq.Phrase) else getattr(node, "text", "")
        value = value.strip()
        if not value or not isinstance(node, wq.Term | wq.Phrase):
            raise QueryError(f"{fieldname}: needs a value, e.g. {fieldname}:{_EXAMPLES[fieldname]}")
        if fieldname == "org":
            org_id = self.gazetteer.resolve(value)
            if org_id is None:
                raise QueryError(
                    f"unknown organization {value!r}; use a name from the organization facet"
                )
            self.state.organizations.add(org_id)
            return wq.Term("org", org_id)
        if fieldname == "lang":
            value = language_code(value.replace(" ", "-"))  # pt-BR is pt (parsed "pt br")
            if value not in LANGUAGE_NAMES:
                raise QueryError(
                    f"unknown language {value!r}; use a code such as "
                    f"{', '.join(SUPPORTED_LANGUAGES)}, fr, es (see the language facet)"
                )
        if fieldname in ("year", "month") and value.lower() == UNDATED:
            value = UNDATED
        return wq.Term(_FILTER_FIELDS[fieldname], value)


_FOLDED_FIELDS = (FOLDED_BODY, FOLDED_TITLE)


def telling_words(text: str, reader: IndexReader, limit: int) -> list[str]:
    """The words of ``text`` for its ``limit`` most informative stems, in text order.

    Words are analysed in the text's language (detected; every language of the
    index when it is undetermined): stop words go, inflections of one stem count
    together. Each stem weighs its count in the text times its idf in the index
    (the rarer, the more telling); a stem no article has cannot help and goes.
    Every distinct form of a kept stem is kept, as a short query keeps them, so
    a concept the text repeats in several forms weighs more (measured better).
    When the index knows none of the words, the most frequent ones are kept.
    """
    present = indexed_languages(reader)
    detected = detect_language(text)
    languages = (detected,) if detected in present else present
    total = max(reader.doc_count_all(), 1)
    counts: dict[str, int] = {}
    forms: dict[str, list[str]] = {}
    order: list[str] = []  # distinct forms, in the order they first occur
    for word in words(text):
        if word in _OPERATOR_WORDS:
            word = word.lower()
        if any(is_stopword(normalize_word(word, lang), lang) for lang in languages or present):
            continue
        key = _stem_key(word, languages)
        if not key:
            continue
        counts[key] = counts.get(key, 0) + 1
        if word not in forms.setdefault(key, []):
            forms[key].append(word)
            order.append(word)
    weights: dict[str, float] = {}
    for key, count in counts.items():
        frequency = _document_frequency(forms[key][0], languages, reader)
        if frequency:
            weights[key] = count * log(1 + (total - frequency + 0.5) / (frequency + 0.5))
    if not weights:  # nothing the index knows: the text's own words, most frequent first
        weights = {key: float(count) for key, count in counts.items()}
    position = {word: at for at, word in enumerate(order)}
    first = {key: position[found[0]] for key, found in forms.items()}
    best = sorted(weights, key=lambda key: (-weights[key], first[key]))[:limit]
    kept = {form for key in best for form in forms[key]}
    return [word for word in order if word in kept]


_OPERATOR_WORDS = frozenset({"AND", "OR", "NOT"})


def _with_filter_fields_marked(text: str) -> str:
    """``org:x``, ``lang:de``… written as ``text:`` so one pattern finds every field."""
    return _FIELD_PREFIX.sub(lambda m: "text:" if m.group(1) in SYNTAX_FIELDS else m.group(0), text)


def _stem_key(word: str, languages: tuple[str, ...]) -> str:
    """One key for a word's inflections: its stem in the text's language, else its fold."""
    if len(languages) == 1:
        return stem_word(word, languages[0])
    return folded_term(word)


def _document_frequency(word: str, languages: tuple[str, ...], reader: IndexReader) -> int:
    """Articles with ``word`` in the body, in the text's language(s) or, failing that,
    as the folded field has it."""
    schema = reader.schema
    found = max(
        (reader.doc_frequency(body_field(lang), stem_word(word, lang)) for lang in languages
         if body_field(lang) in schema),
        default=0,
    )  # fmt: skip
    term = folded_term(word)
    if not found and term and FOLDED_BODY in schema:
        found = reader.doc_frequency(FOLDED_BODY, term)
    return found


_EMPTY_FIELD = re.compile(r"(?:^|(?<=[\s(]))([A-Za-z_]\w*):(?=\s|$|\))")
_EXAMPLES = {facet.param: facet.example for facet in FACETS}


def _plain_word(node: wq.Query) -> bool:
    return isinstance(node, wq.Term) and node.fieldname == "text" and node.boost == 1.0


def _is_stopword(query: wq.Query) -> bool:
    return bool(getattr(query, "_dossier_stopword", False))


def _is_marked_required(query: wq.Query) -> bool:
    return bool(getattr(query, "_dossier_required", False))


def _and_with_optional_stopwords(children: list[wq.Query]) -> wq.Query:
    """Words joined by AND: every word required, stop words of any language optional,
    a part written ``+part`` required in any case.

    "the security" must not require "the". A query of more than
    ``ALL_REQUIRED_UP_TO`` words is read as a description rather than a list
    of requirements: any of its words matches, and documents with more of
    them rank higher (``Coordinated``).
    """
    negatives = [c for c in children if isinstance(c, wq.Not)]
    positives = [c for c in children if not isinstance(c, wq.Not)]
    if not positives:
        return wq.And(children) if len(children) > 1 else children[0]
    marked = [c for c in positives if _is_marked_required(c)]  # "+part": always required
    unmarked = [c for c in positives if not _is_marked_required(c)]
    required = [c for c in unmarked if not _is_stopword(c)]
    optional = [c for c in unmarked if _is_stopword(c)]
    if not required and not marked:
        required, optional = optional, []
    if len(required) + len(marked) > ALL_REQUIRED_UP_TO and len(required) > 1:
        required = [Coordinated(required, power=COORD_POWER)]
    required += marked
    base = required[0] if len(required) == 1 else wq.And(required)
    if optional:
        base = wq.AndMaybe(base, wq.Or(optional))
    return wq.And([base, *negatives]) if negatives else base


def _relaxed(query: wq.Query) -> wq.Query | None:
    """The same parts with any of them enough, for ranking partial matches when nothing
    has them all; documents with more of the parts rank first."""
    if isinstance(query, wq.AndMaybe):
        relaxed = _relaxed(query.a)
        return wq.AndMaybe(relaxed, query.b) if relaxed is not None else None
    if isinstance(query, wq.AndNot):
        relaxed = _relaxed(query.a)
        return wq.AndNot(relaxed, query.b) if relaxed is not None else None
    if isinstance(query, wq.And):
        negatives = [q for q in query.subqueries if isinstance(q, wq.Not)]
        marked = [q for q in query.subqueries if _is_marked_required(q)]  # stay required
        loose = [
            q for q in query.subqueries if not isinstance(q, wq.Not) and not _is_marked_required(q)
        ]
        if len(loose) > 1:
            relaxed = Coordinated(loose, power=COORD_POWER)
        elif loose:
            relaxed = _relaxed(loose[0])
        else:
            relaxed = None
        if relaxed is not None and (marked or negatives):
            return wq.And([relaxed, *marked, *negatives])
        return relaxed
    return None
