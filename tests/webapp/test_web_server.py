"""Real servers on 127.0.0.1: a werkzeug server in a thread, and gunicorn
through serve() in a child process (the way `dossier serve` runs it)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server


def fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


def test_pages_and_api_over_http(live_server: str) -> None:
    status, headers, body = fetch(live_server + "/?q=forum")
    assert status == 200
    assert b"<mark>" in body
    assert headers["X-Frame-Options"] == "DENY"

    status, headers, body = fetch(live_server + "/api/search?q=forum&lang=de")
    assert status == 200
    assert json.loads(body)["hits"][0]["lang"] == "de"

    status, headers, body = fetch(live_server + "/api/search?q=forum&page=abc")
    assert status == 400
    assert json.loads(body)["error"]["status"] == 400

    status, headers, body = fetch(live_server + "/static/style.css")
    assert status == 200
    assert headers["Content-Type"].startswith("text/css")


def test_concurrent_requests_share_one_service(live_server: str) -> None:
    results: list[int] = []

    def worker(query: str) -> None:
        results.append(fetch(f"{live_server}/api/search?q={query}")[0])

    threads = [threading.Thread(target=worker, args=(q,)) for q in ["baku", "forum"] * 4]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert results == [200] * 8


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_serve_runs_gunicorn(index_dir: Path, repo: Path) -> None:
    port = _free_port()
    code = (
        "from pathlib import Path; from webapp.server import serve; "
        f"serve(Path({str(index_dir)!r}), '127.0.0.1', {port}, workers=1)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOSSIER_")}
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=repo,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                status, _, _ = fetch(base + "/api/health")
                break
            except (urllib.error.URLError, ConnectionError):
                assert process.poll() is None, process.communicate()[1]
                assert time.monotonic() < deadline, "gunicorn did not start in 30 s"
                time.sleep(0.2)
        assert status == 200
        status, headers, body = fetch(base + "/api/search?q=baku")
        assert status == 200
        assert json.loads(body)["total"] > 0
        assert "Content-Security-Policy" in headers
        # A long query reaches the app (gunicorn's limits sit above the app's own) and is
        # answered by it: searched, since queries of up to 10,000 characters are accepted.
        status, headers, body = fetch(base + "/?q=" + "a" * 2000)
        assert status == 200, "long queries reach the app (gunicorn's limits above the app's)"
        assert "Content-Security-Policy" in headers
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
    assert f"Dossier is serving http://127.0.0.1:{port}/" in out
    assert "webapp.worker.DossierWorker" in err  # gunicorn's gthread, refusals in our shape


def test_serve_defaults_to_one_thread_per_worker_and_refuses_zero(tmp_path: Path) -> None:
    from indexer.cli import build_parser

    parser = build_parser()
    args = parser.parse_args(["serve", "--index", str(tmp_path)])
    assert (args.workers, args.threads) == (2, 1)
    for option in ("--threads", "--workers"):
        bad = parser.parse_args(["serve", "--index", str(tmp_path), option, "0"])
        with pytest.raises(SystemExit, match="at least 1"):
            bad.func(bad)
