"""``dossier serve``: the web app's addition to the ``dossier`` command.

The engine's CLI (indexer/cli.py) must not import the web app, so the web
app registers this subcommand through the ``dossier.commands`` entry point
(pyproject.toml) and the CLI discovers it at run time.
"""

from __future__ import annotations

import argparse

from .server import serve


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser("serve", parents=[common], help="serve the web app and JSON API")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    p.add_argument("--debug", action="store_true", help="Flask's debug server (development only)")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    serve(args.index, host=args.host, port=args.port, workers=args.workers, debug=args.debug)
    return 0
