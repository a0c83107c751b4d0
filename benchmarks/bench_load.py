"""Loading and validating transactions on DuckDB: ``ls.load`` on a CSV and a Parquet file.

``run(size)`` (called by ``python -m benchmarks.run --only load``) returns the Markdown section;
``python benchmarks/bench_load.py --rows N`` prints JSON. The file is generated on disk by
DuckDB (a few messy rows included: a stray quote, a bad amount, a duplicate order; CSV also
in a shop export's spelling: ``2022/3/5 7:08:09`` and ``"¥12,345.50"``), each load
runs in its own subprocess so its peak memory (VmHWM) is its own, and the file is deleted
afterwards. The out-of-core run sets DuckDB's ``memory_limit`` to 4 GB.
Targets (issue #10): 10M rows, CSV and Parquet, < 10 s and < 2 GB on 2 cores; 100M rows with
``memory_limit = '4GB'`` completing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

try:
    from benchmarks.memory import peak_rss_mib
except ModuleNotFoundError:  # run as a script: benchmarks/ is on sys.path
    from memory import peak_rss_mib  # type: ignore[no-redef]


def make(rows: int, folder: Path, fmt: str, style: str = "plain") -> Path:
    """``transactions.<fmt>`` with ``rows`` data rows (customers = rows / 10). ``style``
    "plain": ISO times and plain amounts; "export": a Chinese shop export's spelling of the same
    values, times like ``2022/3/5 7:08:09`` and amounts like ``"¥12,345.50"`` (quoted: commas)."""
    import duckdb

    path = folder / f"transactions.{fmt}"
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = true")
    ts_format, amount = "%Y-%m-%d %H:%M:%S", "round(({a} / 1000.0) + 1, 2)::VARCHAR"
    if style == "export":
        ts_format, amount = "%Y/%-m/%-d %-H:%M:%S", "'¥' || format('{{:,.2f}}', ({a} / 10.0) + 1)"
    query = f"""
        SELECT 'o' || i AS order_id, 'c' || (hash(i) % {max(rows // 10, 1)}) AS customer_id,
               strftime(TIMESTAMP '2022-01-01' + to_seconds((hash(i * 7) % 63072000)::BIGINT),
                        '{ts_format}') AS order_ts,
               {amount.format(a="(hash(i * 13) % 100000)")} AS amount
        FROM range({rows}) t(i)
    """
    if fmt == "csv":
        con.execute(f"COPY ({query}) TO '{path}' (HEADER, DELIMITER ',')")
        with path.open("a", encoding="utf-8") as fh:  # messy rows: all must be accounted for
            fh.write('x1,"c1,2024-01-06,20\nx2,c2,2024-01-06,12元34\no1,c3,2024-01-07,5\n')
    else:
        con.execute(f"COPY ({query}) TO '{path}' (FORMAT parquet)")
    con.close()
    return path


def task(path: Path, memory_limit: str | None) -> dict:
    import pandas as pd

    import loyalscope as ls
    from loyalscope import engine

    con = engine.connect()
    if memory_limit:
        con.raw_sql(f"SET memory_limit = '{memory_limit}'")
        con.raw_sql(f"SET temp_directory = '{path.parent / 'spill'}'")
    t0 = time.perf_counter()
    ds = ls.load({"transactions": path}, con=con, now=pd.Timestamp("2030-01-01"))
    secs = time.perf_counter() - t0
    rep = ds.quality.tables["transactions"]
    assert rep.check_invariant()
    return {"seconds": round(secs, 2), "peak_mb": round(peak_rss_mib()),
            "rows_read": rep.rows_read, "accepted": rep.rows_accepted,
            "quarantined": rep.rows_quarantined, "lines": rep.lines_read}


def bench(rows: int, fmt: str, memory_limit: str | None = None, style: str = "plain") -> dict:
    with tempfile.TemporaryDirectory(dir=os.environ.get("LS_BENCH_TMP")) as tmp:
        # the compiled-SQL cache warm, as on any run after the first: a 1,000-row file of the
        # same shape is loaded first, in a cache folder of this run's own
        env = {**os.environ, "LOYALSCOPE_CACHE_DIR": str(Path(tmp) / "sql-cache")}
        (Path(tmp) / "warm").mkdir()
        warm = make(1_000, Path(tmp) / "warm", fmt, style)
        subprocess.run([sys.executable, __file__, "--task", str(warm)], capture_output=True,
                       text=True, check=True, env=env)
        path = make(rows, Path(tmp), fmt, style)
        size_mb = path.stat().st_size / 2**20
        cmd = [sys.executable, __file__, "--task", str(path)]
        if memory_limit:
            cmd += ["--memory-limit", memory_limit]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
        result = json.loads(out.stdout.strip().splitlines()[-1])
    return {"rows": rows, "format": fmt if style == "plain" else f"{fmt} ({style})",
            "file_mb": round(size_mb), **result, "memory_limit": memory_limit}


SIZES = {"full": 10_000_000, "small": 200_000}
LIMIT = "1200MB"
"""DuckDB ``memory_limit`` of the second run of each format (``[engine] memory_limit``)."""


def load_avg() -> str:
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def run(size: str) -> str:
    rows = SIZES[size]
    results = [bench(rows, fmt, limit) for fmt in ("csv", "parquet") for limit in (None, LIMIT)]
    results.append(bench(rows, "csv", LIMIT, style="export"))  # real exports' spelling
    if size == "full" and os.environ.get("LS_BENCH_100M"):
        results.append(bench(100_000_000, "csv", memory_limit="4GB"))
    lines = [
        "## Loading and validating transactions (`bench_load.py`)",
        "",
        "`ls.load` of one transactions file on DuckDB (read by the engine, records assembled, "
        "values parsed, checks and quarantine as engine expressions, accepted rows stored as a "
        "table). The compiled-SQL cache is warm (a 1,000-row file of the same shape is loaded "
        f"first; cold adds ~1 s). Load average before the run: {load_avg()}.",
        "",
        "| rows | format | file MiB | memory limit | seconds | peak MiB | accepted | quarantined |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(f"| {r['rows']:,} | {r['format']} | {r['file_mb']} | {r['memory_limit'] or '-'} "
                     f"| {r['seconds']} | {r['peak_mb']} | {r['accepted']:,} | {r['quarantined']:,} |")
    lines.append("")
    for fmt in ("csv", "parquet"):
        runs = [r for r in results if r["format"] == fmt and r["rows"] == rows]
        met = [r for r in runs if r["seconds"] < 10 and r["peak_mb"] < 2048]
        how = (f"met with memory limit {met[0]['memory_limit'] or 'default'}" if met
               else "not met")
        lines.append(f"Target for {fmt} (10M rows, < 10 s and < 2048 MiB in the same run): {how} "
                     f"at this size ({rows:,} rows).")
    lines.append("")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--format", default="csv")
    ap.add_argument("--memory-limit", default=None)
    ap.add_argument("--style", default="plain", choices=["plain", "export"])
    ap.add_argument("--task")
    args = ap.parse_args()
    if args.task:
        print(json.dumps(task(Path(args.task), args.memory_limit)))
        return
    print(json.dumps(bench(args.rows, args.format, args.memory_limit, args.style), indent=1))


if __name__ == "__main__":
    main()
