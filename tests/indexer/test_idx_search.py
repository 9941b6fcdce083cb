"""Search behaviours on the bundled-corpus index.

Expected sets come from the article texts (``seeds.matching(regex)``) or from
the organization tags checked in test_idx_seeds, never from printed output.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from indexer import (
    DocumentNotFoundError,
    IndexUnavailableError,
    ParameterError,
    QueryError,
    SearchRequest,
    SearchService,
)

ALL = {"000", "001", "002", "003", "004"}
NAGHIYEV = r"\bNag(?:h)?iyev\b"  # every spelling the articles use


@pytest.fixture(scope="module")
def az_sss(service: SearchService, seeds) -> set[str]:
    """Seeds tagged with the State Security Service of Azerbaijan (checked in test_idx_seeds)."""
    return {
        n
        for n, doc_id in seeds.ids.items()
        if "az-sss" in {org.id for org in service.document(doc_id).organizations}
    }


# --- words, names, stems, organizations ---


def test_german_compound_finds_the_german_article_first(search, found, seeds, az_sss) -> None:
    assert seeds.matching("Staatssicherheitsdienst") == {"004"}
    result = search("Staatssicherheitsdienst")
    assert seeds.numbers(result)[0] == "004"
    # The other matches are the articles tagged with the organization the word names.
    assert found("Staatssicherheitsdienst") == {"004"} | az_sss


@pytest.mark.parametrize("query", ["Nagiyev", "Naghiyev", "Нагиев", "Nağıyev", "NAĞIYEV"])
def test_every_spelling_of_naghiyev_finds_every_article_naming_him(query, found, seeds) -> None:
    expected = seeds.matching(NAGHIYEV)
    assert expected == {"000", "001", "002", "004"}
    assert seeds.matching(r"\bNagiyev\b") == {"002"}  # the one article spelling it that way
    assert found(query) == expected


@pytest.mark.parametrize("query", ['"security services"', "security services"])
def test_plural_query_matches_singular_security_service(query, found, seeds) -> None:
    singular_only = seeds.matching(r"\bSecurity Service\b") - seeds.matching(r"security services")
    assert singular_only  # e.g. 000: "State Security Service (SSS)"
    assert singular_only <= found(query)


def test_phrase_matches_only_adjacent_words_in_any_inflection(found, seeds) -> None:
    assert found('"security services"') == seeds.matching(r"\bsecurity services?\b")
    assert found('"Special Service Bodies"') == seeds.matching("Special Service Bodies") == {"003"}
    assert found('"Bodies Service Special"') == set()


def test_organization_name_also_finds_articles_tagged_in_other_languages(found, seeds) -> None:
    german = seeds.text("004")
    assert not re.search(r"\b(?:State|Security|Service)\b", german)
    assert "004" in found("State Security Service")


def test_organization_words_without_the_tag_still_require_the_words(found, az_sss) -> None:
    # "security service" alone names no organization; the German article has neither word.
    assert "004" not in found("security service")
    assert az_sss <= found("State Security Service")


@pytest.mark.parametrize("query", ["Sicherheitsdienst", "Dienst", "sicherheitsdienstes"])
def test_compound_heads_find_the_german_compound(query, found) -> None:
    assert "004" in found(query)


# --- operators ---


def test_minus_and_not_exclude(found, seeds) -> None:
    expected = seeds.matching(r"\bforum\b") - seeds.matching(r"\bTrend\b")
    assert expected == {"000"}
    assert found("forum -Trend") == expected
    assert found("forum NOT Trend") == expected
    assert found("forum -Baku") == seeds.matching(r"\bforum\b") - seeds.matching(r"\bBaku\b")


def test_hyphenated_word_is_not_an_exclusion(found, seeds) -> None:
    assert found("Turkic-speaking") == seeds.matching("Turkic-speaking") == {"003"}


def test_lone_exclusion_behaves_like_not(found, seeds) -> None:
    """``-word`` and ``NOT word`` are the same operator (query syntax help)."""
    expected = ALL - seeds.matching(r"\bforum\b")
    assert found("NOT forum") == expected
    assert found("-forum") == expected


def test_or(search, found, seeds) -> None:
    expected = seeds.matching(r"\bKasachstan\b") | seeds.matching(r"\bCOP29\b")
    assert expected == {"000", "004"}
    assert found("Kasachstan OR COP29") == expected
    assert not search("Kasachstan OR COP29").relaxed
    # Without OR both words are required: no article has both, so the result is relaxed.
    assert search("Kasachstan COP29").relaxed


def test_prefix(found, seeds) -> None:
    expected = seeds.matching(r"\bt[uü]rk")  # Turkic, türkischen: the folded field joins them
    assert expected == {"003", "004"}
    assert found("Turk*") == expected
    assert found("Naghiy*") == seeds.matching(r"\bNaghiy")


@pytest.mark.parametrize("query", ["Naghiyv~", "Naghiyevv~", "Nagiyew~"])
def test_fuzzy(query, found, seeds) -> None:
    assert found(query) == seeds.matching(NAGHIYEV)


def test_wildcard_matches_an_exact_spelling(found, seeds) -> None:
    """``?`` stands for one letter: Na?hiyev is spelled exactly like Naghiyev."""
    assert found("secur?ty") == seeds.matching(r"\bsecurity\b")
    assert found("Na?hiyev") == seeds.matching(r"\bNa.hiyev\b")
    assert found("Orkh?n") == seeds.matching(r"\bOrkh.n\b")


# --- field syntax ---


def test_title_and_body_scopes(found, seeds, service: SearchService) -> None:
    titles = {n: service.document(i).title for n, i in seeds.ids.items()}
    assert found("title:Naghiyev") == {n for n, t in titles.items() if "Naghiyev" in t} == {"004"}
    assert found("title:forum") == {n for n, t in titles.items() if "forum" in t.lower()}
    assert found("body:Naghiyev") == seeds.matching(NAGHIYEV)


@pytest.mark.parametrize(
    "query",
    ["org:az-sss", "org:SSS", 'org:"State Security Service"', "org:Staatssicherheitsdienst"],
)
def test_org_filter_by_id_or_alias(query, found, az_sss) -> None:
    assert found(query) == az_sss == {"000", "001", "002", "004"}


def test_org_example_given_in_the_error_message_works(search, found, az_sss) -> None:
    with pytest.raises(QueryError) as excinfo:
        search('org:""')
    example = re.search(r"e\.g\. (org:\S+)", str(excinfo.value))
    assert example, str(excinfo.value)
    assert found(example.group(1)) == az_sss


def test_lang_year_source_filters_in_the_query(found, seeds) -> None:
    naghiyev = seeds.matching(NAGHIYEV)
    assert found("Naghiyev lang:de") == {"004"}
    assert found("Naghiyev -lang:de") == naghiyev - {"004"}
    assert found("year:2023") == {n for n in ALL if (seeds.header_date(n) or "").startswith("2023")}
    undated = {n for n in ALL if seeds.header_date(n) is None}
    assert found("Naghiyev year:undated") == naghiyev & undated
    assert found("source:News.Az") == {"002", "003"}
    assert found("source:Trend") == {"001"}


# --- facets ---


def test_facet_counts_cover_all_matches_not_only_the_page(search, seeds) -> None:
    result = search("Naghiyev", per_page=1)
    assert len(result.hits) == 1
    assert result.total == len(seeds.matching(NAGHIYEV))
    langs = {v.value: v.count for v in result.facets["lang"].values}
    assert langs == {"en": 3, "de": 1}
    orgs = {v.value: v.count for v in result.facets["organization"].values}
    assert orgs["az-sss"] == 4
    years = {v.value: v.count for v in result.facets["year"].values}
    assert years == {"2025": 1, "2023": 1, "undated": 2}


def test_multi_select_keeps_other_values_of_the_same_facet(search) -> None:
    result = search("Naghiyev", languages=("de",))
    assert result.total == 1
    langs = {v.value: (v.count, v.selected) for v in result.facets["lang"].values}
    assert langs == {"de": (1, True), "en": (3, False)}
    # Other facets are narrowed by the language filter.
    orgs = {v.value: v.count for v in result.facets["organization"].values}
    assert orgs["az-sss"] == 1
    assert "cis" not in orgs  # only 002 (English) names the CIS


def test_selected_value_without_matches_stays_listed(search) -> None:
    result = search("Naghiyev", languages=("de",), organizations=("cis",))
    assert result.total == 0
    orgs = {v.value: (v.count, v.selected) for v in result.facets["organization"].values}
    assert orgs["cis"] == (0, True)
    langs = {v.value: (v.count, v.selected) for v in result.facets["lang"].values}
    assert langs == {"de": (0, True), "en": (1, False)}


def test_facet_labels(search) -> None:
    result = search("Naghiyev")
    labels = {v.value: v.label for f in result.facets.values() for v in f.values}
    assert labels["de"] == "German"
    assert labels["az-sss"] == "State Security Service of Azerbaijan"
    assert labels["undated"] == "Undated"


def test_month_facet_appears_for_one_selected_year(search) -> None:
    result = search("", years=("2023",))
    assert "month" in result.facets
    assert [(v.value, v.count) for v in result.facets["month"].values] == [("2023-10", 1)]
    assert "month" not in search("Naghiyev").facets


# --- filters, dates, sorting, pages ---


def test_year_and_undated_filters(found, seeds) -> None:
    undated = {n for n in ALL if seeds.header_date(n) is None}
    assert found("", years=("undated",)) == undated == {"000", "004"}
    assert found("", years=("2019", "2025")) == {"003", "001"}
    assert found("Naghiyev", years=("undated", "2023")) == {"000", "002", "004"}


def test_date_range_filter(found, seeds) -> None:
    dated = {n: seeds.header_date(n) for n in ALL if seeds.header_date(n)}
    after = {n for n, d in dated.items() if d >= "2020-01-01"}
    assert found("", date_from=date(2020, 1, 1)) == after == {"001", "002"}
    upto = {n for n, d in dated.items() if d <= "2023-10-11"}
    assert found("", date_to=date(2023, 10, 11)) == upto == {"002", "003"}
    assert found("", date_from=date(2023, 10, 11), date_to=date(2023, 10, 11)) == {"002"}
    assert found("", date_from=date(2026, 1, 1)) == set()


def test_date_range_with_from_after_to_is_refused(search) -> None:
    with pytest.raises(ParameterError) as excinfo:
        search("security", date_from=date(2024, 1, 1), date_to=date(2023, 1, 1))
    assert excinfo.value.parameter == "from"
    assert excinfo.value.status == 400


def test_sort_by_date_is_newest_first_with_undated_last(search, seeds) -> None:
    result = search("Naghiyev", sort="date")
    got = [seeds.header_date(n) for n in seeds.numbers(result)]
    dated = [d for d in got if d]
    assert dated == sorted(dated, reverse=True) and len(dated) == 2
    assert got[len(dated) :] == [None] * (len(got) - len(dated))


def test_pagination(search, seeds) -> None:
    total = len(seeds.matching(NAGHIYEV))
    first = search("Naghiyev", per_page=3, page=1)
    second = search("Naghiyev", per_page=3, page=2)
    assert (first.total, first.pages, second.total, second.pages) == (total, 2, total, 2)
    assert [h.rank for h in first.hits + second.hits] == list(range(1, total + 1))
    assert {h.id for h in first.hits} | {h.id for h in second.hits} == {
        seeds.ids[n] for n in seeds.matching(NAGHIYEV)
    }
    beyond = search("Naghiyev", per_page=3, page=3)
    assert beyond.hits == [] and beyond.total == total and beyond.pages == 2


def test_relevance_order_is_stable(search) -> None:
    ids = [h.id for h in search("security forum").hits]
    assert ids == [h.id for h in search("security forum").hits]
    scores = [h.score for h in search("security forum").hits]
    assert scores == sorted(scores, reverse=True)


# --- relaxed matching and suggestions ---


def test_relaxed_fallback_when_no_article_has_every_word(search, found, seeds) -> None:
    result = search("forum qwxzv")
    assert result.relaxed
    assert set(seeds.numbers(result)) == found("forum") == seeds.matching(r"\bforum\b")
    assert not search("forum Baku").relaxed


def test_did_you_mean(search) -> None:
    result = search("securty forum")
    assert result.suggestion == "security forum"
    assert search("security forum").suggestion is None


def test_nothing_found(search) -> None:
    result = search("qwxzv")
    assert (result.total, result.hits, result.relaxed) == (0, [], False)


# --- documents, browsing, availability ---


def test_document_view_and_missing_document(service: SearchService, seeds) -> None:
    view = service.document(seeds.ids["001"], query="Naghiyev")
    assert "<mark>Naghiyev</mark>" in view.body_html
    assert view.body_html.count("\n\n") == seeds.text("001").strip().count("\n\n")
    with pytest.raises(DocumentNotFoundError, match="nope"):
        service.document("nope")


def test_empty_query_needs_a_filter(search) -> None:
    with pytest.raises(QueryError, match="filter"):
        search("")
    assert search("", languages=("de",)).total == 1


def test_missing_index_is_unavailable(tmp_path: Path, open_service) -> None:
    service = open_service(tmp_path / "nothing-here")
    with pytest.raises(IndexUnavailableError, match="dossier index"):
        service.search(SearchRequest(query="security"))
    assert service.health()["status"] == "unavailable"


def test_health_of_the_bundled_index(service: SearchService) -> None:
    health = service.health()
    assert health["status"] == "ok" and health["documents"] == 5
