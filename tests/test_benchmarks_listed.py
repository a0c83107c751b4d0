"""``benchmarks/README.md`` lists only benchmarks that exist, and ``make bench`` runs them."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_listed_benchmark_exists_and_defines_run() -> None:
    text = (ROOT / "benchmarks" / "README.md").read_text(encoding="utf-8")
    listed = re.findall(r"^\| `(bench_\w+\.py)` \|", text, flags=re.MULTILINE)
    assert listed
    for name in listed:
        path = ROOT / "benchmarks" / name
        assert path.is_file(), f"benchmarks/README.md lists {name}, which does not exist"
        assert re.search(r"^def run\(size: str\) -> str:", path.read_text(encoding="utf-8"),
                         flags=re.MULTILINE), f"{name} has no run(size) for benchmarks/run.py"
