"""The JSON API under load for the benchmark: a real ``dossier serve`` (gunicorn).

N client threads, each on its own keep-alive connection, walk the query mix
(``queries.MIX`` as ``/api/search`` URLs) for a fixed time. The server, the
clients and the tally are ``serving``'s, shared with ``load_test``.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from typing import Any

from queries import MIX, Query
from serving import Client, Request, Tally, percentile, run_clients, shared_budget

MAX_REQUESTS_PER_CLIENT = 200_000


def _walk(offset: int, mix: Sequence[Query] = MIX) -> Callable[[], Request]:
    """The mix's URLs in order from ``offset``, round and round."""
    urls = itertools.cycle([(q.name, q.url()) for q in mix])
    for _ in range(offset % len(mix)):
        next(urls)
    return lambda: next(urls)


def load(port: int, clients: int, seconds: float, mix: Sequence[Query] = MIX) -> dict[str, Any]:
    """``clients`` concurrent clients for ``seconds``: req/s, latency percentiles, errors.

    ``mix`` is the queries walked (all of ``queries.MIX`` unless a backend needs fewer).
    """
    deadline = time.monotonic() + seconds
    budget = shared_budget(MAX_REQUESTS_PER_CLIENT * clients)
    workers = [
        Client(port, _walk(i * 7, mix), deadline, budget, check_json=True) for i in range(clients)
    ]
    elapsed = run_clients(workers, join_timeout=seconds + 60)
    tally = Tally.merged([w.tally for w in workers])
    latencies_ms = [s * 1000 for s in tally.sorted_latencies()]
    return {
        "clients": clients,
        "seconds": elapsed,
        "requests": len(latencies_ms) + sum(tally.errors.values()),
        "rps": len(latencies_ms) / elapsed if elapsed else 0.0,
        "p50_ms": percentile(latencies_ms, 0.50),
        "p95_ms": percentile(latencies_ms, 0.95),
        "p99_ms": percentile(latencies_ms, 0.99),
        "errors": tally.failed,
        "statuses": {str(k): v for k, v in sorted(tally.statuses.items())},
        "examples": tally.examples[:5],  # of failed requests, to say what went wrong
    }
