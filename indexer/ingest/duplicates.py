"""Stories: exact and near-duplicate articles found with MinHash/LSH at index time.

Syndicated wires, republications with small edits and re-scrapes are one story.
Each article's cleaned body (furniture already removed by ``cleaning``, the
dateline lead-in dropped, folded: case, accents and Cyrillic transliterated, so
the same text in either script is the same text) is cut into word 3-grams;
their MinHash signature (datasketch's scheme, 128 permutations) is stored with the
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


# A shingle's hash: stable across processes (stored signatures outlive them), unlike
# hash(); the C function itself, since it runs for every shingle of every article.
_shingle_hash = zlib.crc32


# MurmurHash3's 32-bit finalizer, which datasketch's "affine32" scheme applies to
# every input hash before its permutations.
_FMIX32 = (16, 0x85EBCA6B, 13, 0xC2B2AE35, 16)


def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """datasketch's affine32 permutations for NUM_PERM and SEED: h -> a * h + b mod 2^32,
    ``a`` odd. Drawn here as datasketch draws them (a test compares them with its own),
    so indexing never imports datasketch and the scipy it pulls in (a second and a half
    per process)."""
    gen = np.random.RandomState(SEED)
    a = gen.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    return a, b


_MULTIPLIERS, _INCREMENTS = _permutations()


def minhash(hashes: Iterable[int]) -> np.ndarray:
    """The 128 minimum permuted values of 32-bit input hashes: datasketch's
    ``MinHash(128, seed=1, scheme="affine32")`` value for value, in array expressions
    (a ``MinHash`` object per article cost more than its arithmetic)."""
    return _minhash_array(np.fromiter(hashes, dtype=np.uint32))


_CHUNK = 4096  # input hashes permuted at once: a 2 MB matrix, whatever the article's length


def _minhash_array(hv: np.ndarray) -> np.ndarray:
    """``minhash`` of an array of hashes, ``_CHUNK`` rows at a time, so that a body at the
    size limit (~160,000 shingles) needs 2 MB of permutations rather than 80 MB."""
    s1, m1, s2, m2, s3 = _FMIX32
    hv ^= hv >> s1
    hv *= np.uint32(m1)
    hv ^= hv >> s2
    hv *= np.uint32(m2)
    hv ^= hv >> s3
    result = np.full(NUM_PERM, 0xFFFFFFFF, dtype=np.uint32)
    for start in range(0, len(hv), _CHUNK):
        permuted = hv[start : start + _CHUNK, None] * _MULTIPLIERS
        permuted += _INCREMENTS
        np.minimum(result, permuted.min(axis=0), out=result)
    return result


def signature(body: str) -> bytes:
    """The stored MinHash signature of an article's body; empty when it is too short.

    A repeated shingle cannot change a minimum, so the shingles are hashed as they come,
    without a set of them (which cost more than it saved and ~100 bytes a shingle)."""
    words = normalized_words(body)
    if len(words) < MIN_WORDS:
        return b""
    count = len(words) - SHINGLE_WORDS + 1
    hashes = np.fromiter(
        (_shingle_hash(" ".join(words[i : i + SHINGLE_WORDS]).encode()) for i in range(count)),
        dtype=np.uint32,
        count=count,
    )
    return _minhash_array(hashes).astype("<u4").tobytes()


def similarity(first: bytes, second: bytes) -> float:
    """Estimated Jaccard similarity of two stored signatures (0 when either is empty)."""
    if not first or not second or len(first) != len(second):
        return 0.0
    a = np.frombuffer(first, dtype="<u4")
    b = np.frombuffer(second, dtype="<u4")
    return float(np.count_nonzero(a == b)) / len(a)


StoredRows = Iterable[tuple[str, str | None, bytes | None]]  # (article id, story, signature)

# LSH banding for THRESHOLD and NUM_PERM: datasketch's MinHashLSH picks these (its
# _optimal_param, equal weights); tests/indexer/test_idx_story_buckets.py checks they agree.
BANDS, ROWS = 14, 9
_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # odd: a band's values mixed into one 64-bit key
_BLOCK = 1 << 14  # signatures per block (8 MB)
_MERGE_AT = 1 << 18  # pending band keys (in a dict) merged into the sorted arrays: ~45 MB


class _BandIndex:
    """LSH buckets of the indexed signatures, in sorted arrays instead of dicts of sets.

    The candidates of a signature are the articles that share at least one band
    (ROWS consecutive values) with it, exactly as datasketch's ``MinHashLSH``
    finds them: a band's 64-bit key only finds the bucket, and the band itself
    is then compared. datasketch keeps ~5.4 KB per article (a bytes key and a
    set per band); this keeps 12 bytes per band and the 512-byte signature,
    ~1.3 KB an article with the assigner's tables of ids and stories, so a
    million articles take ~1.3 GB instead of ~5.4 GB in the indexing
    process. New keys wait in a dict until enough of them are merged in.
    """

    def __init__(self) -> None:
        # row -> signature, in blocks: growing never copies (nor briefly doubles) them
        self._blocks: list[np.ndarray] = []
        self.size = 0
        self.alive = np.zeros(1024, dtype=bool)
        self._keys = np.zeros(0, dtype=np.uint64)  # sorted band keys...
        self._rows = np.zeros(0, dtype=np.int32)  # ...and the row of each
        self._pending: dict[int, list[int]] = {}
        self._pending_count = 0

    @staticmethod
    def band_keys(sig: np.ndarray) -> np.ndarray:
        bands = sig[: BANDS * ROWS].reshape(BANDS, ROWS).astype(np.uint64)
        keys = np.arange(1, BANDS + 1, dtype=np.uint64)  # the band's number is part of its key
        with np.errstate(over="ignore"):
            for column in range(ROWS):
                keys = keys * _MULTIPLIER + bands[:, column]
        return keys

    def add(self, sig: np.ndarray) -> int:
        if self.size == len(self.alive):
            self.alive = np.concatenate([self.alive, np.zeros_like(self.alive)])
        if self.size == len(self._blocks) * _BLOCK:
            self._blocks.append(np.zeros((_BLOCK, NUM_PERM), dtype=np.uint32))
        row = self.size
        self.size += 1
        self._blocks[row // _BLOCK][row % _BLOCK] = sig
        self.alive[row] = True
        for key in self.band_keys(sig).tolist():
            self._pending.setdefault(key, []).append(row)
        self._pending_count += BANDS
        if self._pending_count >= _MERGE_AT:
            self._merge()
        return row

    def remove(self, row: int) -> None:
        self.alive[row] = False  # its keys go at the next merge

    def _merge(self) -> None:
        """Fold the pending keys into the sorted arrays (one copy of them, no re-sort),
        dropping the keys of removed articles on the way."""
        pending_keys = np.fromiter(
            (k for k, rows in self._pending.items() for _ in rows), np.uint64, self._pending_count
        )
        pending_rows = np.fromiter(
            (r for rows in self._pending.values() for r in rows), np.int32, self._pending_count
        )
        order = np.argsort(pending_keys, kind="stable")
        pending_keys, pending_rows = pending_keys[order], pending_rows[order]
        keys, rows = self._keys, self._rows
        self._keys = self._rows = np.zeros(0, dtype=np.uint64)  # no third copy at the peak
        keep = self.alive[rows]
        if not keep.all():
            keys, rows = keys[keep], rows[keep]
        at = np.searchsorted(keys, pending_keys, side="right")
        self._keys, self._rows = (
            np.insert(keys, at, pending_keys),
            np.insert(rows, at, pending_rows),
        )
        self._pending, self._pending_count = {}, 0

    def signatures(self, rows: np.ndarray) -> np.ndarray:
        """The signatures of ``rows`` (a len(rows) × NUM_PERM array), one gather per block."""
        out = np.empty((len(rows), NUM_PERM), dtype=np.uint32)
        blocks = rows // _BLOCK
        for block in np.unique(blocks).tolist():
            at = blocks == block
            out[at] = self._blocks[block][rows[at] % _BLOCK]
        return out

    def candidates(self, sig: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Live rows sharing at least one whole band with ``sig`` (sorted), and their
        signatures: the buckets' rows gathered once, every band compared at once."""
        keys = self.band_keys(sig)
        starts = np.searchsorted(self._keys, keys, side="left")
        ends = np.searchsorted(self._keys, keys, side="right")
        parts = [
            self._rows[start:end] for start, end in zip(starts, ends, strict=True) if end > start
        ]
        pending = [row for key in keys.tolist() for row in self._pending.get(key, ())]
        if pending:
            parts.append(np.asarray(pending, dtype=np.int32))
        if not parts:
            return np.zeros(0, dtype=np.int32), np.zeros((0, NUM_PERM), dtype=np.uint32)
        rows = np.unique(np.concatenate(parts))
        rows = rows[self.alive[rows]]
        found = self.signatures(rows)
        used = BANDS * ROWS
        same = (found[:, :used].reshape(-1, BANDS, ROWS) == sig[:used].reshape(BANDS, ROWS)).all(2)
        keep = same.any(1)
        return rows[keep], found[keep]


@dataclass
class StoryAssigner:
    """The indexed articles' stories and signatures, and the LSH that finds candidates.

    ``load`` gives the indexed articles' rows when first needed: a run that
    changes nothing never reads them. An article listed twice counts once (the
    last row), and a signature of another length than NUM_PERM's (an index
    written with other settings) is treated as none, where datasketch's LSH
    counted the article twice or raised.
    """

    load: Callable[[], StoredRows] | None = None
    stories: dict[str, str] = field(default_factory=dict)  # article id -> story id
    members: dict[str, int] = field(default_factory=dict)  # story id -> articles
    _rows: dict[str, int] = field(default_factory=dict)  # article id -> row of _bands
    _ids: list[str] = field(default_factory=list)  # row -> article id
    _bands: _BandIndex = field(default_factory=_BandIndex)

    def _loaded(self) -> None:
        if self.load is not None:
            load, self.load = self.load, None
            for doc_id, story, sig in load():
                self._add(doc_id, story or doc_id, sig or b"")

    @staticmethod
    def _array(sig: bytes) -> np.ndarray | None:
        if len(sig) != NUM_PERM * 4:  # empty (too short) or written with another NUM_PERM
            return None
        return np.frombuffer(sig, dtype="<u4").astype(np.uint32)

    def _add(self, doc_id: str, story: str, sig: bytes) -> None:
        if doc_id in self.stories:  # listed twice by ``load``: the last one counts
            self.remove(doc_id)
        self.stories[doc_id] = story
        self.members[story] = self.members.get(story, 0) + 1
        values = self._array(sig)
        if values is not None:
            self._rows[doc_id] = self._bands.add(values)
            self._ids.append(doc_id)

    def remove(self, doc_id: str) -> None:
        """Forget an article (deleted, or about to be matched again because it changed)."""
        self._loaded()
        story = self.stories.pop(doc_id, None)
        if story is None:
            return
        self.members[story] -= 1
        if not self.members[story]:
            del self.members[story]
        row = self._rows.pop(doc_id, None)
        if row is not None:
            self._bands.remove(row)

    def assign(self, doc_id: str, sig: bytes) -> str:
        """The story of a new or changed article, which is then counted in it."""
        self.remove(doc_id)
        story = None
        values = self._array(sig)
        if values is not None:
            rows, found = self._bands.candidates(values)
            if len(rows):
                scores = np.count_nonzero(found == values, axis=1) / NUM_PERM
                # The most similar at or over the threshold; among equals, the first id.
                best = scores.max()
                if best >= THRESHOLD:
                    story = self.stories[min(self._ids[r] for r in rows[scores == best].tolist())]
        if story is None:
            story = doc_id
            suffix = 1
            while story in self.members:  # its own id still names a story it has left
                suffix += 1
                story = f"{doc_id}~{suffix}"
        self._add(doc_id, story, sig)
        return story
