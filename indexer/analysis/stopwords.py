"""Stop words per supported language.

English, German, Russian and Turkish come from Whoosh's Snowball-derived
lists; Azerbaijani has none there, so a short list of its commonest function
words is kept here.
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
    "en": frozenset(stoplists["en"]),
    "de": frozenset(stoplists["de"]),
    "ru": frozenset(stoplists["ru"]),
    "tr": frozenset(stoplists["tr"]),
    "az": AZERBAIJANI,
}
