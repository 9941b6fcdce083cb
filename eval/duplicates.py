"""Measure story detection (near-duplicates) on BBC News and AG News.

    python eval/duplicates.py                  # the corpora below that are present
    python eval/duplicates.py --data DIR       # another ../shared/data

Each corpus is indexed by the real indexer (``build_index``) into a temporary
directory, and the stories read back from the index. Reported per corpus:

- exact copies: articles whose record body is another's up to case and
  spacing (and, for reference, character for character, and after cleaning);
  every one must share its original's story (exit status 1 otherwise);
- near-duplicates: articles in a story with another article whose cleaned body
  differs from theirs, and the pairs (article, the story's first article);
- the true Jaccard similarity of each near-duplicate pair's word 3-gram sets
  (not the MinHash estimate), as a distribution;
- a seeded sample of ``--sample`` near-duplicate pairs with their titles and the
  words only one of the two has, to be checked by eye (README states the result).

The generated block of eval/DUPLICATES.md is rewritten (text outside its
markers is kept).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python eval/duplicates.py` puts eval/ on the path, not the repo
    sys.path.insert(0, str(ROOT))

from indexer import build_index  # noqa: E402
from indexer.index.store import IndexStore  # noqa: E402
from indexer.ingest.duplicates import SHINGLE_WORDS, THRESHOLD, normalized_words  # noqa: E402

SHARED_DATA = Path(os.environ.get("DOSSIER_EVAL_DATA", ROOT.parent / "shared" / "data"))
RESULTS = ROOT / "eval" / "DUPLICATES.md"
BEGIN = "<!-- eval/duplicates.py: generated block begins; edit outside these markers -->"
END = "<!-- eval/duplicates.py: generated block ends -->"
CORPORA = {"BBC News": "bbc_news/docs.jsonl", "AG News (test)": "agnews_test/docs.jsonl"}


@dataclass
class Article:
    id: str
    title: str
    body: str  # cleaned, as indexed
    source: str | None
    story: str


@dataclass
class CorpusFigures:
    name: str
    articles: int = 0
    stories: int = 0
    raw_copies: int = 0  # articles whose record body equals an earlier one's (case, spacing)
    raw_copies_collapsed: int = 0
    char_copies: int = 0  # the same, character for character
    clean_copies: int = 0  # the same after cleaning
    near_articles: int = 0
    near_pairs: list[tuple[Article, Article, float]] = field(default_factory=list)
    seconds: float = 0.0


def shingles(body: str) -> set[str]:
    words = normalized_words(body)
    return {" ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)}


def jaccard(a: str, b: str) -> float:
    first, second = shingles(a), shingles(b)
    return len(first & second) / len(first | second) if first | second else 1.0


def measure(name: str, path: Path) -> CorpusFigures:
    figures = CorpusFigures(name)
    raw_bodies: dict[str, str] = {}
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            raw_bodies[str(record["id"])] = record.get("body") or ""
    figures.char_copies = len(raw_bodies) - len(set(raw_bodies.values()))
    with tempfile.TemporaryDirectory(prefix="dossier-dups-") as tmp:
        report = build_index([path], Path(tmp) / "index", rebuild=True)
        figures.seconds = report.seconds
        index = IndexStore(Path(tmp) / "index").open()
        with index.searcher() as searcher:
            articles = [
                Article(f["id"], f.get("title") or "", f.get("body") or "", f.get("source"),
                        f.get("story") or f["id"])
                for f in searcher.all_stored_fields()
            ]  # fmt: skip
    figures.articles = len(articles)
    by_id = {a.id: a for a in articles}
    members: dict[str, list[Article]] = defaultdict(list)
    for article in articles:
        members[article.story].append(article)
    figures.stories = len(members)
    first_with_body: dict[str, str] = {}
    for doc_id, record_body in raw_bodies.items():
        if doc_id not in by_id:
            continue
        body = " ".join(record_body.lower().split())
        if body in first_with_body:
            figures.raw_copies += 1
            figures.raw_copies_collapsed += (
                by_id[first_with_body[body]].story == by_id[doc_id].story
            )
        else:
            first_with_body[body] = doc_id
    clean = Counter(a.body for a in articles)
    figures.clean_copies = sum(n - 1 for n in clean.values())
    for story, group in members.items():
        if len(group) < 2:
            continue
        head = by_id.get(story) or group[0]
        for article in group:
            if article is head or article.body == head.body:
                continue
            figures.near_articles += 1
            figures.near_pairs.append((head, article, jaccard(head.body, article.body)))
    return figures


def _only(a: str, b: str, limit: int = 12) -> str:
    words_b = set(normalized_words(b))
    only = [w for w in dict.fromkeys(normalized_words(a)) if w not in words_b]
    text = " ".join(only[:limit]) + (" …" if len(only) > limit else "")
    return text or "—"


def report(results: list[CorpusFigures], sample: int, seed: int) -> str:
    lines = [
        BEGIN,
        "",
        f"Shingles: word {SHINGLE_WORDS}-grams of the folded, cleaned body; MinHash/LSH "
        f"threshold {THRESHOLD} (estimated Jaccard). Re-run: `make eval-duplicates`.",
        "",
        "| Corpus | Articles | Stories | Exact copies (record body, up to case and spacing) | "
        "of them collapsed | character for character | after cleaning | "
        "Near-duplicates (articles) | Index time |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for f in results:
        lines.append(
            f"| {f.name} | {f.articles:,} | {f.stories:,} | {f.raw_copies} | "
            f"{f.raw_copies_collapsed} | {f.char_copies} | {f.clean_copies} | "
            f"{f.near_articles} | "
            f"{f.seconds:.0f} s |"
        )
    for f in results:
        if not f.near_pairs:
            continue
        values = sorted(j for *_, j in f.near_pairs)
        buckets = Counter(min(int(j * 10), 9) / 10 for j in values)
        lines += [
            "",
            f"### {f.name}: true Jaccard of the near-duplicate pairs",
            "",
            "| Jaccard (word 3-grams) | Pairs |",
            "|---|---:|",
            *(f"| {b:.1f}–{b + 0.1:.1f} | {n} |" for b, n in sorted(buckets.items())),
            "",
            f"Median {values[len(values) // 2]:.2f}, lowest {values[0]:.2f}.",
        ]
        rng = random.Random(seed)
        # In id order first: the index's order depends on which worker wrote which
        # segment, and the same seed must pick, and number, the same pairs every run.
        pairs = sorted(f.near_pairs, key=lambda pair: (pair[0].id, pair[1].id))
        chosen = rng.sample(pairs, min(sample, len(pairs)))
        lines += [
            "",
            f"### {f.name}: {len(chosen)} near-duplicate pairs sampled (seed {seed})",
            "",
            "| # | First article | Other version | Jaccard | Words only in the first | "
            "Words only in the other |",
            "|---:|---|---|---:|---|---|",
        ]
        for n, (head, other, j) in enumerate(chosen, start=1):
            lines.append(
                f"| {n} | {head.id}: {_cell(head.title)} | {other.id}: {_cell(other.title)} | "
                f"{j:.2f} | {_cell(_only(head.body, other.body))} | "
                f"{_cell(_only(other.body, head.body))} |"
            )
    lines += ["", END]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def write_results(path: Path, block: str) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if BEGIN in text and END in text:
        text = text[: text.index(BEGIN)] + block + text[text.index(END) + len(END) + 1 :]
    else:
        text = "# Stories: exact and near-duplicate detection\n\n" + block
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED_DATA)
    parser.add_argument("--sample", type=int, default=50)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    results = []
    for name, relative in CORPORA.items():
        path = args.data / relative
        if not path.exists():
            print(f"{name}: {path} not found, skipped", file=sys.stderr)
            continue
        figures = measure(name, path)
        print(
            f"{name}: {figures.articles} articles, {figures.stories} stories, "
            f"{figures.raw_copies_collapsed}/{figures.raw_copies} exact copies collapsed, "
            f"{figures.near_articles} near-duplicates"
        )
        results.append(figures)
    if not results:
        print("no corpus found; nothing measured", file=sys.stderr)
        return 1
    write_results(args.out, report(results, args.sample, args.seed))
    return 0 if all(f.raw_copies_collapsed == f.raw_copies for f in results) else 1


if __name__ == "__main__":
    sys.exit(main())
