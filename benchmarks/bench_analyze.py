"""The whole job as a user runs it: ``loyalscope analyze DATA --json`` in a fresh process.

Data: ``loyalscope simulate`` (CSV files, seed 0, 730 days) at 100k, 300k and 1M customers with
the default purchase density (about 3.8 orders per customer) and at 1M customers with density 4
(about 10 orders per customer). Each size is simulated by its own ``loyalscope simulate``
process, then analysed by its own ``loyalscope analyze`` process (``sys.executable -m
loyalscope``), so this driver stays small and the figures are the job's alone.

Measured per run: wall-clock seconds of the process, its peak resident memory (``VmHWM`` of
``/proc/<pid>/status``, sampled every 50 ms; it starts afresh at ``exec`` and only grows, so the
last sample before exit is the peak up to the sampling gap; ``wait4``'s ``ru_maxrss`` is
reported beside it as a check), and the seconds per step that ``analyze --json`` reports
(``load``, each section of the report, ``write`` = report, workbook and files). The machine's
load average is recorded at the start and end of each run: on a shared machine the figures
are upper bounds.

Environment: ``LS_BENCH_ANALYZE_ENGINE`` passes ``--engine`` to ``analyze`` (e.g. ``spark``).
``LS_BENCH_10M=1`` adds issue 14's largest size: 10M customers / ~100M orders, written in ten
blocks by :mod:`benchmarks.big_company` as Parquet (13 GB as CSV; ``simulate`` would need tens
of GB of memory) and analysed into a DuckDB file in the work folder (``--engine
duckdb:PATH``: the loaded tables stored compressed; DuckDB's default memory limit, the rest
spilled). It needs ~60 GB of free disk under ``LS_BENCH_TMP`` (default: the system's temp).

Targets (issue 14): 1M customers / 10M orders under 60 s and 4 GB; 100k customers under 10 s;
cost no faster than linear in customers and orders.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.run import machine

FULL = [(100_000, 1.0), (300_000, 1.0), (1_000_000, 1.0), (1_000_000, 4.0)]
SMALL = [(2_000, 1.0), (6_000, 1.0), (2_000, 4.0)]
TARGET_10M = (60.0, 4096.0)
TARGET_100K_S = 10.0
TARGET_100M_MIB = 16384.0


@dataclass
class Run:
    """One ``analyze`` process: what it read and what it cost."""

    customers: int
    density: float
    orders: int = 0
    simulate_s: float = 0.0
    seconds: float = 0.0
    vmhwm_mib: float = 0.0
    maxrss_mib: float = 0.0
    cpu_s: float = 0.0
    steps: dict[str, float] = field(default_factory=dict)
    load: tuple[float, float] = (0.0, 0.0)
    error: str = ""


def _vmhwm_mib(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run_process(args: list[str], out: Path) -> tuple[float, float, float, int, str, float]:
    """Run ``args``; return (seconds, VmHWM MiB, ru_maxrss MiB, exit code, stdout, CPU seconds).

    stdout and stderr go to files in ``out`` (no pipe to fill); the child is reaped with
    ``wait4`` so that its own resource usage is read, not the sum over children.
    """
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "stdout.txt", "wb") as so, open(out / "stderr.txt", "wb") as se:
        start = time.perf_counter()
        proc = subprocess.Popen(args, stdout=so, stderr=se)
        peak = 0.0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            peak = max(peak, _vmhwm_mib(proc.pid))
            time.sleep(0.05)
        seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    text = (out / "stdout.txt").read_text(encoding="utf-8", errors="replace")
    cpu = usage.ru_utime + usage.ru_stime
    return seconds, peak, usage.ru_maxrss / 1024, proc.returncode, text, cpu


def measure_size(customers: int, density: float, work: Path, blocks: int = 1) -> Run:
    """Simulate one company (``blocks`` > 1: that many companies of ``customers`` each, as one
    Parquet company, see :mod:`benchmarks.big_company`) and time ``analyze`` on it."""
    run = Run(customers * blocks, density)
    data, out = work / "data", work / "out"
    cli = [sys.executable, "-m", "loyalscope"]
    sim = [*cli, "simulate", "--customers", str(customers), "--density", str(density),
           "--seed", "0", "--out", str(data), "--json"]
    if blocks > 1:
        sim = [sys.executable, "-m", "benchmarks.big_company", str(data), "--blocks", str(blocks),
               "--customers", str(customers), "--density", str(density), "--format", "parquet"]
    run.simulate_s, _, _, code, text, _ = run_process(sim, work / "simulate")
    if code != 0:
        run.error = f"simulate exit {code}"
        return run
    run.orders = int(json.loads(text)["rows"]["transactions"])
    engine = os.environ.get("LS_BENCH_ANALYZE_ENGINE") or (f"duckdb:{work / 'loyalscope.duckdb'}"
                                                           if blocks > 1 else None)
    args = [*cli, "analyze", str(data), "--out", str(out), "--json", "--lang", "en"]
    if engine:
        args += ["--engine", engine]
    before = os.getloadavg()[0]
    run.seconds, run.vmhwm_mib, run.maxrss_mib, code, text, run.cpu_s = run_process(
        args, work / "analyze")
    run.load = (before, os.getloadavg()[0])
    if code != 0:
        run.error = f"analyze exit {code}: {text[-300:]}"
        return run
    run.steps = json.loads(text)["steps"]
    return run


def _largest(steps: dict[str, float], k: int = 4) -> str:
    top = sorted(steps.items(), key=lambda kv: -kv[1])[:k]
    return ", ".join(f"{name} {s:.1f}" for name, s in top)


def _exponent(a: Run, b: Run, attr: str) -> str:
    """Growth exponent of ``seconds`` between two runs: log(t_b / t_a) / log(size_b / size_a)."""
    size_a, size_b = getattr(a, attr), getattr(b, attr)
    if a.seconds <= 0 or b.seconds <= 0 or size_a == size_b:
        return "n/a"
    return f"{math.log(b.seconds / a.seconds) / math.log(size_b / size_a):.2f}"


def report(runs: list[Run], size: str) -> str:
    lines = [
        "## The whole analysis (`loyalscope analyze`, end to end)",
        "",
        "Each row: `loyalscope simulate --customers N --density D` (CSV, seed 0, 730 days), then "
        "`loyalscope analyze DATA --json` in a fresh process; peak memory is that process's "
        "VmHWM (ru_maxrss beside it). Engine: "
        f"{os.environ.get('LS_BENCH_ANALYZE_ENGINE') or 'duckdb (default)'}. {machine()}.",
        "Load average (1 min) at the start / end of each run is shown: on a shared machine the "
        "figures are upper bounds; CPU s (user + system of the process, all threads) moves less "
        "with the load than wall-clock seconds. The compiled-SQL cache (`data/sqldisk.py`) is "
        "warm, as on any run after the first: a 2,000-customer company is analysed first (a "
        "first-ever run compiles ~110 load statements more, 2-3 s).",
        "",
        "| customers | orders | total s | CPU s | peak MiB (VmHWM) | ru_maxrss MiB | "
        "largest steps (s) | load avg | simulate s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        if r.error:
            lines.append(f"| {r.customers:,} | {r.orders:,} | failed: {r.error} | | | | | | |")
            continue
        lines.append(
            f"| {r.customers:,} | {r.orders:,} | {r.seconds:.1f} | {r.cpu_s:.1f} | {r.vmhwm_mib:,.0f} | "
            f"{r.maxrss_mib:,.0f} | {_largest(r.steps)} | {r.load[0]:.1f} / {r.load[1]:.1f} | "
            f"{r.simulate_s:.1f} |")
    ok = [r for r in runs if not r.error]
    names: list[str] = []
    for r in ok:
        names += [s for s in r.steps if s not in names]
    if ok:
        lines += ["", "Seconds per step (`load`, each report section, `write` = report, workbook "
                  "and files):", "",
                  "| step | " + " | ".join(f"{r.customers:,} / {r.orders:,}" for r in ok) + " |",
                  "|---|" + "---|" * len(ok)]
        for name in names:
            lines.append(f"| {name} | " + " | ".join(f"{r.steps.get(name, 0.0):.2f}" for r in ok)
                         + " |")
    base = [r for r in ok if r.density == 1.0]
    if len(base) >= 2:
        lines += ["", f"Growth exponent of total time in customers ({base[0].customers:,} -> "
                  f"{base[-1].customers:,}, same density): {_exponent(base[0], base[-1], 'customers')}; "
                  "1 is linear."]
    dense = [r for r in ok if r.customers == max(x.customers for x in ok if x.customers <= 1_000_000)]
    if len(dense) >= 2 and dense[0].orders != dense[-1].orders:
        lines.append(f"Growth exponent in orders at {dense[0].customers:,} customers "
                     f"({dense[0].orders:,} -> {dense[-1].orders:,}): "
                     f"{_exponent(dense[0], dense[-1], 'orders')}.")
    if size == "full":
        big = [r for r in ok if r.customers == 1_000_000 and r.orders >= 9_000_000]
        if big:
            r = big[-1]
            met = r.seconds < TARGET_10M[0] and r.vmhwm_mib < TARGET_10M[1]
            lines.append(f"Target 1M customers / 10M orders under {TARGET_10M[0]:.0f} s and "
                         f"{TARGET_10M[1]:,.0f} MiB: {'met' if met else 'not met'}.")
        huge = [r for r in ok if r.customers >= 10_000_000]
        if huge and big:
            r = huge[-1]
            lines.append(f"10M customers / {r.orders:,} orders (Parquet, a DuckDB file, out of core): "
                         f"{r.seconds:,.0f} s, peak {r.vmhwm_mib:,.0f} MiB (target: within "
                         f"{TARGET_100M_MIB:,.0f} MiB: {'met' if r.vmhwm_mib < TARGET_100M_MIB else 'not met'}); "
                         f"growth exponent in customers from 1M / {big[-1].orders:,}: "
                         f"{_exponent(big[-1], r, 'customers')}.")
        small = [r for r in ok if r.customers == 100_000]
        if small:
            met = small[0].seconds < TARGET_100K_S
            lines.append(f"Target 100k customers under {TARGET_100K_S:.0f} s: "
                         f"{'met' if met else 'not met'}.")
    else:
        lines.append("")
        lines.append("Size `small`: a smoke run; the targets are stated for size `full`.")
    return "\n".join(lines)


def run(size: str) -> str:
    sizes = FULL if size == "full" else SMALL
    runs = []
    with tempfile.TemporaryDirectory(prefix="ls-bench-analyze-", dir=os.environ.get("LS_BENCH_TMP")) as tmp:
        # a cache folder of the run's own, warmed by a small company of the same shape
        os.environ["LOYALSCOPE_CACHE_DIR"] = str(Path(tmp) / "sql-cache")
        measure_size(2_000, 1.0, Path(tmp) / "warm")
        shutil.rmtree(Path(tmp) / "warm", ignore_errors=True)
        for i, (customers, density) in enumerate(sizes):
            print(f"  analyze: {customers:,} customers, density {density}", flush=True)
            work = Path(tmp) / str(i)
            runs.append(measure_size(customers, density, work))
            shutil.rmtree(work, ignore_errors=True)  # a 10M-order company is gigabytes of CSV
        if size == "full" and os.environ.get("LS_BENCH_10M") == "1":
            print("  analyze: 10,000,000 customers, density 4 (ten blocks, Parquet)", flush=True)
            runs.append(measure_size(1_000_000, 4.0, Path(tmp) / "10m", blocks=10))
    return report(runs, size)


if __name__ == "__main__":
    print(run(sys.argv[1] if len(sys.argv) > 1 else "small"))
