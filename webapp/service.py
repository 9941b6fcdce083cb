"""The one SearchService of an app, created on first use.

Created lazily rather than in ``create_app`` so that gunicorn's preloading
master never opens the index: each worker process opens its own after the
fork. The service itself is thread-safe and notices a new or rebuilt index
without a restart, so one per app is all a process needs.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from indexer import Service, open_service
from indexer.model import SearchLimits

_EXTENSION = "dossier.search_service"
_lock = threading.Lock()


def limits_from_config(config: Mapping[str, Any]) -> SearchLimits:
    """The indexer enforces the same limits the web app states (one source: settings)."""
    return SearchLimits(
        max_query_chars=config["MAX_QUERY_CHARS"],
        max_terms=config["MAX_TERMS"],
        max_page=config["MAX_PAGE"],
        max_per_page=config["MAX_PER_PAGE"],
        default_per_page=config["DEFAULT_PER_PAGE"],
        max_expanded_words=config["MAX_EXPANDED_WORDS"],
        max_expanded_postings=config["MAX_EXPANDED_POSTINGS"],
        timeout_ms=config["SEARCH_TIMEOUT_MS"],
    )


def get_service(app: Flask | None = None) -> Service:
    """This app's search service (the backend DOSSIER_BACKEND names), opened on first use."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    service = app.extensions.get(_EXTENSION)
    if service is None:
        with _lock:
            service = app.extensions.get(_EXTENSION)
            if service is None:
                gazetteer = app.config["GAZETTEER"]
                service = open_service(
                    Path(app.config["INDEX_DIR"]),
                    gazetteer=Path(gazetteer) if gazetteer else None,
                    limits=limits_from_config(app.config),
                )
                app.extensions[_EXTENSION] = service
    return service


def close_service(app: Flask) -> None:
    """Release the index (tests and shutdown); the next request reopens it."""
    with _lock:
        service = app.extensions.pop(_EXTENSION, None)
    if service is not None:
        service.close()
