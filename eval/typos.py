"""How right "did you mean" is: a typo set generated from the judged multilingual
articles, searched through the real SearchService.

    python eval/typos.py            # print the figures
    python eval/typos.py --write    # and rewrite their section of eval/RESULTS.md

The frequent words (at least 5 letters, no stop words) of each language's
articles in eval/multilingual/docs.jsonl (en, de, ru, tr, az) each get one
deletion, one insertion, one substitution and one transposition of
neighbouring letters, drawn with a fixed seed. A typo that is itself a word
of the index (its folded form is indexed) is left out: it finds articles and
no correction is asked for. Each remaining typo is searched alone; the
suggestion is right when it folds to the word the typo was made from.
Precision@1 is right / offered, coverage offered / cases.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from indexer import SearchRequest, SearchService, build_index  # noqa: E402
from indexer.analysis.language import folded_term, is_stopword, normalize_word  # noqa: E402
from indexer.analysis.tokens import words  # noqa: E402
from indexer.index.schema import FOLDED_BODY  # noqa: E402

DOCS = ROOT / "eval" / "multilingual" / "docs.jsonl"
RESULTS = ROOT / "eval" / "RESULTS.md"
LANGUAGES = ("en", "de", "ru", "tr", "az")
KINDS = ("deletion", "insertion", "substitution", "transposition")
WORDS_PER_LANGUAGE = 250
SEED = 13
BEGIN = "<!-- eval/typos.py: generated section begins -->"
END = "<!-- eval/typos.py: generated section ends -->"


def frequent_words(docs: list[dict[str, str]], lang: str, count: int) -> list[str]:
    counts: Counter[str] = Counter()
    for doc in docs:
        if doc.get("lang") == lang:
            for word in words(f"{doc.get('title') or ''} {doc.get('body') or ''}"):
                normalized = normalize_word(word, lang)
                wanted = len(normalized) >= 5 and normalized.isalpha()
                if wanted and not is_stopword(normalized, lang):
                    counts[normalized] += 1
    return [word for word, _ in counts.most_common(count)]


def typo(word: str, kind: str, alphabet: str, rng: random.Random) -> str | None:
    """One edit of ``kind`` inside the word (the first letter kept, as people type it)."""
    at = rng.randrange(1, len(word))
    if kind == "deletion":
        return word[:at] + word[at + 1 :]
    if kind == "insertion":
        return word[:at] + rng.choice(alphabet) + word[at:]
    if kind == "substitution":
        letter = rng.choice([c for c in alphabet if c != word[at]])
        return word[:at] + letter + word[at + 1 :]
    at = rng.randrange(1, len(word) - 1)
    if word[at] == word[at + 1]:
        return None
    return word[:at] + word[at + 1] + word[at] + word[at + 2 :]


def generate(docs: list[dict[str, str]], vocabulary: set[str]) -> list[tuple[str, str, str, str]]:
    """(language, kind, word, typo) cases, reproducible from SEED."""
    rng = random.Random(SEED)
    cases = []
    for lang in LANGUAGES:
        chosen = frequent_words(docs, lang, WORDS_PER_LANGUAGE)
        alphabet = "".join(sorted({c for w in chosen for c in w}))
        for word in chosen:
            for kind in KINDS:
                made = typo(word, kind, alphabet, rng)
                if made and made != word and folded_term(made) not in vocabulary:
                    cases.append((lang, kind, word, made))
    return cases


def measure(index: Path) -> dict[str, object]:
    docs = [json.loads(line) for line in DOCS.read_text(encoding="utf-8").splitlines()]
    if not (index / "CURRENT").exists() and not any(index.glob("*")):
        build_index([DOCS], index, rebuild=True)
    with SearchService(index) as service:
        with service.manager.acquire() as generation:
            reader = generation.searcher().reader()
            vocabulary = {t.decode("utf-8") for t in reader.lexicon(FOLDED_BODY)}
        cases = generate(docs, vocabulary)
        table: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
        wrong: list[tuple[str, str, str]] = []
        for lang, kind, word, made in cases:
            suggestion = service.search(SearchRequest(query=made, per_page=1)).suggestion
            row = table[(lang, kind)]
            row[0] += 1
            if suggestion:
                row[1] += 1
                if folded_term(suggestion) == folded_term(word):
                    row[2] += 1
                else:
                    wrong.append((made, suggestion, word))
        examples = {
            q: service.search(SearchRequest(query=q)).suggestion
            for q in ("budgt", "gordn bruwn budgt", "foo", "securty", "Nagiyevv")
        }
    return {"table": dict(table), "wrong": wrong, "examples": examples, "cases": len(cases)}


def format_figures(figures: dict[str, object]) -> str:
    table: dict[tuple[str, str], list[int]] = figures["table"]  # type: ignore[assignment]
    lines = ["| language | kind | cases | offered (coverage) | right | precision@1 |",
             "|---|---|---|---|---|---|"]  # fmt: skip

    def row(label: str, kind: str, cells: list[int]) -> str:
        cases, offered, right = cells
        coverage = f"{offered / cases:.1%}" if cases else "–"
        precision = f"{right / offered:.1%}" if offered else "–"
        return f"| {label} | {kind} | {cases} | {offered} ({coverage}) | {right} | {precision} |"

    for lang in LANGUAGES:
        total = [0, 0, 0]
        for kind in KINDS:
            cells = table.get((lang, kind), [0, 0, 0])
            total = [a + b for a, b in zip(total, cells, strict=True)]
            lines.append(row(lang, kind, cells))
        lines.append(row(f"**{lang}**", "all", total))
    everything = [sum(c[i] for c in table.values()) for i in range(3)]
    lines.append(row("**all**", "all", everything))
    wrong: list[tuple[str, str, str]] = figures["wrong"]  # type: ignore[assignment]
    sample = ", ".join(f"{m} → {s} (meant {w})" for m, s, w in wrong[:12])
    examples: dict[str, str | None] = figures["examples"]  # type: ignore[assignment]
    shown = "; ".join(f"`{q}` → {s or 'nothing'}" for q, s in examples.items())
    return "\n".join([*lines, "", f"Wrong corrections, first ones: {sample or 'none'}.", "",
                      f"The bundled examples on this index: {shown}."])  # fmt: skip


def write_results(path: Path, text: str) -> None:
    block = f"{BEGIN}\n\n{text}\n\n{END}"
    current = path.read_text(encoding="utf-8")
    if BEGIN in current and END in current:
        head, rest = current.split(BEGIN, 1)
        current = head + block + rest.split(END, 1)[1]
    else:
        current = current.rstrip("\n") + "\n\n## Spelling corrections\n\n" + block + "\n"
    path.write_text(current, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="eval/typos.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, default=ROOT / "var" / "eval" / "typos" / "index")
    parser.add_argument("--write", action="store_true", help="rewrite eval/RESULTS.md's section")
    args = parser.parse_args(argv)
    args.index.mkdir(parents=True, exist_ok=True)
    figures = measure(args.index)
    text = format_figures(figures)
    print(text)
    if args.write:
        write_results(RESULTS, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
