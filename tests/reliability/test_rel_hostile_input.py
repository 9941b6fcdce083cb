"""Hostile corpus files through the real `dossier index`: each bad line is one
``path:line: error: reason`` and the run commits everything else, of that file
and of the other files named; JSON Lines are streamed (CR, LF or CRLF line
ends; gzip read as it is); symbolic links out of the input tree are skipped
unless --follow-links; ids have a length limit.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import zlib
from pathlib import Path

import pytest

from indexer import SearchService
from indexer.model import MAX_ID_CHARS

GOOD = "Harbour authorities reviewed grain exports. Customs checks were discussed."


def _record(doc_id: str, body: str = GOOD, **fields: object) -> str:
    return json.dumps({"id": doc_id, "body": body, **fields})


# (line text, the reason its error must give); None: the line is indexed
HOSTILE: list[tuple[str, str | None]] = [
    (_record("first"), None),
    ('{"id": "deep", "body": "x", "nest": ' + "[" * 1000 + "]" * 1000 + "}", "nested too deeply"),
    ('{"id": "bigint", "body": "x", "n": ' + "9" * 5000 + "}", "a number has too many digits"),
    ('{"id": 1e999, "body": "An infinite id."}', "field 'id' must be a string or null"),
    (_record("x" * (MAX_ID_CHARS + 1)), f"the limit is {MAX_ID_CHARS}"),
    (_record("first", "Another article under the same id."), "duplicate id 'first'"),
    (_record("escaped-surrogate", "Lone \\ud800 surrogate, escaped.").replace("\\\\", "\\"), None),
    (_record("tz-hour", date="2025-01-01T25:00:00"), None),
    (_record("tz-offset", date="2025-01-01T10:00:00+99:00"), None),
    (_record("last"), None),
]
RAW_SURROGATE = b'{"id": "raw-surrogate", "body": "\xed\xa0\x80 encoded surrogate"}'


def _documents(index: Path) -> dict[str, dict]:
    from indexer.index.store import IndexStore

    ix = IndexStore(index).open()
    try:
        with ix.searcher() as searcher:
            return {fields["id"]: fields for fields in searcher.all_stored_fields()}
    finally:
        ix.close()


def _problems(stderr: str) -> dict[tuple[str, int], str]:
    """(path, line) -> "severity: reason" of every ``path:line:`` message."""
    found = {}
    for line in stderr.splitlines():
        match = re.match(r"^(.+?):(\d+): (error|warning): (.*)$", line)
        if match:
            found[(match.group(1), int(match.group(2)))] = f"{match.group(3)}: {match.group(4)}"
    return found


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory, session_kit) -> dict:
    root = tmp_path_factory.mktemp("hostile")
    hostile = root / "hostile.jsonl"
    lines = [text.encode() for text, _ in HOSTILE]
    lines.insert(len(lines) - 1, RAW_SURROGATE)  # before "last"
    hostile.write_bytes(b"\n".join(lines) + b"\n")
    other = root / "other.jsonl"
    other.write_text(_record("other-1") + "\n" + _record("other-2") + "\n")
    done = session_kit.run_dossier("index", hostile, other, "--index", root / "index")
    return {"root": root, "hostile": hostile, "done": done, "docs": _documents(root / "index")}


def test_every_hostile_line_is_its_own_error_and_the_rest_is_committed(hostile_run) -> None:
    done, path = hostile_run["done"], str(hostile_run["hostile"])
    assert done.returncode == 1, done.stderr  # some input failed; the run finished
    assert "Traceback" not in done.stderr
    problems = _problems(done.stderr)
    for number, (_, reason) in enumerate(HOSTILE, 1):
        number += number >= len(HOSTILE)  # the raw surrogate line sits before the last
        if reason is None:
            assert not problems.get((path, number), "").startswith("error"), number
            continue
        assert problems[(path, number)].startswith("error: "), problems
        assert reason in problems[(path, number)], problems[(path, number)]
    raw_line = len(HOSTILE)
    assert "not valid UTF-8" in problems[(path, raw_line)]
    assert f"(first in {path}:1)" in problems[(path, 6)], "a duplicate names the first's line"

    docs = hostile_run["docs"]
    expected = {"first", "escaped-surrogate", "tz-hour", "tz-offset", "last", "other-1", "other-2"}
    assert set(docs) == expected
    assert docs["first"]["body"] == GOOD, "the first version of a duplicate id is kept"
    assert "\ufffd" in docs["escaped-surrogate"]["body"]
    failed = sum(reason is not None for _, reason in HOSTILE) + 1
    assert f"7 added, 0 updated, 0 unchanged, 0 deleted, {failed} failed" in done.stdout


def test_impossible_timestamps_are_not_taken_for_dates(hostile_run) -> None:
    """``T25:00`` or ``+99:00``: the line says why, and the article is indexed undated."""
    problems = _problems(hostile_run["done"].stderr)
    path = str(hostile_run["hostile"])
    assert "no such time of day" in problems[(path, 8)]
    assert "impossible UTC offset" in problems[(path, 9)]
    for doc_id in ("tz-hour", "tz-offset"):
        assert not hostile_run["docs"][doc_id].get("date"), doc_id


@pytest.mark.parametrize("ending", ["\r", "\r\n", "\n"], ids=["cr", "crlf", "lf"])
def test_every_line_ending_ends_a_record(kit, tmp_path: Path, ending: str) -> None:
    path = tmp_path / "lines.jsonl"
    records = [_record(f"r{n}", f"Record {n}. {GOOD}") for n in range(3)]
    records.insert(1, '{"id": "broken", ')
    path.write_bytes(ending.join(records).encode())  # no final line end either
    done = kit.run_dossier("index", path, "--index", tmp_path / "index")
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith(f"{path}:2: error: invalid JSON"), done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert set(_documents(tmp_path / "index")) == {"r0", "r1", "r2"}


def test_gzip_files_are_read_as_they_are_and_checksums_stay_per_document(
    kit, tmp_path: Path
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    lines = [_record(f"z{n}", f"Compressed article {n}. {GOOD}") for n in range(50)]
    lines[20] = '{"id": "z20", "body": '  # a bad line inside the stream
    with gzip.open(corpus / "archive.jsonl.gz", "wt", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    with gzip.open(corpus / "article.txt.gz", "wt", encoding="utf-8") as out:
        out.write("date 2024-03-01\nPort of Baku. " + GOOD)
    index = tmp_path / "index"
    done = kit.run_dossier("index", corpus, "--index", index)
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith(f"{corpus / 'archive.jsonl.gz'}:21: error: invalid JSON")
    docs = _documents(index)
    assert len(docs) == 50 and "z20" not in docs
    assert docs["article"]["date"] == "2024-03-01", "a .txt.gz id is its name without suffixes"

    lines[5] = _record("z5", "A revised fifth article about customs.")
    with gzip.open(corpus / "archive.jsonl.gz", "wt", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    again = kit.run_dossier("index", corpus, "--index", index)
    assert "0 added, 1 updated, 49 unchanged, 0 deleted, 1 failed" in again.stdout, again
    assert _documents(index)["z5"]["body"].startswith("A revised fifth article")


def _complete_lines(damaged: bytes) -> int:
    """How many whole lines the bytes before the damage hold (what must be kept)."""
    inflater = zlib.decompressobj(wbits=31)
    try:
        text = inflater.decompress(damaged)
    except zlib.error:
        text = b""
    return text.count(b"\n")


@pytest.mark.parametrize("articles", [400, 3], ids=["several-chunks", "small-file"])
def test_a_gzip_cut_short_keeps_every_whole_line_before_the_cut(
    kit, tmp_path: Path, articles: int
) -> None:
    path = tmp_path / "cut.jsonl.gz"
    text = "\n".join(_record(f"c{n}", f"Article {n}. {GOOD} {os.urandom(400).hex()}")
                     for n in range(articles)) + "\n"  # fmt: skip
    data = gzip.compress(text.encode())
    cut = data[: len(data) // 2] if articles > 3 else data[:-12]  # mid-stream / in the trailer
    path.write_bytes(cut)
    kept = _complete_lines(cut)
    assert 0 < kept < articles or articles == 3
    done = kit.run_dossier("index", path, "--index", tmp_path / "index")
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    message = done.stderr.strip().splitlines()[-1]
    assert message == (
        f"{path}:{kept + 1}: error: gzip file is cut short (its data ends mid-stream); "
        f"read stopped after line {kept}"
    )
    docs = _documents(tmp_path / "index")
    assert set(docs) == {f"c{n}" for n in range(kept)}, "every whole line before the cut"


def _flip_bytes(data: bytes, at: int) -> bytes:
    middle = bytearray(data)
    for offset in range(at, at + 16):
        middle[offset] ^= 0xFF
    return bytes(middle)


def test_corrupt_gzip_files_are_problems_and_the_other_files_are_indexed(
    kit, tmp_path: Path
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    text = "\n".join(_record(f"g{n}", f"Article {n}. {GOOD} {os.urandom(300).hex()}")
                     for n in range(200)) + "\n"  # fmt: skip
    data = gzip.compress(text.encode())
    (corpus / "corrupt.jsonl.gz").write_bytes(_flip_bytes(data, len(data) // 2))
    article = gzip.compress(("Port of Baku. " + GOOD + " " + os.urandom(3000).hex()).encode())
    (corpus / "corrupt.txt.gz").write_bytes(_flip_bytes(article, len(article) // 2))
    (corpus / "garbage.txt.gz").write_bytes(b"not gzip at all")
    (corpus / "fine.jsonl").write_text(_record("fine") + "\n")
    done = kit.run_dossier("index", corpus, "--index", tmp_path / "index")
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    errors: dict[str, list[str]] = {}
    for line in done.stderr.splitlines():
        if ": error: " in line:
            where, reason = line.split(": error: ", 1)
            errors.setdefault(
                where.split(".gz:")[0] + ".gz" if ".gz:" in where else where, []
            ).append(reason)
    # deflate data is checked (CRC) only at a member's end: the lines decompressed
    # from the damaged part are garbage, each an error of its own, then the damage
    last = errors[str(corpus / "corrupt.jsonl.gz")][-1]
    assert last.startswith("gzip data is damaged (") and "read stopped after line" in last, errors
    txt = errors[str(corpus / "corrupt.txt.gz")]
    assert len(txt) == 1 and txt[0].startswith("gzip data is damaged ("), txt
    assert errors[str(corpus / "garbage.txt.gz")][0].startswith("gzip data is damaged (")
    docs = _documents(tmp_path / "index")
    read = int(last.rsplit(" ", 1)[1])
    intact = _complete_lines(data[: len(data) // 2])  # the lines wholly before the damage
    assert "fine" in docs and "corrupt" not in docs and "garbage" not in docs
    assert 0 < intact <= read < 200
    stored = {d for d in docs if d.startswith("g")}
    assert {f"g{n}" for n in range(intact)} <= stored <= {f"g{n}" for n in range(read)}


def test_a_gzip_of_several_members_and_zero_padding_is_read_whole(kit, tmp_path: Path) -> None:
    path = tmp_path / "members.jsonl.gz"
    members = [gzip.compress(f"{_record(f'm{n}')}\n".encode()) for n in range(3)]
    path.write_bytes(b"".join(members) + b"\x00" * 512)  # as `cat a.gz b.gz` and tape padding
    done = kit.run_dossier("index", path, "--index", tmp_path / "index")
    assert done.returncode == 0, done.stderr
    assert set(_documents(tmp_path / "index")) == {"m0", "m1", "m2"}


def test_symbolic_links_out_of_the_tree_need_follow_links(kit, tmp_path: Path) -> None:
    outside = tmp_path / "outside.jsonl"
    outside.write_text(_record("secret") + "\n")
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "sub" / "inside.jsonl").write_text(_record("inside") + "\n")
    (tree / "to-outside.jsonl").symlink_to(outside)
    (tree / "to-inside.jsonl").symlink_to(tree / "sub" / "inside.jsonl")
    (tree / "passwd.txt").symlink_to("/etc/passwd")

    done = kit.run_dossier("index", tree, "--index", tmp_path / "index")
    assert done.returncode == 1, done.stderr  # the in-tree link repeats the id "inside"
    assert "Traceback" not in done.stderr
    for link, target in (("to-outside.jsonl", outside), ("passwd.txt", Path("/etc/passwd"))):
        assert f"{tree / link}: warning: symbolic link to {target}, outside {tree}" in done.stderr
    assert "--follow-links" in done.stderr
    assert set(_documents(tmp_path / "index")) == {"inside"}

    followed = kit.run_dossier("index", tree, "--index", tmp_path / "followed", "--follow-links")
    assert "symbolic link" not in followed.stderr
    assert {"inside", "secret", "passwd"} <= set(_documents(tmp_path / "followed"))


@pytest.mark.slow
def test_streamed_archive_reads_a_gzip_of_several_megabytes_line_by_line(
    kit, tmp_path: Path
) -> None:
    """A few MB compressed to a little: the count, the ids and a bad line in the middle."""
    path = tmp_path / "big.jsonl.gz"
    count = 3000
    with gzip.open(path, "wt", encoding="utf-8") as out:
        for n in range(count):
            out.write(("{broken\n" if n == 1500 else "") + _record(f"b{n}", f"{GOOD} " * 14) + "\n")
    with gzip.open(path, "rb") as raw:
        assert sum(len(chunk) for chunk in iter(lambda: raw.read(1 << 20), b"")) > 3_000_000
    done = kit.run_dossier("index", path, "--index", tmp_path / "index")
    assert done.stderr.startswith(f"{path}:1501: error: invalid JSON"), done.stderr
    assert f"{count} added" in done.stdout
    with SearchService(tmp_path / "index") as service:
        assert service.stats().documents == count
