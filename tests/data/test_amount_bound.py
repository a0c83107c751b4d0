"""Amounts of 1e14 or more are quarantined, with the file's text: the money sums are
DECIMAL(18, 4), below 1e14, and an amount of 5e14 (a typo, or 5e10 in 万元) made the whole load
fail with DuckDB's "Could not cast value ... to DECIMAL(18,4)" where the limit said 1e15."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import loyalscope as ls
from loyalscope.metrics import compute

NOW = pd.Timestamp("2024-12-31")
ROWS = [("A1", "C1", "2024-01-02", "10.5"), ("A2", "C2", "2024-01-03", "999999999999999"),
        ("A3", "C1", "2024-02-03", "500000000000000"), ("A4", "C3", "2024-03-03", "99999999999999.5"),
        ("A5", "C2", "2024-03-09", "-300000000000000")]


@pytest.mark.parametrize("extra", ["", "1,234.5"])  # plain numbers only, or one to clean
def test_amounts_of_1e14_or_more_are_quarantined_not_a_crash(tmp_path: Path, extra: str) -> None:
    rows = [*ROWS, ("A6", "C4", "2024-03-10", f'"{extra}"')] if extra else ROWS
    path = tmp_path / "transactions.csv"
    path.write_text("order_id,customer_id,order_ts,amount\n" + "\n".join(",".join(r) for r in rows) + "\n",
                    encoding="utf-8")
    ds = ls.load(path, now=NOW)
    raw = pd.read_csv(path, dtype=str)
    amount = pd.to_numeric(raw.amount.str.replace(",", ""))
    big = amount.abs() >= 1e14
    rep = ds.quality.tables["transactions"]
    assert (rep.rows_read, rep.rows_accepted, rep.rows_quarantined) == (len(raw), (~big).sum(), big.sum())
    q = ds.quality.quarantine
    assert q.value.tolist() == raw.amount[big].tolist() and q.line.tolist() == [i + 2 for i in raw.index[big]]
    assert all("1e14" in d for d in q.detail)
    got = ds.table("transactions").to_pandas()
    assert got.amount.sum() == pytest.approx(amount[~big].sum())
    assert compute(ds, "orders", "month").value.sum() == (~big).sum()  # the money sums run
