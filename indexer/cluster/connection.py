"""One connection to the cluster: every call to Typesense goes through here.

The client spreads requests over the nodes and moves past a node that fails;
on top of that, writes are retried with back-off while the cluster elects a
new leader. Failures become Dossier's own errors with a message that says
what to check; the API key never appears in one.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
import typesense
from typesense import exceptions as ts

from indexer.cluster.config import ClusterConfig
from indexer.model import (
    ClusterError,
    CollectionGone,
    DocumentNotFoundError,
    IncompleteAnswer,
    ParameterError,
)

T = TypeVar("T")
log = logging.getLogger(__name__)

WRITE_ATTEMPTS = 8  # a leader election takes a few seconds (tests/cluster/README.md)
FIRST_BACKOFF_S = 0.25
MAX_BACKOFF_S = 4.0
# The client warns, per collection touched, about Typesense 30 APIs Dossier never calls.
CLIENT_WARNINGS = r".* is deprecated on v30\+"
warnings.filterwarnings("ignore", message=CLIENT_WARNINGS, category=DeprecationWarning)


_TRANSIENT = (IncompleteAnswer, ts.ServiceUnavailable, ts.ServerError, ts.Timeout,
              ts.HTTPStatus0Error, httpx.TransportError)  # fmt: skip


class Connection:
    """Thread-safe access to one cluster (the client keeps no per-request state)."""

    def __init__(self, config: ClusterConfig):
        self.config = config
        # Any: the client types every request as its own TypedDicts; ours are plain dicts.
        settings: Any = {
            "nodes": [
                {"protocol": proto, "host": host, "port": port}
                for proto, host, port in config.nodes
            ],
            "api_key": config.api_key,
            "connection_timeout_seconds": config.timeout_s,
            "num_retries": 2 * len(config.nodes),
            "retry_interval_seconds": 0.2,
            # A node that failed is skipped this long before it is tried again: a stalled
            # node then costs one request a time-out every 15 s, not every 2 s.
            "healthcheck_interval_seconds": 15,
        }
        self.client: Any = typesense.Client(settings)

    def close(self) -> None:
        """Close the pooled HTTP connections (a closed connection reopens on next use)."""
        with contextlib.suppress(Exception):
            self.client.api_call.close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- reads ---

    def multi_search(self, searches: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Several searches in one request (POST, so no query is limited by a URL's length)."""
        with self.translated("search"):
            answer = self.client.multi_search.perform({"searches": searches}, {})
        results: list[dict[str, Any]] = answer["results"]
        for result in results:
            if "error" in result and result.get("code") == 404:
                raise CollectionGone(f"the cluster has no such collection: {result['error']}")
            if "error" in result:
                raise ClusterError(f"the cluster refused a search: {result['error']}")
        return results

    def retrieve(self, collection: str, doc_id: str) -> dict[str, Any]:
        try:
            with self.translated("read a document"):
                found: dict[str, Any] = (
                    self.client.collections[collection].documents[_path_part(doc_id)].retrieve()
                )
        except DocumentNotFoundError as exc:
            if "document" not in str(exc.__cause__).lower():  # the collection itself is gone
                raise CollectionGone(f"the cluster has no collection {collection!r}") from None
            raise DocumentNotFoundError(f"no document with id {doc_id!r}") from None
        return found

    def alias_target(self, alias: str) -> str | None:
        try:
            with self.translated("read the alias"):
                return str(self.client.aliases[alias].retrieve()["collection_name"])
        except DocumentNotFoundError:
            return None

    def collection_info(self, name: str) -> dict[str, Any]:
        with self.translated("read the collection"):
            info: dict[str, Any] = self.client.collections[name].retrieve()
        return info

    def collections(self) -> list[str]:
        with self.translated("list collections"):
            return [c["name"] for c in self.client.collections.retrieve()]

    def export(self, collection: str, fields: list[str]) -> Iterator[dict[str, Any]]:
        """Every document of ``collection``, only ``fields`` of each."""
        with self.translated("export documents"):
            text = self.client.collections[collection].documents.export(
                {"include_fields": ",".join(fields)}
            )
        for line in text.splitlines():
            if line.strip():
                yield json.loads(line)

    def health(self) -> dict[str, bool]:
        """Each node's own answer to /health (True when it says ok)."""
        out = {}
        for proto, host, port in self.config.nodes:
            url = f"{proto}://{host}:{port}/health"
            try:
                out[url] = bool(httpx.get(url, timeout=self.config.timeout_s).json().get("ok"))
            except (httpx.HTTPError, ValueError):
                out[url] = False
        return out

    # --- writes (retried with back-off: a write may land in an election) ---

    def create_collection(self, schema: dict[str, Any]) -> None:
        self.write(lambda: self.client.collections.create(schema), "create a collection")

    def drop_collection(self, name: str) -> None:
        with contextlib.suppress(DocumentNotFoundError):
            self.write(lambda: self.client.collections[name].delete(), "drop a collection")

    def point_alias(self, alias: str, collection: str) -> None:
        self.write(
            lambda: self.client.aliases.upsert(alias, {"collection_name": collection}),
            "swap the alias",
        )

    def import_documents(
        self, collection: str, documents: list[dict[str, Any]], *, action: str = "upsert"
    ) -> list[dict[str, Any]]:
        """Write ``documents`` (upsert: idempotent, re-sending one replaces it); each one's
        result. The answer is parsed here: forwarded by a follower, a large import's answer
        sometimes comes back with lines missing (0.24.1, measured), which the client
        cannot parse; the whole batch is then sent again, which an upsert makes safe."""
        body = "\n".join(json.dumps(doc, ensure_ascii=False) for doc in documents)

        def send() -> list[dict[str, Any]]:
            raw = self.client.collections[collection].documents.import_(body, {"action": action})
            results = [json.loads(line) for line in str(raw).split("\n") if line.strip()]
            if len(results) != len(documents):
                raise IncompleteAnswer(f"{len(results)} answers for {len(documents)} documents")
            return results

        return self.write(send, "import documents")

    def delete_document(self, collection: str, doc_id: str) -> bool:
        try:
            self.write(
                lambda: self.client.collections[collection].documents[_path_part(doc_id)].delete(),
                "delete a document",
            )
        except DocumentNotFoundError:
            return False
        return True

    def write(self, action: Callable[[], T], what: str) -> T:
        """``action``, retried with back-off while the cluster cannot take writes."""
        delay = FIRST_BACKOFF_S
        for attempt in range(WRITE_ATTEMPTS):
            try:
                with self.translated(what, transient_raw=True):
                    return action()
            except _TRANSIENT as exc:
                if attempt == WRITE_ATTEMPTS - 1:
                    raise ClusterError(_failure(what, exc, self.config)) from None
                log.warning("cluster busy (%s); retrying %s in %.2f s", type(exc).__name__,
                            what, delay)  # fmt: skip
                time.sleep(delay)
                delay = min(delay * 2, MAX_BACKOFF_S)
        raise AssertionError("unreachable")

    @contextlib.contextmanager
    def translated(self, what: str, *, transient_raw: bool = False) -> Iterator[None]:
        """The client's exceptions as Dossier's errors (``transient_raw``: leave the
        retryable ones to ``write``)."""
        try:
            yield
        except ts.ObjectNotFound as exc:
            raise DocumentNotFoundError(f"the cluster has no such object ({what})") from exc
        except (ts.RequestUnauthorized, ts.RequestForbidden):
            raise ClusterError(
                f"the cluster refused the API key (could not {what}); check "
                "DOSSIER_TYPESENSE_API_KEY (indexing needs a key that may write)"
            ) from None
        except ts.RequestMalformed as exc:
            raise ParameterError(f"the cluster refused the request ({what}): {exc}") from None
        except ts.ObjectAlreadyExists as exc:
            raise ClusterError(f"could not {what}: {exc}") from None
        except _TRANSIENT as exc:
            if transient_raw:
                raise
            raise ClusterError(_failure(what, exc, self.config)) from None
        except ts.TypesenseClientError as exc:
            raise ClusterError(_failure(what, exc, self.config)) from None


def _path_part(doc_id: str) -> str:
    """``doc_id`` as one URL path segment: the client pastes it into the path as it is, so
    "a?x" would read "a" and ".." the collection itself (a delete would drop it)."""
    return quote(doc_id, safe="").replace(".", "%2E")


def _failure(what: str, exc: BaseException, config: ClusterConfig) -> str:
    detail = str(exc) or type(exc).__name__
    if "no space" in detail.lower() or "disk" in detail.lower():
        return f"the cluster's disk is full (could not {what}): {detail}"
    return f"no node of the cluster ({config.describe()}) could {what}: {detail}"
