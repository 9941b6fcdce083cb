"""Ranking: BM25F with per-field parameters.

Titles are short, so length normalization (b) matters less there; the
title boost itself is applied in the query (see querying.TITLE_BOOST).
"""

from __future__ import annotations

from whoosh import scoring

from .model import SUPPORTED_LANGUAGES
from .schema import FOLDED_TITLE, title_field

K1 = 1.2
B = 0.75
TITLE_B = 0.5


def weighting() -> scoring.WeightingModel:
    field_b = {f"{title_field(lang)}_B": TITLE_B for lang in SUPPORTED_LANGUAGES}
    field_b[f"{FOLDED_TITLE}_B"] = TITLE_B
    return scoring.BM25F(B=B, K1=K1, **field_b)
