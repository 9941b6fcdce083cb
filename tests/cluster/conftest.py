"""Fixtures for tests against a real 3-node Typesense cluster (tests/cluster/harness.py).

Without the typesense-server program or the typesense client (the `cluster`
extra; `make test` installs it) the tests skip with the reason; with CI=true or
DOSSIER_REQUIRE_CLUSTER=1 (.ci/run sets both) a missing piece fails them, so CI
cannot go green without a cluster. When a test fails, the last lines of each
node's log are added to its report.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cluster.harness import (
    ClusterUnavailable,
    TypesenseCluster,
    find_server,
    typesense_client_available,
)

CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
REQUIRE_CLUSTER = CI or os.environ.get("DOSSIER_REQUIRE_CLUSTER", "") not in ("", "0")


def _unavailable(reason: str) -> None:
    if REQUIRE_CLUSTER:
        pytest.fail(f"{reason} (CI or DOSSIER_REQUIRE_CLUSTER is set, so this is a failure)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def typesense_server() -> Path:
    """The typesense-server program, executable; skips (fails in CI) when absent."""
    if not typesense_client_available():
        _unavailable("the typesense Python client is not installed (`make dev` adds it)")
    try:
        return find_server()
    except ClusterUnavailable as error:
        _unavailable(str(error))
        raise


def _running(root: Path, server: Path) -> Iterator[TypesenseCluster]:
    cluster = TypesenseCluster(root, server=server)
    try:
        yield cluster.start()
    finally:
        cluster.stop_all()


ClusterFactory = Callable[..., TypesenseCluster]


@pytest.fixture
def cluster_factory(
    typesense_server: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ClusterFactory]:
    """Start clusters of this test's own: ``cluster_factory(tmpfs="64m", extra_args=[...],
    size=3)``; with ``tmpfs`` every node's data dir is a tmpfs of that size (fill_disk),
    and a refused mount skips (fails in CI). All are stopped when the test ends."""
    made: list[TypesenseCluster] = []

    def _start(*, tmpfs: str | None = None, **options: Any) -> TypesenseCluster:
        root = tmp_path_factory.mktemp("typesense-made")
        cluster = TypesenseCluster(root, server=typesense_server, **options)
        made.append(cluster)
        if tmpfs:
            try:
                for i in range(cluster.size):
                    cluster.use_tmpfs(i, tmpfs)
            except ClusterUnavailable as error:
                cluster.stop_all()
                _unavailable(str(error))
        return cluster.start()

    yield _start
    for cluster in made:
        cluster.stop_all()


@pytest.fixture(scope="session")
def typesense_cluster(
    typesense_server: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TypesenseCluster]:
    """One started 3-node cluster for the session: do not kill or stop its nodes."""
    yield from _running(tmp_path_factory.mktemp("typesense-cluster"), typesense_server)


@pytest.fixture
def fresh_cluster(
    typesense_server: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TypesenseCluster]:
    """A started 3-node cluster of this test's own, for faults (kill, stop, full disk)."""
    yield from _running(tmp_path_factory.mktemp("typesense-fresh"), typesense_server)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    report = yield
    if report.failed:
        for value in getattr(item, "funcargs", {}).values():
            if isinstance(value, TypesenseCluster):
                report.sections.append(("typesense node logs", value.diagnostics(lines=25)))
    return report
