"""Fixtures for the reliability tests: generated corpora, the real `dossier`
command in child processes, and the real app served by gunicorn on 127.0.0.1.

Nothing is mocked: every test works on a Whoosh index on disk, and faults are
real (SIGKILL, a full file system, a second writer process). Helpers reach the
test modules as fixtures (this directory has no __init__.py), bundled in one
``kit`` object.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "corpus" / "articles"
_ACCESS_STATUS = re.compile(r'" (\d{3}) ')
CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

_SYLLABLES = (
    "ka", "lo", "mir", "te", "sa", "von", "ri", "ta", "ne", "bu", "dor", "fel", "gra", "hin",
    "jo", "ku", "lan", "mo", "nis", "pe", "qua", "ros", "sil", "tur", "vek", "wa", "zen",
)  # fmt: skip
_COMMON = (
    "the", "minister", "said", "on", "market", "report", "security", "government", "talks",
    "city", "council", "agreement", "and", "of", "in", "a", "new", "plan", "week", "officials",
)  # fmt: skip
SOURCES = ("Harbor Times", "Valley Post", "Northern Wire", "Coast Herald")


def pseudo_words(count: int, seed: int, prefix: str = "") -> list[str]:
    """``count`` distinct made-up words (a vocabulary no stemmer knows)."""
    rng = random.Random(seed)
    found: dict[str, None] = {}
    while len(found) < count:
        word = prefix + "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))
        found.setdefault(word)
    return list(found)


def article(n: int, rng: random.Random, vocabulary: list[str], *, id_prefix: str) -> dict:
    """One English-looking article with a date, a source and ~120 words."""
    sentences = []
    for _ in range(rng.randint(6, 10)):
        length = rng.randint(10, 18)
        words = [rng.choice(vocabulary if rng.random() < 0.5 else _COMMON) for _ in range(length)]
        sentences.append(" ".join(words).capitalize() + ".")
    return {
        "id": f"{id_prefix}-{n:05d}",
        "title": " ".join(rng.choice(vocabulary) for _ in range(6)).capitalize(),
        "body": " ".join(sentences),
        "date": f"{rng.randint(2000, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "lang": "en",
        "source": rng.choice(SOURCES),
        "url": f"https://news.example.org/{id_prefix}/{n}",
    }


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def write_articles(
    path: Path, count: int, *, seed: int, id_prefix: str, vocabulary: list[str] | None = None
) -> list[str]:
    """Write ``count`` generated articles to a JSONL file; returns their ids."""
    rng = random.Random(seed)
    vocabulary = vocabulary or pseudo_words(400, seed)
    records = [article(n, rng, vocabulary, id_prefix=id_prefix) for n in range(count)]
    write_jsonl(path, records)
    return [r["id"] for r in records]


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without a developer's DOSSIER_* settings; rate limit off."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOSSIER_")}
    env["DOSSIER_RATE_LIMIT"] = "0"
    env.update(extra)
    return env


def dossier_command(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "indexer", *map(str, args)]


def run_dossier(
    *args: str | Path, timeout: float = 300, **popen: Any
) -> subprocess.CompletedProcess:
    """Run the real `dossier` command to completion (bounded by ``timeout``)."""
    return subprocess.run(
        dossier_command(*args), cwd=REPO, env=popen.pop("env", clean_env()),
        capture_output=True, text=True, timeout=timeout, check=False, **popen,
    )  # fmt: skip


def start_dossier(*args: str | Path, **popen: Any) -> subprocess.Popen:
    return subprocess.Popen(
        dossier_command(*args), cwd=REPO, env=popen.pop("env", clean_env()),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen,
    )  # fmt: skip


def fetch(url: str, timeout: float = 30, **headers: str) -> tuple[int, dict[str, str], bytes]:
    """GET ``url``; HTTP errors are answers too (status, headers, body)."""
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def fetch_json(url: str, timeout: float = 30) -> tuple[int, Any]:
    status, _, body = fetch(url, timeout)
    return status, json.loads(body)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """The real app under gunicorn (``webapp.server.serve``) in a child process."""

    index_dir: Path
    workers: int = 1
    env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    process: subprocess.Popen | None = None
    log: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, log_dir: Path) -> Server:
        self.port = free_port()
        code = (
            "import sys; from pathlib import Path; from webapp.server import serve; "
            "serve(Path(sys.argv[1]), '127.0.0.1', int(sys.argv[2]), workers=int(sys.argv[3]))"
        )
        self.log = log_dir / f"gunicorn-{self.port}.log"
        with self.log.open("w") as log:
            arguments = [str(self.index_dir), str(self.port), str(self.workers)]
            self.process = subprocess.Popen(
                [sys.executable, "-c", code, *arguments],
                cwd=REPO, env=clean_env(**self.env), stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + 30
        while True:
            try:
                fetch(self.url + "/api/health", timeout=5)
                return self
            except OSError:
                if self.process.poll() is not None:
                    raise AssertionError(f"gunicorn exited: {self.log.read_text()}") from None
                if time.monotonic() > deadline:
                    raise AssertionError("gunicorn did not answer within 30 s") from None
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def server_errors(self, allow: frozenset[int] = frozenset()) -> list[str]:
        """Tracebacks and 5xx answers gunicorn logged, but for the statuses in ``allow``."""
        text = self.log.read_text(errors="replace") if self.log else ""
        found = []
        for line in text.splitlines():
            status = _ACCESS_STATUS.search(line)
            crashed = "Traceback" in line or "[CRITICAL]" in line
            if crashed or (
                status and status.group(1) >= "500" and int(status.group(1)) not in allow
            ):
                found.append(line)
        return found


class Kit:
    """The helpers, as one fixture."""

    repo = REPO
    corpus = CORPUS
    ci = CI
    pseudo_words = staticmethod(pseudo_words)
    write_jsonl = staticmethod(write_jsonl)
    write_articles = staticmethod(write_articles)
    run_dossier = staticmethod(run_dossier)
    start_dossier = staticmethod(start_dossier)
    clean_env = staticmethod(clean_env)
    fetch = staticmethod(fetch)
    fetch_json = staticmethod(fetch_json)

    def __init__(self, servers: list[Server], log_dir: Path) -> None:
        self._servers = servers
        self._log_dir = log_dir

    def server(self, index_dir: Path, *, workers: int = 1, **env: str) -> Server:
        """Start gunicorn over ``index_dir``; stopped when the test ends."""
        server = Server(Path(index_dir), workers=workers, env=env)
        self._servers.append(server)
        return server.start(self._log_dir)


@pytest.fixture
def kit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kit]:
    servers: list[Server] = []
    yield Kit(servers, tmp_path_factory.mktemp("logs"))
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def session_kit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kit]:
    """The same helpers for module- and session-scoped fixtures."""
    servers: list[Server] = []
    yield Kit(servers, tmp_path_factory.mktemp("logs"))
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def bundled_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled corpus, indexed once by the real command."""
    index = tmp_path_factory.mktemp("bundled") / "index"
    done = run_dossier("index", CORPUS, "--index", index)
    assert done.returncode == 0, done.stderr
    return index


def needs(condition: bool, reason: str) -> None:
    """Skip for a missing facility, except on CI, where the skip is a failure."""
    if condition:
        return
    if CI:
        pytest.fail(f"{reason} (CI must provide it)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def require() -> Callable[[bool, str], None]:
    return needs
