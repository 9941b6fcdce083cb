"""Measure the publication-date inference: drop the dates, infer them, compare.

    python eval/dates.py                  # the corpora below that are present
    python eval/dates.py --data DIR       # another ../shared/data

Each article goes through the ingest pipeline (``DocumentBuilder.build``, as
``dossier index`` runs it) without its date, so the date can only come from
its own text (a dateline or publication line). On corpora whose records carry
dates, an inferred date is correct when it agrees with the record's to the
precision both have (``2004-08-23`` against ``2004-08-23T10:00`` or
``2004-08``); precision is correct / inferred, recall correct / dated
records. On corpora without dates every inferred date is listed, to be
checked by eye, with an automatic cross-check: news copy names the day of
the week ("Israel announced plans Monday"), and that day must be the
inferred date's. The generated block of eval/DATES.md is rewritten (the text
outside its markers is kept). Exit status 1 when precision is below 99 %.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python eval/dates.py` puts eval/, not the repository, on the path
    sys.path.insert(0, str(ROOT))

from indexer.ingest.dates import DATE_FROM_DATELINE, normalize_record_date  # noqa: E402
from indexer.ingest.documents import DocumentBuilder  # noqa: E402
from indexer.ingest.organizations import Gazetteer  # noqa: E402

SHARED_DATA = Path(os.environ.get("DOSSIER_EVAL_DATA", ROOT.parent / "shared" / "data"))
RESULTS = ROOT / "eval" / "DATES.md"
BEGIN = "<!-- eval/dates.py: generated block begins; edit outside these markers -->"
END = "<!-- eval/dates.py: generated block ends -->"
MIN_PRECISION = 0.99
_HEADER = re.compile(r"^\ufeff?\s*date\s+(\S+)\s*", re.IGNORECASE)
_WEEKDAYS = [
    "monday montag понедельник pazartesi",
    "tuesday dienstag вторник salı",
    "wednesday mittwoch среду среда çarşamba",
    "thursday donnerstag четверг perşembe",
    "friday freitag пятницу пятница cuma",
    "saturday samstag субботу суббота cumartesi",
    "sunday sonntag воскресенье pazar",
]
_WEEKDAY_WORD = {name: day for day, names in enumerate(_WEEKDAYS) for name in names.split()}
WEEKDAY_SPAN = 300  # characters after the dateline where the story's day is named


@dataclass(slots=True)
class Article:
    id: str
    text: str
    title: str | None
    date: str | None  # the record's (or header's) date, normalized; None when it has none


@dataclass(slots=True)
class Outcome:
    corpus: str
    documents: int = 0
    dated: int = 0  # records that carry a date
    inferred: int = 0
    correct: int = 0
    wrong: list[tuple[str, str, str, str]] = field(
        default_factory=list
    )  # id, inferred, record, line
    undated_inferred: list[tuple[str, str, str, str]] = field(default_factory=list)
    # id, date, first line, weekday check ("agrees", "differs" or "no day named")

    @property
    def precision(self) -> float | None:
        checked = self.correct + len(self.wrong)
        return self.correct / checked if checked else None

    @property
    def recall(self) -> float | None:
        return self.correct / self.dated if self.dated else None


def _jsonl(path: Path) -> Iterator[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _record_date(value: object) -> str | None:
    try:
        return normalize_record_date(value)
    except ValueError:
        return None


def jsonl_articles(path: Path, *, dateline_from_meta: bool = False) -> Iterator[Article]:
    """Articles of a JSON Lines corpus. Reuters-21578 keeps each story's dateline
    ("SALVADOR, Feb 26 -") in ``meta.dateline``, cut from the body by the
    conversion; ``dateline_from_meta`` puts it back where the wire had it."""
    for record in _jsonl(path):
        body = record.get("body") or ""
        dateline = (record.get("meta") or {}).get("dateline") if dateline_from_meta else None
        if dateline:
            body = f"{dateline.strip()} {body}"
        yield Article(
            str(record.get("id")), body, record.get("title"), _record_date(record.get("date"))
        )


def text_articles(folder: Path) -> Iterator[Article]:
    """The bundled .txt articles; their ``date`` header is the date to find again."""
    for path in sorted(folder.glob("*.txt")):
        raw = path.read_text(encoding="utf-8-sig")
        header = _HEADER.match(raw)
        date = _record_date(header.group(1)) if header else None
        yield Article(path.stem, raw[header.end() :] if header else raw, None, date)


def corpora(data: Path) -> list[tuple[str, Iterator[Article] | None]]:
    """(name, articles or None when absent), in the order of the report."""

    def present(path: Path, make) -> Iterator[Article] | None:
        return make(path) if path.exists() else None

    return [
        ("Reuters-21578 (dateline restored from meta)", present(
            data / "reuters21578" / "docs.jsonl.gz",
            lambda p: jsonl_articles(p, dateline_from_meta=True))),
        ("Global Voices (en)", present(data / "globalvoices_en" / "docs.jsonl", jsonl_articles)),
        ("eval/multilingual fixtures", present(
            ROOT / "eval" / "multilingual" / "docs.jsonl", jsonl_articles)),
        ("bundled articles (corpus/articles)", present(
            ROOT / "corpus" / "articles", text_articles)),
        ("AG News test (undated)", present(data / "agnews_test" / "docs.jsonl", jsonl_articles)),
        ("BBC News (undated)", present(data / "bbc_news" / "docs.jsonl", jsonl_articles)),
        ("10kGNAD test (de, undated)", present(
            data / "gnad10k_test" / "docs.jsonl", jsonl_articles)),
        ("TTC-3600 (tr, undated)", present(data / "ttc3600" / "docs.jsonl", jsonl_articles)),
        ("NEREL Russian Wikinews (undated)", present(
            data / "nerel_ruwikinews" / "docs.jsonl", jsonl_articles)),
    ]  # fmt: skip


def weekday_check(text: str, value: str) -> str:
    """Whether the weekday the opening names is ``value``'s (news copy: "said on Monday")."""
    if len(value) < 10:
        return "no day named"
    named = {
        _WEEKDAY_WORD[w] for w in re.findall(r"\w+", text[:WEEKDAY_SPAN].lower())
        if w in _WEEKDAY_WORD
    }  # fmt: skip
    if not named:
        return "no day named"
    return "agrees" if dt.date.fromisoformat(value).weekday() in named else "differs"


def first_line(text: str) -> str:
    line = next((part.strip() for part in text.split("\n") if part.strip()), "")
    return line[:90] + ("…" if len(line) > 90 else "")


def evaluate_corpus(name: str, articles: Iterator[Article], builder: DocumentBuilder) -> Outcome:
    """Infer each article's date with the real pipeline, its record's date dropped."""
    outcome = Outcome(name)
    for article in articles:
        outcome.documents += 1
        doc, _ = builder.build(
            doc_id=article.id, text=article.text, path=name, title=article.title,
            date=None, lang="en", organizations=[], digest=article.id,
        )  # fmt: skip
        inferred = getattr(doc, "date", None)
        if article.date:
            outcome.dated += 1
        if not inferred:
            continue
        assert doc.date_source == DATE_FROM_DATELINE  # type: ignore[union-attr]
        outcome.inferred += 1
        if article.date is None:
            outcome.undated_inferred.append(
                (
                    article.id,
                    inferred,
                    first_line(article.text),
                    weekday_check(article.text, inferred),
                )
            )
            continue
        common = min(len(inferred), len(article.date))
        if inferred[:common] == article.date[:common]:
            outcome.correct += 1
        else:
            outcome.wrong.append((article.id, inferred, article.date, first_line(article.text)))
    return outcome


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f} %"


def format_block(outcomes: list[Outcome], command: str) -> str:
    dated = [o for o in outcomes if o.dated]
    correct = sum(o.correct for o in dated)
    checked = correct + sum(len(o.wrong) for o in dated)
    total_dated = sum(o.dated for o in dated)
    lines = [
        BEGIN,
        "",
        f"- **Date:** {dt.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}",
        f"- **Command:** `{command}` (from the repository root)",
        f"- **Overall, corpora with dates:** {checked} dates inferred from "
        f"{total_dated:,} dated articles; precision "
        f"{_percent(correct / checked if checked else None)}, recall "
        f"{_percent(correct / total_dated if total_dated else None)}.",
        "",
        "| corpus | articles | with a date | inferred | correct | wrong | precision | recall |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for o in outcomes:
        lines.append(
            f"| {o.corpus} | {o.documents:,} | {o.dated:,} | {o.inferred:,} | {o.correct:,} | "
            f"{len(o.wrong):,} | {_percent(o.precision)} | {_percent(o.recall)} |"
        )
    wrong = [(o.corpus, *w) for o in outcomes for w in o.wrong]
    if wrong:
        lines += ["", "Wrong inferences (inferred, record, first line):", ""]
        lines += [f"- {c} `{i}`: {d} ≠ {r}: {line}" for c, i, d, r, line in wrong]
    undated = [(o.corpus, *u) for o in outcomes for u in o.undated_inferred]
    checks = {k: sum(1 for *_, check in undated if check == k) for k in ("agrees", "differs")}
    lines += [
        "",
        f"Dates inferred on corpora without dates ({len(undated)}), to check by eye. The "
        f"weekday the story names agrees with the inferred date in {checks['agrees']}, "
        f"differs in {checks['differs']}, and is not named in the rest:",
        "",
    ]
    lines += [f"- {c} `{i}`: {d} ({check}) from “{line}”" for c, i, d, line, check in undated] or [
        "- none"
    ]
    lines += ["", END]
    return "\n".join(lines)


def write_results(path: Path, block: str) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else "# Date inference\n\n"
    if BEGIN in text and END in text:
        text = text[: text.index(BEGIN)] + block + text[text.index(END) + len(END) :]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="eval/dates.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=SHARED_DATA, help="the shared data folder")
    parser.add_argument("--out", type=Path, default=RESULTS, help="the Markdown file to update")
    args = parser.parse_args(argv)
    builder = DocumentBuilder(Gazetteer.load(None))
    outcomes = []
    for name, articles in corpora(args.data):
        if articles is None:
            print(f"{name}: not present, skipped")
            continue
        outcome = evaluate_corpus(name, articles, builder)
        outcomes.append(outcome)
        print(
            f"{name}: {outcome.documents} articles, {outcome.dated} dated, "
            f"{outcome.inferred} inferred, {outcome.correct} correct, {len(outcome.wrong)} wrong"
        )
    block = format_block(outcomes, "python eval/dates.py")
    write_results(args.out, block)
    print(f"wrote {args.out}")
    checked = sum(o.correct + len(o.wrong) for o in outcomes)
    correct = sum(o.correct for o in outcomes)
    if checked and correct / checked < MIN_PRECISION:
        print(f"precision {correct / checked:.3f} is below {MIN_PRECISION}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
