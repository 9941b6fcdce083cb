"""The compact LSH buckets of ``StoryAssigner`` find what datasketch's MinHashLSH finds.

Why: the buckets were rewritten from datasketch's dict-of-sets (~5.5 KB an
article, most of the indexing process's memory on a large archive) to sorted
arrays (~1.3 KB). Stories must not change: here datasketch's ``MinHashLSH``
itself is the reference, on signatures planted around the threshold, with
removals and changed articles, across several merges of the arrays.
"""

from __future__ import annotations

import numpy as np
import pytest
from datasketch import MinHash, MinHashLSH
from datasketch.lsh import _optimal_param

from indexer.ingest import duplicates
from indexer.ingest.duplicates import BANDS, NUM_PERM, ROWS, THRESHOLD, StoryAssigner


class ReferenceAssigner:
    """The previous StoryAssigner: datasketch's LSH, candidates in sorted id order."""

    def __init__(self) -> None:
        self.lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
        self.stories: dict[str, str] = {}
        self.members: dict[str, int] = {}
        self.sigs: dict[str, np.ndarray] = {}

    def remove(self, doc_id: str) -> None:
        story = self.stories.pop(doc_id, None)
        if story is None:
            return
        self.members[story] -= 1
        if not self.members[story]:
            del self.members[story]
        if self.sigs.pop(doc_id, None) is not None:
            self.lsh.remove(doc_id)

    def assign(self, doc_id: str, sig: np.ndarray) -> str:
        self.remove(doc_id)
        minhash = MinHash(NUM_PERM, hashvalues=sig, scheme="affine32")
        story, best = None, THRESHOLD
        for other in sorted(self.lsh.query(minhash)):
            score = float(np.count_nonzero(self.sigs[other] == sig)) / NUM_PERM
            if score >= best and (story is None or score > best):
                best, story = score, other
        if story is not None:
            story = self.stories[story]
        else:
            story, suffix = doc_id, 1
            while story in self.members:
                suffix += 1
                story = f"{doc_id}~{suffix}"
        self.stories[doc_id] = story
        self.members[story] = self.members.get(story, 0) + 1
        self.sigs[doc_id] = sig
        self.lsh.insert(doc_id, minhash, check_duplication=False)
        return story


def test_banding_is_datasketchs_choice() -> None:
    assert _optimal_param(THRESHOLD, NUM_PERM, 0.5, 0.5) == (BANDS, ROWS)


def planted(rng: np.random.Generator, count: int) -> list[tuple[str, np.ndarray]]:
    """Random signatures and near-copies of earlier ones: 0-70 of 128 values redrawn,
    so similarities fall on both sides of the threshold and bands are shared or not."""
    made: list[tuple[str, np.ndarray]] = []
    for n in range(count):
        if made and rng.random() < 0.6:
            base = made[int(rng.integers(len(made)))][1].copy()
            changed = rng.choice(NUM_PERM, int(rng.integers(0, 71)), replace=False)
            base[changed] = rng.integers(0, 2**32, len(changed), dtype=np.uint32)
        else:
            base = rng.integers(0, 2**32, NUM_PERM, dtype=np.uint32)
        made.append((f"doc-{n:05d}", base))
    return made


@pytest.mark.parametrize("seed", [1, 2])
def test_stories_match_datasketch_through_adds_changes_and_removals(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(duplicates, "_MERGE_AT", BANDS * 50)  # merge every 50 articles
    rng = np.random.default_rng(seed)
    ours, reference = StoryAssigner(), ReferenceAssigner()
    articles = planted(rng, 1200)
    joined = 0
    for n, (doc_id, sig) in enumerate(articles):
        story = ours.assign(doc_id, sig.astype("<u4").tobytes())
        assert story == reference.assign(doc_id, sig), doc_id
        joined += story != doc_id
        if n % 7 == 3:  # an earlier article deleted
            gone = articles[int(rng.integers(n + 1))][0]
            ours.remove(gone)
            reference.remove(gone)
        if n % 11 == 5:  # an earlier article changed: matched again
            again, old = articles[int(rng.integers(n + 1))]
            changed = old.copy()
            changed[:20] = rng.integers(0, 2**32, 20, dtype=np.uint32)
            assert ours.assign(again, changed.astype("<u4").tobytes()) == reference.assign(
                again, changed
            )
    assert ours.stories == reference.stories and ours.members == reference.members
    assert joined > 200  # the planted copies did join stories (the test has teeth)


def test_colliding_band_keys_still_find_only_whole_bands(monkeypatch: pytest.MonkeyPatch) -> None:
    """With every band key folded into 7 values, buckets mix unrelated articles:
    the band comparison after the key must leave exactly datasketch's candidates."""
    real = duplicates._BandIndex.band_keys
    monkeypatch.setattr(
        duplicates._BandIndex, "band_keys", staticmethod(lambda sig: real(sig) % np.uint64(7))
    )
    monkeypatch.setattr(duplicates, "_MERGE_AT", BANDS * 13)
    rng = np.random.default_rng(5)
    ours, reference = StoryAssigner(), ReferenceAssigner()
    for doc_id, sig in planted(rng, 300):
        assert ours.assign(doc_id, sig.astype("<u4").tobytes()) == reference.assign(doc_id, sig)
    assert ours.stories == reference.stories


def test_an_article_listed_twice_or_with_a_foreign_signature_counts_once() -> None:
    sig = np.arange(NUM_PERM, dtype=np.uint32).astype("<u4").tobytes()
    twice = [("a", None, sig), ("a", None, sig), ("odd", None, b"\x00" * 12)]
    assigner = StoryAssigner(lambda: twice)
    assigner.remove("a")
    assert "a" not in assigner.stories and "a" not in assigner.members
    assert assigner.assign("a", sig) == "a"  # its own story again, not "a~2"
    assert assigner.assign("b", sig) == "a"
    assert assigner.assign("c", b"\x01" * 40) == "c"  # another length: no sketch, alone


def test_signatures_loaded_from_the_index_are_candidates() -> None:
    sig = np.arange(NUM_PERM, dtype=np.uint32)
    rows = [("indexed-1", "story-a", sig.astype("<u4").tobytes()), ("short-2", None, b"")]
    assigner = StoryAssigner(lambda: rows)
    assert assigner.assign("new-3", sig.astype("<u4").tobytes()) == "story-a"
    assert assigner.members == {"story-a": 2, "short-2": 1}
