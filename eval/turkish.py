"""Turkish index keys on TTC-3600: Snowball against simplemma's lemma tables.

    python eval/turkish.py            # needs ../shared/data/ttc3600 (DOSSIER_EVAL_DATA)
    make eval-turkish

For each Turkish analysis of ``indexer.analysis.language`` (Snowball stems as
before; the lemma where simplemma's tables know the word, else the word; the
lemma, else the Snowball stem; the Snowball stem of the lemma) it builds a
real index of the 3,600 TTC-3600 articles with ``build_index`` and runs two
judged topic sets through ``SearchService`` (eval/TURKISH.md says how they
were judged):

- ``eval/turkish/topics.tsv`` + ``qrels.txt``: an inflected word (or two) per
  topic; relevant = the article holds a form of the word's lemma, by the form
  judgements of ``forms.tsv``. Articles holding only an ambiguous form (``?``)
  are unjudged and left out of the ranking before scoring (a condensed list).
- ``eval/turkish/category-topics.tsv``: a few inflected words typical of one
  of the six TTC-3600 categories; relevant = the article is in that category.

It prints MAP, nDCG@10, P@10 and R@1000 (trec_eval's, through ir-measures), and
for the form topics the recall and precision of the whole result set, then
rewrites the generated block of eval/TURKISH.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from eval.harness import METRICS, Collection, Run, evaluate, write_run  # noqa: E402
from eval.run import machine  # noqa: E402
from indexer import SearchLimits, SearchRequest, SearchService, build_index  # noqa: E402
from indexer.analysis import language  # noqa: E402

HERE = ROOT / "eval" / "turkish"
SHARED_DATA = Path(os.environ.get("DOSSIER_EVAL_DATA", ROOT.parent / "shared" / "data"))
RESULTS = ROOT / "eval" / "TURKISH.md"
BEGIN = "<!-- eval/turkish.py: generated table begins; edit outside these markers -->"
END = "<!-- eval/turkish.py: generated table ends -->"
DEPTH = 1000


def form_collection(corpus: Path) -> tuple[Collection, dict[str, set[str]]]:
    """The inflected-word topics; and per topic the unjudged articles (grade -1)."""
    topics = dict(
        line.split("\t", 1) for line in (HERE / "topics.tsv").read_text("utf-8").splitlines()
    )
    qrels: dict[str, dict[str, int]] = {qid: {} for qid in topics}
    unjudged: dict[str, set[str]] = {qid: set() for qid in topics}
    for line in (HERE / "qrels.txt").read_text("utf-8").splitlines():
        qid, _, doc, grade = line.split()
        if int(grade) < 0:
            unjudged[qid].add(doc)
        else:
            qrels[qid][doc] = int(grade)
    return Collection("TTC-3600 forms", HERE, [corpus], topics, qrels), unjudged


def category_collection(corpus: Path, documents: list[str]) -> Collection:
    """The category topics: every article of the topic's category is relevant."""
    topics: dict[str, str] = {}
    qrels: dict[str, dict[str, int]] = {}
    for line in (HERE / "category-topics.tsv").read_text("utf-8").splitlines():
        qid, category, query = line.split("\t")
        topics[qid] = query
        qrels[qid] = {doc: 1 for doc in documents if doc.split("/", 1)[0] == category}
    return Collection("TTC-3600 categories", HERE, [corpus], topics, qrels)


def search_all(index_dir: Path, topics: dict[str, str]) -> Run:
    limits = SearchLimits(max_per_page=DEPTH)
    run: Run = {}
    with SearchService(index_dir, limits=limits) as service:
        for qid, query in topics.items():
            request = SearchRequest(query=query, per_page=DEPTH, snippets=False, collapse="none")
            run[qid] = [(hit.id, hit.score) for hit in service.search(request).hits]
    return run


def recall_precision(collection: Collection, run: Run) -> tuple[float, float]:
    """Mean over topics of the recall and precision of the whole result set."""
    recalls, precisions = [], []
    for qid in collection.judged:
        relevant = {d for d, g in collection.qrels[qid].items() if g > 0}
        found = {d for d, _ in run.get(qid, [])}
        recalls.append(len(found & relevant) / len(relevant))
        precisions.append(len(found & relevant) / len(found) if found else 0.0)
    return sum(recalls) / len(recalls), sum(precisions) / len(precisions)


def multilingual_check(out: Path) -> list[str]:
    """eval/multilingual under Snowball and under the shipped Turkish analysis: the
    topics whose figures differ (only those touching Turkish may)."""
    from eval.harness import evaluate_collection

    per_topic = {}
    for analysis in (language.SNOWBALL, language.TURKISH_ANALYSIS):
        language.set_turkish_analysis(analysis)
        evaluation = evaluate_collection(ROOT / "eval" / "multilingual", baseline=False,
                                         out_dir=out / f"multilingual-{analysis}")  # fmt: skip
        per_topic[analysis] = (evaluation.dossier.per_topic, evaluation.collection.topics)
    language.set_turkish_analysis(language.TURKISH_ANALYSIS)
    (before, topics), (after, _) = (
        per_topic[language.SNOWBALL],
        per_topic[language.TURKISH_ANALYSIS],
    )
    lines = []
    for qid in before:
        changed = {m: (before[qid][m], after[qid][m]) for m in METRICS
                   if abs(before[qid][m] - after[qid][m]) > 1e-9}  # fmt: skip
        if changed:
            shown = ", ".join(f"{m} {a:.4f} → {b:.4f}" for m, (a, b) in changed.items())
            lines.append(f"topic {qid} ({topics[qid]}): {shown}")
    return lines


# Inflected Azerbaijani forms from the Azerbaijani articles of eval/multilingual and
# corpus/, each with its lemma (judged by hand; eval/TURKISH.md, "Azerbaijani").
AZERBAIJANI_FORMS = (
    "təhlükəsizliyi təhlükəsizlik|xidmətinin xidmət|rəisi rəis|bakıda bakı|forumunda forum|"
    "respublikasının respublika|orqanları orqan|orqanlarının orqan|mübadiləsi mübadilə|"
    "ölkədən ölkə|aktının akt|paytaxtda paytaxt|görüşdə görüş|istanbulda istanbul|"
    "paradı parad|dövlətlərin dövlət|moskvada moskva|iclasda iclas|qazaxıstanın qazaxıstan|"
    "komitəsinin komitə|hasilatı hasilat|layihəsi layihə|oyunlarının oyun|"
    "nümayəndələr nümayəndə|forumun forum|qrupun qrup|fəaliyyətinin fəaliyyət|"
    "xidmətindən xidmət|ölkələrin ölkə|nümayəndələrini nümayəndə|regionda region|"
    "sahəsində sahə|prezidentlər prezident|sarayında saray|meydanında meydan|"
    "müharibəsində müharibə|qüvvələrinin qüvvə|rəhbərlərinin rəhbər|nazirliyinin nazirlik|"
    "administrasiyasında administrasiya|prezidentinin prezident|müddətləri müddət|"
    "obyektlərinin obyekt|nazirinin nazir|oyunlarda oyun|şübhəlilərdən şübhəli"
)


def azerbaijani_study() -> list[str]:
    """Coverage of the Turkish tables over Azerbaijani words, and how many judged forms
    each analysis gives their lemma's key (and how many distinct lemmas it merges)."""
    import json

    from indexer.analysis.tokens import WORD_PATTERN

    texts = [
        (record.get("title") or "") + " " + record["body"]
        for line in (ROOT / "eval" / "multilingual" / "docs.jsonl").read_text("utf-8").splitlines()
        if line.strip() and (record := json.loads(line)).get("lang") == "az"
    ]
    for path in sorted((ROOT / "corpus" / "articles").glob("*.txt")):
        text = path.read_text("utf-8")
        if language.detect_language(text) == "az":
            texts.append(text)
    types = {language.normalize_word(w, "az") for t in texts for w in WORD_PATTERN.findall(t)}
    known = sum(language.turkish_lemma(w) is not None for w in types)
    lines = [f"{len(texts)} Azerbaijani articles, {len(types)} word types: the Turkish tables "
             f"know {known} ({known / len(types):.0%})."]  # fmt: skip
    pairs = [pair.split() for pair in AZERBAIJANI_FORMS.split("|")]
    lemmas = sorted({lemma for _, lemma in pairs})
    stem = language._stemmer("turkish").stemWord
    keys = {
        "the folded word alone": lambda w: w,
        "Turkish Snowball (today)": lambda w: stem(w),
        "Turkish lemma tables": lambda w: language.turkish_key(w, language.LEMMA),
        "Turkish lemma, else Snowball": lambda w: language.turkish_key(w, language.LEMMA_SNOWBALL),
    }
    for name, key in keys.items():
        right = sum(key(form) == key(lemma) for form, lemma in pairs)
        merged = sum(key(a) == key(b) for i, a in enumerate(lemmas) for b in lemmas[i + 1 :])
        lines.append(f"{name}: {right} of {len(pairs)} forms keyed as their lemma; "
                     f"{merged} merges of {len(lemmas)} distinct lemmas")  # fmt: skip
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="eval/turkish.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "eval" / "turkish")
    parser.add_argument("--no-results", action="store_true", help="leave eval/TURKISH.md alone")
    parser.add_argument("--multilingual", action="store_true",
                        help="only compare eval/multilingual topic by topic under Snowball "
                        "and the shipped Turkish analysis")  # fmt: skip
    parser.add_argument("--azerbaijani", action="store_true",
                        help="only the Azerbaijani study (eval/TURKISH.md)")  # fmt: skip
    args = parser.parse_args(argv)
    if args.azerbaijani:
        print("\n".join(azerbaijani_study()))
        return 0
    if args.multilingual:
        changed = multilingual_check(args.out)
        print("\n".join(changed) or "eval/multilingual: every topic's figures are identical")
        return 0
    corpus = SHARED_DATA / "ttc3600" / "docs.jsonl"
    if not corpus.is_file():
        print(f"{corpus}: not present; nothing to evaluate (set DOSSIER_EVAL_DATA)")
        return 0
    documents = [line.split('"id": "', 1)[1].split('"', 1)[0]
                 for line in corpus.read_text("utf-8").splitlines() if line.strip()]  # fmt: skip
    forms, unjudged = form_collection(corpus)
    categories = category_collection(corpus, documents)
    rows = []
    per_topic: dict[str, dict[str, dict[str, float]]] = {}
    for analysis in language.TURKISH_ANALYSES:
        language.set_turkish_analysis(analysis)
        index_dir = args.out / analysis.replace("(", "-").replace(")", "") / "index"
        started = time.perf_counter()
        report = build_index([corpus], index_dir, rebuild=True, procs=1)
        seconds = time.perf_counter() - started
        if report.errors or not report.added:
            print(f"{analysis}: indexing failed: {report.errors[:3]}", file=sys.stderr)
            return 1
        form_run = search_all(index_dir, forms.topics)
        condensed = {q: [(d, s) for d, s in ranked if d not in unjudged[q]]
                     for q, ranked in form_run.items()}  # fmt: skip
        category_run = search_all(index_dir, categories.topics)
        write_run(index_dir.parent / "forms.run", condensed, analysis)
        write_run(index_dir.parent / "categories.run", category_run, analysis)
        form_figures, form_topics = evaluate(forms, condensed)
        category_figures, category_topics = evaluate(categories, category_run)
        per_topic[analysis] = {**form_topics, **category_topics}
        recall, precision = recall_precision(forms, condensed)
        rows.append((analysis, form_figures, recall, precision, category_figures, seconds))
        print(f"{analysis}: forms MAP {form_figures['MAP']:.4f} recall {recall:.4g} "
              f"precision {precision:.4g}; categories MAP {category_figures['MAP']:.4f} "
              f"({seconds:.0f} s to index)", flush=True)  # fmt: skip
    language.set_turkish_analysis(language.TURKISH_ANALYSIS)
    table = format_table(rows, forms, categories) + "\n\n" + topic_changes(per_topic)
    print(table)
    if not args.no_results:
        write_results(table)
        print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


def format_table(rows: list, forms: Collection, categories: Collection) -> str:
    shipped = language.TURKISH_ANALYSIS
    header = ["Turkish analysis", "topic set", *METRICS, "recall", "precision"]
    lines = [header, ["---"] * len(header)]
    for analysis, form_figures, recall, precision, category_figures, _ in rows:
        name = f"**{analysis}** (shipped)" if analysis == shipped else analysis
        lines.append([name, f"forms ({len(forms.judged)})",
                      *(f"{form_figures[m]:.4f}" for m in METRICS),
                      f"{recall:.3f}", f"{precision:.3f}"])  # fmt: skip
        lines.append([name, f"categories ({len(categories.judged)})",
                      *(f"{category_figures[m]:.4f}" for m in METRICS), "", ""])  # fmt: skip
    return "\n".join("| " + " | ".join(row) + " |" for row in lines)


def topic_changes(per_topic: dict[str, dict[str, dict[str, float]]]) -> str:
    """Per analysis, on how many topics its average precision beats or trails Snowball's."""
    base = per_topic[language.SNOWBALL]
    lines = []
    for analysis, topics in per_topic.items():
        if analysis == language.SNOWBALL:
            continue
        for prefix, name in (("forms-", "form topics"), ("", "category topics")):
            qids = [q for q in topics if q.startswith("forms-") == bool(prefix)]
            up = sum(topics[q]["MAP"] > base[q]["MAP"] + 1e-9 for q in qids)
            down = sum(topics[q]["MAP"] < base[q]["MAP"] - 1e-9 for q in qids)
            lines.append(f"- {analysis} against snowball, {name}: average precision higher "
                         f"on {up}, lower on {down}, equal on {len(qids) - up - down} "
                         f"of {len(qids)}.")  # fmt: skip
    return "\n".join(lines)


def write_results(table: str) -> None:
    block = "\n".join([
        BEGIN, "",
        f"- **Date:** {time.strftime('%Y-%m-%d %H:%M %Z')}",
        f"- **Machine:** {machine()}",
        "- **Command:** `make eval-turkish` (`python eval/turkish.py`)",
        "", table, "", END,
    ])  # fmt: skip
    text = RESULTS.read_text("utf-8") if RESULTS.exists() else "# Turkish lemmas\n\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    RESULTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
