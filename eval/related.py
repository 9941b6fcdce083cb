"""How good are the related articles? Measured on the multilingual judged set.

    python eval/related.py            # prints the figures
    python eval/related.py --write    # and rewrites its section of eval/RESULTS.md

For every judged topic of ``eval/multilingual``: search the topic as a
reader would (``SearchService.search``), take the top hit, and ask for its
related articles (``SearchService.related``, the list the document page
shows). The topic counts as served when a judged-relevant article other
than the top hit is among them. Reported: that fraction, the mean share of
the list that is relevant (precision@5), and the same for Whoosh's own
``more_like`` on the plain baseline index, for the same top hits.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from eval.baseline_whoosh import whoosh_more_like  # noqa: E402
from eval.harness import load_collection, topic_query  # noqa: E402
from indexer import SearchRequest, SearchService, build_index  # noqa: E402

BEGIN = "<!-- eval/related.py: generated section begins -->"
END = "<!-- eval/related.py: generated section ends -->"
LISTED = 5


def measure(collection_dir: Path, work: Path) -> dict[str, object]:
    collection = load_collection(collection_dir)
    index_dir = work / "related-index"
    build_index(collection.corpus, index_dir, rebuild=True)
    tops: dict[str, str] = {}
    lists: dict[str, list[str]] = {}
    with SearchService(index_dir) as service:
        for qid in collection.judged:
            result = service.search(SearchRequest(query=topic_query(collection.topics[qid])))
            if result.hits:
                tops[qid] = result.hits[0].id
                lists[qid] = [hit.id for hit in service.related(tops[qid], LISTED)]
    baseline = whoosh_more_like(
        collection.corpus, sorted(set(tops.values())), work / "related-whoosh", LISTED
    )
    figures: dict[str, object] = {"topics": len(collection.judged), "with_top_hit": len(tops)}
    # Topics whose only relevant article is the top hit cannot be served by any list.
    figures["possible"] = sum(
        1 for q, t in tops.items() if {d for d, g in collection.qrels[q].items() if g > 0} - {t}
    )
    for name, related in (
        ("dossier", lists),
        ("whoosh", {q: baseline[t] for q, t in tops.items()}),
    ):
        served = 0
        precision = 0.0
        for qid, top in tops.items():
            relevant = {d for d, g in collection.qrels[qid].items() if g > 0} - {top}
            listed = related[qid][:LISTED]
            served += any(d in relevant for d in listed)
            precision += sum(d in relevant for d in listed) / LISTED
        figures[f"{name}:served"] = served
        figures[f"{name}:p5"] = precision / max(len(tops), 1)
    return figures


def section(figures: dict[str, object]) -> str:
    n = figures["with_top_hit"]
    rows = [
        f"| {label} | {figures[f'{key}:served']}/{n} = {figures[f'{key}:served'] / n:.0%} | "
        f"{figures[f'{key}:p5']:.3f} |"
        for key, label in (("dossier", "Dossier (`SearchService.related`)"),
                           ("whoosh", "plain Whoosh `more_like`"))
    ]  # fmt: skip
    return "\n".join([
        BEGIN,
        "",
        "## Related articles (`eval/related.py`)",
        "",
        f"On `eval/multilingual` ({figures['topics']} judged topics): each topic is searched, "
        f"and the top hit's {LISTED} related articles are checked against the judgements "
        "(the top hit itself does not count). Whoosh's `more_like` is given the same top hits. "
        f"For {n - figures['possible']} topics the top hit is the only relevant article, so "
        f"{figures['possible']}/{n} is the most any list can reach. The weights in "
        "`indexer/search/related.py` were chosen by a small grid on this same set (there is "
        "no held-out set yet), so Dossier's figure is optimistic; with the first, untuned "
        "weights it was 31/39 (79%), precision@5 0.354.",
        "",
        f"| system | topics with a relevant article among the {LISTED} | precision@{LISTED} |",
        "|---|---:|---:|",
        *rows,
        "",
        END,
    ])  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--collection", type=Path, default=HERE / "multilingual")
    parser.add_argument("--work", type=Path, default=HERE.parent / "var" / "eval")
    parser.add_argument("--write", action="store_true", help="rewrite eval/RESULTS.md's section")
    args = parser.parse_args()
    figures = measure(args.collection, args.work)
    text = section(figures)
    print(text)
    if args.write:
        path = HERE / "RESULTS.md"
        current = path.read_text(encoding="utf-8")
        if BEGIN in current and END in current:
            head, rest = current.split(BEGIN, 1)
            current = head + text + rest.split(END, 1)[1]
        else:
            current = current.rstrip("\n") + "\n\n" + text + "\n"
        path.write_text(current, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
