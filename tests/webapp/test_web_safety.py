"""safety.py: the <mark>-only policy and the rate limiter."""

from __future__ import annotations

import pytest
from markupsafe import Markup

from webapp.safety import SECURITY_HEADERS, RateLimiter, clean_marked


def test_mark_passes_and_is_markup() -> None:
    cleaned = clean_marked("the <mark>Security</mark> Forum &amp; more")
    assert isinstance(cleaned, Markup)
    assert cleaned == "the <mark>Security</mark> Forum &amp; more"


def test_everything_else_is_text(hostile_markup, no_active_markup, only_plain_marks) -> None:
    for payload in hostile_markup:
        cleaned = clean_marked(f"before {payload} <mark>hit</mark> after")
        assert "<mark>hit</mark>" in cleaned
        assert "<script" not in cleaned.lower()
        no_active_markup(cleaned)
        only_plain_marks(cleaned)


def test_attributes_on_mark_are_dropped() -> None:
    assert clean_marked('<mark class="x" onclick="alert(1)">a</mark>') == "<mark>a</mark>"


def test_already_escaped_text_is_not_unescaped() -> None:
    assert clean_marked("&lt;script&gt;") == "&lt;script&gt;"


def test_unclosed_mark_is_closed() -> None:
    assert clean_marked("<mark>open") == "<mark>open</mark>"


@pytest.mark.parametrize(
    "text",
    [
        "<mark><mark>nested</mark></mark>",
        "a < b and <mark>c</mark>",
        "<mark>x</mark> <b>bold</b>",
        "<MARK>upper</MARK>",
        "<mark >space</mark>",
        "</mark>stray",
        "<mark>a</mark><mark/>",
    ],
)
def test_anything_but_plain_marks_goes_through_bleach(text: str, only_plain_marks) -> None:
    """The pass-through is only for text already in the indexer's exact form."""
    cleaned = clean_marked(text)
    only_plain_marks(cleaned)
    assert str(cleaned) == str(_bleached(text))


def _bleached(text: str) -> str:
    import bleach

    return bleach.clean(text, tags={"mark"}, attributes={}, protocols=set(), strip_comments=True)


def test_plain_marks_pass_unchanged() -> None:
    text = "Q&amp;A: <mark>Nağıyev</mark> said &quot;x&quot; — <mark>SSS</mark>'s forum"
    assert clean_marked(text) == text


def test_empty() -> None:
    assert clean_marked("") == ""


def test_headers_forbid_inline_script_and_framing() -> None:
    csp = SECURITY_HEADERS["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp


class Clock:
    """A settable clock: the limiter's time source, not a mock of it."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_rate_limiter_bucket_refills() -> None:
    clock = Clock()
    limiter = RateLimiter(60, clock=clock)  # one token a second, burst of 60
    assert all(limiter.acquire("a") == 0 for _ in range(60))
    assert limiter.acquire("a") == 1
    assert limiter.acquire("b") == 0  # buckets are per client
    clock.now += 1.0
    assert limiter.acquire("a") == 0
    assert limiter.acquire("a") >= 1


def test_rate_limiter_retry_after_is_whole_seconds() -> None:
    clock = Clock()
    limiter = RateLimiter(2, clock=clock)  # a token every 30 s
    assert limiter.acquire("a") == 0
    assert limiter.acquire("a") == 0
    assert limiter.acquire("a") == 30
    clock.now += 29.5
    assert limiter.acquire("a") == 1


def test_rate_limiter_memory_is_bounded() -> None:
    limiter = RateLimiter(10, max_clients=100)
    for n in range(1000):
        limiter.acquire(f"10.0.{n // 256}.{n % 256}")
    assert len(limiter._buckets) == 100
