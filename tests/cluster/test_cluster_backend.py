"""The shared behaviour, on both backends: a real Whoosh index and a real 3-node cluster.

Every request below is answered by both; ``parity.differences`` says what
"the same" means (README, "Running on a Typesense cluster", for what differs).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import uuid
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from indexer import open_service
from indexer.cluster.backend import index_articles
from indexer.cluster.config import cluster_config
from indexer.cluster.connection import Connection
from indexer.model import (
    ClusterError,
    DocumentNotFoundError,
    FeatureUnavailableError,
    ParameterError,
    SearchRequest,
)
from tests.cluster.parity import differences

REPO = Path(__file__).resolve().parents[2]
GAZETTEER = REPO / "corpus" / "organizations.toml"

REQUESTS = [
    SearchRequest(query="security"),
    SearchRequest(query="security council"),
    SearchRequest(query="security OR oil"),
    SearchRequest(query="security -forum"),
    SearchRequest(query="NOT security"),
    SearchRequest(query="title:security"),
    SearchRequest(query="Azerbaijan AND (security OR army)"),
    SearchRequest(query="the security"),
    SearchRequest(query="Sicherheit"),
    SearchRequest(query="безопасности"),
    SearchRequest(query="xyzzyqq"),
    SearchRequest(query="security services baku meeting heads agencies"),  # any word
    SearchRequest(query="security", sort="date"),
    SearchRequest(query="security", sort="date_asc"),
    SearchRequest(query="security", collapse="none"),
    SearchRequest(query="security", languages=("en",)),
    SearchRequest(query="security", languages=("en", "de"), years=("2023",)),
    SearchRequest(query="org:az-sss"),
    SearchRequest(languages=("ru",)),
    SearchRequest(years=("2024",), sort="date_asc"),
    SearchRequest(query="security", date_from=date(2000, 1, 1), date_to=date(2023, 12, 31)),
    SearchRequest(query="security", organizations=("az-sss",)),
    SearchRequest(query='"security service"'),
    SearchRequest(query="secur*"),
    SearchRequest(query="secu?ity OR oil"),
    SearchRequest(query="securty~"),
    SearchRequest(query="Azerbaij* -secur*", sort="date"),
]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled articles, 400 generated from them, and near-copies (stories)."""
    root = tmp_path_factory.mktemp("cluster-corpus")
    shutil.copytree(REPO / "corpus" / "articles", root / "articles")
    generated = root / "generated.jsonl"
    subprocess.run(
        [
            sys.executable,
            str(REPO / "bench" / "generate.py"),
            "400",
            str(generated),
            "--data",
            str(root / "no-shared-data"),
        ],
        check=True,
        capture_output=True,
    )
    rows = [json.loads(line) for line in generated.read_text().splitlines()]
    copies = [dict(row, id=row["id"] + "-copy", source="Copy Desk") for row in rows[:15]]
    (root / "copies.jsonl").write_text("".join(json.dumps(r) + "\n" for r in copies))
    return root


@pytest.fixture(scope="module")
def environ(typesense_cluster) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {**typesense_cluster.environment(), "DOSSIER_TYPESENSE_COLLECTION": _alias()}


def _alias() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="module")
def whoosh(corpus: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    index = tmp_path_factory.mktemp("whoosh") / "index"
    report = index_articles([corpus], index, gazetteer=GAZETTEER, environ={})
    assert report.ok and report.added > 400
    with open_service(index, gazetteer=GAZETTEER, environ={}) as service:
        yield service


@pytest.fixture(scope="module")
def cluster(corpus: Path, environ: dict[str, str]):  # type: ignore[no-untyped-def]
    report = index_articles([corpus], Path("unused"), gazetteer=GAZETTEER, environ=environ)
    assert report.ok and report.rebuilt
    with open_service("unused", gazetteer=GAZETTEER, environ=environ) as service:
        yield service


@pytest.mark.parametrize(
    "request_",
    REQUESTS,
    ids=[repr(r.query or r.languages or r.years) + f"-{r.sort}-{r.collapse}" for r in REQUESTS],
)
def test_both_backends_answer_the_same(whoosh, cluster, request_: SearchRequest) -> None:  # type: ignore[no-untyped-def]
    assert differences(whoosh, cluster, request_) == []


def test_the_corpus_has_what_the_comparison_needs(whoosh) -> None:  # type: ignore[no-untyped-def]
    """Stories with several versions, several languages and matches: not an empty comparison."""
    result = whoosh.search(SearchRequest(query="security", per_page=100))
    assert result.total > 20
    assert any(
        hit.versions > 1 for hit in whoosh.search(SearchRequest(query="said", per_page=100)).hits
    )
    assert len(whoosh.stats().languages) >= 2


def test_each_result_says_which_backend_answered_and_what_differs(whoosh, cluster) -> None:  # type: ignore[no-untyped-def]
    request = SearchRequest(query='"security service"', collapse="none")
    mine, theirs = whoosh.search(request), cluster.search(request)
    assert (mine.backend, mine.not_honoured) == ("whoosh", [])
    assert theirs.backend == "typesense"
    assert set(theirs.not_honoured) == {"bm25-ranking", "phrase-order"}
    dated = cluster.search(SearchRequest(query="security", sort="date", collapse="none"))
    assert dated.not_honoured == []  # a date order is the same order


def test_completions_and_related_are_refused_not_faked(cluster) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(FeatureUnavailableError, match="completions"):
        cluster.complete("secu")
    with pytest.raises(FeatureUnavailableError, match="related"):
        cluster.related("001_acd056e5b7338ab8")


def test_documents_stats_and_organizations_match(whoosh, cluster) -> None:  # type: ignore[no-untyped-def]
    for hit in whoosh.search(SearchRequest(query="security", per_page=20)).hits:
        assert cluster.document(hit.id, "security") == whoosh.document(hit.id, "security")
    mine, theirs = whoosh.stats(), cluster.stats()
    for name in (
        "documents",
        "languages",
        "organizations",
        "years",
        "sources",
        "undated",
        "date_min",
        "date_max",
        "undetermined_language",
    ):
        assert getattr(theirs, name) == getattr(mine, name), name
    assert cluster.organizations() == whoosh.organizations()
    for summary in whoosh.organizations()[:5]:
        mine, theirs = whoosh.organization(summary.id), cluster.organization(summary.id)
        # Articles of one date may come in another order (Whoosh: by segment, which a
        # parallel build interleaves); the newest dates are the same.
        assert [h.date for h in theirs.latest] == [h.date for h in mine.latest]
        assert replace(theirs, latest=[]) == replace(mine, latest=[])
    with pytest.raises(DocumentNotFoundError):
        cluster.document("no-such-id")
    with pytest.raises(DocumentNotFoundError):
        cluster.organization("no-such-org")


@pytest.mark.parametrize("collapse", ["story", "none"])
def test_export_streams_the_same_rows(whoosh, cluster, collapse: str) -> None:  # type: ignore[no-untyped-def]
    request = SearchRequest(query="security", sort="date", collapse=collapse)
    mine = [(hit.id, hit.story, hit.versions) for hit in whoosh.export(request, 1000)]
    theirs = cluster.export(request, 1000)
    assert theirs.total == len(mine)
    assert [(hit.id, hit.story, hit.versions) for hit in theirs] == mine


def test_reindexing_is_incremental_and_idempotent(
    corpus: Path, environ: dict[str, str], cluster
) -> None:  # type: ignore[no-untyped-def]
    before = cluster.stats().documents
    again = index_articles([corpus], Path("unused"), gazetteer=GAZETTEER, environ=environ)
    assert (again.added, again.updated, again.deleted) == (0, 0, 0)
    assert again.unchanged == before
    with Connection(cluster_config(environ)) as connection:
        assert connection.collection_info(cluster.view().collection)["num_documents"] == before


def test_updates_and_deletes_by_id(tmp_path: Path, typesense_cluster) -> None:  # type: ignore[no-untyped-def]
    environ = {**typesense_cluster.environment(), "DOSSIER_TYPESENSE_COLLECTION": _alias()}
    source = tmp_path / "a.jsonl"
    rows = [
        {
            "id": f"n{i}",
            "title": f"Harbour report {i}",
            "body": f"The harbour of town {i} reopened after the storm, officials said on Monday.",
            "lang": "en",
        }
        for i in range(5)
    ]
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert index_articles([tmp_path], tmp_path / "x", environ=environ).added == 5
    rows[0]["title"] = "Lighthouse report"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows[:4]))
    report = index_articles([tmp_path], tmp_path / "x", environ=environ)
    assert (report.updated, report.deleted, report.unchanged) == (1, 1, 3)
    with open_service("x", environ=environ) as service:
        assert service.search(SearchRequest(query="lighthouse")).total == 1
        assert service.search(SearchRequest(query="harbour")).total == 4
        with pytest.raises(DocumentNotFoundError):
            service.document("n4")


def test_a_rebuild_is_swapped_in_whole(tmp_path: Path, typesense_cluster) -> None:  # type: ignore[no-untyped-def]
    """Readers see the old collection or the new one, never a half-built one."""
    environ = {**typesense_cluster.environment(), "DOSSIER_TYPESENSE_COLLECTION": _alias()}
    source = tmp_path / "a.jsonl"
    rows = [
        {
            "id": f"r{i}",
            "title": f"Grain exports {i}",
            "body": f"Grain exports rose sharply in month {i}, the ministry said.",
            "lang": "en",
        }
        for i in range(600)
    ]
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    index_articles([tmp_path], tmp_path / "x", environ=environ)
    seen: list[int] = []
    done = threading.Event()
    with open_service("x", environ=environ) as service:
        first = service.view().collection

        def read() -> None:
            while not done.is_set():
                seen.append(service.search(SearchRequest(query="grain")).total)

        reader = threading.Thread(target=read)
        reader.start()
        try:
            report = index_articles([tmp_path], tmp_path / "x", rebuild=True, environ=environ)
        finally:
            done.set()
            reader.join()
        assert report.rebuilt and report.added == 600
        assert seen and set(seen) == {600}
        import time

        time.sleep(2.5)  # the alias is re-read every REFRESH_S
        assert service.view().collection != first
        with Connection(cluster_config(environ)) as connection:
            assert first not in connection.collections()


def test_the_web_app_serves_from_the_cluster(cluster, environ, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from webapp import create_app

    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    app = create_app({"TESTING": True, "GAZETTEER": str(GAZETTEER)})
    client = app.test_client()
    answer = client.get("/api/search?q=security")
    assert answer.status_code == 200
    assert answer.json["backend"] == "typesense"
    assert "bm25-ranking" in answer.json["not_honoured"]
    assert answer.json["total"] == cluster.search(SearchRequest(query="security")).total
    page = client.get("/?q=security")
    assert page.status_code == 200 and b"<mark>" in page.data
    refused = client.get("/api/suggest?q=secu")
    assert refused.status_code == 501
    assert "completions" in refused.json["error"]["message"]
    from webapp.service import close_service

    close_service(app)


def test_a_wrong_key_or_missing_settings_give_clear_errors(typesense_cluster) -> None:  # type: ignore[no-untyped-def]
    environ = {**typesense_cluster.environment(), "DOSSIER_TYPESENSE_API_KEY": "not-the-key"}
    with open_service("x", environ=environ) as service, pytest.raises(ClusterError) as error:
        service.search(SearchRequest(query="security"))
    assert "DOSSIER_TYPESENSE_API_KEY" in str(error.value)
    assert "not-the-key" not in str(error.value)
    with pytest.raises(ParameterError, match="DOSSIER_TYPESENSE_API_KEY is not set"):
        open_service(
            "x",
            environ={
                "DOSSIER_BACKEND": "typesense",
                "DOSSIER_TYPESENSE_NODES": "http://127.0.0.1:1",
            },
        )
    with pytest.raises(ParameterError, match="DOSSIER_BACKEND must be one of"):
        open_service("x", environ={"DOSSIER_BACKEND": "elastic"})
    with pytest.raises(ParameterError, match="not in a URL"):
        cluster_config(
            {"DOSSIER_TYPESENSE_NODES": "http://user:pw@h:1", "DOSSIER_TYPESENSE_API_KEY": "k"}
        )


def test_values_differing_only_in_case_or_punctuation_stay_apart(
    tmp_path: Path, typesense_cluster
) -> None:  # type: ignore[no-untyped-def]
    """The cluster folds case and punctuation of strings; Dossier's sources, stories and
    ids are what they are, so "AP", "A.P." and "ap" are three sources on both backends."""
    environ = {**typesense_cluster.environment(), "DOSSIER_TYPESENSE_COLLECTION": _alias()}
    rows = [
        {"id": "Report-1", "source": "AP", "title": "Storm closes the harbour",
         "body": "A storm closed the harbour of the town on Monday, officials said."},
        {"id": "report1", "source": "A.P.", "title": "Bridge reopens",
         "body": "The old bridge over the river reopened to traffic after two years."},
        {"id": "x3", "source": "ap", "title": "Grain prices rise",
         "body": "Grain prices rose for the third week as exports grew, traders said."},
    ]  # fmt: skip
    (tmp_path / "a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    index = tmp_path / "index"
    index_articles([tmp_path / "a.jsonl"], index, environ={})
    index_articles([tmp_path / "a.jsonl"], index, environ=environ)
    with open_service(index, environ={}) as mine, open_service("x", environ=environ) as theirs:
        for request in (SearchRequest(sources=("AP",)), SearchRequest(sources=("ap", "A.P.")),
                        SearchRequest(query="said OR bridge OR grain")):  # fmt: skip
            assert differences(mine, theirs, request) == []
        assert theirs.stats().sources == mine.stats().sources == {"A.P.": 1, "AP": 1, "ap": 1}
        assert theirs.document("report1").versions == []
