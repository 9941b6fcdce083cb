"""gunicorn's worker with the app's own answers for requests gunicorn refuses.

gunicorn refuses some requests before the app sees them (a request line over
8,190 bytes, more or larger header fields than its limits, bytes not allowed
in a request line) and answers with a bare HTML page without the app's
security headers. ``DossierWorker`` lets gunicorn decide the status and log
as it always does, then answers through the app instead: the JSON error shape
for /api/ addresses (and when the address could not be read at all), the
error page elsewhere, the same security headers on both.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterable
from typing import Any

from gunicorn import util
from gunicorn.workers.gthread import ThreadWorker

from .wire import SERVER_ERROR

_STATUS = re.compile(rb"^HTTP/1\.[01] (\d{3}) ([^\r\n]*)")
_TARGET = re.compile(r"^[A-Za-z]+ (/\S*)")


class _Captured:
    """Stands in for the client socket while gunicorn writes its own error page."""

    def __init__(self) -> None:
        self.data = b""

    def gettimeout(self) -> float:
        return 0.0

    def setblocking(self, flag: bool) -> None:
        pass

    def sendall(self, data: bytes) -> None:
        self.data += data


class DossierWorker(ThreadWorker):
    """gunicorn's gthread worker; only refused requests are answered differently."""

    def handle_error(self, req: Any, client: socket.socket, addr: Any, exc: BaseException) -> None:
        captured = _Captured()
        super().handle_error(req, captured, addr, exc)  # type: ignore[arg-type]  # writes only
        match = _STATUS.match(captured.data)
        answer = captured.data
        if match is not None:
            status, reason = int(match.group(1)), match.group(2).decode("latin-1")
            try:
                answer = self._render(status, reason, _path_of(req, exc))
            except Exception:  # the app itself failing: gunicorn's page, as it was
                self.log.exception("Could not render the error through the app")
        try:
            util.write_nonblock(client, answer)
        except Exception:
            self.log.debug("Failed to send error message.")

    def _render(self, status: int, reason: str, path: str | None) -> bytes:
        """The app's answer for ``status``, as raw HTTP/1.1 with Connection: close."""
        api = path is None or path == "/api" or path.startswith(("/api/", "/api?"))
        environ = {
            "REQUEST_METHOD": "GET",
            "SCRIPT_NAME": "",
            "PATH_INFO": "/api/" if api else "/",
            "QUERY_STRING": "",
            "SERVER_NAME": "localhost",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": _EmptyInput(),
            "wsgi.errors": _EmptyInput(),
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            SERVER_ERROR: (status, reason),
        }
        answered: dict[str, Any] = {}

        def start_response(
            line: str, headers: Iterable[tuple[str, str]], exc_info: Any = None
        ) -> None:
            answered["line"], answered["headers"] = line, headers

        body = b"".join(self.wsgi(environ, start_response))
        headers = [(k, v) for k, v in answered["headers"] if k.lower() != "content-length"]
        head = f"HTTP/1.1 {answered['line']}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
        head += f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        return head.encode("latin-1") + body


class _EmptyInput:
    def read(self, *args: Any) -> bytes:
        return b""

    def write(self, *args: Any) -> None:
        pass

    def flush(self) -> None:
        pass


def _path_of(req: Any, exc: BaseException) -> str | None:
    """The address asked for, when gunicorn read that much; None otherwise."""
    for source in (req, getattr(exc, "req", None)):
        path = getattr(source, "path", None)
        if isinstance(path, str):
            return path
        line = source.decode("latin-1") if isinstance(source, bytes) else source
        if isinstance(line, str):
            match = _TARGET.match(line)
            if match:
                return match.group(1).split("?", 1)[0]
    return None
