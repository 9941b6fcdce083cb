"""Evaluate Dossier's ranking on TREC-style collections and record the figures.

    python eval/run.py                       # eval/multilingual, plus CACM and Cranfield if present
    python eval/run.py /path/to/collection   # any folder with docs.jsonl, topics.tsv, qrels.txt
    python eval/run.py --full-topics         # also CACM and Cranfield with whole topic texts

For each collection it builds a real index, runs every topic through
SearchService and through plain Whoosh (the baseline, same run), writes TREC
run files under ``--out`` (default var/eval), prints MAP, nDCG@10, P@10 and
Recall@1000, and rewrites the generated table of eval/RESULTS.md (the text
outside its markers is kept). Exit status 1 when a collection failed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python eval/run.py` puts eval/, not the repository, on the path
    sys.path.insert(0, str(ROOT))

from eval.harness import BASELINE, METRICS, Evaluation, evaluate_collection  # noqa: E402

SHARED_DATA = Path(os.environ.get("DOSSIER_EVAL_DATA", ROOT.parent / "shared" / "data"))
DEFAULT_COLLECTIONS = [ROOT / "eval" / "multilingual", SHARED_DATA / "cacm",
                       SHARED_DATA / "cranfield"]  # fmt: skip
RESULTS = ROOT / "eval" / "RESULTS.md"
BEGIN = "<!-- eval/run.py: generated table begins; edit outside these markers -->"
END = "<!-- eval/run.py: generated table ends -->"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="eval/run.py", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "collections",
        nargs="*",
        type=Path,
        help="collection folders (default: the bundled set, CACM and Cranfield)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "eval",
                        help="where indexes and run files go (default var/eval)")  # fmt: skip
    parser.add_argument("--depth", type=int, default=1000, help="results per topic")
    parser.add_argument("--no-baseline", action="store_true", help="skip plain Whoosh")
    parser.add_argument("--results", type=Path, default=RESULTS,
                        help="Markdown file whose generated table is rewritten")  # fmt: skip
    parser.add_argument("--no-results", action="store_true", help="do not touch the results file")
    parser.add_argument(
        "--full-topics",
        action="store_true",
        help="also run each collection with its topics' whole texts, as pasted under the "
        "shipped limits (long ones read as descriptions); the multilingual set's are short",
    )
    args = parser.parse_args(argv)

    explicit = bool(args.collections)
    collections = args.collections or DEFAULT_COLLECTIONS
    evaluations: list[Evaluation] = []
    failed = False
    runs = [(path, False) for path in collections]
    if args.full_topics:
        runs += [(path, True) for path in collections if path.name != "multilingual"]
    for path, full_text in runs:
        if not explicit and not path.is_dir():
            print(f"{path}: not present, skipped")
            continue
        print(f"{path}{' (full topics)' if full_text else ''}: indexing and searching…", flush=True)
        try:
            evaluation = evaluate_collection(path, out_dir=args.out, depth=args.depth,
                                             baseline=not args.no_baseline,
                                             full_text=full_text)  # fmt: skip
        except (OSError, ValueError, RuntimeError) as exc:
            print(f"{path}: error: {exc}", file=sys.stderr)
            failed = True
            continue
        evaluations.append(evaluation)
        print(format_table([evaluation]))
        for problem in evaluation.dossier.problems:
            print(f"  skipped document: {problem}")
        for qid, why in evaluation.dossier.failed.items():
            print(f"  topic {qid}: no results: {why}")
    if evaluations and not args.no_results:
        command = "python eval/run.py" + "".join(f" {a}" for a in (argv or sys.argv[1:]))
        write_results(args.results, evaluations, command)
        print(f"wrote {args.results}")
    return 1 if failed or not evaluations else 0


def format_table(evaluations: list[Evaluation]) -> str:
    header = ["collection", "docs", "topics", "system", *METRICS, "index s", "search s"]
    rows = [header, ["---"] * len(header)]
    for ev in evaluations:
        systems = [ev.dossier] + ([ev.baseline] if ev.baseline else [])
        for system in systems:
            rows.append([
                ev.collection.name, str(ev.documents), str(len(ev.collection.judged)),
                "Dossier" if system is ev.dossier else f"plain Whoosh ({BASELINE})",
                *(f"{system.figures[m]:.4f}" for m in METRICS),
                f"{system.index_seconds:.1f}", f"{system.search_seconds:.1f}",
            ])  # fmt: skip
        if ev.baseline:
            rows.append([ev.collection.name, "", "", "Dossier ÷ Whoosh",
                         *(_ratio(ev.dossier.figures[m], ev.baseline.figures[m]) for m in METRICS),
                         "", ""])  # fmt: skip
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}×" if b else "–"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = ", ".join(f"{name} {_version(name)}" for name in ("whoosh-reloaded", "ir-measures"))
    return (f"{cpu}, {os.cpu_count()} cores; {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}; {versions}")  # fmt: skip


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "?"


def write_results(path: Path, evaluations: list[Evaluation], command: str) -> None:
    """Replace the generated block of ``path`` (created with a heading if missing)."""
    block = "\n".join([
        BEGIN,
        "",
        f"- **Date:** {dt.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}",
        f"- **Machine:** {machine()}",
        f"- **Command:** `{command}` (from the repository root)",
        "- **Systems:** Dossier = `indexer.build_index` + `indexer.SearchService` as shipped; "
        "plain Whoosh = `eval/baseline_whoosh.py`, indexed and searched in the same run.",
        "",
        format_table(evaluations),
        "",
        END,
    ])  # fmt: skip
    text = path.read_text(encoding="utf-8") if path.exists() else "# Relevance evaluation\n\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        text = head + block + tail
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
