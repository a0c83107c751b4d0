"""Peak-memory measurement: run a callable in a fresh process and read its max RSS."""

from __future__ import annotations

import multiprocessing as mp
import resource
import time
from collections.abc import Callable
from typing import Any


def peak_rss_mib() -> float:
    """Peak resident memory of this process's address space, MiB.

    Linux: ``VmHWM`` from ``/proc/self/status``, which starts afresh at ``exec``. Not
    ``ru_maxrss``: Linux carries that over from the parent through fork and exec, so a
    benchmark child started by a parent holding a large frame would report the parent's peak.
    Elsewhere ``ru_maxrss`` (KiB on Linux/BSD) is the fallback.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(fn: Callable[[], Any], queue: Any) -> None:
    start = time.perf_counter()
    fn()
    seconds = time.perf_counter() - start
    queue.put((seconds, peak_rss_mib()))


def measure(fn: Callable[[], Any]) -> tuple[float, float]:
    """Run ``fn`` in a forked process; return (seconds, peak resident MiB of that process)."""
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(fn, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result
