"""TREC-style evaluation of Dossier's real search service, beside plain Whoosh.

Why: ranking changes are kept only when they measurably help. This module
indexes a test collection with the real ``indexer.build_index``, runs every
topic through the real ``indexer.SearchService`` (the same code path as the
web app and the CLI), writes a TREC run file and scores it with
``ir-measures`` (trec_eval's own code, through pytrec_eval): MAP, nDCG@10,
P@10 and Recall@1000. The same topics also run through plain Whoosh as a
typical application sets it up (one stemmed TEXT field, an OR query from
``QueryParser``, BM25F defaults), measured in the same run as the baseline.

A collection is a folder with ``docs.jsonl`` (Dossier's document model),
``topics.tsv`` (``qid<TAB>query``) and ``qrels.txt`` (TREC: ``qid 0 docid
rel``, higher is more relevant). An optional ``include.txt`` names further
corpus paths (one a line, relative to the collection) indexed with it.

    from eval.harness import run_evaluation
    figures = run_evaluation(Path("/work/shared/data/cacm"), out_dir=Path("var/eval"))
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import ir_measures
from ir_measures import AP, P, R, nDCG

from eval.baseline_whoosh import whoosh_ranking
from indexer import QueryError, SearchLimits, SearchRequest, SearchService, build_index
from indexer.analysis.tokens import words

DEPTH = 1000
MEASURES = {"MAP": AP, "nDCG@10": nDCG @ 10, "P@10": P @ 10, "R@1000": R @ 1000}
METRICS = tuple(MEASURES)
BASELINE = "whoosh"  # the key prefix of the baseline's figures: "whoosh:MAP"…
_OPERATORS = {"AND", "OR", "NOT", "TO"}

# (query id, ranked document ids with the engine's scores)
Run = dict[str, list[tuple[str, float]]]


@dataclass(slots=True)
class Collection:
    name: str
    root: Path
    corpus: list[Path]  # docs.jsonl first, then include.txt's paths
    topics: dict[str, str]
    qrels: dict[str, dict[str, int]]  # qid -> docid -> grade

    @property
    def judged(self) -> list[str]:
        """Topics with at least one relevant document: the ones averaged over."""
        return [q for q in self.topics if any(g > 0 for g in self.qrels.get(q, {}).values())]


@dataclass(slots=True)
class SystemResult:
    name: str
    run: Run
    figures: dict[str, float]
    per_topic: dict[str, dict[str, float]]
    index_seconds: float
    search_seconds: float
    failed: dict[str, str] = field(default_factory=dict)  # qid -> why it returned nothing
    problems: list[str] = field(default_factory=list)  # documents that could not be indexed


@dataclass(slots=True)
class Evaluation:
    collection: Collection
    dossier: SystemResult
    baseline: SystemResult | None
    documents: int
    index_dir: Path  # Dossier's index of the collection, kept for further searches


def load_collection(root: Path) -> Collection:
    """Read a collection folder (see module docstring); errors name the file."""
    root = Path(root)
    docs = root / "docs.jsonl"
    for required in (docs, root / "topics.tsv", root / "qrels.txt"):
        if not required.is_file():
            raise FileNotFoundError(f"{required}: missing (a collection needs docs.jsonl, "
                                    "topics.tsv and qrels.txt)")  # fmt: skip
    corpus = [docs]
    include = root / "include.txt"
    if include.is_file():
        for line in include.read_text(encoding="utf-8").splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                corpus.append((root / line).resolve())
    topics: dict[str, str] = {}
    for number, line in enumerate(
        (root / "topics.tsv").read_text(encoding="utf-8").splitlines(), 1
    ):
        if not line.strip():
            continue
        qid, sep, text = line.partition("\t")
        if not sep:
            raise ValueError(f"{root / 'topics.tsv'}:{number}: expected qid<TAB>query")
        topics[qid.strip()] = text.strip()
    qrels: dict[str, dict[str, int]] = defaultdict(dict)
    for number, line in enumerate((root / "qrels.txt").read_text(encoding="utf-8").splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 4:
            raise ValueError(f"{root / 'qrels.txt'}:{number}: expected 'qid 0 docid rel'")
        qrels[parts[0]][parts[2]] = int(parts[3])
    return Collection(root.name, root, corpus, topics, dict(qrels))


def topic_query(text: str) -> str:
    """A topic's words as a plain query: topics are prose, not query syntax.

    Punctuation such as ``(``, ``"``, ``*`` or ``field:`` would be read as
    operators, so only the words are kept; capitalised operator words
    (``AND``, ``OR``, ``NOT``) are lower-cased so they stay words.
    """
    return " ".join(w.lower() if w in _OPERATORS else w for w in words(text))


def dossier_run(
    collection: Collection, index_dir: Path, depth: int = DEPTH, *, full_text: bool = False
) -> SystemResult:
    """Index ``collection`` with build_index and run every topic through SearchService.

    By default a topic's words are the query (``topic_query``) with the length limits
    lifted, so every word is required-or-coordinated as a typed query's would be.
    ``full_text`` sends each topic's whole text, punctuation and all, under the
    shipped limits, as a person pasting it would: topics longer than ``max_terms``
    words are then read as descriptions of their most telling words.
    """
    started = time.perf_counter()
    report = build_index(collection.corpus, index_dir, rebuild=True)
    if not report.added:
        raise RuntimeError("indexing failed: " + "; ".join(map(str, report.errors[:5])))
    index_seconds = time.perf_counter() - started
    if full_text:
        limits = SearchLimits(max_per_page=depth)
    else:
        limits = SearchLimits(max_query_chars=100_000, max_terms=10_000, max_per_page=depth)
    run: Run = {}
    failed: dict[str, str] = {}
    started = time.perf_counter()
    with SearchService(index_dir, limits=limits) as service:
        for qid, text in collection.topics.items():
            query = text if full_text else topic_query(text)
            # Every copy of a story is judged on its own in a test collection: rank them all
            # (collapsing stories is the page's presentation, not the ranking measured here).
            request = SearchRequest(query=query, per_page=depth, snippets=False, collapse="none")
            try:
                result = service.search(request)
            except QueryError as exc:
                failed[qid] = str(exc)
                run[qid] = []
                continue
            run[qid] = [(hit.id, hit.score) for hit in result.hits]
    search_seconds = time.perf_counter() - started
    figures, per_topic = evaluate(collection, run)
    problems = [str(p) for p in report.problems]
    return SystemResult(
        "dossier", run, figures, per_topic, index_seconds, search_seconds, failed, problems
    )


def whoosh_run(collection: Collection, index_dir: Path, depth: int = DEPTH) -> SystemResult:
    """The same topics through plain Whoosh (``baseline_whoosh``), scored the same way."""
    queries = {qid: topic_query(text) for qid, text in collection.topics.items()}
    run, index_seconds, search_seconds = whoosh_ranking(collection.corpus, queries, index_dir,
                                                         depth)  # fmt: skip
    figures, per_topic = evaluate(collection, run)
    return SystemResult(BASELINE, run, figures, per_topic, index_seconds, search_seconds)


def evaluate(
    collection: Collection, run: Run
) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """Mean of each measure over the judged topics, and the per-topic values.

    The engine's order is what is scored: each hit's score becomes its
    reversed rank, since trec_eval would otherwise re-sort tied scores by
    document id. A judged topic with no results counts as 0 (trec_eval -c).
    """
    judged = collection.judged
    qrels = [
        ir_measures.Qrel(qid, docid, grade)
        for qid in judged
        for docid, grade in collection.qrels[qid].items()
    ]
    scored = [
        ir_measures.ScoredDoc(qid, docid, float(len(ranked) - rank))
        for qid, ranked in run.items()
        if qid in collection.qrels
        for rank, (docid, _) in enumerate(ranked)
    ]
    per_topic: dict[str, dict[str, float]] = {qid: dict.fromkeys(METRICS, 0.0) for qid in judged}
    names = {measure: name for name, measure in MEASURES.items()}
    for metric in ir_measures.iter_calc(list(MEASURES.values()), qrels, scored):
        per_topic[metric.query_id][names[metric.measure]] = float(metric.value)
    figures = {
        name: (sum(v[name] for v in per_topic.values()) / len(per_topic) if per_topic else 0.0)
        for name in METRICS
    }
    return figures, per_topic


def write_run(path: Path, run: Run, tag: str) -> None:
    """A TREC run file (``qid Q0 docid rank score tag``); scores follow the rank order."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for qid, ranked in run.items():
            for rank, (docid, _) in enumerate(ranked, 1):
                out.write(f"{qid} Q0 {docid} {rank} {len(ranked) - rank + 1} {tag}\n")


FULL_TEXT_SUFFIX = " (full topics)"  # the name of a collection run with full_text


def evaluate_collection(
    collection_dir: Path,
    *,
    out_dir: Path,
    depth: int = DEPTH,
    baseline: bool = True,
    full_text: bool = False,
) -> Evaluation:
    """Everything ``run_evaluation`` measures, with the runs and per-topic values;
    ``full_text``: the topics' whole texts under the shipped limits (``dossier_run``)."""
    collection = load_collection(collection_dir)
    work = Path(out_dir) / (collection.name + ("-full" if full_text else ""))
    if full_text:
        collection.name += FULL_TEXT_SUFFIX
    dossier = dossier_run(collection, work / "index", depth, full_text=full_text)
    write_run(work / "dossier.run", dossier.run, "dossier")
    plain = None
    if baseline:
        plain = whoosh_run(collection, work / "whoosh-index", depth)
        write_run(work / "whoosh.run", plain.run, BASELINE)
    with SearchService(work / "index") as service:
        documents = service.stats().documents
    return Evaluation(collection, dossier, plain, documents, work / "index")


def run_evaluation(
    collection_dir: Path, *, out_dir: Path, depth: int = DEPTH, baseline: bool = True
) -> dict[str, float]:
    """Evaluate Dossier on one collection; returns {"MAP": …, "nDCG@10": …, "P@10": …,
    "R@1000": …} and, with ``baseline``, the plain-Whoosh figures as "whoosh:MAP"….

    Indexes and run files go under ``out_dir/<collection name>/``.
    """
    evaluation = evaluate_collection(collection_dir, out_dir=out_dir, depth=depth,
                                     baseline=baseline)  # fmt: skip
    return figures_of(evaluation)


def figures_of(evaluation: Evaluation) -> dict[str, float]:
    figures = dict(evaluation.dossier.figures)
    if evaluation.baseline is not None:
        figures.update({f"{BASELINE}:{k}": v for k, v in evaluation.baseline.figures.items()})
    return figures


def first_relevant_rank(evaluation_run: list[tuple[str, float]], judged: Iterable[str]) -> int:
    """1-based rank of the first judged-relevant document, or 0 when none was found."""
    relevant = set(judged)
    for rank, (docid, _) in enumerate(evaluation_run, 1):
        if docid in relevant:
            return rank
    return 0
