"""A search process keeps freed memory for the next search (glibc), instead of having
every large array of the next search page-faulted in afresh."""

from __future__ import annotations

import platform
import resource

import numpy as np
import pytest

from indexer.search.allocator import keep_freed_memory

GLIBC = platform.libc_ver()[0] == "glibc"


def test_thresholds_are_set_once_on_glibc() -> None:
    assert keep_freed_memory() is GLIBC
    assert keep_freed_memory() is GLIBC  # idempotent


def _query_like_work(size: int) -> float:
    """Five 16 MB arrays alive at once, then freed: a million-article query's temporaries."""
    arrays = [np.ones(size) for _ in range(5)]
    return float(sum(a[0] for a in arrays))


@pytest.mark.skipif(not GLIBC, reason="mallopt thresholds are glibc's")
def test_freed_arrays_are_reused_without_page_faults() -> None:
    """Without the thresholds the 80 MB go back to the kernel each time and come back
    page by page (about 10,000 faults here); with them, none."""
    assert keep_freed_memory()
    size = 2 << 20
    _query_like_work(size)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(5):
        _query_like_work(size)
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    assert faults < 4096, faults  # one array's pages at most, of 5 x 5 x 4,096
