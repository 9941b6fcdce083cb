"""Dossier's engine: load, analyze and index news articles; search them.

The public surface is small on purpose; everything else is internal.
"""

from indexer.analysis.language import preload_analysis
from indexer.cluster.backend import Service, open_service
from indexer.index.writing import IndexReport, build_index, delete_documents
from indexer.model import (
    DocumentNotFoundError,
    DossierError,
    FeatureUnavailableError,
    IndexLockedError,
    IndexUnavailableError,
    ParameterError,
    QueryError,
    SearchLimits,
    SearchRequest,
    SearchResult,
    SearchTimeoutError,
)
from indexer.search.serialize import hit_json as engine_hit_json
from indexer.search.serialize import organizations_json, search_result_json
from indexer.search.service import SearchService

__all__ = [
    "DocumentNotFoundError",
    "DossierError",
    "FeatureUnavailableError",
    "IndexLockedError",
    "IndexReport",
    "IndexUnavailableError",
    "ParameterError",
    "QueryError",
    "SearchLimits",
    "SearchRequest",
    "SearchResult",
    "SearchService",
    "SearchTimeoutError",
    "Service",
    "build_index",
    "delete_documents",
    "engine_hit_json",
    "open_service",
    "organizations_json",
    "preload_analysis",
    "search_result_json",
]
