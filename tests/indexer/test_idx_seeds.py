"""The five bundled articles: what each becomes in the index, and the index's stats.

Organizations are given with the phrase of the article that names them, and a
test checks every phrase is really in the article, so the table stays honest.
Where the issue's list was shorter than what the articles name, the extra
organizations are listed here with their evidence:

* 000 names the "Baku Security Forum" and "COP29" as well as the SSS;
* 002 names the "Azerbaijani Army" ("Azerbaijani Army's positions");
* 004 names the "Präsidialverwaltung" (Fuad Alasgarov, "Assistent des
  aserbaidschanischen Präsidenten … Leiter der Abteilung der
  Präsidialverwaltung"), i.e. Azerbaijan's Presidential Administration.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from indexer import SearchService
from indexer.ingest.organizations import Gazetteer

EXPECTED: dict[str, dict[str, object]] = {
    "000": {
        "lang": "en",
        "source": None,  # no signature (the last line is "Search in archive"), no lead-in
        "organizations": {
            "az-sss": "organized by the State Security Service (SSS)",  # ambiguous + "Baku"
            "baku-security-forum": "The II Baku Security Forum",
            "cop29": "on the eve of COP29",
        },
    },
    "001": {
        "lang": "en",
        "source": "Trend",  # "…, has been held, Trend reports."
        "organizations": {
            "az-sss": "the State Security Service of Azerbaijan",
            "baku-security-forum": "The 3rd Baku Security Forum",
        },
    },
    "002": {
        "lang": "en",
        "source": "News.Az",  # "… press service told News.Az."
        "organizations": {
            "az-sss": "Head of Azerbaijan's State Security Service",
            "az-fis": "Foreign Intelligence Service of Azerbaijan",
            "cis": "CIS member states",
            "cis-sorb": "Council of the Heads of Security Agencies and Special Services",
            "az-army": "Azerbaijani Army's positions",
        },
    },
    "003": {
        "lang": "en",
        "source": "News.Az",  # signature on the last line
        "organizations": {
            "turkic-special-services-conference": (
                "Conference of Special Service Bodies of Turkic-speaking States"
            ),
        },
    },
    "004": {
        "lang": "de",
        "source": "azvision",  # "berichtet AzVision": the gazetteer's display name
        "organizations": {
            "az-sss": "Staatssicherheitsdienstes von Aserbaidschan",
            "az-fis": "Auslandsgeheimdienstes von Aserbaidschan",
            "kz-knb": "Nationalen Sicherheitskomitees von Kasachstan",
            "kg-gknb": "Nationalen Sicherheitskomitees von Kirgisistan",
            "uz-sss": "Staatssicherheitsdienstes von Usbekistan",
            "ge-ssg": "georgischen Staatssicherheitsdienstes",
            "az-presidential-administration": "Leiter der Abteilung der Präsidialverwaltung",
            "turkic-special-services-conference": (
                "Konferenz der Sonderorganisationen von türkischsprachigen Staaten"
            ),
        },
    },
}
NEWS_AGENCIES = {"trend", "news-az", "azvision"}


@pytest.fixture(scope="module")
def gazetteer(gazetteer_path: Path) -> Gazetteer:
    return Gazetteer.load(gazetteer_path)


def expected_source(number: str, gazetteer: Gazetteer) -> str | None:
    source = EXPECTED[number]["source"]
    if source in gazetteer.organizations:
        return gazetteer.organizations[str(source)].name("en")
    return source  # type: ignore[return-value]


def test_bundled_corpus_indexes_cleanly(corpus_index) -> None:
    report = corpus_index.report
    assert (report.added, report.updated, report.unchanged, report.deleted) == (5, 0, 0, 0)
    assert report.problems == []  # organizations.toml beside the articles is not a problem
    assert report.ok and report.rebuilt


@pytest.mark.parametrize("number", sorted(EXPECTED))
def test_evidence_phrases_are_in_the_article(number: str, seeds) -> None:
    text = seeds.text(number)
    for org_id, phrase in EXPECTED[number]["organizations"].items():  # type: ignore[union-attr]
        assert phrase in text, (org_id, phrase)


@pytest.mark.parametrize("number", sorted(EXPECTED))
def test_seed_document_facets(
    number: str, seeds, service: SearchService, gazetteer: Gazetteer
) -> None:
    view = service.document(seeds.ids[number])
    expected = EXPECTED[number]
    assert view.date == seeds.header_date(number)
    assert view.lang == expected["lang"]
    assert view.source == expected_source(number, gazetteer)
    assert {org.id for org in view.organizations} == set(expected["organizations"])  # type: ignore[arg-type]
    assert not NEWS_AGENCIES & {org.id for org in view.organizations}
    assert view.path and Path(view.path).name == seeds.paths[number].name


def test_dates_of_the_seeds(seeds) -> None:
    """000 and 004 have no header; 001's dateline has no year, so only headers date them."""
    assert {n: seeds.header_date(n) for n in sorted(EXPECTED)} == {
        "000": None,
        "001": "2025-09-22",
        "002": "2023-10-11",
        "003": "2019-09-06",
        "004": None,
    }


def test_003_is_not_tagged_with_the_state_security_service(seeds, service: SearchService) -> None:
    assert "State Security" not in seeds.text("003")
    assert "az-sss" not in {org.id for org in service.document(seeds.ids["003"]).organizations}


def test_000_is_tagged_through_the_acronym_and_azerbaijan_context(seeds) -> None:
    text = seeds.text("000")
    assert "(SSS)" in text and "Azerbaijan" in text
    assert "State Security Service of Azerbaijan" not in text  # only the ambiguous forms


@pytest.mark.parametrize("number", sorted(EXPECTED))
def test_seed_bodies_are_clean(number: str, seeds, service: SearchService) -> None:
    body = service.document(seeds.ids[number]).body_html
    for furniture in ("↺", "16 px", "Search in archive", "Tags:"):
        assert furniture not in body
    assert not body.rstrip().endswith("News.Az")


def test_raw_seeds_do_have_the_furniture(seeds) -> None:
    """The cleaning tests above would prove nothing if the seeds lacked the furniture."""
    assert seeds.matching(r"\+ ↺ − 16 px") == {"002", "003"}
    assert seeds.matching(r"^Search in archive\s*$", re.MULTILINE) == {"000"}
    assert seeds.matching(r"^Tags:\s*$", re.MULTILINE) == {"004"}
    assert seeds.matching(r"^News\.Az\s*$", re.MULTILINE) == {"003"}


def test_seed_titles(seeds, service: SearchService) -> None:
    # 000: a headline line (short, no final period) is the title and leaves the body.
    headline = seeds.text("000").strip().splitlines()[0]
    view = service.document(seeds.ids["000"])
    assert view.title == headline == "Another security forum was held in Baku"
    assert not view.body_html.startswith(headline)
    # 001: first sentence, with the dateline "BAKU, Azerbaijan, September 22." stripped.
    title = service.document(seeds.ids["001"]).title
    assert title.startswith("The 3rd Baku Security Forum, organized by")
    assert "BAKU" not in title and "September 22" not in title
    assert len(title) <= 161
    # 002: a first paragraph ending with a period is a sentence, not a headline.
    first = "Baku hosted the 53rd meeting of the Council of the Heads of Security Agencies"
    view = service.document(seeds.ids["002"])
    assert view.title.startswith(first)
    assert view.body_html.startswith(first)


def test_stats_of_the_bundled_corpus(service: SearchService, seeds) -> None:
    stats = service.stats()
    headers = {n: seeds.header_date(n) for n in seeds.paths}
    assert stats.documents == 5
    assert stats.languages == {"en": 4, "de": 1}
    assert (
        stats.years
        == {d[:4]: 1 for d in headers.values() if d}
        == {
            "2019": 1,
            "2023": 1,
            "2025": 1,
        }
    )
    assert stats.undated == sum(1 for d in headers.values() if d is None) == 2
    assert stats.organizations["az-sss"] == 4
    assert stats.date_min == "2019-09-06" and stats.date_max == "2025-09-22"
    assert not NEWS_AGENCIES & set(stats.organizations)


def test_az_sss_includes_the_german_article(search, seeds) -> None:
    result = search("", organizations=("az-sss",), per_page=10)
    assert set(seeds.numbers(result)) == {"000", "001", "002", "004"}
    assert {h.lang for h in result.hits} == {"en", "de"}
