"""Give the C heap's free pages back to the operating system between the steps of a run.

A section frees its per-customer temporaries when it ends, but glibc's allocator keeps the
freed pages of its heap (blocks under its mmap threshold, up to 32 MiB each: a column of four
million floats) mapped to the process, so the resident size only grows from one section to the
next. ``malloc_trim(0)`` returns every whole free page: measured on 1M customers / 10.25M
orders, the run's peak 2,950 -> 2,720 MiB, time unchanged (a few ms per call).

Reference: glibc manual, "Memory Allocation Tunables"; ``man 3 malloc_trim``.
"""

from __future__ import annotations

import ctypes
import sys
from functools import cache
from typing import Any


@cache
def _libc() -> Any | None:
    """glibc's ``malloc_trim``, or None (another C library, another system)."""
    if not sys.platform.startswith("linux"):
        return None
    try:  # the symbols already loaded into the process: no library search (find_library runs ldconfig)
        libc = ctypes.CDLL(None)
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def release_free_memory() -> bool:
    """Return the heap's free pages to the system; True if the C library could (glibc)."""
    libc = _libc()
    if libc is None:
        return False
    libc.malloc_trim(0)
    return True
