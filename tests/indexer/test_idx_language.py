"""Language detection, the per-language analyzers, and the language-neutral folded field."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from indexer import SearchRequest, build_index
from indexer.analysis.folding import fold, name_key
from indexer.analysis.language import (
    analyze_words,
    detect_language,
    fold_words,
    index_terms,
    language_analyzer,
    normalize_word,
    stem_word,
)

SAMPLES = {
    "en": "The security service of the country held a meeting with foreign delegations "
    "in the capital on Monday and discussed regional cooperation.",
    "de": "Der Staatssicherheitsdienst des Landes hat am Montag ein Treffen mit "
    "ausländischen Delegationen in der Hauptstadt abgehalten.",
    "ru": "Служба государственной безопасности страны провела в понедельник встречу "
    "с иностранными делегациями в столице.",
    "tr": "Ülkenin güvenlik servisi pazartesi günü başkentte yabancı heyetlerle bir "
    "toplantı düzenledi ve bölgesel işbirliğini görüştü.",
    "az": "Ölkənin təhlükəsizlik xidməti bazar ertəsi paytaxtda xarici nümayəndə "
    "heyətləri ilə görüş keçirib və regional əməkdaşlığı müzakirə edib.",
}


@pytest.mark.parametrize("lang", sorted(SAMPLES))
def test_detects_each_supported_language(lang: str) -> None:
    assert detect_language(SAMPLES[lang]) == lang


@pytest.mark.parametrize("text", ["", "   \n\t", "Hallo", "Baku 2025", "12345 67890 !!! ???"])
def test_too_little_text_is_left_undetermined(text: str) -> None:
    assert detect_language(text) == "und"


def test_fallback_language_can_be_chosen() -> None:
    assert detect_language("Kurz", default="de") == "de"


def test_schwa_decides_azerbaijani_over_turkish() -> None:
    turkish = "Bakü şehrinde güvenlik toplantısı yapıldı ve görüşmeler devam etti."
    azerbaijani = "Bakı şəhərində təhlükəsizlik görüşü keçirildi və danışıqlar davam etdi."
    assert detect_language(turkish) == "tr"
    assert detect_language(azerbaijani) == "az"


# --- analyzers ---


def test_english_stemming_joins_plural_and_singular() -> None:
    assert stem_word("services", "en") == stem_word("service", "en") == stem_word("Service", "en")
    assert analyze_words("The security services", "en") == analyze_words("security service", "en")
    assert "the" not in analyze_words("The security services", "en")  # stop word dropped


def test_german_inflection_has_one_stem() -> None:
    assert stem_word("Staatssicherheitsdienstes", "de") == stem_word(
        "Staatssicherheitsdienst", "de"
    )


@pytest.mark.parametrize("part", ["Sicherheitsdienst", "Dienst", "Sicherheitsdienstes"])
def test_german_compound_heads_are_indexed(part: str) -> None:
    terms = index_terms("Staatssicherheitsdienstes", "de")
    assert stem_word(part, "de") in terms
    assert terms[0] == stem_word("Staatssicherheitsdienstes", "de")


def test_short_german_words_are_not_split() -> None:
    assert index_terms("Dienstes", "de") == [stem_word("Dienstes", "de")]


def test_russian_inflection_has_one_stem() -> None:
    assert stem_word("Службы", "ru") == stem_word("Служба", "ru") == stem_word("службе", "ru")
    assert normalize_word("Ёлка", "ru") == "елка"


def test_turkish_dotted_and_dotless_i() -> None:
    assert normalize_word("İSTANBUL", "tr") == "istanbul"
    assert normalize_word("IRMAK", "tr") == "ırmak"
    assert normalize_word("IRMAK", "en") == "irmak"  # English: I is the capital of i
    assert normalize_word("İSTANBUL", "en") == "istanbul"
    assert stem_word("IRMAK", "tr") == stem_word("ırmak", "tr")
    assert stem_word("IRMAK", "tr") != stem_word("irmak", "tr")


def test_turkish_apostrophe_suffix_is_cut() -> None:
    assert normalize_word("Servisi'nin", "tr") == "servisi"
    assert normalize_word("Azerbaijan's", "en") == "azerbaijan's"  # English keeps it


def test_azerbaijani_analyzer() -> None:
    terms = analyze_words("Dövlət Təhlükəsizliyi Xidmətinin və İLHAM", "az")
    assert "və" not in terms  # Azerbaijani stop word
    assert stem_word("Xidmətinin", "az") == stem_word("Xidməti", "az") in terms
    assert normalize_word("İLHAM", "az") == "ilham"
    assert normalize_word("QIZ", "az") == "qız"
    assert "ə" in stem_word("Dövlət", "az")  # the schwa is a letter, not folded away


def test_whoosh_analyzer_matches_the_plain_functions() -> None:
    text = "Die Leiter des Staatssicherheitsdienstes trafen sich."
    tokens = [t.text for t in language_analyzer("de")(text) if not t.stopped]
    expected = [term for word in text.replace(".", "").split() for term in index_terms(word, "de")]
    assert tokens == expected


# --- folding ---


@pytest.mark.parametrize("spelling", ["Nagiyev", "Naghiyev", "Nağıyev", "Нагиев", "NAĞIYEV"])
def test_name_spellings_share_one_key(spelling: str) -> None:
    assert name_key(spelling) == name_key("Naghiyev")


@pytest.mark.parametrize(
    ("one", "other"),
    [("Orkhan", "Орхан"), ("Massimov", "Масимов"), ("Əliyev", "Aliyev"), ("İlham", "Ilham")],
)
def test_other_transliterations_share_keys(one: str, other: str) -> None:
    assert name_key(one) == name_key(other)


def test_different_names_keep_different_keys() -> None:
    assert name_key("Naghiyev") != name_key("Aliyev")
    assert name_key("Sultanov") != name_key("Sultan")


def test_fold_is_lowercase_ascii_for_regional_letters() -> None:
    assert fold("İstanbul ISTANBUL ıstanbul") == "istanbul istanbul istanbul"
    assert fold("Straße Əliyev Şəki Çay Ğ") == "strasse aliyev shaki chay g"
    assert fold("Ёлка Щука") == "elka shchuka"


def test_folded_field_terms_drop_turkish_case_suffixes() -> None:
    assert fold_words("Nağıyev'in Naghiyev") == [name_key("Naghiyev")] * 2


# --- through a real index ---


def test_each_language_is_searchable_in_its_own_words(
    write_corpus: Callable[..., Path], jsonl: Callable[..., str], tmp_path: Path, open_service
) -> None:
    bodies = {
        "ru": "Служба государственной безопасности провела встречу. " + SAMPLES["ru"],
        "tr": "İSTANBUL kentinde IRMAK kıyısında toplantı yapıldı. " + SAMPLES["tr"],
        "az": "Dövlət Təhlükəsizliyi Xidmətinin nümayəndələri görüşdü. " + SAMPLES["az"],
    }
    root = write_corpus({"langs.jsonl": jsonl(*({"id": k, "body": v} for k, v in bodies.items()))})
    build_index([root], tmp_path / "index")
    service = open_service(tmp_path / "index")

    def ids(query: str) -> set[str]:
        return {hit.id for hit in service.search(SearchRequest(query=query)).hits}

    assert {doc.lang for doc in [service.document(k) for k in bodies]} == set(bodies)
    assert ids("Службы") == {"ru"}  # inflected query, nominative in the text
    assert ids("istanbul") == {"tr"}
    assert ids("Irmak") == {"tr"}
    assert ids("Xidməti") == {"az"}
    # The plain-ASCII spelling users type (ə as e) reaches it through the gazetteer tag.
    assert "az-sss" in {org.id for org in service.document("az").organizations}
    assert ids("Dovlet Tehlukesizliyi Xidmeti") == {"az"}


# --- every language py3langid knows ---

FRENCH = (
    "Les élections présidentielles se sont déroulées dimanche dans tout le pays. "
    "Les électeurs ont voté en grand nombre pour choisir leur nouveau président, "
    "et l'observateur de l'Union a salué le calme du scrutin."
)
SWAHILI = (
    "Mkutano wa usalama ulifunguliwa mjini Baku leo na wajumbe kutoka nchi nyingi. "
    "Wajumbe walijadili ushirikiano wa kikanda na mapambano dhidi ya ugaidi."
)


def test_every_detectable_language_has_a_name() -> None:
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    from indexer.model import LANGUAGE_NAMES

    model = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE)
    assert set(model.nb_classes) - {"zxx"} <= set(LANGUAGE_NAMES)
    assert LANGUAGE_NAMES["und"] == "Undetermined"


def test_languages_with_a_snowball_stemmer_get_their_own_analysis() -> None:
    import Stemmer

    from indexer.analysis.language import LANGUAGES, has_own_analysis

    assert {"fr", "es", "it", "pt", "nl", "ar", "sv", "pl"} <= set(LANGUAGES)
    assert all(spec.stemmer in Stemmer.algorithms() for spec in LANGUAGES.values())
    assert stem_word("élections", "fr") == stem_word("élection", "fr")
    assert normalize_word("l'observateur", "fr") == "observateur"  # elision
    assert "les" not in analyze_words("les élections", "fr")  # French stop word
    assert not has_own_analysis("sw") and not has_own_analysis("und")
    assert stem_word("wajumbe", "sw") == "wajumbe"  # neutral: folded, never stemmed


@pytest.mark.parametrize(
    ("text", "lang"),
    [(FRENCH, "fr"), (SWAHILI, "sw"), ("El foro de seguridad se inauguró en Bakú con "
      "delegaciones de muchos países y se habló de cooperación regional.", "es")],
)  # fmt: skip
def test_detects_languages_beyond_the_five(text: str, lang: str) -> None:
    assert detect_language(text) == lang


def test_mixed_text_is_left_undetermined() -> None:
    mixed = (
        "The forum opened today in the capital city with many delegations from abroad. " * 8
        + "Das Forum wurde heute in der Hauptstadt mit vielen Delegationen eröffnet. " * 8
        + "Форум открылся сегодня в столице с участием многих делегаций из-за рубежа. " * 8
    )
    assert detect_language(mixed) == "und"


def test_french_article_without_lang_is_french_and_found_by_an_inflection(
    write_corpus: Callable[..., Path], jsonl: Callable[..., str], tmp_path: Path, open_service
) -> None:
    record = {"id": "fr", "title": "Élections présidentielles", "body": FRENCH}
    root = write_corpus({"fr.jsonl": jsonl(record)})
    build_index([root], tmp_path / "index")
    service = open_service(tmp_path / "index")
    assert service.document("fr").lang == "fr"
    for query in ("élection", "électeur", "observateurs"):  # none is written so
        assert [h.id for h in service.search(SearchRequest(query=query)).hits] == ["fr"], query
    result = service.search(SearchRequest(query="", languages=("fr",)))
    assert result.total == 1
    assert [(v.value, v.label) for v in result.facets["lang"].values] == [("fr", "French")]


def test_language_without_a_stemmer_gets_only_the_neutral_field(
    write_corpus: Callable[..., Path],
    jsonl: Callable[..., str],
    tmp_path: Path,
    open_service,
) -> None:
    from indexer.index.store import IndexStore

    root = write_corpus({"sw.jsonl": jsonl({"id": "sw", "body": SWAHILI})})
    build_index([root], tmp_path / "index")
    service = open_service(tmp_path / "index")
    assert service.document("sw").lang == "sw"
    assert [h.id for h in service.search(SearchRequest(query="wajumbe")).hits] == ["sw"]
    assert service.search(SearchRequest(query="", languages=("sw",))).total == 1
    index = IndexStore(tmp_path / "index").open()
    with index.reader() as reader:
        stemmed = [n for n in reader.schema.names() if n.startswith(("body_", "title_"))]
        assert "body_sw" not in stemmed and "body_en" in stemmed
        # no other language's stemmer analyzed it: only the folded fields hold terms
        assert not [n for n in stemmed if n != "title_folded" and list(reader.field_terms(n))]
        assert list(reader.field_terms("folded"))


def test_unsure_short_text_is_undetermined_and_counted(
    write_corpus: Callable[..., Path], jsonl: Callable[..., str], tmp_path: Path, open_service
) -> None:
    records = [
        {"id": "short", "body": "Baku forum 2025"},
        {"id": "en", "body": SAMPLES["en"]},
    ]
    root = write_corpus({"short.jsonl": jsonl(*records)})
    report = build_index([root], tmp_path / "index")
    assert report.ok and report.added == 2  # indexed, never dropped
    service = open_service(tmp_path / "index")
    assert service.document("short").lang == "und"
    stats = service.stats()
    assert stats.undetermined_language == 1
    assert stats.languages == {"en": 1, "und": 1}
    assert [h.id for h in service.search(SearchRequest(query="forum")).hits] == ["short"]
    facet = service.search(SearchRequest(query="", languages=("und",))).facets["lang"]
    assert ("und", "Undetermined", 1) in [(v.value, v.label, v.count) for v in facet.values]
