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
def test_too_little_text_falls_back_to_english(text: str) -> None:
    assert detect_language(text) == "en"


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
