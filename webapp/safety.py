"""What stands between the archive's text and a reader's browser.

This is the only module that imports bleach (it is in maintenance mode
upstream; keeping it behind one function keeps a later switch to one file).
The indexer already escapes snippets; ``clean_marked`` enforces the same rule
again at the boundary, so a bug upstream cannot become script in a page.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

import bleach
from flask import Response
from markupsafe import Markup

_local = threading.local()

SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}


def _cleaner() -> bleach.Cleaner:
    # html5lib's parser keeps state while it works: one cleaner per thread.
    cleaner = getattr(_local, "cleaner", None)
    if cleaner is None:
        cleaner = bleach.Cleaner(
            tags={"mark"}, attributes={}, protocols=set(), strip=False, strip_comments=True
        )
        _local.cleaner = cleaner
    return cleaner


def clean_marked(html: str) -> Markup:
    """Let ``<mark>`` (without attributes) through and escape everything else.

    Input is the indexer's escaped text with ``<mark>`` around matches; any
    other tag that slipped through is shown as text, never run as markup.
    Text already in exactly that form (no ``<`` or ``>`` except whole, unnested
    ``<mark>…</mark>`` pairs) cannot open any other element, so it is passed
    as it is; bleach parses everything else. That check is what keeps bleach
    (~0.25 ms a call, 20 calls a result page) off the hot path.
    """
    html = html or ""
    if _ONLY_MARKS.fullmatch(html):
        return Markup(html)
    return Markup(_cleaner().clean(html))


_ONLY_MARKS = re.compile(r"(?:[^<>]|<mark>[^<>]*</mark>)*")


# Bidirectional controls: embeddings and overrides (U+202A–U+202E), isolates
# (U+2066–U+2069) and marks (U+200E, U+200F, U+061C). In an article's title or
# source they can make text read differently from what it is ("txt.exe" shown as
# "exe.txt"); the page shows the text without them. The index keeps them: what
# is searchable does not change.
BIDI_CONTROLS = frozenset(
    [chr(c) for c in range(0x202A, 0x202F)] + [chr(c) for c in range(0x2066, 0x206A)]
    + ["\u200e", "\u200f", "\u061c"]
)  # fmt: skip
_NO_BIDI = {ord(ch): None for ch in BIDI_CONTROLS}


def without_bidi_controls(value: object) -> object:
    """Every value a template prints, with bidirectional controls removed (Jinja's
    ``finalize``): escaped markup stays markup, since no control is HTML syntax."""
    if isinstance(value, Markup):
        return Markup(str.translate(value, _NO_BIDI))
    if isinstance(value, str):
        return value.translate(_NO_BIDI)
    return value


def add_security_headers(response: Response) -> Response:
    """Every response, HTML or JSON, carries the same browser protections."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


class RateLimiter:
    """A token bucket per client address, in this process only.

    ``per_minute`` requests refill evenly over a minute and may be spent in a
    burst. Under gunicorn each worker process keeps its own buckets, so the
    effective limit is up to ``workers × per_minute``; a shared limit belongs
    in the reverse proxy. The number of tracked addresses is bounded so a
    flood of addresses cannot grow memory without end.
    """

    def __init__(
        self,
        per_minute: int,
        *,
        max_clients: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0  # tokens per second
        self.max_clients = max_clients
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def acquire(self, client: str) -> int:
        """Take one token; 0 if allowed, else seconds until one is available."""
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.pop(client, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                tokens -= 1.0
                wait = 0
            else:
                wait = max(1, math.ceil((1.0 - tokens) / self.rate))
            self._buckets[client] = (tokens, now)
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)  # the least recently seen
            return wait
