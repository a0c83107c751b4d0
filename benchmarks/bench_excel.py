"""Reading spreadsheets: python-calamine (our intake) vs fastexcel vs openpyxl.

``run(size)`` (``python -m benchmarks.run --only excel``) returns the Markdown section. One
workbook of ``rows`` x 8 columns (ids, Chinese names, datetimes, amounts, text) is written with
openpyxl's write-only mode, then read by each reader in its own forked process (peak memory is
that process's VmHWM). Readers:

- ``intake``: ``loyalscope.data.intake.stage`` (python-calamine, header detection, string
  cells, Parquet written in batches): what ``loyalscope.load`` does;
- ``calamine``: python-calamine's rows as Python objects, nothing else;
- ``fastexcel``: fastexcel (calamine in Rust -> Arrow), when installed;
- ``openpyxl``: openpyxl read-only ``iter_rows(values_only=True)``;
- ``pandas+openpyxl``: ``pd.read_excel(engine="openpyxl", dtype=object)``, the reader before.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

try:
    from benchmarks.memory import measure
except ModuleNotFoundError:  # run as a script
    from memory import measure  # type: ignore[no-redef]

SIZES = {"small": 20_000, "full": 200_000}


def make(path: Path, rows: int) -> None:
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("订单")
    ws.append(["订单编号", "客户编号", "客户名称", "下单时间", "金额", "数量", "渠道", "备注"])
    names = ["张三", "李四", "王五", "赵六", "陈七"]
    start = dt.datetime(2023, 1, 1)
    for i in range(rows):
        ws.append([f"SO{i:08d}", f"C{i % 5000:05d}", names[i % 5], start + dt.timedelta(minutes=i),
                   round(10 + (i * 7919 % 100000) / 100, 2), i % 7 + 1, "线上" if i % 3 else "门店",
                   "" if i % 4 else "加急"])
    wb.save(path)


def _readers(path: Path) -> dict[str, Callable[[], Any]]:
    def intake() -> None:
        from loyalscope.data.intake import stage

        stage(path)

    def calamine() -> None:
        import python_calamine as pc

        wb = pc.CalamineWorkbook.from_path(str(path))
        for _ in wb.get_sheet_by_name("订单").iter_rows():
            pass

    def fastexcel() -> None:
        import fastexcel as fx

        fx.read_excel(str(path)).load_sheet_by_name("订单").to_arrow()

    def openpyxl_ro() -> None:
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True)
        for _ in wb["订单"].iter_rows(values_only=True):
            pass

    def pandas_openpyxl() -> None:
        import pandas as pd

        pd.read_excel(path, dtype=object, engine="openpyxl")

    out: dict[str, Callable[[], Any]] = {"intake": intake, "calamine": calamine}
    try:
        import fastexcel as _  # noqa: F401

        out["fastexcel"] = fastexcel
    except ImportError:
        pass
    out["openpyxl"] = openpyxl_ro
    out["pandas+openpyxl"] = pandas_openpyxl
    return out


def run(size: str) -> str:
    import pandas  # noqa: F401

    import loyalscope.data.intake.excel  # noqa: F401  imported before the fork: not timed

    rows = SIZES[size]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "orders.xlsx"
        make(path, rows)
        mb = path.stat().st_size / 2**20
        results = {name: measure(fn) for name, fn in _readers(path).items()}
    base = results["openpyxl"][0]
    lines = [
        "## Spreadsheets: python-calamine vs openpyxl",
        "",
        f"One .xlsx sheet of {rows:,} rows x 8 columns ({mb:.1f} MiB); each reader in its own "
        "process. `intake` is the whole staging step of `loyalscope.load` (calamine, header "
        "detection, string cells, Parquet).",
        "",
        "| reader | seconds | x openpyxl | peak MiB |",
        "|---|---:|---:|---:|",
    ]
    for name, (sec, peak) in results.items():
        lines.append(f"| {name} | {sec:.2f} | {base / sec:.1f}x | {peak:.0f} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import sys

    print(run(sys.argv[1] if len(sys.argv) > 1 else "small"))
