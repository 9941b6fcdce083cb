"""`dossier index` shows its progress on a terminal, driven by bytes read: run
under a real pseudo-terminal (the ``pty`` module), and without one."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import struct
import subprocess
import termios
import time
from pathlib import Path

from cli_support import REPO, clean_env, dossier_command
from tqdm import tqdm

DOCUMENTS = 400


def _one_big_jsonl(root: Path) -> Path:
    """One JSON Lines file of DOCUMENTS articles (non-ASCII text: more bytes than characters)."""
    root.mkdir()
    path = root / "archive.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for n in range(DOCUMENTS):
            body = f"Служба безопасности report {n}: the forum in Baku discussed cooperation. " * 8
            record = {"id": f"doc-{n:04d}", "title": f"Report {n}", "body": body, "lang": "en"}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def _run_in_terminal(args: list[str | Path], env: dict[str, str]) -> tuple[int, str]:
    """Run `dossier` with stdin, stdout and stderr on a 120×40 pseudo-terminal."""
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    process = subprocess.Popen(
        dossier_command(*args), cwd=REPO, env=env, stdin=terminal, stdout=terminal,
        stderr=terminal, close_fds=True,
    )  # fmt: skip
    os.close(terminal)
    output = bytearray()
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 1.0)
            if not ready:
                if process.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO: the terminal's last user has gone
                break
            if not chunk:
                break
            output += chunk
    finally:
        os.close(controller)
        if process.poll() is None:
            process.kill()
    return process.wait(timeout=30), output.decode("utf-8", "replace")


def _frames(output: str) -> list[str]:
    return [f for f in re.split(r"[\r\n]+", output) if f.startswith("indexing:")]


def test_progress_on_a_terminal_counts_bytes_and_documents(tmp_path: Path) -> None:
    source = _one_big_jsonl(tmp_path / "in")
    size = source.stat().st_size
    # A frame for every update (tqdm reads its TQDM_* defaults from the environment),
    # so the test sees the bar move through the one file rather than jump at its end.
    env = clean_env(TQDM_MININTERVAL="0", TQDM_MINITERS="1")
    code, output = _run_in_terminal(["index", source, "--index", tmp_path / "index"], env)
    assert code == 0, output
    frames = _frames(output)
    total = tqdm.format_sizeof(size) + "B"
    last = frames[-1]
    assert last.startswith("indexing: 100%"), last
    assert f"/{total} [" in last and f"{DOCUMENTS:,} documents]" in last
    assert re.search(r"\[\d\d:\d\d<\d\d:\d\d, [\d.]+[kMG]?B/s, ", last), last  # time, rate
    # Part way through the one file: some bytes and documents, not all.
    partial = [f for f in frames if re.search(r" (\d{1,2})%\|", f) and "documents]" in f]
    counts = {int(re.search(r"([\d,]+) documents]", f)[1].replace(",", "")) for f in partial}
    assert any(0 < c < DOCUMENTS for c in counts), frames[:5]
    assert f"{DOCUMENTS} added" in output
    assert "files" not in output  # the old bar counted files: "1/1 files" at once


def test_quiet_on_a_terminal_prints_no_progress_and_no_summary(tmp_path: Path) -> None:
    source = _one_big_jsonl(tmp_path / "in")
    env = clean_env(TQDM_MININTERVAL="0", TQDM_MINITERS="1")
    args = ["index", source, "--index", tmp_path / "index", "--quiet"]
    code, output = _run_in_terminal(args, env)
    assert (code, output) == (0, "")


def test_no_progress_without_a_terminal(tmp_path: Path) -> None:
    source = _one_big_jsonl(tmp_path / "in")
    done = subprocess.run(
        dossier_command("index", source, "--index", tmp_path / "index"), cwd=REPO,
        env=clean_env(TQDM_MININTERVAL="0", TQDM_MINITERS="1"), capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.startswith(f"{DOCUMENTS} added") and "\r" not in done.stdout
