"""The one place that chooses the backend: ``DOSSIER_BACKEND`` (cluster.config).

Callers (the web app, the command line) ask for a service, an index build or
a deletion and get the configured backend's; nothing else reads the setting.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from indexer.cluster.config import backend_name, cluster_config
from indexer.cluster.service import ClusterSearchService
from indexer.cluster.writing import build_cluster_index, delete_cluster_documents
from indexer.index.writing import IndexReport, Progress, build_index, delete_documents
from indexer.model import SearchLimits
from indexer.search.service import SearchService

Service = SearchService | ClusterSearchService


def open_service(
    index_dir: Path | str,
    *,
    gazetteer: Path | str | None = None,
    limits: SearchLimits | None = None,
    environ: Mapping[str, str] | None = None,
) -> Service:
    """The configured backend's search service (``index_dir`` is Whoosh's only)."""
    if backend_name(environ) == "typesense":
        return ClusterSearchService(cluster_config(environ), gazetteer=gazetteer, limits=limits)
    return SearchService(index_dir, gazetteer=gazetteer, limits=limits)


def index_articles(
    paths: list[Path],
    index_dir: Path,
    *,
    gazetteer: Path | None = None,
    rebuild: bool = False,
    prune: bool = True,
    wait: float = 0.0,
    progress: Progress | None = None,
    follow_links: bool = False,
    environ: Mapping[str, str] | None = None,
) -> IndexReport:
    """Index ``paths`` into the configured backend (``wait`` is the Whoosh writer lock's)."""
    if backend_name(environ) == "typesense":
        return build_cluster_index(
            paths, cluster_config(environ), gazetteer=gazetteer, rebuild=rebuild, prune=prune,
            progress=progress, follow_links=follow_links,
        )  # fmt: skip
    return build_index(
        paths, index_dir, gazetteer=gazetteer, rebuild=rebuild, prune=prune, wait=wait,
        progress=progress, follow_links=follow_links,
    )  # fmt: skip


def delete_articles(
    ids: list[str], index_dir: Path, *, wait: float = 0.0,
    environ: Mapping[str, str] | None = None,
) -> tuple[int, list[str]]:  # fmt: skip
    if backend_name(environ) == "typesense":
        return delete_cluster_documents(ids, cluster_config(environ))
    return delete_documents(ids, index_dir, wait=wait)
