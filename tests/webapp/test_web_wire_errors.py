"""Requests refused below Flask, against a real gunicorn on 127.0.0.1: raw bytes
over a socket, so nothing between the test and the server tidies them up.

Every refusal carries the app's security headers; under /api/ (and when the
address could not be read at all) it is the API's JSON error shape, elsewhere
the error page. OPTIONS answers 204 with Allow and no CORS headers.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from webapp.safety import SECURITY_HEADERS
from webapp.wire import GUNICORN_LIMITS, MAX_HEADER_FIELDS, MAX_REQUEST_LINE

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def send(port: int, raw: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send ``raw`` as it is; the status, headers and body of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(raw)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(lines[0].split()[1]), headers, body


def request(target: bytes, method: bytes = b"GET", headers: bytes = b"") -> bytes:
    return (
        method
        + b" "
        + target
        + b" HTTP/1.1\r\nHost: localhost\r\n"
        + headers
        + (b"Connection: close\r\n\r\n")
    )


@pytest.fixture(scope="module")
def port(index_dir: Path, repo: Path) -> Iterator[int]:
    port = _free_port()
    code = (
        "from pathlib import Path; from webapp.server import serve; "
        f"serve(Path({str(index_dir)!r}), '127.0.0.1', {port}, workers=1)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOSSIER_")}
    process = subprocess.Popen(
        [sys.executable, "-c", code], cwd=repo, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if send(port, request(b"/api/health"))[0] == 200:
                    break
            except OSError:
                pass
            assert process.poll() is None, process.communicate()[1]
            assert time.monotonic() < deadline, "gunicorn did not start in 30 s"
            time.sleep(0.2)
        yield port
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=20)


def assert_secured(headers: dict[str, str]) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert headers.get(name.lower()) == value, name


def assert_json_error(answer: tuple[int, dict[str, str], bytes], status: int) -> str:
    got, headers, body = answer
    assert got == status, body[:300]
    assert headers["content-type"].startswith("application/json")
    assert_secured(headers)
    error = json.loads(body)
    assert list(error) == ["error"] and error["error"]["status"] == status
    return error["error"]["message"]


def assert_error_page(answer: tuple[int, dict[str, str], bytes], status: int) -> str:
    got, headers, body = answer
    assert got == status, body[:300]
    assert headers["content-type"].startswith("text/html")
    assert_secured(headers)
    page = body.decode("utf-8")
    assert f"({status})" in page and 'role="alert"' in page
    return page


def test_raw_non_utf8_bytes_in_the_query_string(port: int) -> None:
    message = assert_json_error(send(port, request(b"/api/search?q=\xff\xfeabc")), 400)
    assert "UTF-8" in message
    assert_error_page(send(port, request(b"/?q=\xff\xfeabc")), 400)


def test_percent_encoded_invalid_utf8_is_400_too(port: int) -> None:
    assert "UTF-8" in assert_json_error(send(port, request(b"/api/search?q=%FF%FE")), 400)
    assert_error_page(send(port, request(b"/?q=%C3%28")), 400)


def test_request_line_over_the_apps_limit_is_414(port: int) -> None:
    """Between the app's limit and gunicorn's, the app answers, knowing the address."""
    padding = b"a" * (MAX_REQUEST_LINE + 50)  # a line of ~8,070 bytes: past 8,000, under 8,190
    assert "8,000" in assert_json_error(send(port, request(b"/api/search?q=" + padding)), 414)
    assert_error_page(send(port, request(b"/?q=" + padding)), 414)


def test_request_line_over_gunicorns_limit_is_414_json(port: int) -> None:
    """Past gunicorn's own stop the address was never read: the JSON shape, secured."""
    padding = b"a" * (GUNICORN_LIMITS["limit_request_line"] + 100)
    for target in (b"/api/search?q=" + padding, b"/?q=" + padding):
        assert "longer than this server accepts" in assert_json_error(
            send(port, request(target)), 414
        )


def test_too_many_header_fields_is_431(port: int) -> None:
    fields = b"".join(b"X-Field-%d: 1\r\n" % n for n in range(MAX_HEADER_FIELDS + 10))
    message = assert_json_error(send(port, request(b"/api/search?q=baku", headers=fields)), 431)
    assert str(MAX_HEADER_FIELDS) in message
    assert_error_page(send(port, request(b"/?q=baku", headers=fields)), 431)
    many = b"".join(
        b"X-Field-%d: 1\r\n" % n for n in range(GUNICORN_LIMITS["limit_request_fields"] + 10)
    )
    assert_json_error(send(port, request(b"/api/search?q=baku", headers=many)), 431)


def test_too_large_header_field_is_431(port: int) -> None:
    big = b"X-Big: " + b"a" * 9000 + b"\r\n"
    assert_json_error(send(port, request(b"/api/search?q=baku", headers=big)), 431)
    huge = b"X-Big: " + b"a" * (GUNICORN_LIMITS["limit_request_field_size"] + 100) + b"\r\n"
    assert_json_error(send(port, request(b"/api/search?q=baku", headers=huge)), 431)


def test_invalid_request_line_keeps_the_shape(port: int) -> None:
    assert_json_error(send(port, request(b"/api/search?q=a b")), 400)


def test_options_is_204_with_allow_and_no_cors(port: int) -> None:
    status, headers, body = send(port, request(b"/api/search", method=b"OPTIONS"))
    assert status == 204 and body == b""
    allowed = set(headers["allow"].replace(" ", "").split(","))
    assert allowed == {"GET", "HEAD", "OPTIONS", "POST"}  # POST: queries too long for a URL
    assert not [name for name in headers if name.startswith("access-control-")]
    assert_secured(headers)
    assert send(port, request(b"/", method=b"OPTIONS"))[0] == 204
    assert send(port, request(b"/nothing-here", method=b"OPTIONS"))[0] == 404


def test_ordinary_requests_still_answer(port: int) -> None:
    status, headers, body = send(port, request(b"/api/search?q=baku"))
    assert status == 200 and json.loads(body)["total"] > 0
    assert_secured(headers)
