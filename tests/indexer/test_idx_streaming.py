"""JSON Lines are streamed: line ends of every kind, across read boundaries, an
over-long line refused on its own, and memory bounded by a line, not a file."""

from __future__ import annotations

import json
import random
import tracemalloc
from pathlib import Path

import pytest

from indexer.ingest.documents import (
    DocumentBuilder,
    Unchanged,
    checksum,
    iter_lines,
    load_documents,
)
from indexer.ingest.organizations import Gazetteer


def _split(data: bytes, sizes: list[int]) -> list[bytes]:
    chunks, at = [], 0
    for size in sizes:
        chunks.append(data[at : at + size])
        at += size
    return [*chunks, data[at:]]


@pytest.mark.parametrize("seed", range(40))
def test_lines_are_the_same_however_the_stream_is_cut(seed: int) -> None:
    rng = random.Random(seed)
    lines = [bytes(rng.choice(b"ab {}") for _ in range(rng.randint(0, 12))) for _ in range(30)]
    ends = [rng.choice([b"\n", b"\r", b"\r\n"]) for _ in lines]
    for n in range(len(lines) - 1):
        if ends[n] == b"\r" and not lines[n + 1]:
            ends[n] = b"\n"  # CR, then an empty line ended by LF, would read as CRLF
    data = b"".join(line + end for line, end in zip(lines, ends, strict=True))
    cuts = [rng.randint(0, 7) for _ in range(len(data))]
    got = list(iter_lines(_split(data, cuts)))
    assert got == list(enumerate(lines, 1))


def test_last_line_without_an_end_and_an_over_long_line() -> None:
    data = b"one\n" + b"x" * 50 + b"\r\nthree\n" + b"y" * 11 + b"\nfour"
    got = list(iter_lines(_split(data, [3] * 30), limit=10))
    assert got == [(1, b"one"), (2, None), (3, b"three"), (4, None), (5, b"four")]


def test_memory_is_bounded_by_a_line_not_by_the_file(tmp_path: Path) -> None:
    """~16 MB of records of ~200 KB each: loading them holds a few lines at a time.

    Every record is already indexed (its checksum is known), so what is measured is
    reading, parsing and checksumming, not the cleaning of 16 MB of text.
    """
    path = tmp_path / "long.jsonl"
    rng = random.Random(7)
    words = [f"w{n}" for n in range(2000)]
    with path.open("w", encoding="utf-8") as out:
        for n in range(80):
            body = " ".join(rng.choice(words) for _ in range(40_000))
            record = {"id": f"r{n}", "title": f"Record {n}", "body": body, "lang": "en",
                      "date": "2024-01-01", "organizations": []}  # fmt: skip
            out.write(json.dumps(record) + "\n")
    size = path.stat().st_size
    assert size > 15_000_000
    known = {}
    with path.open("rb") as lines:
        for n, line in enumerate(lines):
            known[f"r{n}"] = checksum(checksum(line.decode().rstrip("\n")), str(path), "")
    builder = DocumentBuilder(Gazetteer([]), known=known)
    tracemalloc.start()
    try:
        count = 0
        for item in load_documents([path], builder):
            assert isinstance(item, Unchanged), item
            count += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 80
    assert peak < size / 4, f"peak {peak / 1e6:.1f} MB for a {size / 1e6:.1f} MB file"
