"""Turkish words keyed by their lemma (simplemma's tables) where the tables know
them, by the Snowball stem where they do not (eval/TURKISH.md measured why).

Real parts only: the analysis functions, a real index in tmp built by
``build_index`` and searched by ``SearchService``, and a child Python with its
sockets disabled for "the tables ship in the wheel". No ../shared/data needed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from indexer import SearchRequest, SearchService, build_index
from indexer.analysis import language
from indexer.analysis.language import (
    LEMMA_SNOWBALL,
    SNOWBALL,
    TURKISH_ANALYSIS,
    index_terms,
    set_turkish_analysis,
    stem_word,
    turkish_lemma,
)

# Articles of our own: every inflection of seçim below, and words Snowball merges
# with it or leaves apart.
ARTICLES = [
    ("secim-1", "Yerel seçimlerde oy oranı yüksek oldu. Sandıklar akşam kapandı."),
    ("secim-2", "Seçimin sonuçları gece yarısı açıklandı ve partiler açıklama yaptı."),
    ("secim-3", "Erken seçime gidilmesi tartışılıyor; muhalefet tarih istiyor."),
    ("secim-4", "Seçimlerinin ardından belediyeler yeni başkanlarını karşıladı."),
    ("secti-1", "Kulüp yeni başkanını seçti ve kongre sona erdi. Üyeler alkışladı."),
    ("kitap-1", "Yazarın son kitabı bu hafta raflarda yerini aldı; okurlar sıraya girdi."),
    ("kitap-2", "Kitaplar fuarda büyük ilgi gördü, yayınevleri satışlardan memnun."),
]


@pytest.fixture
def shipped_analysis() -> Iterator[None]:
    """Whatever a test chose, the next one starts from the shipped analysis."""
    yield
    set_turkish_analysis(TURKISH_ANALYSIS)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    path = tmp_path / "turkish.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for doc_id, body in ARTICLES:
            out.write(json.dumps({"id": doc_id, "body": body, "lang": "tr"}, ensure_ascii=False))
            out.write("\n")
    return path


def _ids(index: Path, query: str) -> set[str]:
    with SearchService(index) as service:
        result = service.search(SearchRequest(query=query, languages=("tr",), collapse="none"))
    return {hit.id for hit in result.hits}


def test_the_shipped_analysis_is_the_measured_winner() -> None:
    assert TURKISH_ANALYSIS == LEMMA_SNOWBALL == language.turkish_analysis()


def test_case_chains_share_the_lemma() -> None:
    forms = ["seçimlerde", "Seçimin", "seçime", "seçimlerinin", "SEÇİM"]
    assert {stem_word(form, "tr") for form in forms} == {"seçim"}
    assert stem_word("kitabı", "tr") == stem_word("kitaplar", "tr") == "kitap"
    assert stem_word("gidiyor", "tr") == stem_word("gitti", "tr") == "git"  # Snowball: apart
    assert index_terms("seçimlerde", "tr") == ["seçim"]


def test_a_lemma_is_not_stemmed_again_and_unknown_words_get_snowball() -> None:
    # Stemmed again, the lemma "hasta" (patient) would become "has" (pure, genuine).
    snowball = language._stemmer("turkish").stemWord
    assert turkish_lemma("hastaların") == "hasta" and snowball("hasta") == "has"
    assert stem_word("hastaların", "tr") == "hasta"
    # A word the tables do not know gets the Snowball stem, as before.
    unknown = "bilgisayarlarımızdan"
    assert turkish_lemma(unknown) is None
    assert stem_word(unknown, "tr") == snowball(unknown)


def test_azerbaijani_keeps_the_turkish_snowball_stemmer() -> None:
    snowball = language._stemmer("turkish").stemWord
    for word in ("Xidmətinin", "bakıda", "seçkilərdə"):
        assert stem_word(word, "az") == snowball(language.normalize_word(word, "az"))


def test_an_inflected_query_finds_every_inflection(tmp_path, corpus, shipped_analysis) -> None:
    index = tmp_path / "index"
    assert build_index([corpus], index, rebuild=True).added == len(ARTICLES)
    assert _ids(index, "seçimlerde") == {"secim-1", "secim-2", "secim-3", "secim-4"}
    assert _ids(index, "kitabı") == {"kitap-1", "kitap-2"}


def test_an_index_of_the_old_analysis_is_reindexed(tmp_path, corpus, shipped_analysis) -> None:
    index = tmp_path / "index"
    set_turkish_analysis(SNOWBALL)  # the analysis before lemmas
    assert build_index([corpus], index, rebuild=True).added == len(ARTICLES)
    assert _ids(index, "seçimlerde") == {"secim-1", "secim-4"}  # Snowball missed two
    set_turkish_analysis(TURKISH_ANALYSIS)
    # The next `dossier index` of the same files sees every article as changed.
    report = build_index([corpus], index)
    assert report.updated == len(ARTICLES) and report.unchanged == 0
    assert _ids(index, "seçimlerde") == {"secim-1", "secim-2", "secim-3", "secim-4"}
    assert build_index([corpus], index).unchanged == len(ARTICLES)  # and then it is current


def test_an_unknown_analysis_is_refused(shipped_analysis) -> None:
    with pytest.raises(ValueError, match="not one of"):
        set_turkish_analysis("zemberek")


def test_the_lemma_tables_are_read_from_the_package_without_network() -> None:
    """simplemma's tables ship in its wheel: with every socket refused, they still load."""
    code = (
        "import socket\n"
        "from indexer.analysis.language import turkish_lemma\n"
        "class Refused(socket.socket):\n"
        "    def __init__(self, *a, **k):\n"
        "        raise OSError('network use is not allowed')\n"
        "def refuse(*a, **k):\n"
        "    raise OSError('network use is not allowed')\n"
        "socket.socket = Refused\n"
        "socket.create_connection = socket.getaddrinfo = refuse\n"
        "print(turkish_lemma('seçimlerde'), turkish_lemma('hükümetin'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["seçim", "hükümet"]
