"""What the two load harnesses share: a real ``dossier serve`` on 127.0.0.1, client
threads that tally every answer, and one percentile.

``webload`` (the benchmark's web figures, ``bench/run.py``) and ``load_test`` (the
load smoke test and LOAD_RESULTS.md) differ only in their request mix and in what
they report; both measure through this module, so their figures mean the same.
Only 127.0.0.1 (or another loopback name) is ever addressed, and every client loop
is bounded by a deadline and a request budget.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import math
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
REPO = Path(__file__).resolve().parent.parent

Request = tuple[str, str]  # (kind, path): the kind groups latencies in the report


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of already sorted values: the smallest value with at
    least ``fraction`` of all values at or below it (0.0 when empty)."""
    if not sorted_values:
        return 0.0
    # The epsilon keeps 0.95 × 100 (95.00000000000001 in binary) at rank 95.
    rank = math.ceil(fraction * len(sorted_values) - 1e-9)
    return sorted_values[min(len(sorted_values), max(1, rank)) - 1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def get(port: int, path: str, *, host: str = HOST, timeout: float = 30.0) -> tuple[int, bytes]:
    """One GET on its own connection: (status, body)."""
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def get_json(port: int, path: str, *, host: str = HOST, timeout: float = 30.0) -> tuple[int, Any]:
    """(status, decoded JSON body), or (status, None) when the body is not JSON."""
    status, body = get(port, path, host=host, timeout=timeout)
    try:
        return status, json.loads(body)
    except ValueError:
        return status, None


class Server:
    """``dossier serve`` (gunicorn) as a child process on a free 127.0.0.1 port.

    Started in its own session with the ``DOSSIER_*`` environment cleared (no rate
    limit: the load is the point), stopped by its own pid (its process group only
    when it ignores SIGTERM). ``settings`` are added to that clean environment: a
    backend's (``DOSSIER_BACKEND`` and the cluster's), so a run never inherits a
    caller's by accident. ``threads`` per worker is ``dossier serve``'s default
    unless given. gunicorn's error log goes to ``log``; the access log (a line per
    request) is discarded.
    """

    def __init__(
        self,
        index: Path,
        workers: int = 2,
        log: Path | None = None,
        *,
        settings: Mapping[str, str] | None = None,
        threads: int | None = None,
    ) -> None:
        self.port = free_port()
        dossier = Path(sys.executable).with_name("dossier")
        command = [str(dossier)] if dossier.exists() else [sys.executable, "-m", "indexer"]
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOSSIER_")}
        env["DOSSIER_RATE_LIMIT"] = "0"
        env.update(settings or {})
        self.log = open(log or os.devnull, "ab")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            [*command, "serve", "--index", str(index), "--host", HOST,
             "--port", str(self.port), "--workers", str(workers),
             *(["--threads", str(threads)] if threads else [])],
            stdout=subprocess.DEVNULL, stderr=self.log, cwd=REPO, env=env,
            start_new_session=True,
        )  # fmt: skip
        self.wait_ready()

    def wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.stop()
                raise RuntimeError(f"dossier serve exited with {self.process.returncode}")
            with contextlib.suppress(OSError):
                status, _ = get(self.port, "/api/health", timeout=5)
                if status == 200:
                    return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"dossier serve did not become healthy within {timeout:.0f} s")

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


@dataclass(slots=True)
class Tally:
    """One client's counts (merged at the end, so clients share no lock).

    A request either has a response (its latency and status are recorded, and a
    status the mix does not expect counts in ``unexpected``) or failed without one
    (``errors``, by exception name: connection refused, time-out, a body that is
    not the JSON promised).
    """

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    unexpected: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)

    def response(self, kind: str, path: str, status: int, seconds: float, expected: bool) -> None:
        self.latencies[kind].append(seconds)
        self.statuses[status] += 1
        if not expected:
            self.unexpected[f"{kind} {status}"] += 1
            self._example(f"{status} on {path}")

    def failure(self, path: str, error: Exception) -> None:
        self.errors[type(error).__name__] += 1
        self._example(f"{type(error).__name__}: {error} on {path}")

    def _example(self, text: str) -> None:
        if len(self.examples) < 5:
            self.examples.append(text)

    @property
    def failed(self) -> int:
        return sum(self.errors.values()) + sum(self.unexpected.values())

    @classmethod
    def merged(cls, tallies: Sequence[Tally]) -> Tally:
        total = cls()
        for tally in tallies:
            for kind, values in tally.latencies.items():
                total.latencies[kind].extend(values)
            total.statuses.update(tally.statuses)
            total.errors.update(tally.errors)
            total.unexpected.update(tally.unexpected)
            total.examples.extend(tally.examples)
        return total

    def sorted_latencies(self) -> list[float]:
        return sorted(v for values in self.latencies.values() for v in values)


def only_200(kind: str, status: int) -> bool:
    return status == 200


def shared_budget(max_requests: int) -> Callable[[], bool]:
    """A thread-safe allowance of ``max_requests`` requests over all clients."""
    lock = threading.Lock()
    issued = 0

    def take() -> bool:
        nonlocal issued
        with lock:
            issued += 1
            return issued <= max_requests

    return take


@dataclass(slots=True)
class Client:
    """One simulated user on one keep-alive connection, until the deadline or the budget."""

    port: int
    next_request: Callable[[], Request]
    deadline: float
    budget: Callable[[], bool]
    host: str = HOST
    timeout: float = 30.0
    expected: Callable[[str, int], bool] = only_200
    check_json: bool = False  # a 200 whose body is not JSON counts as an error
    headers: dict[str, str] = field(default_factory=dict)
    tally: Tally = field(default_factory=Tally)

    def run(self) -> None:
        connection: http.client.HTTPConnection | None = None
        while time.monotonic() < self.deadline and self.budget():
            kind, path = self.next_request()
            started = time.perf_counter()
            try:
                if connection is None:
                    connection = http.client.HTTPConnection(
                        self.host, self.port, timeout=self.timeout
                    )
                connection.request("GET", path, headers=self.headers)
                response = connection.getresponse()
                body = response.read()
                if self.check_json and response.status == 200:
                    json.loads(body)
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()
                    connection = None
            except (OSError, http.client.HTTPException, ValueError) as error:
                self.tally.failure(path, error)
                if connection is not None:
                    connection.close()
                connection = None
                continue
            seconds = time.perf_counter() - started
            status = response.status
            self.tally.response(kind, path, status, seconds, self.expected(kind, status))
        if connection is not None:
            connection.close()


def run_clients(clients: Sequence[Client], join_timeout: float) -> float:
    """Run every client in its own thread until all finish; returns the seconds taken."""
    threads = [threading.Thread(target=c.run, daemon=True) for c in clients]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(join_timeout)
    return time.perf_counter() - started
