"""``dossier serve``: the web app's addition to the ``dossier`` command.

The engine's CLI (indexer/cli.py) must not import the web app, so the web
app registers this subcommand through the ``dossier.commands`` entry point
(pyproject.toml) and the CLI discovers it at run time.
"""

from __future__ import annotations

import argparse

from .server import THREADS, serve


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser("serve", parents=[common], help="serve the web app and JSON API")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    p.add_argument(
        "--threads", type=int, default=THREADS, help="threads per worker (default %(default)s)"
    )
    p.add_argument("--debug", action="store_true", help="Flask's debug server (development only)")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    if args.workers < 1 or args.threads < 1:
        raise SystemExit("dossier serve: --workers and --threads must be at least 1")
    serve(
        args.index,
        host=args.host,
        port=args.port,
        workers=args.workers,
        threads=args.threads,
        debug=args.debug,
    )
    return 0
