"""eval/dates.py on a small corpus whose figures are known: right, a day ahead, wrong, missed."""

from __future__ import annotations

import json
from pathlib import Path

from eval.dateline_forms import MONTHS, SHAPES, printed_date, stamp
from eval.dates import (
    BEGIN,
    END,
    PRINTED,
    evaluate_corpus,
    format_block,
    jsonl_articles,
    printed_articles,
    weekday_check,
    write_results,
)
from indexer.ingest.documents import DocumentBuilder
from indexer.ingest.organizations import Gazetteer

RECORDS = [
    # the dateline agrees with the record (to the day; the record has a time)
    {"id": "right", "body": "BAKU, Sept 22, 2025 (Reuters) - Talks began Monday.",
     "date": "2025-09-22T10:00:00"},
    # a day after a timestamped record: filed east of where the wire stamped it
    {"id": "ahead", "body": "TOKYO, Feb 27, 1987 - Text.", "date": "1987-02-26T21:10:00"},
    # a day after a bare date, or two days after a timestamp, is wrong
    {"id": "late", "body": "TOKYO, Feb 28, 1987 - Text.", "date": "1987-02-26T21:10:00"},
    # a dateline that disagrees with its record counts as wrong
    {"id": "wrong", "body": "Baku, 21 September 2025 - Text.", "date": "2025-09-22"},
    # no dateline: missed (recall), not wrong
    {"id": "missed", "body": "Griffin Park\nTuesday, 1 March\n1945 GMT\nText.",
     "date": "2005-03-01"},
    # an undated record with a dateline is listed for the eye, with its weekday check
    {"id": "undated", "body": "MOSCOW Sept. 17, 2004 - Basayev claimed it Friday."},
]  # fmt: skip


def test_counts_precision_recall_and_listings(tmp_path: Path) -> None:
    path = tmp_path / "docs.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in RECORDS), encoding="utf-8")
    builder = DocumentBuilder(Gazetteer.load(None))
    outcome = evaluate_corpus("tiny", jsonl_articles(path), builder)
    counts = (outcome.documents, outcome.dated, outcome.inferred, outcome.correct, outcome.ahead)
    assert counts == (6, 5, 5, 1, 1)
    assert [w[:3] for w in outcome.wrong] == [
        ("late", "1987-02-28", "1987-02-26"),
        ("wrong", "2025-09-21", "2025-09-22"),
    ]
    assert (outcome.precision, outcome.strict_precision, outcome.recall) == (0.5, 0.25, 0.4)
    assert [(u[0], u[1], u[3]) for u in outcome.undated_inferred] == [
        ("undated", "2004-09-17", "agrees")
    ]
    block = format_block([outcome], "python eval/dates.py")
    assert "| tiny | 6 | 5 | 5 | 1 | 1 | 2 | 50.0 % | 40.0 % |" in block
    results = tmp_path / "DATES.md"
    results.write_text(f"# Kept\n\n{BEGIN}\nold\n{END}\n\nAlso kept.\n", encoding="utf-8")
    write_results(results, block)
    text = results.read_text(encoding="utf-8")
    assert text.startswith("# Kept") and text.endswith("Also kept.\n") and "old" not in text


def test_weekday_check() -> None:
    assert weekday_check("BAKU, Sept 22, 2025 - It began on Monday.", "2025-09-22") == "agrees"
    assert weekday_check("BAKU, Sept 22, 2025 - It began on Tuesday.", "2025-09-22") == "differs"
    assert weekday_check("BAKU, Sept 22, 2025 - It began.", "2025-09-22") == "no day named"


def test_reuters_counterfactual_prints_the_year_in_the_dateline(tmp_path: Path) -> None:
    """The year goes after the dateline's day whichever way the wire wrote it; the
    month and day stay the text's, and a headline that is no dateline is left alone."""
    records = [
        {"id": "a", "body": "Text.", "date": "1987-02-26T15:01:01",
         "meta": {"dateline": "SALVADOR, Feb 26 -"}},
        {"id": "b", "body": "Text.", "date": "1987-03-02T09:00:00",
         "meta": {"dateline": "AMSTERDAM, 2 March -"}},
        {"id": "c", "body": "Text.", "date": "1987-03-02T09:00:00",
         "meta": {"dateline": "WASHINGTON, MARCH 2 - Defense"}},
        {"id": "d", "body": "Text.", "date": "1987-02-26T15:01:01",
         "meta": {"dateline": "FEDERAL RESERVE WEEKLY REPORT 1 - FEB 26"}},
    ]  # fmt: skip
    path = tmp_path / "docs.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    texts = [a.text for a in jsonl_articles(path, dateline_from_meta=True, year_in_dateline=True)]
    assert texts == [
        "SALVADOR, Feb 26, 1987 - Text.",
        "AMSTERDAM, 2 March, 1987 - Text.",
        "WASHINGTON, MARCH 2, 1987 - Defense Text.",
        "FEDERAL RESERVE WEEKLY REPORT 1 - FEB 26 Text.",
    ]
    articles = list(jsonl_articles(path, dateline_from_meta=True, year_in_dateline=True))
    assert [a.stated for a in articles] == ["02-26", "03-02", "03-02", None]
    outcome = evaluate_corpus("cf", iter(articles), DocumentBuilder(Gazetteer.load(None)))
    # three datelines read, each as the second reading states it
    assert (outcome.inferred, outcome.stated, outcome.misread) == (3, 3, 0)
    plain = [a.text for a in jsonl_articles(path, dateline_from_meta=True)]
    assert plain[0] == "SALVADOR, Feb 26 - Text."


def test_printed_datelines_are_each_languages_own_and_read_back(tmp_path: Path) -> None:
    """The counterfactual prints a date in the language's own words before a real text
    (here one whose body holds a date of its own, which must not win) and measures
    it apart from the real corpora."""
    body = "Der Spieler, geboren am 5. April 1990, traf zweimal."
    records = [{"id": f"de-{n}", "body": body, "lang": "de"} for n in range(8)]
    path = tmp_path / "docs.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    articles = list(printed_articles("de", [path]))
    fixtures = [a for a in articles if not a.id.startswith("de-")]
    assert all(a.text.endswith(body) for a in articles[len(fixtures) :])
    assert {a.form for a in articles} == {name for name, _ in SHAPES}
    assert all(a.date == printed_date(a.id).isoformat() for a in articles)
    # the second form, in Russian: a dateline on its own line, the month in the genitive
    text, date, form = stamp("ru", "x", "Текст.", 1)
    day = printed_date("x")
    month = MONTHS["ru"].split()[day.month - 1]
    assert (text, date, form) == (
        f"Москва, {day.day} {month} {day.year}\nТекст.",
        day.isoformat(),
        SHAPES[1][0],
    )
    outcome = evaluate_corpus(PRINTED.format(lang="de"), iter(articles),
                              DocumentBuilder(Gazetteer.load(None)))  # fmt: skip
    assert outcome.printed and outcome.counterfactual
    assert (outcome.inferred, outcome.correct, outcome.wrong) == (len(articles), len(articles), [])
    assert sum(total for total, _ in outcome.forms.values()) == len(articles)
    block = format_block([outcome], "python eval/dates.py")
    assert f"| {outcome.corpus} | {len(articles)} | {len(articles)} |" in block
    assert "**Overall, corpora with dates:** 0 dates inferred" in block  # not a real corpus
