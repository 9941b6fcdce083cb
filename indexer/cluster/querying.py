"""Dossier's compiled queries in the cluster's terms.

Query understanding stays Dossier's (``search.parsing``: operators, fields,
per-language stems, folded keys, gazetteer aliases, prefix and fuzzy
expansion, long-text descriptions). The compiled Whoosh query tree is then
turned into a boolean filter over the tokens of ``cluster.documents`` (which
decides *what* matches: the very documents Whoosh would match, phrases
aside) and a list of tokens the cluster ranks by (its own ranking: more of
the query's tokens first). ``ClusterVocabulary`` answers the questions the
compiler asks an index reader (which languages, how frequent a word, which
words start with a prefix) from the cluster.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from whoosh import query as wq
from whoosh.fields import Schema

from indexer.cluster.connection import Connection
from indexer.cluster.documents import (
    KEYED,
    TEXT_FIELDS,
    TOKENS,
    key,
    prefix_token,
    token,
    token_term,
    unkey,
    vocabulary_name,
)
from indexer.index.schema import build_schema
from indexer.index.whoosh_internals import expanded_terms
from indexer.model import FeatureUnavailableError, QueryError

# A *, ? or ~ word walks the vocabulary words that share its start: at most this many
# (pages of VOCABULARY_PAGE, fetched in one multi-search; the cluster takes up to 50).
VOCABULARY_PAGE = 250
MAX_EXPANSION_WALK = 40 * VOCABULARY_PAGE
NEGATED_PHRASE = (
    "a phrase after NOT or - is not available on the typesense backend (it matches a "
    "phrase's words in any order, which would exclude more than the phrase); exclude the "
    "words, e.g. -(security AND service), or use the embedded backend"
)
MULTI_SEARCHES = 50  # searches in one multi-search request (the cluster's default limit)
MAX_CACHED = 100_000  # word frequencies one collection's vocabulary keeps
RANKING_TOKENS = 64  # tokens the cluster ranks by (it drops them one by one to rank)

# What the cluster answers differently, by the name the API reports (not_honoured).
PHRASE = "phrase-order"  # "a b" matches a and b anywhere in the same field
RANKING = "bm25-ranking"  # relevance is the cluster's own (more of the query's words first)


class ClusterVocabulary:
    """The part of an index reader the query compiler uses, answered by the cluster.

    One per collection (the answers are cached: a collection changes only by
    indexing, and a rebuilt one has a new name).
    """

    def __init__(self, connection: Connection, collection: str, documents: int):
        self.connection = connection
        self.collection = collection
        self.schema: Schema = build_schema()
        self._documents = documents
        self._lock = threading.Lock()
        self._frequency: dict[tuple[str, str], int] = {}
        self._languages: list[str] | None = None
        self._expansions: dict[tuple[str, str], list[bytes]] = {}

    def doc_count_all(self) -> int:
        return self._documents

    def doc_count(self) -> int:
        return self._documents

    def field_terms(self, fieldname: str) -> Iterator[str]:
        if fieldname != "lang":
            raise FeatureUnavailableError(f"listing the words of {fieldname} in the cluster")
        with self._lock:
            if self._languages is None:
                found = self._facet_values("lang", "", 250)
                self._languages = [v for v in map(unkey, found) if v is not None]
        return iter(self._languages)

    def doc_frequency(self, fieldname: str, text: str | bytes) -> int:
        key = (fieldname, _text(text))
        known = self.cached(*key)
        if known is None:
            self.prefetch([key])
            known = self.cached(*key)
        return known or 0

    def cached(self, fieldname: str, text: str | bytes) -> int | None:
        """The frequency already fetched, or None."""
        with self._lock:
            return self._frequency.get((fieldname, _text(text)))

    def prefetch(self, keys: Iterable[tuple[str, str]]) -> None:
        """Fetch the frequencies of ``keys`` (field, term), MULTI_SEARCHES per request: a
        long text asks hundreds, one request each took seconds (thousands of requests for
        10,000 characters of made-up words)."""
        todo: list[tuple[tuple[str, str], Literal]] = []
        with self._lock:
            for key in dict.fromkeys(keys):
                literal = _literal(*key)
                if literal is None:
                    self._frequency[key] = 0
                elif key not in self._frequency:
                    todo.append((key, literal))
        for start in range(0, len(todo), MULTI_SEARCHES):
            chunk = todo[start : start + MULTI_SEARCHES]
            results = self.connection.multi_search(
                [_count_search(self.collection, _render_literal(lit)) for _, lit in chunk]
            )
            with self._lock:
                if len(self._frequency) > MAX_CACHED:  # hostile queries: memory stays bounded
                    self._frequency.clear()
                for (key, _), result in zip(chunk, results, strict=True):
                    self._frequency[key] = int(result.get("found", 0))

    def frequency(self, fieldname: str, text: str | bytes) -> int:
        return self.doc_frequency(fieldname, text)

    def expand_prefix(self, fieldname: str, prefix: str | bytes) -> Iterator[bytes]:
        """Index terms of ``fieldname`` starting with ``prefix``, in order (as Whoosh's
        term dictionary gives them), from the vocabulary collection."""
        start = prefix.decode("utf-8") if isinstance(prefix, bytes) else prefix
        if fieldname not in TEXT_FIELDS:
            raise FeatureUnavailableError(f"expanding words of {fieldname} on the cluster")
        key = (fieldname, start)
        with self._lock:
            cached = self._expansions.get(key)
        if cached is None:
            cached = self._expand(fieldname, start)
            with self._lock:
                self._expansions[key] = cached
        return iter(cached)

    def _expand(self, fieldname: str, start: str) -> list[bytes]:
        begin = prefix_token(fieldname, start)
        name = vocabulary_name(self.collection)
        (first,) = self.connection.multi_search([_vocabulary_search(name, begin, 1)])
        found = int(first.get("found", 0))
        if found > MAX_EXPANSION_WALK:
            raise QueryError(
                f"more than {MAX_EXPANSION_WALK:,} words start with {start!r}; "
                "type more letters before *, ? or ~"
            )
        pages = [first]
        last = math.ceil(found / VOCABULARY_PAGE)
        if last > 1:
            pages += self.connection.multi_search(
                [_vocabulary_search(name, begin, page) for page in range(2, last + 1)]
            )
        terms: dict[str, int] = {}
        for result in pages:
            for hit in result.get("hits", []):
                value = hit["document"]["token"]
                decoded = token_term(value) if value.startswith(begin) else None
                if decoded is not None and decoded[0] == fieldname:
                    terms[decoded[1]] = int(hit["document"].get("df", 0))
        with self._lock:
            for term, df in terms.items():
                self._frequency.setdefault((fieldname, term), df)
        return [term.encode("utf-8", "surrogatepass") for term in sorted(terms)]

    def terms_within(
        self, fieldname: str, text: str, maxdist: int, prefix: int = 0
    ) -> Iterator[bytes]:
        for btext in self.expand_prefix(fieldname, text[:prefix]):
            if _distance(btext.decode("utf-8", "surrogatepass"), text, maxdist) <= maxdist:
                yield btext

    def lexicon(self, fieldname: str) -> Iterator[bytes]:
        raise FeatureUnavailableError(
            "a wildcard at the start of a word on the cluster backend; put letters first"
        )

    def __contains__(self, item: tuple[str, bytes]) -> bool:
        return self.doc_frequency(*item) > 0

    def _facet_values(self, fieldname: str, start: str, limit: int) -> dict[str, int]:
        search: dict[str, Any] = {
            "collection": self.collection, "q": "*", "query_by": TOKENS, "per_page": 0,
            "facet_by": fieldname, "max_facet_values": limit,
        }  # fmt: skip
        if start:
            search["facet_query"] = f"{fieldname}:{start}"
        (result,) = self.connection.multi_search([search])
        counts = (result.get("facet_counts") or [{}])[0].get("counts", [])
        return {c["value"]: int(c["count"]) for c in counts if str(c["value"]).startswith(start)}


class RecordingVocabulary:
    """The vocabulary's fetched frequencies, and 1 for a word not fetched yet (noted in
    ``asked``): a first compile lists the frequencies a query needs, then fetched in
    batches (``ClusterVocabulary.prefetch``) before the real compile."""

    def __init__(self, vocabulary: ClusterVocabulary):
        self.vocabulary = vocabulary
        self.schema = vocabulary.schema
        self.asked: list[tuple[str, str]] = []

    def doc_count_all(self) -> int:
        return self.vocabulary.doc_count_all()

    def doc_count(self) -> int:
        return self.vocabulary.doc_count()

    def field_terms(self, fieldname: str) -> Iterator[str]:
        return self.vocabulary.field_terms(fieldname)

    def doc_frequency(self, fieldname: str, text: str | bytes) -> int:
        known = self.vocabulary.cached(fieldname, text)
        if known is None:
            self.asked.append((fieldname, _text(text)))
            return 1
        return known

    def frequency(self, fieldname: str, text: str | bytes) -> int:
        return self.doc_frequency(fieldname, text)

    def __contains__(self, item: tuple[str, bytes]) -> bool:
        return self.doc_frequency(*item) > 0

    def expand_prefix(self, fieldname: str, prefix: str | bytes) -> Iterator[bytes]:
        # Expansions are one multi-search each, and bring their words' frequencies along.
        return self.vocabulary.expand_prefix(fieldname, prefix)

    def terms_within(
        self, fieldname: str, text: str, maxdist: int, prefix: int = 0
    ) -> Iterator[bytes]:
        return self.vocabulary.terms_within(fieldname, text, maxdist, prefix)

    def lexicon(self, fieldname: str) -> Iterator[bytes]:
        return self.vocabulary.lexicon(fieldname)


# --- the boolean filter ---

Literal = tuple[str, str]  # (cluster field, value)


@dataclass(frozen=True, slots=True)
class Node:
    """A boolean formula over literals: op is "lit", "and", "or", "not", "true" or "false"."""

    op: str
    children: tuple[Node, ...] = ()
    literal: Literal | None = None


TRUE = Node("true")
FALSE = Node("false")


@dataclass(slots=True)
class Translation:
    """A compiled query for the cluster: what matches, what ranks, what is approximated."""

    filter: str | None  # None: every document
    matches_nothing: bool
    ranking: list[str]  # tokens, most telling first
    positive: list[tuple[str, str]]  # (index field, term) of every positive word: highlighting
    not_honoured: set[str] = field(default_factory=set)


def translate(query: wq.Query, vocabulary: ClusterVocabulary) -> Translation:
    """``query`` (compiled by ``search.parsing``) as a cluster filter and ranking tokens."""
    walker = _Walker(vocabulary)
    node = _simplify(_negation_normal(walker.node(query, positive=True)))
    if node is FALSE:
        return Translation(None, True, [], walker.positive, walker.notices)
    ranking = list(dict.fromkeys(walker.ranking))[:RANKING_TOKENS]
    return Translation(
        None if node is TRUE else _render(node), False, ranking, walker.positive, walker.notices
    )


class _Walker:
    def __init__(self, vocabulary: ClusterVocabulary):
        self.vocabulary = vocabulary
        self.ranking: list[str] = []
        self.positive: list[tuple[str, str]] = []
        self.notices: set[str] = set()

    def node(self, query: wq.Query, positive: bool) -> Node:
        if isinstance(query, wq.Term):
            return self._term(query.fieldname, _text(query.text), positive)
        if isinstance(query, wq.Phrase):
            if not positive:  # its words anywhere would exclude more than the phrase does
                raise FeatureUnavailableError(NEGATED_PHRASE)
            self.notices.add(PHRASE)
            words = [self._term(query.fieldname, _text(w), positive) for w in query.words]
            return Node("and", tuple(words))
        if isinstance(query, wq.FuzzyTerm | wq.Wildcard | wq.Prefix):
            terms = [_text(t) for t in expanded_terms(query, self.vocabulary)]
            return Node("or", tuple(self._term(query.fieldname, t, positive) for t in terms))
        if isinstance(query, wq.AndMaybe):
            self.node(query.b, positive)  # optional words rank, they do not filter
            return self.node(query.a, positive)
        if isinstance(query, wq.AndNot):
            return Node("and", (self.node(query.a, positive),
                                Node("not", (self.node(query.b, not positive),))))  # fmt: skip
        if isinstance(query, wq.Not):
            return Node("not", (self.node(query.query, not positive),))
        if isinstance(query, wq.Every):
            return TRUE
        if query is wq.NullQuery or isinstance(query, wq.NullQuery.__class__):
            return FALSE
        if isinstance(query, wq.WrappingQuery):
            return self.node(query.child, positive)
        if isinstance(query, wq.And):
            return Node("and", tuple(self.node(q, positive) for q in query.subqueries))
        if isinstance(query, wq.Or | wq.DisjunctionMax):
            return Node("or", tuple(self.node(q, positive) for q in query.subqueries))
        raise FeatureUnavailableError(
            f"this kind of query ({type(query).__name__}) on the cluster backend"
        )

    def _term(self, fieldname: str, text: str, positive: bool) -> Node:
        literal = _literal(fieldname, text)
        if literal is None:
            return FALSE
        if positive and literal[0] == TOKENS:
            self.ranking.append(literal[1])
            self.positive.append((fieldname, text))
        return Node("lit", literal=literal)


def _text(value: str | bytes) -> str:
    return value.decode("utf-8", "surrogatepass") if isinstance(value, bytes) else value


def _literal(fieldname: str, text: str) -> Literal | None:
    if fieldname in TEXT_FIELDS:
        return TOKENS, token(fieldname, text)
    if fieldname in KEYED:
        return fieldname, key(text)
    if fieldname == "id":
        return fieldname, text
    return None  # a field the index does not have: nothing matches


def _negation_normal(node: Node, negated: bool = False) -> Node:
    """NOT pushed down to the literals (De Morgan), which is all the cluster can negate."""
    if node.op == "not":
        return _negation_normal(node.children[0], not negated)
    if node.op in ("and", "or"):
        op = node.op if not negated else ("or" if node.op == "and" else "and")
        return Node(op, tuple(_negation_normal(c, negated) for c in node.children))
    if node.op == "lit":
        return Node("not", (node,)) if negated else node
    if node.op == "true":
        return FALSE if negated else TRUE
    return TRUE if negated else FALSE


def _simplify(node: Node) -> Node:
    if node.op not in ("and", "or"):
        return node
    neutral, absorbing = (TRUE, FALSE) if node.op == "and" else (FALSE, TRUE)
    children: list[Node] = []
    for child in (_simplify(c) for c in node.children):
        if child == absorbing:
            return absorbing
        if child == neutral:
            continue
        children.extend(child.children if child.op == node.op else (child,))
    if not children:
        return neutral
    if len(children) == 1:
        return children[0]
    return Node(node.op, tuple(dict.fromkeys(children)))


def _render(node: Node, top: bool = True) -> str:
    if node.op == "lit":
        assert node.literal is not None
        return _render_literal(node.literal)
    if node.op == "not":
        literal = node.children[0].literal
        assert literal is not None
        return f"{literal[0]}:!=[{_value(literal[1])}]"
    if node.op in ("true", "false"):  # only inside _simplify's output when nothing else is
        raise AssertionError("constants are simplified away")
    # Literals of one field joined by OR are one list; NOTs of one field joined by AND too.
    grouped: dict[tuple[str, str], list[str]] = {}
    rest: list[str] = []
    for child in node.children:
        if node.op == "or" and child.op == "lit" and child.literal is not None:
            grouped.setdefault(("=", child.literal[0]), []).append(child.literal[1])
        elif node.op == "and" and child.op == "not" and child.children[0].literal is not None:
            literal = child.children[0].literal
            grouped.setdefault(("!=", literal[0]), []).append(literal[1])
        else:
            rest.append(_render(child, top=False))
    parts = [
        f"{name}:{op}[{','.join(_value(v) for v in values)}]"
        for (op, name), values in grouped.items()
    ] + rest
    joined = (" || " if node.op == "or" else " && ").join(parts)
    return joined if top or len(parts) == 1 else f"({joined})"


def _render_literal(literal: Literal) -> str:
    return f"{literal[0]}:=[{_value(literal[1])}]"


def _value(value: str) -> str:
    """A filter value as the cluster reads it: backquoted (commas, spaces, && inside)."""
    if re.fullmatch(r"[0-9a-z]+", value):
        return value
    return "`" + value.replace("`", "") + "`"


def _distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein distance of ``a`` and ``b`` (any value past ``limit`` is
    ``limit + 1``), as Whoosh's terms_within measures it."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    before: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], before[j - 2] + 1)
        before, previous = previous, current
    return previous[-1]


def _vocabulary_search(name: str, begin: str, page: int) -> dict[str, Any]:
    return {
        "collection": name, "q": begin, "query_by": "token", "prefix": "true", "num_typos": 0,
        "typo_tokens_threshold": 0, "drop_tokens_threshold": 0, "max_candidates": 1_000_000,
        "per_page": VOCABULARY_PAGE, "page": page, "highlight_fields": "none",
        "highlight_full_fields": "none", "sort_by": "_text_match:desc",
    }  # fmt: skip


def _count_search(collection: str, filter_by: str) -> dict[str, Any]:
    return {"collection": collection, "q": "*", "query_by": TOKENS, "per_page": 0,
            "filter_by": filter_by}  # fmt: skip
