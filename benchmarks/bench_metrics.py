"""Customer summary and the full metric set vs lifetimes, on synthetic transactions.

Usage (from the repository root)::

    PYTHONPATH=src python benchmarks/bench_metrics.py --rows 10000000 --customers 1000000

Each task runs in its own subprocess so that its peak memory (ru_maxrss) is its own; pin the
cores with ``taskset -c 0,1`` to reproduce the 2-core target. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


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
        from loyalscope.metrics import REGISTRY, compute
        from loyalscope.metrics.summary import customer_summary

        ds = Dataset.from_frames({"transactions": tx})
        t0 = time.perf_counter()  # the upload is not part of the measure
        if name == "summary":
            n = len(customer_summary(ds, observation_end=end.date()).execute())
        else:
            n = 0
            for mid, m in REGISTRY.items():
                if not ds.missing(m.requires):
                    n += len(compute(ds, mid, period="month"))
    secs = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"task": name, "seconds": round(secs, 3), "rows_out": n, "peak_mb": round(peak_mb)}


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
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tx.parquet"
        make(args.rows, args.customers, path)
        results = {}
        for name in ("summary", "lifetimes", "metrics"):
            out = subprocess.run(
                [sys.executable, __file__, "--task", name, "--path", str(path)],
                capture_output=True, text=True, check=True,
            )
            results[name] = json.loads(out.stdout.strip().splitlines()[-1])
    results["rows"], results["customers"] = args.rows, args.customers
    results["summary_speedup_vs_lifetimes"] = round(
        results["lifetimes"]["seconds"] / results["summary"]["seconds"], 2
    )
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
