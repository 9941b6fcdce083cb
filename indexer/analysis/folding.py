"""Language-neutral folding so names match across scripts and spellings.

``fold`` gives the form stored in the ``folded`` field: NFKC, every i-like
letter (I, İ, ı, i) treated as one, Azerbaijani ə as the "a" English spells it
with (Əliyev → aliyev), diacritics removed and Cyrillic transliterated.

``name_key`` goes one step further, into a deliberately lossy spelling
skeleton applied on both the index and the query side of the folded field
only: gh→g, kh→h, dzh→j, "iy" before a vowel → "i", doubled letters
collapsed. That is what makes Nagiyev, Naghiyev, Nağıyev and Нагиев (and
Massimov/Масимов, Orkhan/Орхан) the same key. The per-language fields keep
exact stemmed words, and rank above the folded field, so the skeleton
widens recall without blurring precision.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e",
    "ж": "zh", "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m",
    "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
    "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch",
    "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
    # Azerbaijani, Kazakh and other Cyrillic letters seen in regional names
    "ә": "a", "ғ": "g", "һ": "h", "ҹ": "j", "ј": "y", "ҝ": "g", "ү": "u",
    "ө": "o", "ҳ": "h", "қ": "k", "ң": "ng", "ұ": "u", "і": "i", "ї": "i",
    "є": "e", "ў": "u",
}  # fmt: skip

_LATIN_SPECIAL = {
    "ı": "i", "ə": "a", "ß": "ss", "ş": "sh", "ç": "ch", "ğ": "g",
    "æ": "ae", "ø": "o", "œ": "oe", "ł": "l", "đ": "d", "þ": "th", "ð": "d",
}  # fmt: skip

_TABLE = str.maketrans({**_CYRILLIC, **_LATIN_SPECIAL})

_SKELETON_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"dzh"), "j"),
    (re.compile(r"gh"), "g"),
    (re.compile(r"kh"), "h"),
    (re.compile(r"iy(?=[aeiou])"), "i"),
    (re.compile(r"([a-z])\1+"), r"\1"),
)


def casefold_turkic(text: str) -> str:
    """Lower-case text the Turkish/Azerbaijani way: I→ı and İ→i, then lower()."""
    return text.replace("I", "ı").replace("İ", "i").lower()


def casefold_default(text: str) -> str:
    """Lower-case text for the other languages; a stray İ still becomes a plain i."""
    return text.replace("İ", "i").lower()


def fold(text: str) -> str:
    """Fold text to its language-neutral lowercase ASCII-ish form."""
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("İ", "i").replace("I", "i").lower().translate(_TABLE)
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=200_000)
def name_key(word: str) -> str:
    """The spelling skeleton of one word (see module docstring)."""
    key = fold(word)
    for pattern, replacement in _SKELETON_RULES:
        key = pattern.sub(replacement, key)
    return key
