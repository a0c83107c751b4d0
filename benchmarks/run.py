"""Run every ``benchmarks/bench_*.py`` and write ``docs/benchmarks.md``.

Each benchmark module defines ``run(size: str) -> str`` returning a Markdown section (a heading,
what was measured, a table with times, ratios and peak memory, and the machine). ``size`` is
``"full"`` (the sizes the targets are stated for) or ``"small"`` (a quick smoke run).

Usage: ``python -m benchmarks.run [--size small|full] [--only NAME]``.
Wall-clock numbers live here and only here: the test suite asserts none.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", default="full", choices=["small", "full"])
    parser.add_argument("--only", default=None, help="run only bench_<NAME>.py")
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    args = parser.parse_args()
    names = sorted(p.stem for p in (ROOT / "benchmarks").glob("bench_*.py"))
    if args.only:
        names = [n for n in names if n == f"bench_{args.only}"]
    parts = [
        "# Benchmarks",
        "",
        f"Written by `make bench` ({time.strftime('%Y-%m-%d')}, size `{args.size}`, {machine()}).",
        "Targets come from the issues; each section says whether it is met.",
        "",
    ]
    for name in names:
        module = importlib.import_module(f"benchmarks.{name}")
        print(f"running {name} ...", flush=True)
        parts.append(module.run(args.size))
        parts.append("")
    Path(args.out).write_text("\n".join(parts), encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
