"""``dossier serve``: the web app's addition to the ``dossier`` command.

The engine's CLI (indexer/cli.py) must not import the web app, so the web
app registers this subcommand through the ``dossier.commands`` entry point
(pyproject.toml) and the CLI discovers it at run time.
"""

from __future__ import annotations

import argparse

from indexer import DossierError, SearchService, open_service

from .server import THREADS, serve


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``serve``; ``common`` holds the --index and --gazetteer options it uses."""
    p = subparsers.add_parser("serve", parents=[common], help="serve the web app and JSON API")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default %(default)s)")
    p.add_argument("--port", type=int, default=8000, help="port to listen on (default %(default)s)")
    p.add_argument(
        "--workers", type=int, default=2, help="gunicorn worker processes (default %(default)s)"
    )
    p.add_argument(
        "--threads", type=int, default=THREADS, help="threads per worker (default %(default)s)"
    )
    p.add_argument("--debug", action="store_true", help="Flask's debug server (development only)")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    if args.workers < 1 or args.threads < 1:
        raise SystemExit("dossier serve: --workers and --threads must be at least 1")
    if args.gazetteer is not None:
        _check_gazetteer(args)
    serve(
        args.index,
        host=args.host,
        port=args.port,
        workers=args.workers,
        threads=args.threads,
        debug=args.debug,
        gazetteer=args.gazetteer,
    )
    return 0


def _check_gazetteer(args: argparse.Namespace) -> None:
    """Read --gazetteer once before serving: a bad file stops the start, not every request.

    The service opens no index until its first search, so this reads the file only.
    """
    try:
        SearchService(args.index, gazetteer=args.gazetteer).close()
    except DossierError as exc:
        raise DossierError(f"--gazetteer: {exc}") from None
    open_service(args.index).close()  # DOSSIER_BACKEND and the cluster's settings, checked now
