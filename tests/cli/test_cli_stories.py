"""`dossier search --collapse`: each story once by default, every version on request."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

WIRE = (
    "The regional railway authority announced on Monday that freight traffic between the "
    "northern harbour and the capital will resume next week after three months of repairs "
    "to the damaged bridge. Engineers replaced the steel girders and tested the new "
    "foundations, the authority said, and passenger trains are expected to follow."
)


def test_search_collapses_copies_unless_asked_not_to(
    tmp_path: Path, dossier: Callable[..., subprocess.CompletedProcess]
) -> None:
    corpus = tmp_path / "wire.jsonl"
    records = [
        {"id": f"copy-{n}", "title": f"Freight {n}", "body": WIRE, "lang": "en",
         "source": f"Paper {n}"}
        for n in range(3)
    ]  # fmt: skip
    corpus.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    built = dossier("index", corpus, "--index", tmp_path / "index")
    assert built.returncode == 0, built.stderr
    collapsed = dossier("search", "freight", "--index", tmp_path / "index")
    assert collapsed.returncode == 0, collapsed.stderr
    assert collapsed.stdout.startswith("1 result in")
    assert "2 more version(s): --collapse none to list them" in collapsed.stdout
    every = dossier("search", "freight", "--index", tmp_path / "index", "--collapse", "none",
                    "--json")  # fmt: skip
    assert every.returncode == 0, every.stderr
    body = json.loads(every.stdout)
    assert body["total"] == 3
    assert {(hit["story"], hit["versions"]) for hit in body["hits"]} == {("copy-0", 3)}
    wrong = dossier("search", "freight", "--index", tmp_path / "index", "--collapse", "all")
    assert wrong.returncode == 2
    assert "invalid choice: 'all'" in wrong.stderr
