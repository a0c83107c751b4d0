"""Customer summary and the full metric set vs lifetimes, on synthetic transactions.

``run(size)`` (called by ``python -m benchmarks.run --only summary``) returns the Markdown
section; ``python benchmarks/bench_summary.py --rows N --customers M`` prints JSON.
Each task runs in its own subprocess (the Dataset upload is not timed) so that its peak memory
(VmHWM, see ``benchmarks.memory.peak_rss_mib``) is its own; pin the cores with ``taskset -c 0,1`` to check the 2-core target.
Target: summary >= 6x faster than lifetimes at 10M rows; metric set < 30 s and < 4 GB.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

try:
    from benchmarks.memory import peak_rss_mib
except ModuleNotFoundError:  # run as a script: benchmarks/ is on sys.path
    from memory import peak_rss_mib  # type: ignore[no-redef]


def make(rows: int, customers: int, path: Path, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    start = np.datetime64("2022-01-01T00:00:00")
    cust = rng.integers(0, customers, rows)
    secs = rng.integers(0, 2 * 365 * 86400, rows).astype("timedelta64[s]")
    pd.DataFrame(
        {
            "order_id": np.char.add("o", np.arange(rows).astype(str)),
            "customer_id": np.char.add("c", cust.astype(str)),
            "order_ts": (start + secs).astype("datetime64[us]"),
            "amount": rng.gamma(2.0, 25.0, rows).round(2),
        }
    ).to_parquet(path, index=False)


def task(name: str, path: Path) -> dict:
    if name == "metrics":
        return metric_set(path)
    tx = pd.read_parquet(path)
    end = tx.order_ts.max().normalize()
    t0 = time.perf_counter()
    if name == "lifetimes":
        from lifetimes.utils import summary_data_from_transaction_data

        out = summary_data_from_transaction_data(
            tx, "customer_id", "order_ts", monetary_value_col="amount",
            observation_period_end=end,
        )
        n = len(out)
    else:
        from loyalscope.data.dataset import Dataset
        from loyalscope.metrics.summary import customer_summary

        ds = Dataset.from_frames({"transactions": tx})
        t0 = time.perf_counter()  # the upload is not part of the measure
        n = len(customer_summary(ds, observation_end=end.date()).execute())
    secs = time.perf_counter() - t0
    peak_mb = peak_rss_mib()
    return {"task": name, "seconds": round(secs, 3), "rows_out": n, "peak_mb": round(peak_mb)}


def metric_set(path: Path) -> dict:
    """Every computable metric, monthly, on the transactions loaded straight from Parquet into
    DuckDB (no pandas copy: the peak memory is the engine's and the metrics'). The load is not
    timed; intermediate tables the metrics share are built inside the timed part."""
    from loyalscope import engine
    from loyalscope.data.dataset import Dataset
    from loyalscope.metrics import REGISTRY, compute

    con = engine.connect()
    tx = con.create_table("transactions", con.read_parquet(str(path)))
    ds = Dataset.from_tables(con, {"transactions": tx})
    t0 = time.perf_counter()
    n = 0
    for mid, m in REGISTRY.items():
        if not ds.missing(m.requires):
            n += len(compute(ds, mid, period="month"))
    secs = time.perf_counter() - t0
    peak_mb = peak_rss_mib()
    return {"task": "metrics", "seconds": round(secs, 3), "rows_out": n, "peak_mb": round(peak_mb)}


SIZES = {"full": (10_000_000, 1_000_000), "small": (200_000, 20_000)}


def bench(rows: int, customers: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tx.parquet"
        make(rows, customers, path)
        results: dict = {}
        for name in ("summary", "lifetimes", "metrics"):
            out = subprocess.run(
                [sys.executable, __file__, "--task", name, "--path", str(path)],
                capture_output=True, text=True, check=True,
            )
            results[name] = json.loads(out.stdout.strip().splitlines()[-1])
    results["rows"], results["customers"] = rows, customers
    results["summary_speedup_vs_lifetimes"] = round(
        results["lifetimes"]["seconds"] / results["summary"]["seconds"], 2
    )
    return results


def run(size: str) -> str:
    rows, customers = SIZES[size]
    r = bench(rows, customers)
    speed = r["summary_speedup_vs_lifetimes"]
    m = r["metrics"]
    return "\n".join([
        "## Customer summary and metric set (`bench_summary.py`)",
        "",
        f"{rows:,} synthetic transactions, {customers:,} customers, DuckDB in-process. "
        "Summary and lifetimes start from the same pandas frame; the metric set starts from the "
        "Parquet file loaded straight into DuckDB (no pandas copy), computes every metric of "
        "`loyalscope metrics list` the transactions allow, monthly, and its peak memory is the "
        "whole child process (engine, shared intermediate tables, results).",
        "",
        "| task | seconds | peak MiB |",
        "|---|---|---|",
        *(f"| {k} | {r[k]['seconds']} | {r[k]['peak_mb']} |"
          for k in ("summary", "lifetimes", "metrics")),
        "",
        f"Summary speed-up vs lifetimes: {speed}x (target >= 6x at 10M rows: "
        f"{'met' if speed >= 6 else 'not met'}). Metric set: {m['seconds']} s, "
        f"{m['peak_mb']} MiB (target < 30 s and < 4096 MiB: "
        f"{'met' if m['seconds'] < 30 and m['peak_mb'] < 4096 else 'not met'}).",
        "",
    ])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--customers", type=int, default=10_000)
    ap.add_argument("--task")
    ap.add_argument("--path")
    args = ap.parse_args()
    if args.task:
        print(json.dumps(task(args.task, Path(args.path))))
        return
    print(json.dumps(bench(args.rows, args.customers), indent=1))


if __name__ == "__main__":
    main()
