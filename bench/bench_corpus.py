"""Benchmark corpora: the real public news sets, prepared once for every engine.

Every engine in a run (Dossier and each baseline) indexes the same records,
read here from ``/work/shared/data`` (or any folder of ``*.jsonl`` /
``*.jsonl.gz`` files in Dossier's document model). Ids are prefixed with
the data set's name, since several sets number their articles alike.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATA = Path(os.environ.get("DOSSIER_BENCH_DATA", "/work/shared/data"))
# The news corpora of the shared data folder (36,030 articles in en/de/tr); the
# IR test collections (cacm, cranfield) and the small CC-BY sets are left out.
NEWS_SETS = ("reuters21578", "bbc_news", "agnews_test", "gnad10k_test", "ttc3600")


@dataclass(slots=True)
class Record:
    """One article as every engine sees it (Dossier derives the rest itself)."""

    id: str
    title: str
    body: str
    date: str | None
    lang: str | None
    source: str | None

    def to_json(self) -> str:
        return json.dumps(
            {
                "id": self.id,
                "title": self.title or None,
                "body": self.body,
                "date": self.date,
                "lang": self.lang,
                "source": self.source,
            },
            ensure_ascii=False,
        )


def _open(path: Path):
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return path.open(encoding="utf-8")


def corpus_files(root: Path) -> list[Path]:
    """The JSON Lines files of a corpus folder: the news sets when present, else every file."""
    root = Path(root)
    if root.is_file():
        return [root]
    files = []
    for name in NEWS_SETS:
        for pattern in ("docs.jsonl", "docs.jsonl.gz"):
            files.extend(sorted((root / name).glob(pattern)))
    if not files:
        files = sorted(p for p in root.rglob("*") if p.name.endswith((".jsonl", ".jsonl.gz")))
    return files


def read_records(root: Path, limit: int | None = None) -> Iterator[Record]:
    """Articles with some text, ids made unique across data sets."""
    count = 0
    for path in corpus_files(root):
        # A data set's docs.jsonl gets its folder's name as id prefix; a prepared file
        # (written by write_jsonl, ids already unique) keeps its ids as they are.
        prefix = f"{path.parent.name}:" if path.name.startswith("docs.") else ""
        with _open(path) as handle:
            for line in handle:
                if not line.strip():
                    continue
                raw = json.loads(line)
                title = (raw.get("title") or "").strip()
                body = (raw.get("body") or "").strip()
                if not title and not body:
                    continue
                date = raw.get("date")
                yield Record(
                    id=f"{prefix}{raw.get('id') or count}",
                    title=title,
                    body=body,
                    date=str(date)[:10] if date else None,
                    lang=raw.get("lang"),
                    source=raw.get("source") or None,
                )
                count += 1
                if limit is not None and count >= limit:
                    return


def write_jsonl(records: list[Record], path: Path) -> Path:
    """Write ``records`` as JSON Lines in the document model that `dossier index` reads."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(record.to_json())
            handle.write("\n")
    return path


def load_jsonl(path: Path) -> list[Record]:
    return list(read_records(path))
