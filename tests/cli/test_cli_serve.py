"""`dossier serve` as a user runs it: real gunicorn servers on 127.0.0.1."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import stat
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path

import pytest
from cli_support import REPO, clean_env, dossier_command

CONTROL_SOCKET = re.compile(r"Control socket listening at (\S+)")
RENAMED = "Renamed Security Service"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class Server:
    def __init__(self, process: subprocess.Popen, port: int, log: Path) -> None:
        self.process, self.base, self.log = process, f"http://127.0.0.1:{port}", log

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + 60
        while True:
            try:
                if _get(self.base + "/api/health")[0] == 200 and self.control_socket():
                    return
            except (urllib.error.URLError, ConnectionError):
                pass
            assert self.process.poll() is None, self.log.read_text()
            assert time.monotonic() < deadline, "gunicorn did not start in 60 s"
            time.sleep(0.2)

    def control_socket(self) -> Path | None:
        match = CONTROL_SOCKET.search(self.log.read_text())
        return Path(match[1]) if match else None

    def stop(self) -> str:
        """SIGTERM (as Ctrl+C or systemd would); returns what it printed on stdout."""
        self.process.send_signal(signal.SIGTERM)
        out, _ = self.process.communicate(timeout=30)
        return out


@contextmanager
def serving(index: Path, tmp: Path, *extra: str | Path) -> Iterator[Server]:
    port = _free_port()
    log = tmp / f"gunicorn-{port}.log"
    with log.open("w") as errors:
        process = subprocess.Popen(
            dossier_command("serve", "--index", index, "--port", str(port), "--workers", "1",
                            *extra),
            cwd=REPO, env=clean_env(XDG_RUNTIME_DIR=str(tmp / "runtime")),
            stdout=subprocess.PIPE, stderr=errors, text=True,
        )  # fmt: skip
    server = Server(process, port, log)
    try:
        server.wait_until_up()
        yield server
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=30)


def _answers(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX) as sock:
        try:
            sock.connect(str(path))
        except OSError:
            return False
        return True


def _organization_names(server: Server) -> set[str]:
    status, body = _get(server.base + "/api/search?q=baku&org=az-sss")
    assert status == 200
    facets = json.loads(body)["facets"]["organization"]
    return {v["label"] for v in facets if v["value"] == "az-sss"}


@pytest.mark.slow
def test_two_servers_keep_their_own_control_socket_and_gazetteer(
    cli_index: Path, tmp_path: Path
) -> None:
    if tuple(int(p) for p in version("gunicorn").split(".")[:2]) < (25, 1):
        pytest.skip(f"gunicorn {version('gunicorn')} has no control socket (added in 25.1)")
    (tmp_path / "runtime").mkdir(mode=0o700)  # both would default to runtime/gunicorn.ctl
    gazetteer = tmp_path / "organizations.toml"
    original = (REPO / "corpus" / "organizations.toml").read_text(encoding="utf-8")
    renamed = original.replace('en = "State Security Service of Azerbaijan"', f'en = "{RENAMED}"')
    assert renamed != original
    gazetteer.write_text(renamed, encoding="utf-8")

    with (
        serving(cli_index, tmp_path) as plain,
        serving(cli_index, tmp_path, "--gazetteer", gazetteer) as curated,
    ):
        first, second = plain.control_socket(), curated.control_socket()
        assert first and second and first != second
        for path in (first, second):
            assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700  # private to this user
            assert _answers(path)
        # --gazetteer reaches the app: the organization has the name it gives.
        assert _organization_names(curated) == {RENAMED}
        assert _organization_names(plain) == {"State Security Service of Azerbaijan"}

        said = plain.stop()
        assert "(index: " in said and "1 worker × 1 thread)" in said
        assert not first.parent.exists()  # its private directory went with it
        assert second.exists() and _answers(second)
        assert _get(curated.base + "/api/health")[0] == 200
        assert "1 worker × 1 thread)" in curated.stop()
        assert not second.parent.exists()
    assert not os.listdir(tmp_path / "runtime")
