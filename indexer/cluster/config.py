"""Which backend serves searches, and how to reach the cluster: from the environment only.

``DOSSIER_BACKEND`` is ``whoosh`` (the default: the index directory) or
``typesense``; the cluster's nodes come from ``DOSSIER_TYPESENSE_NODES`` (comma
separated URLs) and its API key from ``DOSSIER_TYPESENSE_API_KEY``, never from
code, URLs or arguments, and the key is never printed or logged.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from indexer.model import ParameterError

BACKENDS: dict[str, str] = {
    "whoosh": "the embedded index in the index directory (the default)",
    "typesense": "a Typesense cluster (DOSSIER_TYPESENSE_NODES, DOSSIER_TYPESENSE_API_KEY)",
}
DEFAULT_ALIAS = "dossier"


@dataclass(frozen=True, slots=True)
class ClusterConfig:
    """Where the cluster is; ``repr`` never shows the key."""

    nodes: tuple[tuple[str, str, int], ...]  # (protocol, host, port)
    api_key: str = field(repr=False)
    alias: str = DEFAULT_ALIAS  # readers use the collection this alias names
    timeout_s: float = 5.0

    def describe(self) -> str:
        return ", ".join(f"{p}://{h}:{port}" for p, h, port in self.nodes)


def backend_name(environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    name = (env.get("DOSSIER_BACKEND") or "whoosh").strip().lower()
    if name not in BACKENDS:
        raise ParameterError(
            f"DOSSIER_BACKEND must be one of {', '.join(BACKENDS)}, not {name!r}",
            parameter="DOSSIER_BACKEND",
        )
    return name


def cluster_config(environ: Mapping[str, str] | None = None) -> ClusterConfig:
    """The cluster named by the environment; a clear error for what is missing or malformed."""
    env = os.environ if environ is None else environ
    raw = (env.get("DOSSIER_TYPESENSE_NODES") or "").strip()
    if not raw:
        raise ParameterError(
            "DOSSIER_TYPESENSE_NODES is not set: give the cluster's nodes, e.g. "
            "http://10.0.0.1:8108,http://10.0.0.2:8108,http://10.0.0.3:8108",
            parameter="DOSSIER_TYPESENSE_NODES",
        )
    nodes = tuple(_node(part.strip()) for part in raw.split(",") if part.strip())
    key = env.get("DOSSIER_TYPESENSE_API_KEY") or ""
    if not key.strip():
        raise ParameterError(
            "DOSSIER_TYPESENSE_API_KEY is not set: the cluster's API key comes from the "
            "environment only (the web app needs only a read-only key: README)",
            parameter="DOSSIER_TYPESENSE_API_KEY",
        )
    alias = (env.get("DOSSIER_TYPESENSE_COLLECTION") or DEFAULT_ALIAS).strip()
    if not alias.replace("_", "").replace("-", "").isalnum():
        raise ParameterError(
            "DOSSIER_TYPESENSE_COLLECTION may hold only letters, digits, - and _",
            parameter="DOSSIER_TYPESENSE_COLLECTION",
        )
    timeout = env.get("DOSSIER_TYPESENSE_TIMEOUT_S") or "5"
    try:
        timeout_s = float(timeout)
    except ValueError:
        timeout_s = -1.0
    if not 0 < timeout_s <= 300:
        raise ParameterError(
            "DOSSIER_TYPESENSE_TIMEOUT_S must be a number of seconds between 0 and 300",
            parameter="DOSSIER_TYPESENSE_TIMEOUT_S",
        )
    return ClusterConfig(nodes=nodes, api_key=key.strip(), alias=alias, timeout_s=timeout_s)


def _node(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ParameterError(
            f"DOSSIER_TYPESENSE_NODES: {url!r} is not a node URL like http://host:8108",
            parameter="DOSSIER_TYPESENSE_NODES",
        )
    if parts.username or parts.password or parts.query:
        raise ParameterError(
            "DOSSIER_TYPESENSE_NODES: give the key in DOSSIER_TYPESENSE_API_KEY, not in a URL",
            parameter="DOSSIER_TYPESENSE_NODES",
        )
    try:
        port = parts.port or (443 if parts.scheme == "https" else 8108)
    except ValueError:
        raise ParameterError(
            f"DOSSIER_TYPESENSE_NODES: {url!r} has an invalid port",
            parameter="DOSSIER_TYPESENSE_NODES",
        ) from None
    return parts.scheme, parts.hostname, port
