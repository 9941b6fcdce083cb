"""eval/turkish.py and its judged files: the judgements hold together, and the
script runs end to end on a small stand-in for TTC-3600 of our own (the real
one is in ../shared/data, which tests never need)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

from eval.harness import Collection
from eval.turkish import HERE, recall_precision

ROOT = Path(__file__).resolve().parents[2]


def _forms() -> dict[str, dict[str, str]]:
    judged: dict[str, dict[str, str]] = defaultdict(dict)
    for line in (HERE / "forms.tsv").read_text("utf-8").splitlines():
        if line.startswith("#"):
            continue
        lemma, form, verdict, articles = line.split("\t")
        assert verdict in ("y", "n", "?") and int(articles) > 0, line
        judged[lemma][form] = verdict
    return judged


def test_every_topic_word_is_a_judged_inflection_with_relevant_articles() -> None:
    forms = _forms()
    inflections = {form: lemma for lemma, f in forms.items() for form, v in f.items() if v == "y"}
    topics = dict(
        line.split("\t") for line in (HERE / "topics.tsv").read_text("utf-8").splitlines()
    )
    relevant: dict[str, int] = defaultdict(int)
    for line in (HERE / "qrels.txt").read_text("utf-8").splitlines():
        qid, _, _, grade = line.split()
        assert qid in topics and grade in ("1", "-1"), line
        relevant[qid] += grade == "1"
    assert len(topics) == 39
    for qid, query in topics.items():
        assert all(word in inflections for word in query.split()), (qid, query)
        assert relevant[qid] > 0, qid
    categories = (HERE / "category-topics.tsv").read_text("utf-8").splitlines()
    assert len(categories) == 30
    assert {line.split("\t")[1] for line in categories} == {
        "ekonomi", "kultursanat", "saglik", "siyaset", "spor", "teknoloji",
    }  # fmt: skip


def test_recall_and_precision_of_the_result_sets() -> None:
    collection = Collection(
        "tiny", HERE, [], {"a": "x", "b": "y"}, {"a": {"1": 1, "2": 1}, "b": {"3": 1}}
    )
    run = {"a": [("1", 2.0), ("9", 1.0)], "b": [("3", 1.0)]}
    assert recall_precision(collection, run) == ((0.5 + 1.0) / 2, (0.5 + 1.0) / 2)


def test_the_script_compares_the_analyses_back_to_back(tmp_path: Path) -> None:
    """Three articles that the first topic (seçimlerde) judges relevant, under their
    TTC-3600 ids: the lemma analyses find all three, Snowball fewer."""
    relevant = [
        line.split()[2]
        for line in (HERE / "qrels.txt").read_text("utf-8").splitlines()
        if line.startswith("forms-01 ") and line.endswith(" 1")
    ][:3]
    bodies = [
        "Seçimin sonuçları gece yarısı açıklandı ve partiler açıklama yaptı.",
        "Erken seçime gidilmesi tartışılıyor; muhalefet bir tarih istiyor.",
        "Yerel seçimlerde oy oranı yüksek oldu; sandıklar akşam kapandı.",
    ]
    data = tmp_path / "ttc3600"
    data.mkdir()
    with (data / "docs.jsonl").open("w", encoding="utf-8") as out:
        for doc_id, body in zip(relevant, bodies, strict=True):
            out.write(json.dumps({"id": doc_id, "body": body, "lang": "tr"}) + "\n")
    env = {**os.environ, "DOSSIER_EVAL_DATA": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "eval/turkish.py", "--no-results", "--out", str(tmp_path / "out")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    recall = {
        m.group(1): float(m.group(2))
        for m in re.finditer(r"^(\S+): forms MAP \S+ recall (\S+)", done.stdout, re.M)
    }
    assert set(recall) == {"snowball", "lemma", "lemma+snowball", "snowball(lemma)"}
    assert recall["lemma+snowball"] > recall["snowball"] > 0
    assert "| **lemma+snowball** (shipped) |" in done.stdout


def test_the_azerbaijani_study_runs_on_the_repository_alone() -> None:
    done = subprocess.run(
        [sys.executable, "eval/turkish.py", "--azerbaijani"],
        cwd=ROOT, env={**os.environ, "DOSSIER_EVAL_DATA": "/nonexistent"},
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Turkish Snowball (today): 12 of 46 forms keyed as their lemma" in done.stdout
    assert "Turkish lemma, else Snowball: 17 of 46" in done.stdout
