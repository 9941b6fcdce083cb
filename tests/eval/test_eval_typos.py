"""The typo set of eval/typos.py: reproducible, one edit per typo, the meant word
never offered as its own typo."""

from __future__ import annotations

import random

from eval.typos import KINDS, typo
from indexer.search.spelling import damerau_distance


def test_every_typo_is_one_edit_from_its_word_and_reproducible() -> None:
    made = []
    for seed in range(3):
        rng = random.Random(seed)
        for word in ("security", "sicherheit", "безопасность", "güvenlik", "təhlükəsizlik"):
            alphabet = "".join(sorted(set(word)))
            for kind in KINDS:
                edited = typo(word, kind, alphabet, rng)
                made.append(edited)
                if edited is not None and edited != word:
                    assert damerau_distance(word, edited, 2) == 1, (kind, word, edited)
                    assert edited[0] == word[0]  # the first letter is kept
    again = []
    for seed in range(3):
        rng = random.Random(seed)
        for word in ("security", "sicherheit", "безопасность", "güvenlik", "təhlükəsizlik"):
            alphabet = "".join(sorted(set(word)))
            again.extend(typo(word, kind, alphabet, rng) for kind in KINDS)
    assert made == again
