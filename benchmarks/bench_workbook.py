"""The workbook writer at 100k scored customers: ours (``report/excel.py``: xlsxwriter for the
sheets, data rows streamed by ``report/xlsx_rows.py``) with the customer sheet capped as shipped
(the 20,000 of highest CLV) and uncapped (all rows, to compare the cost per cell), against the
openpyxl writer it replaced (pandas ``to_excel``, all rows).

``run(size)`` (``python -m benchmarks.run --only workbook``) returns the Markdown section;
``python benchmarks/bench_workbook.py --customers N --writer ours|openpyxl`` prints JSON.
Each writer runs in its own subprocess so that its peak memory (VmHWM) is its own.
Target (issue 14 item 2): well under the 17 s openpyxl needed for 100k customer rows.
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


def customers(n: int, seed: int = 0) -> pd.DataFrame:
    """A scored-customer table shaped like customers.parquet (ids, scores, segment ids)."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "customer_id": np.char.add("C", np.arange(n).astype(str)),
        "p_alive": rng.random(n), "expected_purchases": rng.gamma(1.0, 1.0, n),
        "expected_spend": rng.gamma(5.0, 60.0, n), "clv": rng.gamma(1.0, 70.0, n),
        "predicted_spend": rng.gamma(1.0, 250.0, n), "potential": rng.normal(0, 300, n),
        "loyalty_type": rng.choice(["inertia", "value", "price", "unclassified"], n),
        "r": rng.integers(1, 6, n), "f": rng.integers(1, 6, n), "m": rng.integers(1, 6, n),
        "rfm_segment": rng.choice(["champions", "loyal", "at_risk", "lost"], n),
        "loyalty_index": rng.random(n) * 100, "excellent_tier": rng.choice(["A", "B", "C"], n),
        "churn_probability": rng.random(n),
    })


def one(n: int, writer: str) -> dict[str, float]:
    from loyalscope.analysis import Analysis
    from loyalscope.config import AnalysisConfig
    from loyalscope.report.excel import write_excel

    frame = customers(n)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "book.xlsx"
        t0, c0 = time.perf_counter(), time.process_time()
        if writer in ("ours", "ours-all"):
            from loyalscope.report import excel

            if writer == "ours-all":
                excel.MAX_CUSTOMER_ROWS = n  # every row, to compare the cost per cell
            write_excel(Analysis([], AnalysisConfig(), customers=frame), path, "zh")
        else:
            with pd.ExcelWriter(path, engine="openpyxl") as w:
                frame.to_excel(w, sheet_name="customers", index=False)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        size = path.stat().st_size
    return {"seconds": seconds, "cpu_seconds": cpu, "peak_mib": peak_rss_mib(), "mib": size / 2**20}


def run(size: str) -> str:
    n = 100_000 if size == "full" else 5_000
    rows = []
    for writer in ("ours", "ours-all", "openpyxl"):
        out = subprocess.run([sys.executable, __file__, "--customers", str(n), "--writer", writer],
                             capture_output=True, text=True, check=True)
        rows.append((writer, json.loads(out.stdout.strip().splitlines()[-1])))
    ours, base = rows[1][1], rows[2][1]
    lines = [
        "## Workbook (report/excel.py)",
        "",
        f"{n:,} scored customers: `ours` writes the customer sheet as shipped (the 20,000 of highest CLV "
        "and a caption; every customer is in customers.csv), `ours-all` every row; both add the summary "
        "and number sheets, number formats, frozen header, filter and widths; `openpyxl` every row, "
        "nothing else.",
        "",
        "| writer | seconds | peak MiB | file MiB |",
        "|---|---:|---:|---:|",
        *[f"| {w} | {r['seconds']:.2f} | {r['peak_mib']:.0f} | {r['mib']:.1f} |" for w, r in rows],
        "",
        f"Speed-up per row written (ours-all against openpyxl) {base['seconds'] / ours['seconds']:.1f}x.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--writer", default="ours", choices=["ours", "ours-all", "openpyxl"])
    args = parser.parse_args()
    print(json.dumps(one(args.customers, args.writer)))
