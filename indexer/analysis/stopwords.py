"""Stop words per language, where a list exists.

Whoosh's Snowball-derived lists cover English, German, Russian, Turkish,
Danish, Spanish, Finnish, French, Hungarian, Italian, Dutch, Norwegian,
Portuguese and Swedish; Azerbaijani has none there, so a short list of its
commonest function words is kept here. The other stemmed languages have no
stop words: every word is indexed (a longer index, never a missed word).
"""

from __future__ import annotations

from whoosh.lang.stopwords import stoplists

AZERBAIJANI = frozenset(
    [
        "və",
        "ilə",
        "da",
        "də",
        "ki",
        "bu",
        "o",
        "bir",
        "üçün",
        "amma",
        "ancaq",
        "lakin",
        "ya",
        "yaxud",
        "həm",
        "hər",
        "heç",
        "nə",
        "necə",
        "niyə",
        "çox",
        "az",
        "daha",
        "ən",
        "olan",
        "olub",
        "oldu",
        "olur",
        "olaraq",
        "edib",
        "edir",
        "etdi",
        "isə",
        "kimi",
        "qədər",
        "sonra",
        "əvvəl",
        "görə",
        "artıq",
        "belə",
        "elə",
        "bunu",
        "onun",
        "onlar",
        "biz",
        "siz",
        "mən",
        "sən",
        "həmin",
        "bütün",
        "hansı",
        "harada",
        "nədən",
        "indi",
        "hələ",
        "yenə",
        "özü",
        "öz",
    ]
)

STOPWORDS: dict[str, frozenset[str]] = {
    **{lang: frozenset(words) for lang, words in stoplists.items()},
    "az": AZERBAIJANI,
}
