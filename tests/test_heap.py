"""The heap's free pages go back to the system (glibc's malloc_trim), in a fresh process."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PROBE = """
import sys
from loyalscope.heap import release_free_memory

def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) >> 10

big, small = [], []
for _ in range(400):  # 400 MiB in the heap, each block pinned in place by a small one after it
    b = bytearray(1 << 20)
    b[::4096] = b"x" * len(b[::4096])  # touched: resident
    big.append(b)
    small.append(bytearray(2048))
del big  # freed holes below the small blocks: the heap's top cannot shrink
before = rss()
assert release_free_memory()
print(before, rss())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_free_heap_pages_are_returned() -> None:
    # heap blocks of any size (no mmap of the 1 MiB ones), as glibc does once its threshold has grown
    env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": str(64 << 20)}
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
    before, after = map(int, out.stdout.split())
    assert before - after > 300, (before, after)  # MiB given back
