"""The JSON API under load: a real ``dossier serve`` (gunicorn) on 127.0.0.1.

N client threads, each on its own keep-alive connection, walk the query mix
(``queries.MIX`` as ``/api/search`` URLs) for a fixed time; every loop is
bounded by a deadline and a request budget. Only 127.0.0.1 is ever
addressed. Also reads each gunicorn worker's memory from ``/proc``.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from queries import MIX

HOST = "127.0.0.1"
MAX_REQUESTS_PER_CLIENT = 200_000
REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Server:
    """``dossier serve`` as a child process; stopped by its own pid."""

    def __init__(self, index: Path, workers: int = 2, log: Path | None = None):
        self.port = free_port()
        dossier = Path(sys.executable).with_name("dossier")
        command = [str(dossier)] if dossier.exists() else [sys.executable, "-m", "indexer"]
        self.log = open(log or os.devnull, "ab")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            [
                *command,
                "serve",
                "--index",
                str(index),
                "--host",
                HOST,
                "--port",
                str(self.port),
                "--workers",
                str(workers),
            ],
            stdout=subprocess.DEVNULL,  # the access log: one line per request
            stderr=self.log,
            cwd=REPO,
            start_new_session=True,
        )
        self.wait_ready()

    def wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dossier serve exited with {self.process.returncode}")
            with contextlib.suppress(OSError):
                status, _ = get(self.port, "/api/health", timeout=5)
                if status == 200:
                    return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("dossier serve did not become healthy in time")

    def workers(self) -> list[int]:
        pid = self.process.pid
        try:
            text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
        except OSError:
            return []
        return [int(p) for p in text.split()]

    def worker_memory_mb(self) -> list[dict[str, float]]:
        """Resident and peak resident memory of each worker process, in MB."""
        out = []
        for pid in self.workers():
            with contextlib.suppress(OSError):
                status = Path(f"/proc/{pid}/status").read_text()
                values = {}
                for line in status.splitlines():
                    key, _, rest = line.partition(":")
                    if key in ("VmRSS", "VmHWM"):
                        values[key] = int(rest.split()[0]) / 1024
                out.append(
                    {
                        "pid": pid,
                        "rss_mb": values.get("VmRSS", 0.0),
                        "peak_mb": values.get("VmHWM", 0.0),
                    }
                )
        return out

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)  # our own session only
                self.process.wait(timeout=10)
        self.log.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def get(port: int, path: str, timeout: float = 30.0) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@dataclass(slots=True)
class Tally:
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)


def _client(port: int, urls: list[str], offset: int, deadline: float, tally: Tally) -> None:
    connection = None
    n = offset
    for _ in range(MAX_REQUESTS_PER_CLIENT):
        if time.monotonic() >= deadline:
            break
        url = urls[n % len(urls)]
        n += 1
        started = time.perf_counter()
        try:
            if connection is None:
                connection = http.client.HTTPConnection(HOST, port, timeout=30)
            connection.request("GET", url)
            response = connection.getresponse()
            body = response.read()
            status = response.status
            if status == 200:
                json.loads(body)
            if response.getheader("Connection", "").lower() == "close":
                connection.close()
                connection = None
        except (OSError, http.client.HTTPException, ValueError):
            status = 0
            if connection is not None:
                connection.close()
            connection = None
        tally.latencies_ms.append((time.perf_counter() - started) * 1000)
        tally.statuses[status] = tally.statuses.get(status, 0) + 1
        if status != 200:
            tally.errors += 1
    if connection is not None:
        connection.close()


def load(port: int, clients: int, seconds: float) -> dict:
    """``clients`` concurrent clients for ``seconds``: req/s, latency percentiles, errors."""
    urls = [q.url() for q in MIX]
    tallies = [Tally() for _ in range(clients)]
    deadline = time.monotonic() + seconds
    started = time.perf_counter()
    threads = [
        threading.Thread(
            target=_client, args=(port, urls, i * 7, deadline, tallies[i]), daemon=True
        )
        for i in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 60)
    elapsed = time.perf_counter() - started
    latencies = sorted(x for t in tallies for x in t.latencies_ms)
    statuses: dict[int, int] = {}
    for tally in tallies:
        for status, count in tally.statuses.items():
            statuses[status] = statuses.get(status, 0) + count
    return {
        "clients": clients,
        "seconds": elapsed,
        "requests": len(latencies),
        "rps": len(latencies) / elapsed if elapsed else 0.0,
        "p50_ms": percentile(latencies, 0.50),
        "p95_ms": percentile(latencies, 0.95),
        "p99_ms": percentile(latencies, 0.99),
        "errors": sum(t.errors for t in tallies),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
    }


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of already sorted values (0.0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), round(fraction * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]
