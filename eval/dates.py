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

from eval.dateline_forms import stamp  # noqa: E402
from indexer.ingest.dates import DATE_FROM_DATELINE, normalize_record_date  # noqa: E402
from indexer.ingest.documents import DocumentBuilder  # noqa: E402
from indexer.ingest.organizations import Gazetteer  # noqa: E402

SHARED_DATA = Path(os.environ.get("DOSSIER_EVAL_DATA", ROOT.parent / "shared" / "data"))
RESULTS = ROOT / "eval" / "DATES.md"
BEGIN = "<!-- eval/dates.py: generated block begins; edit outside these markers -->"
END = "<!-- eval/dates.py: generated block ends -->"
MIN_PRECISION = 0.99
REUTERS_WITH_YEAR = "Reuters-21578, the record's year printed in the dateline (counterfactual)"
# Counterfactual corpora whose dates were printed in front of each text in its own
# language's forms (eval/dateline_forms.py): measured apart from the real ones.
PRINTED = "Datelines printed in {lang} (counterfactual)"
PRINTED_SOURCES = {  # language: the real texts the dates are printed on (under the data)
    "en": ["bbc_news/docs.jsonl"],
    "de": ["gnad10k_test/docs.jsonl"],
    "ru": ["nerel_ruwikinews/docs.jsonl"],
    "tr": ["ttc3600/docs.jsonl"],
    "az": [],
}
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
    stamped: bool = False  # the record gave a time of day (a wire's timestamp)
    stated: str | None = None  # "MM-DD" the dateline states, read apart (counterfactual only)
    form: str | None = None  # the form of the printed dateline (counterfactual only)


@dataclass(slots=True)
class Outcome:
    corpus: str
    documents: int = 0
    dated: int = 0  # records that carry a date
    inferred: int = 0
    correct: int = 0
    ahead: int = 0  # one day after a record's timestamp: see ``ahead_of_timestamp``
    stated: int = 0  # inferences compared with a second reading of the dateline...
    misread: int = 0  # ...and those that differ from it
    wrong: list[tuple[str, str, str, str]] = field(
        default_factory=list
    )  # id, inferred, record, line
    undated_inferred: list[tuple[str, str, str, str]] = field(default_factory=list)
    # id, date, first line, weekday check ("agrees", "differs" or "no day named")
    forms: dict[str, list[int]] = field(default_factory=dict)  # form: [printed, read exactly]

    @property
    def counterfactual(self) -> bool:
        return self.corpus == REUTERS_WITH_YEAR or self.printed

    @property
    def printed(self) -> bool:
        return self.corpus.startswith(PRINTED.split("{")[0])

    @property
    def precision(self) -> float | None:
        checked = self.correct + self.ahead + len(self.wrong)
        return (self.correct + self.ahead) / checked if checked else None

    @property
    def strict_precision(self) -> float | None:
        checked = self.correct + self.ahead + len(self.wrong)
        return self.correct / checked if checked else None

    @property
    def recall(self) -> float | None:
        return (self.correct + self.ahead) / self.dated if self.dated else None


def ahead_of_timestamp(inferred: str, article: Article) -> bool:
    """A dateline one day after a record's timestamp (``1987-02-26T21:10``): Reuters
    stamped its wire in New York, so a Tokyo story of Feb 27 bears Feb 26 evening,
    and some evening copy is dated for the next morning. Counted apart from the
    stamp's own day, never as a match of a bare record date."""
    if not article.stamped or not article.date or len(inferred) != 10 or len(article.date) != 10:
        return False
    day = dt.date.fromisoformat(article.date)
    return dt.date.fromisoformat(inferred) - day == dt.timedelta(1)


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


# "Feb 26 -" at the end of a Reuters dateline: where a wire that prints years has ", 1987".
_MONTH_WORD = r"(?i:(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?)"
_DAY_BEFORE_DASH = re.compile(
    rf"(\b(?:{_MONTH_WORD}[^\S\n]+\d{{1,2}}|\d{{1,2}}[^\S\n]+{_MONTH_WORD}))([^\S\n]*-)"
)


def _month_day(text: str) -> str | None:
    """'Feb 26' or '2 March' as '02-26' / '03-02': a second reading of a Reuters
    dateline, apart from the pipeline's, to tell a misread from a wire whose
    dateline and timestamp disagree."""
    words = re.findall(r"[A-Za-z]+|\d+", text)
    month = next((m for w in words if (m := _MONTH_NUMBER.get(w[:3].lower()))), None)
    day = next((int(w) for w in words if w.isdigit()), None)
    return f"{month:02d}-{day:02d}" if month and day else None


_MONTHS3 = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH_NUMBER = {m: n for n, m in enumerate(_MONTHS3, 1)}


def jsonl_articles(
    path: Path, *, dateline_from_meta: bool = False, year_in_dateline: bool = False
) -> Iterator[Article]:
    """Articles of a JSON Lines corpus. Reuters-21578 keeps each story's dateline
    ("SALVADOR, Feb 26 -") in ``meta.dateline``, cut from the body by the
    conversion; ``dateline_from_meta`` puts it back where the wire had it.

    ``year_in_dateline`` also prints the record's year in it ("SALVADOR, Feb 26,
    1987 -"), as wires that give the year do: a counterfactual that tests the
    dateline reader on ~19,000 real datelines (their places, regions and day
    formats, and the rest of the text left alone); the month and day must
    still come from the text, and are compared with the record's timestamp."""
    for record in _jsonl(path):
        body = record.get("body") or ""
        dateline = (record.get("meta") or {}).get("dateline") if dateline_from_meta else None
        year = str(record.get("date") or "")[:4]
        stated = None
        if dateline and year_in_dateline and year.isdigit():
            found = _DAY_BEFORE_DASH.search(dateline)
            stated = _month_day(found.group(1)) if found else None
            dateline = _DAY_BEFORE_DASH.sub(rf"\1, {year}\2", dateline.strip(), count=1)
        if dateline:
            body = f"{dateline.strip()} {body}"
        raw = record.get("date")
        yield Article(
            str(record.get("id")),
            body,
            record.get("title"),
            _record_date(raw),
            stamped=isinstance(raw, str) and "T" in raw,
            stated=stated,
        )


def text_articles(folder: Path) -> Iterator[Article]:
    """The bundled .txt articles; their ``date`` header is the date to find again."""
    for path in sorted(folder.glob("*.txt")):
        raw = path.read_text(encoding="utf-8-sig")
        header = _HEADER.match(raw)
        date = _record_date(header.group(1)) if header else None
        yield Article(path.stem, raw[header.end() :] if header else raw, None, date)


def printed_articles(lang: str, sources: list[Path]) -> Iterator[Article]:
    """The ``lang`` texts of the multilingual fixtures and of ``sources``, each with a
    date printed before it as that language writes one (``eval/dateline_forms.py``)."""
    fixtures = (r for r in _jsonl(ROOT / "eval" / "multilingual" / "docs.jsonl")
                if r.get("lang") == lang)  # fmt: skip
    records = [fixtures, *(_jsonl(path) for path in sources if path.exists())]
    for number, record in enumerate(r for group in records for r in group):
        article_id = str(record.get("id"))
        text, date, form = stamp(lang, article_id, record.get("body") or "", number)
        yield Article(article_id, text, record.get("title"), date, form=form)


def corpora(data: Path) -> list[tuple[str, Iterator[Article] | None]]:
    """(name, articles or None when absent), in the order of the report."""

    def present(path: Path, make) -> Iterator[Article] | None:
        return make(path) if path.exists() else None

    return [
        ("Reuters-21578 (dateline restored from meta)", present(
            data / "reuters21578" / "docs.jsonl.gz",
            lambda p: jsonl_articles(p, dateline_from_meta=True))),
        (REUTERS_WITH_YEAR, present(
            data / "reuters21578" / "docs.jsonl.gz",
            lambda p: jsonl_articles(p, dateline_from_meta=True, year_in_dateline=True))),
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
    ] + [
        (PRINTED.format(lang=lang),
         printed_articles(lang, [data / source for source in sources]))
        for lang, sources in PRINTED_SOURCES.items()
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
        if article.form is not None:
            outcome.forms.setdefault(article.form, [0, 0])[0] += 1
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
        if article.form is not None:
            counts = outcome.forms.setdefault(article.form, [0, 0])
            counts[1] += inferred == article.date
        if article.stated is not None:
            outcome.stated += 1
            outcome.misread += inferred[5:10] != article.stated
        common = min(len(inferred), len(article.date))
        if inferred[:common] == article.date[:common]:
            outcome.correct += 1
        elif ahead_of_timestamp(inferred, article):
            outcome.ahead += 1
        else:
            outcome.wrong.append((article.id, inferred, article.date, first_line(article.text)))
    return outcome


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f} %"


def _counterfactual_line(o: Outcome) -> str:
    verdict = (
        "none is misread: where a date disagrees with the timestamp, the wire's dateline "
        "and stamp disagree"
        if o.misread == 0 and o.stated == o.inferred
        else f"{o.misread:,} misread"
    )
    return (
        f"- **Counterfactual, {o.corpus}:** {o.inferred:,} dates inferred from "
        f"{o.dated:,} dated articles, recall {_percent(o.recall)}. Against the wire's "
        f"New York timestamps: {_percent(o.strict_precision)} name the stamp's day "
        f"({o.correct:,}), {_percent(o.precision)} that day or the next ({o.ahead:,} the "
        f"next). Against a second reading of each dateline's own words, "
        f"{o.stated - o.misread:,} of {o.stated:,} are the day it states: {verdict}."
    )


def _printed_table(printed: list[Outcome]) -> list[str]:
    """The per-language counterfactual: read back, exact, and what was read of each form."""
    if not printed:
        return []
    lines = [
        "",
        "Dates printed in front of real texts in each language's own forms "
        "(`eval/dateline_forms.py`: a dateline with place and agency, one on its own line, "
        "one with the agency before the date, a publication line; numeric dates in German "
        "and Russian, Turkish months in capitals), then read back. Counterfactual: "
        "precision is exact dates / dates read, recall dates read exactly / printed.",
        "",
        "| printed in | articles | read | exact | precision | recall | read exactly, by form |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for o in printed:
        forms = ", ".join(f"{form} {read}/{total}" for form, (total, read) in o.forms.items())
        lines.append(
            f"| {o.corpus} | {o.documents:,} | {o.inferred:,} | {o.correct:,} | "
            f"{_percent(o.precision)} | {_percent(o.recall)} | {forms} |"
        )
    return lines


def format_block(outcomes: list[Outcome], command: str) -> str:
    counterfactual = [o for o in outcomes if o.corpus == REUTERS_WITH_YEAR and o.dated]
    dated = [o for o in outcomes if o.dated and not o.counterfactual]
    correct = sum(o.correct + o.ahead for o in dated)
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
    ]
    lines += [_counterfactual_line(o) for o in counterfactual]
    lines += [
        "",
        "| corpus | articles | with a date | inferred | correct | a day after the timestamp "
        "| wrong | precision | recall |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for o in outcomes:
        if o.printed:
            continue
        lines.append(
            f"| {o.corpus} | {o.documents:,} | {o.dated:,} | {o.inferred:,} | {o.correct:,} | "
            f"{o.ahead:,} | {len(o.wrong):,} | {_percent(o.precision)} | {_percent(o.recall)} |"
        )
    lines += _printed_table([o for o in outcomes if o.printed and o.dated])
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
    # Real corpora: inferred dates against their records. The counterfactual:
    # against what each dateline states (its timestamps are another clock).
    real = [o for o in outcomes if not o.counterfactual]
    checked = sum(o.correct + o.ahead + len(o.wrong) for o in real)
    correct = sum(o.correct + o.ahead for o in real)
    failed = False
    if checked and correct / checked < MIN_PRECISION:
        print(f"precision {correct / checked:.3f} is below {MIN_PRECISION}", file=sys.stderr)
        failed = True
    for o in outcomes:
        if o.corpus == REUTERS_WITH_YEAR and o.stated and o.misread / o.stated > 1 - MIN_PRECISION:
            print(f"{o.misread} of {o.stated} datelines misread", file=sys.stderr)
            failed = True
        if o.printed and o.precision is not None and o.precision < MIN_PRECISION:
            print(f"{o.corpus}: precision {o.precision:.3f} is below {MIN_PRECISION}",
                  file=sys.stderr)  # fmt: skip
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
