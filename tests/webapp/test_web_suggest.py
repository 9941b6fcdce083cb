"""Completions (GET /api/suggest) and related articles (GET /api/documents/<id>/related)
over the real fixture index, through the real app."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient

NAGHIYEV_ARTICLES = {
    "000_6bd0586f863e6f1a",
    "001_acd056e5b7338ab8",
    "002_5e0c315bb392479e",
    "004_0a76432a69f0331d",
}


def suggest(client: FlaskClient, q: str, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/api/suggest", query_string={"q": q, **params})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["query"] == q
    return body["suggestions"]


def texts(suggestions: list[dict[str, Any]]) -> list[str]:
    return [s["text"] for s in suggestions]


def total(client: FlaskClient, **params: Any) -> int:
    response = client.get("/api/search", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["total"]


# --- completions ---


def test_a_german_prefix_offers_the_organization_by_its_alias(client: FlaskClient) -> None:
    found = suggest(client, "Staatssich")
    org = next(s for s in found if s["text"] == "State Security Service of Azerbaijan")
    assert org["kind"] == "organization"
    assert org["organization"] == "az-sss"
    assert org["count"] == total(client, org="az-sss") > 0


def test_the_organization_is_named_in_the_requested_language(client: FlaskClient) -> None:
    assert "Staatssicherheitsdienst Aserbaidschans" in texts(
        suggest(client, "Staatssich", lang="de")
    )
    assert "Служба государственной безопасности Азербайджана" in texts(
        suggest(client, "Dövlət Təhl", lang="ru")
    )


@pytest.mark.parametrize("typed", ["Nagi", "Нагиe", "Нагие", "naghi", "Naghiy", "NAĞI"])
def test_a_person_is_offered_whatever_script_is_typed(client: FlaskClient, typed: str) -> None:
    found = suggest(client, typed)
    name = next(s for s in found if s["text"] == "Ali Naghiyev")
    assert name["kind"] == "name"
    assert name["organization"] is None
    # The count is of articles naming him, in any spelling the folded search finds.
    assert 2 <= name["count"] <= total(client, q='"Ali Naghiyev"')


def test_the_last_word_is_completed_and_the_words_before_it_kept(client: FlaskClient) -> None:
    found = suggest(client, "grain exp")
    assert "grain exports" in texts(found)
    word = next(s for s in found if s["text"] == "grain exports")
    assert word["kind"] == "word"


def test_a_kept_word_is_never_followed_by_a_name_from_its_middle(client: FlaskClient) -> None:
    """After "Ali " only what starts with the next word is offered, never "Ali Ali Naghiyev"."""
    found = texts(suggest(client, "Ali Nag"))
    assert found[0] == "Ali Naghiyev"
    assert "Ali Ali Naghiyev" not in found
    assert not [t for t in texts(suggest(client, "Baku secu")) if "State Security" in t]


def test_title_phrases_continue_what_is_typed(client: FlaskClient) -> None:
    found = suggest(client, "archive bull")
    phrase = next(s for s in found if s["kind"] == "phrase")
    assert phrase["text"].lower() == "archive bulletin number"
    assert phrase["count"] == total(client, q='title:"archive bulletin number"') == 25
    # A finished word (a space after it) is continued by phrases only.
    after_space = suggest(client, "Archive ")
    assert after_space and all(s["kind"] != "word" for s in after_space)
    assert "archive bulletin number" in [t.lower() for t in texts(after_space)]


def test_most_articles_come_first(client: FlaskClient) -> None:
    for typed in ("se", "sec", "Ba", "arch"):
        found = suggest(client, typed, limit=20)
        assert found, typed
        counts = [s["count"] for s in found]
        assert counts == sorted(counts, reverse=True), (typed, found)


@pytest.mark.parametrize("typed", ["Nagi", "secu", "Baku", "archive bull", "Staatssich", "harb"])
def test_every_completion_finds_articles(client: FlaskClient, typed: str) -> None:
    """Nothing offered is invented: searching the completion finds what it counts."""
    for suggestion in suggest(client, typed):
        if suggestion["kind"] == "organization":
            assert total(client, org=suggestion["organization"]) == suggestion["count"]
        else:
            assert total(client, q=f'"{suggestion["text"]}"') >= 1, suggestion


def test_limit_bounds_the_list(client: FlaskClient) -> None:
    assert len(suggest(client, "s", limit=3)) == 3
    assert len(suggest(client, "s", limit=20)) <= 20
    assert len(suggest(client, "s")) == 8  # the default


def test_nothing_to_offer_is_an_empty_list(client: FlaskClient) -> None:
    assert suggest(client, "qqqzzzx") == []
    assert suggest(client, "!!!") == []


def test_the_opensearch_format(client: FlaskClient) -> None:
    response = client.get("/api/suggest", query_string={"q": "Nagi", "format": "opensearch"})
    assert response.status_code == 200
    assert response.mimetype == "application/x-suggestions+json"
    body = response.get_json(force=True)
    assert body == ["Nagi", texts(suggest(client, "Nagi"))]
    assert "Ali Naghiyev" in body[1]


@pytest.mark.parametrize(
    "params,parameter",
    [
        ({"q": ""}, "q"),
        ({"q": "   "}, "q"),
        ({}, "q"),
        ({"q": "Nagi", "limit": "0"}, "limit"),
        ({"q": "Nagi", "limit": "21"}, "limit"),
        ({"q": "Nagi", "limit": "abc"}, "limit"),
        ({"q": "Nagi", "lang": "xx"}, "lang"),
        ({"q": "Nagi", "format": "xml"}, "format"),
    ],
)
def test_bad_parameters_are_refused_in_the_error_shape(
    client: FlaskClient, validate: Callable[[Any, str], None], params: dict, parameter: str
) -> None:
    response = client.get("/api/suggest", query_string=params)
    assert response.status_code == 400
    body = response.get_json()
    validate(body, "Error")
    assert body["error"]["status"] == 400
    assert parameter in body["error"]["message"] or "Type something" in body["error"]["message"]


def test_text_too_long_to_complete_is_413_as_for_a_search(
    client: FlaskClient, validate: Callable[[Any, str], None]
) -> None:
    response = client.get("/api/suggest", query_string={"q": "x" * 201})
    assert response.status_code == 413
    body = response.get_json()
    validate(body, "Error")
    assert "the limit is 200" in body["error"]["message"]


def test_responses_match_the_openapi_document(
    client: FlaskClient, validate: Callable[[Any, str], None], openapi: dict
) -> None:
    validate(client.get("/api/suggest?q=Nagi").get_json(), "SuggestResponse")
    validate(client.get("/api/documents/bulletin-03/related").get_json(), "RelatedResponse")
    assert "/api/suggest" in openapi["paths"]
    assert "/api/documents/{id}/related" in openapi["paths"]
    content = openapi["paths"]["/api/suggest"]["get"]["responses"]["200"]["content"]
    assert set(content) == {"application/json", "application/x-suggestions+json"}


# --- related articles ---


def related(client: FlaskClient, doc_id: str, **params: Any) -> list[dict[str, Any]]:
    response = client.get(f"/api/documents/{quote(doc_id)}/related", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["id"] == doc_id
    return body["related"]


def test_related_articles_are_like_it_and_never_itself(client: FlaskClient) -> None:
    found = related(client, "bulletin-07")
    ids = [hit["id"] for hit in found]
    assert len(ids) == 5 == len(set(ids))
    assert "bulletin-07" not in ids
    assert all(i.startswith("bulletin-") for i in ids), ids
    scores = [hit["score"] for hit in found]
    assert scores == sorted(scores, reverse=True)


def test_related_crosses_languages_through_names_and_organizations(client: FlaskClient) -> None:
    """The German article about Ali Naghiyev is like the English ones about him."""
    ids = {hit["id"] for hit in related(client, "004_0a76432a69f0331d")}
    assert len(ids & NAGHIYEV_ARTICLES) >= 2, ids
    ru = {hit["id"] for hit in related(client, "ru-forum")}
    assert ru & {"de-forum", "tr-forum", "001_acd056e5b7338ab8"}, ru


def test_related_limit_and_unknown_ids(client: FlaskClient) -> None:
    assert len(related(client, "bulletin-07", limit=2)) == 2
    for bad in ("0", "21", "x"):
        response = client.get(f"/api/documents/bulletin-07/related?limit={bad}")
        assert response.status_code == 400
    missing = client.get("/api/documents/no-such-article/related")
    assert missing.status_code == 404
    assert missing.get_json()["error"]["status"] == 404


def test_the_document_page_lists_the_related_articles(client: FlaskClient, hit_ids) -> None:
    page = client.get("/documents/bulletin-07").get_data(as_text=True)
    assert '<h2 id="related-heading">Related articles</h2>' in page
    listed = page.split('id="related-heading"', 1)[1]
    for hit in related(client, "bulletin-07"):
        assert f'href="/documents/{hit["id"]}"' in listed


def test_related_titles_are_escaped(client: FlaskClient, only_plain_marks) -> None:
    found = related(client, "hostile-img", limit=20)
    assert found
    for hit in found:
        only_plain_marks(hit["title_html"])
    page = client.get("/documents/hostile-img").get_data(as_text=True)
    assert "<img src=x" not in page


def test_completions_follow_a_new_index_generation(
    tmp_path, build: Callable[[Any], Any], config_for: Callable[..., dict[str, Any]]
) -> None:
    """Each commit is a new generation: its completions are built anew (in the
    background, so the new name appears shortly after the commit)."""
    import json
    import time

    from indexer import build_index
    from webapp import create_app
    from webapp.service import close_service

    index_dir = tmp_path / "index"
    build(index_dir)
    app = create_app(config_for(index_dir))
    try:
        client = app.test_client()
        assert suggest(client, "Quistg") == []
        extra = tmp_path / "extra.jsonl"
        extra.write_text(
            json.dumps(
                {
                    "id": "new-envoy",
                    "title": "Envoy Zebulon Quistgaard arrives in Baku",
                    "body": "The envoy Zebulon Quistgaard met officials in Baku on Monday.",
                    "lang": "en",
                }
            )
            + "\n",
            encoding="utf-8",
        )
        build_index([extra], index_dir)
        deadline = time.monotonic() + 120
        while "Zebulon Quistgaard" not in texts(suggest(client, "Quistg")):
            assert time.monotonic() < deadline, "the new generation's completions never came"
            time.sleep(0.2)
        assert "Ali Naghiyev" in texts(suggest(client, "Nagi"))  # the rest is still there
    finally:
        close_service(app)
