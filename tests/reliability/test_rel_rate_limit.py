"""Rate limiting per client address over a real server: 429 with Retry-After once
a client's budget is spent, other clients unaffected, health exempt, the
budget back after Retry-After; and no limit at all when RATE_LIMIT is 0."""

from __future__ import annotations

import http.client
import json
import time
from pathlib import Path


def _get(port: int, path: str, source: str = "127.0.0.1") -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def test_rate_limit_per_client_with_retry_after(kit, bundled_index: Path) -> None:
    per_minute = 60  # one request a second, with a burst of 60
    server = kit.server(bundled_index, workers=1, DOSSIER_RATE_LIMIT=str(per_minute))
    port = int(server.url.rsplit(":", 1)[1])

    statuses = [_get(port, "/api/search?q=baku")[0] for _ in range(per_minute)]
    assert statuses == [200] * per_minute, "the burst is allowed"

    status, headers, body = _get(port, "/api/search?q=baku")
    assert status == 429
    retry_after = int(headers["Retry-After"])
    assert 1 <= retry_after <= 60
    error = json.loads(body)["error"]
    assert error["status"] == 429 and f"Wait {retry_after} seconds" in error["message"]

    status, headers, body = _get(port, "/?q=baku")
    assert status == 429 and "Retry-After" in headers
    assert b"Too many requests" in body

    assert _get(port, "/api/health")[0] == 200, "health checks are exempt"
    assert _get(port, "/api/search?q=baku", source="127.0.0.2")[0] == 200, "per client"

    time.sleep(retry_after + 0.2)
    assert _get(port, "/api/search?q=baku")[0] == 200, "the budget refills"
    assert server.server_errors() == []


def test_no_rate_limit_when_it_is_off(kit, bundled_index: Path) -> None:
    server = kit.server(bundled_index, workers=1, DOSSIER_RATE_LIMIT="0")
    port = int(server.url.rsplit(":", 1)[1])
    statuses = {_get(port, "/api/search?q=baku")[0] for _ in range(150)}
    assert statuses == {200}
