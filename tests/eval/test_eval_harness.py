"""The evaluation harness on a five-document collection whose figures are worked out by hand.

Topic 1 ("zebra") matches three documents, all relevant: every measure is
1 except P@10 = 3/10. Topic 2 ("penguin") finds d3 (relevant, grade 2) above
d4 (judged not relevant: one mention deep in a long body, against d3's title
and body); d5 (grade 1) never contains the word, so AP = 1/2, P@10 = 1/10,
R@1000 = 1/2 and nDCG@10 = 2 / (2 + 1/log2 3) = 0.7602. Topic 3 finds
nothing although it is judged: it counts as 0 (trec_eval -c). Topic 4 has no
judgments and is not averaged.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from eval.harness import (
    evaluate,
    load_collection,
    run_evaluation,
    topic_query,
)
from eval.run import BEGIN, END, write_results

FILLER = (
    "The afternoon report covered the weather, the traffic on the ring road, a new "
    "library opening and the harvest festival in the old town square. "
)
DOCS = [
    {"id": "d1", "title": "Zebra migration across the plains",
     "body": "Zebra herds migrate every year. A zebra foal walks within hours."},
    {"id": "d2", "title": "Notes from the savanna",
     "body": FILLER * 3 + "A single zebra was seen near the river at dusk."},
    {"id": "d3", "title": "Penguin colonies of the southern ocean",
     "body": "Penguin colonies gather on the ice. Each penguin returns to the same nest."},
    {"id": "d4", "title": "A picture book about friendship",
     "body": FILLER * 4 + "The story has a penguin, a zebra and a very patient owl."},
    {"id": "d5", "title": "Seabirds of the cold coasts",
     "body": "Flightless seabirds of the Antarctic raise their chicks on the pack ice."},
]  # fmt: skip
TOPICS = {"1": "zebra", "2": "Penguin?", "3": "xylophone", "4": "harvest"}
QRELS = [
    ("1", "d1", 1), ("1", "d2", 1), ("1", "d4", 1), ("1", "d5", 0),
    ("2", "d3", 2), ("2", "d4", 0), ("2", "d5", 1),
    ("3", "d5", 1),
]  # fmt: skip
NDCG_TOPIC_2 = 2 / (2 + 1 / math.log2(3))
EXPECTED = {
    "MAP": (1 + 0.5 + 0) / 3,
    "nDCG@10": (1 + NDCG_TOPIC_2 + 0) / 3,
    "P@10": (0.3 + 0.1 + 0) / 3,
    "R@1000": (1 + 0.5 + 0) / 3,
}


@pytest.fixture
def collection(tmp_path: Path) -> Path:
    root = tmp_path / "tiny"
    root.mkdir()
    with (root / "docs.jsonl").open("w", encoding="utf-8") as out:
        for doc in DOCS:
            out.write(json.dumps({**doc, "lang": "en"}) + "\n")
    (root / "topics.tsv").write_text(
        "".join(f"{qid}\t{text}\n" for qid, text in TOPICS.items()), encoding="utf-8"
    )
    (root / "qrels.txt").write_text(
        "".join(f"{qid} 0 {doc} {grade}\n" for qid, doc, grade in QRELS), encoding="utf-8"
    )
    return root


def test_figures_of_the_real_search_service_match_the_hand_computed_ones(
    collection: Path, tmp_path: Path
) -> None:
    figures = run_evaluation(collection, out_dir=tmp_path / "out")
    for metric, value in EXPECTED.items():
        assert figures[metric] == pytest.approx(value, abs=1e-4), metric
    # Plain Whoosh ranks these two topics the same way, measured in the same run.
    for metric, value in EXPECTED.items():
        assert figures[f"whoosh:{metric}"] == pytest.approx(value, abs=1e-4), metric


def test_run_file_is_trec_format_in_the_engine_order(collection: Path, tmp_path: Path) -> None:
    run_evaluation(collection, out_dir=tmp_path / "out", baseline=False)
    lines = (tmp_path / "out" / "tiny" / "dossier.run").read_text().splitlines()
    rows = [line.split() for line in lines]
    assert all(len(row) == 6 and row[1] == "Q0" and row[5] == "dossier" for row in rows)
    penguin = [row for row in rows if row[0] == "2"]
    assert [row[2] for row in penguin] == ["d3", "d4"]
    assert [int(row[3]) for row in penguin] == [1, 2]
    assert float(penguin[0][4]) > float(penguin[1][4])
    assert not [row for row in rows if row[0] == "3"], "xylophone is in no document"
    assert not (tmp_path / "out" / "tiny" / "whoosh.run").exists()


def test_evaluate_scores_the_given_order_even_when_scores_tie(collection: Path) -> None:
    """trec_eval would re-sort tied scores by document id; the harness keeps the ranking."""
    tiny = load_collection(collection)
    ranked_first = {"1": [], "2": [("d3", 1.0), ("d4", 1.0)], "3": []}
    ranked_second = {"1": [], "2": [("d4", 1.0), ("d3", 1.0)], "3": []}
    first, per_topic = evaluate(tiny, ranked_first)
    second, _ = evaluate(tiny, ranked_second)
    assert per_topic["2"]["MAP"] == pytest.approx(0.5)
    assert second["MAP"] == pytest.approx(0.25 / 3)
    assert second["nDCG@10"] == pytest.approx((2 / math.log2(3)) / (2 + 1 / math.log2(3)) / 3)
    assert per_topic["1"] == {"MAP": 0.0, "nDCG@10": 0.0, "P@10": 0.0, "R@1000": 0.0}
    assert set(per_topic) == {"1", "2", "3"}, "topic 4 has no judgments"
    assert first["MAP"] > second["MAP"]


def test_topics_are_read_as_words_not_query_syntax() -> None:
    assert topic_query('What is "TSS" (Time-Sharing System)?') == "What is TSS Time Sharing System"
    assert (
        topic_query("cats AND dogs OR NOT birds title:x*") == "cats and dogs or not birds title x"
    )


def test_a_folder_without_qrels_is_refused_with_the_file_named(tmp_path: Path) -> None:
    (tmp_path / "docs.jsonl").write_text("", encoding="utf-8")
    (tmp_path / "topics.tsv").write_text("1\tzebra\n", encoding="utf-8")
    with pytest.raises(FileNotFoundError, match=r"qrels\.txt"):
        load_collection(tmp_path)


def test_results_file_keeps_the_text_around_the_generated_table(
    collection: Path, tmp_path: Path
) -> None:
    from eval.harness import evaluate_collection

    evaluation = evaluate_collection(collection, out_dir=tmp_path / "out", baseline=True)
    results = tmp_path / "RESULTS.md"
    results.write_text(f"# Notes\n\nbefore\n\n{BEGIN}\nold table\n{END}\n\nafter\n")
    write_results(results, [evaluation], "python eval/run.py tiny")
    text = results.read_text()
    assert text.startswith("# Notes\n\nbefore\n\n") and text.endswith("\n\nafter\n")
    assert "old table" not in text
    assert "| tiny | 5 | 3 | Dossier | 0.5000 |" in text
    assert "plain Whoosh" in text and "`python eval/run.py tiny`" in text
