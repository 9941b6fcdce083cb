"""Serving the app: gunicorn in production, Flask's server only for debugging.

gunicorn runs in-process through its BaseApplication (no second command
line to keep in step). gthread workers, one thread each by default: a search
is CPU-bound Python, so more threads in one process only queue for the GIL
and stretch every request they share it with. Measured with bench/webload.py
on the 36k-article index, 2 workers, 8 clients: 4 threads each 149 req/s with
p99 176 ms, 1 thread 162 req/s with p99 109 ms. gthread still parks idle
keep-alive connections in its poller, so a waiting connection holds no
thread; ``--threads`` raises the count for an index on slow network storage.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from indexer import preload_analysis

from . import create_app
from .wire import GUNICORN_LIMITS

THREADS = 1


class DossierServer(BaseApplication):
    """gunicorn with its options from Python, not from its command line."""

    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key, value)

    # Flask is a WSGI app; types-gunicorn's WSGI type wants a MutableMapping environ, Flask's
    # signature says dict: the override is sound at run time.
    def load(self) -> Flask:  # type: ignore[override]
        return self.application


def _address(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def gunicorn_options(host: str, port: int, workers: int, threads: int = THREADS) -> dict[str, Any]:
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return {
        "bind": bind,
        "workers": workers,
        "worker_class": "webapp.worker.DossierWorker",  # gthread; refusals in the app's shape
        "threads": threads,
        "preload_app": True,  # import once in the master; the index opens per worker
        "timeout": 30,
        "graceful_timeout": 10,
        "keepalive": 5,
        **GUNICORN_LIMITS,  # above the app's own (wire.py), which answers 414/431 itself
        "accesslog": "-",
        "errorlog": "-",
        "proc_name": "dossier",
    }


def serve(
    index_dir: Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    workers: int = 2,
    threads: int = THREADS,
    debug: bool = False,
    gazetteer: Path | None = None,
) -> None:
    """Serve the search page and API for ``index_dir`` until interrupted.

    ``gazetteer`` overrides the GAZETTEER setting (``DOSSIER_GAZETTEER``).
    """
    config: dict[str, Any] = {"INDEX_DIR": Path(index_dir)}
    if gazetteer is not None:
        config["GAZETTEER"] = Path(gazetteer)
    if debug:
        config["DEBUG"] = True
    app = create_app(config)
    address = _address(host, port)
    if debug:
        print(
            f"Dossier is serving {address} with Flask's debug server "
            f"(index: {index_dir}); not for production. Ctrl+C stops.",
            flush=True,
        )
        app.run(host=host, port=port, debug=True, use_reloader=False)
        return
    print(
        f"Dossier is serving {address} (index: {index_dir}; {_count(workers, 'worker')} × "
        f"{_count(threads, 'thread')}). Ctrl+C stops.",
        flush=True,
    )
    options = gunicorn_options(host, port, workers, threads)
    preload_analysis()  # the Turkish lemma tables, once, shared by the forked workers
    # gunicorn's control socket (for gunicornc) defaults to one path per user, so a
    # second server would take it over and stopping either would delete it: each
    # server gets its own, in a private directory (mode 0700) removed when it stops.
    private = tempfile.mkdtemp(prefix="dossier-gunicorn-")
    options["control_socket"] = os.path.join(private, "gunicorn.ctl")
    master = os.getpid()
    try:
        DossierServer(app, options).run()
    finally:
        if os.getpid() == master:  # gunicorn's worker processes leave through here too
            shutil.rmtree(private, ignore_errors=True)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


if __name__ == "__main__":  # python -m webapp.server INDEX_DIR [PORT]
    serve(Path(sys.argv[1]), port=int(sys.argv[2]) if len(sys.argv) > 2 else 8000)
