"""Stories: exact and near-duplicate articles found with MinHash/LSH at index time.

Syndicated wires, republications with small edits and re-scrapes are one story.
Each article's cleaned body (furniture already removed by ``cleaning``, the
dateline lead-in dropped, folded: case, accents and Cyrillic transliterated, so
the same text in either script is the same text) is cut into word 3-grams;
their MinHash signature (datasketch, 128 permutations) is stored with the
article, so a later run rebuilds the LSH of the indexed articles without
re-reading their text. An article whose signature estimates a Jaccard
similarity of at least ``THRESHOLD`` with an indexed one joins that article's
story (the most similar one); otherwise it starts its own story, named by its
own id (the first-indexed article's). A story's id is only a label: when its
first article is deleted the others keep it; a changed article is matched
again and may leave its story. Texts under ``MIN_WORDS`` words are too short to
tell a copy from a coincidence and always get a story of their own.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from indexer.analysis.folding import fold
from indexer.ingest.cleaning import strip_dateline

SHINGLE_WORDS = 3
NUM_PERM = 128
THRESHOLD = 0.7  # estimated Jaccard similarity of the word 3-gram sets (eval/DUPLICATES.md)
MIN_WORDS = 12
SEED = 1  # part of the stored signature's meaning: changing it needs a rebuild
_WORD = re.compile(r"\w+")


def normalized_words(body: str) -> list[str]:
    """The words a sketch is made of: folded, without the dateline lead-in."""
    text = strip_dateline(body)
    # fold() of ASCII text is its lower case; skipping its per-character pass halves the cost.
    return _WORD.findall(text.lower() if text.isascii() else fold(text))


def _shingle_hash(shingle: bytes) -> int:
    # Stable across processes (stored signatures outlive them), unlike hash().
    return zlib.crc32(shingle)


@dataclass(slots=True)
class _Sketcher:
    """datasketch, imported when first needed (scipy makes the import take a second)."""

    minhash: Any = None
    lsh_class: Any = None
    permutations: Any = None

    def load(self) -> None:
        if self.minhash is None:
            from datasketch import MinHash, MinHashLSH

            self.permutations = MinHash(NUM_PERM, seed=SEED).permutations
            self.minhash, self.lsh_class = MinHash, MinHashLSH

    def make(self, hashvalues: np.ndarray | None = None) -> Any:
        self.load()
        return self.minhash(
            NUM_PERM, seed=SEED, hashfunc=_shingle_hash, hashvalues=hashvalues,
            permutations=self.permutations, scheme="affine32",
        )  # fmt: skip


_SKETCHER = _Sketcher()


def signature(body: str) -> bytes:
    """The stored MinHash signature of an article's body; empty when it is too short."""
    words = normalized_words(body)
    if len(words) < MIN_WORDS:
        return b""
    shingles = {
        " ".join(words[i : i + SHINGLE_WORDS]).encode("utf-8")
        for i in range(len(words) - SHINGLE_WORDS + 1)
    }
    minhash = _SKETCHER.make()
    minhash.update_batch(list(shingles))
    return np.asarray(minhash.hashvalues, dtype="<u4").tobytes()


def similarity(first: bytes, second: bytes) -> float:
    """Estimated Jaccard similarity of two stored signatures (0 when either is empty)."""
    if not first or not second or len(first) != len(second):
        return 0.0
    a = np.frombuffer(first, dtype="<u4")
    b = np.frombuffer(second, dtype="<u4")
    return float(np.count_nonzero(a == b)) / len(a)


StoredRows = Iterable[tuple[str, str | None, bytes | None]]  # (article id, story, signature)


@dataclass
class StoryAssigner:
    """The indexed articles' signatures and stories, and the LSH that finds candidates.

    ``load`` gives the indexed articles' rows when first needed: a run that
    changes nothing never reads them.
    """

    load: Callable[[], StoredRows] | None = None
    stories: dict[str, str] = field(default_factory=dict)  # article id -> story id
    signatures: dict[str, bytes] = field(default_factory=dict)
    members: dict[str, int] = field(default_factory=dict)  # story id -> articles
    _lsh: Any = None

    def _loaded(self) -> None:
        if self.load is not None:
            load, self.load = self.load, None
            for doc_id, story, sig in load():
                self._add(doc_id, story or doc_id, sig or b"")

    def _index(self) -> Any:
        if self._lsh is None:
            _SKETCHER.load()
            self._lsh = _SKETCHER.lsh_class(threshold=THRESHOLD, num_perm=NUM_PERM)
            for doc_id, sig in self.signatures.items():
                self._lsh.insert(doc_id, self._minhash(sig), check_duplication=False)
        return self._lsh

    @staticmethod
    def _minhash(sig: bytes) -> Any:
        return _SKETCHER.make(np.frombuffer(sig, dtype="<u4").astype(np.uint32))

    def _add(self, doc_id: str, story: str, sig: bytes) -> None:
        self.stories[doc_id] = story
        self.members[story] = self.members.get(story, 0) + 1
        if sig:
            self.signatures[doc_id] = sig
            if self._lsh is not None:
                self._lsh.insert(doc_id, self._minhash(sig), check_duplication=False)

    def remove(self, doc_id: str) -> None:
        """Forget an article (deleted, or about to be matched again because it changed)."""
        self._loaded()
        story = self.stories.pop(doc_id, None)
        if story is None:
            return
        self.members[story] -= 1
        if not self.members[story]:
            del self.members[story]
        if self.signatures.pop(doc_id, None) is not None and self._lsh is not None:
            self._lsh.remove(doc_id)

    def assign(self, doc_id: str, sig: bytes) -> str:
        """The story of a new or changed article, which is then counted in it."""
        self.remove(doc_id)
        story = None
        if sig:
            best = THRESHOLD
            for other in sorted(self._index().query(self._minhash(sig))):
                score = similarity(sig, self.signatures[other])
                if score >= best and (story is None or score > best):
                    best, story = score, other
            if story is not None:
                story = self.stories[story]
        if story is None:
            story = doc_id
            suffix = 1
            while story in self.members:  # its own id still names a story it has left
                suffix += 1
                story = f"{doc_id}~{suffix}"
        self._add(doc_id, story, sig)
        return story
