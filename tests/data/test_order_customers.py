"""An order whose lines name different customers is quarantined whole, never given to one.

Found in a real export: Tableau's "Sample - Superstore" order lines (orders CA-2021-121465 and
CA-2022-130494, four lines each naming customers HO-15231 ... HO-15234 of one name). Aggregating
lines to orders kept the smallest id and three customers vanished without a word (804
customers in the file, 801 in the report).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import loyalscope as ls

LINES = """order_id,customer_id,order_ts,product_id,amount
O1,C1,2024-01-05,P1,10.5
O1,C1,2024-01-05,P2,4.5
O2,C2,2024-01-06,P1,20
O2,C3,2024-01-06,P3,7.25
O2,C2,2024-01-06,P4,1
O3,C4,2024-02-06,P1,30
O3,,2024-02-06,P2,3
"""


def test_lines_naming_two_customers_quarantine_their_order(tmp_path: Path) -> None:
    (tmp_path / "transactions.csv").write_text(LINES, encoding="utf-8")
    ds = ls.load(tmp_path, now=pd.Timestamp("2025-01-01"))
    rep = ds.quality.tables["transactions"]
    assert rep.rows_read == rep.rows_accepted + rep.rows_quarantined == 7
    q = ds.quality.quarantine
    assert set(q.reason) == {"conflicting_values"}
    assert sorted(q.line) == [4, 5, 6]  # every line of O2 (header = line 1)
    assert set(q.column) == {"customer_id"} and sorted(q.value) == ["C2", "C2", "C3"]
    assert all("O2" in d and "C2" in d and "C3" in d for d in q.detail)

    raw = pd.read_csv(tmp_path / "transactions.csv", dtype=str, keep_default_na=False)
    ids = raw[raw.customer_id != ""].groupby("order_id").customer_id.nunique()
    kept = raw[raw.order_id.isin(ids[ids == 1].index)]  # a line without an id joins its order
    orders = ds.table("transactions", "order_id", "customer_id", "amount").to_pandas()
    assert sorted(orders.order_id) == sorted(kept.order_id.unique()) == ["O1", "O3"]
    assert dict(zip(orders.order_id, orders.customer_id, strict=True)) == {"O1": "C1", "O3": "C4"}
    assert orders.amount.sum() == kept.amount.astype(float).sum() == 48.0
    assert ds.quality.orders["orders_total"] == 2


def test_one_customer_per_order_quarantines_nothing(tmp_path: Path) -> None:
    text = "\n".join(line for line in LINES.splitlines() if ",C3," not in line) + "\n"
    (tmp_path / "transactions.csv").write_text(text, encoding="utf-8")
    ds = ls.load(tmp_path, now=pd.Timestamp("2025-01-01"))
    assert ds.quality.rows_quarantined == 0
    orders = ds.table("transactions", "order_id", "customer_id").to_pandas()
    assert dict(zip(orders.order_id, orders.customer_id, strict=True)) == {"O1": "C1", "O2": "C2", "O3": "C4"}
