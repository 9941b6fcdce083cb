"""Keep freed memory in the process between searches (glibc's allocator only).

A search allocates and frees several arrays of one value per document (a
match mask, scores, facet codes of the matches: 1–8 MB each at a million
articles). glibc serves allocations that large with ``mmap`` or from the top
of the heap, and gives the memory back to the kernel as soon as it is freed
and the heap's free top passes a threshold; the next search's arrays are then
page-faulted in afresh, every page zeroed by the kernel. At a million articles
that was 20–40 % of a query (bench/PROFILES.md, "Issue 15, fourth round").
Raising both thresholds once per process keeps up to ``KEEP_FREE`` of freed
memory for the next search instead. Elsewhere (musl, macOS) nothing changes.
"""

from __future__ import annotations

import ctypes
import threading

# mallopt(3) parameters (glibc's malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_ABOVE = 32 << 20  # allocations above this still get their own mapping
KEEP_FREE = 128 << 20  # freed memory kept at the top of the heap before trimming

_lock = threading.Lock()
_done = False


def keep_freed_memory() -> bool:
    """Set the thresholds (once per process); False when the C library is not glibc."""
    global _done
    with _lock:
        if _done:
            return True
        try:
            mallopt = ctypes.CDLL(None).mallopt
        except (OSError, AttributeError):
            return False
        mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
        mallopt.restype = ctypes.c_int
        _done = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_ABOVE)) and bool(
            mallopt(_M_TRIM_THRESHOLD, KEEP_FREE)
        )
        return _done
