"""A server started before its index exists answers 503 with a clear message,
and serves the index as soon as it is built, and the next generation as soon
as a rebuild swaps it in, without a restart."""

from __future__ import annotations

import json
import time
from pathlib import Path

from webapp import create_app
from webapp.service import close_service
from webapp.settings import SETTINGS

DEFAULTS = {setting.name: setting.default for setting in SETTINGS}


def _until(check, timeout: float = 30):
    """Poll ``check`` until it returns something truthy (bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def test_server_waits_for_the_index_and_follows_rebuilds(kit, tmp_path: Path) -> None:
    index = tmp_path / "var" / "index"
    server = kit.server(index, workers=2)

    for path in ("/api/search?q=forum", "/api/health", "/api/stats", "/api/documents/x"):
        status, headers, body = kit.fetch(server.url + path)
        assert status == 503, path
        assert headers["Content-Type"].startswith("application/json")
        if path != "/api/health":
            assert json.loads(body)["error"]["status"] == 503
            assert "index is not available" in json.loads(body)["error"]["message"]
    status, headers, body = kit.fetch(server.url + "/?q=forum")
    assert status == 503
    assert headers["Content-Type"].startswith("text/html")
    assert "index is not available" in body.decode()

    old_ids = kit.write_articles(tmp_path / "old" / "a.jsonl", 30, seed=5, id_prefix="old")
    built = kit.run_dossier("index", tmp_path / "old", "--index", index)
    assert built.returncode == 0, built.stderr

    def healthy(expected_documents: int):
        status, body = kit.fetch_json(server.url + "/api/health")
        return status == 200 and body["documents"] == expected_documents and body

    # Both workers must pick it up: ask a few times (requests spread over them).
    for _ in range(6):
        first = _until(lambda: healthy(30))
        assert first, "the server never noticed the new index"
    status, body = kit.fetch_json(server.url + "/api/search?q=minister&per_page=100")
    assert status == 200 and body["total"] > 0
    assert {hit["id"] for hit in body["hits"]} <= set(old_ids)

    new_ids = kit.write_articles(tmp_path / "new" / "b.jsonl", 12, seed=6, id_prefix="new")
    rebuilt = kit.run_dossier("index", tmp_path / "new", "--index", index, "--rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    for _ in range(6):
        second = _until(lambda: healthy(12))
        assert second, "the server kept serving the old generation"
        assert second["generation"] != first["generation"]
    status, body = kit.fetch_json(server.url + "/api/search?q=minister&per_page=100")
    assert status == 200
    assert {hit["id"] for hit in body["hits"]} <= set(new_ids)
    status, _, _ = kit.fetch(f"{server.url}/api/documents/{old_ids[0]}")
    assert status == 404, "a document of the old generation is gone after the swap"
    assert server.server_errors(allow=frozenset({503})) == []


def test_index_removed_under_a_running_server_is_a_503_then_recovers(kit, tmp_path: Path) -> None:
    """Deleting the CURRENT link (an operator's mistake) makes search 503, not 500."""
    index = tmp_path / "index"
    kit.write_articles(tmp_path / "c" / "c.jsonl", 10, seed=7, id_prefix="c")
    assert kit.run_dossier("index", tmp_path / "c", "--index", index).returncode == 0
    server = kit.server(index)
    assert kit.fetch(server.url + "/api/search?q=minister")[0] == 200
    target = (index / "CURRENT").readlink()
    (index / "CURRENT").unlink()
    status, _, body = kit.fetch(server.url + "/api/search?q=minister")
    assert status == 503, body
    (index / "CURRENT").symlink_to(target)
    assert _until(lambda: kit.fetch(server.url + "/api/search?q=minister")[0] == 200)


def test_an_empty_index_is_served(kit, tmp_path: Path) -> None:
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "empty.jsonl").write_text("")
    built = kit.run_dossier("index", tmp_path / "corpus", "--index", tmp_path / "index")
    assert built.returncode == 0, built.stderr
    app = create_app({**DEFAULTS, "TESTING": True, "INDEX_DIR": tmp_path / "index"})
    try:
        client = app.test_client()
        assert client.get("/api/health").get_json()["documents"] == 0
        assert client.get("/api/search?q=anything").get_json()["total"] == 0
        stats = client.get("/api/stats")
        assert stats.status_code == 200
        assert stats.get_json()["documents"] == 0
        assert client.get("/").status_code == 200
    finally:
        close_service(app)
