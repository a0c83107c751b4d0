"""A returns sheet that only lists returned orders (no return date) is dated by its orders.

The shape of Tableau's "Sample - Superstore" workbook: sheets Orders (order lines), Returns
(``Returned`` = Yes, ``Order ID``; one row per returned line, so order ids repeat: counted once,
in a note, no longer quarantined as duplicate keys) and People.
The load stopped on the Returns sheet ("no header matches the required column 'return_ts'"),
so nothing of the workbook could be analysed. Checked on the real workbook: 296 returned
orders, 180,504.28 returned, net revenue 2,144,948.21 (pandas on the same sheets agrees).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import loyalscope as ls

ORDERS = pd.DataFrame({
    "Row ID": [1, 2, 3, 4, 5, 6],
    "Order ID": ["CA-1", "CA-1", "CA-2", "CA-3", "CA-3", "CA-4"],
    "Order Date": ["2021-01-05", "2021-01-05", "2021-02-06", "2021-03-07", "2021-03-07", "2021-04-08"],
    "Customer ID": ["AB-1", "AB-1", "CD-2", "AB-1", "AB-1", "EF-3"],
    "Product ID": ["P-1", "P-2", "P-1", "P-3", "P-1", "P-2"],
    "Sales": [10.5, 4.5, 20.0, 7.25, 2.75, 30.0],
    "Quantity": [1, 2, 1, 3, 1, 2],
})
RETURNS = pd.DataFrame({
    "Returned": ["Yes", "Yes", "Yes", "No", "Yes"],
    "Order ID": ["CA-1", "CA-1", "CA-3", "CA-4", "CA-9"],  # CA-1 twice (two lines), CA-9 unknown
})


def _workbook(folder: Path) -> Path:
    path = folder / "Superstore.xlsx"
    with pd.ExcelWriter(path) as xl:
        ORDERS.to_excel(xl, sheet_name="Orders", index=False)
        RETURNS.to_excel(xl, sheet_name="Returns", index=False)
        pd.DataFrame({"Person": ["X"], "Region": ["West"]}).to_excel(xl, sheet_name="People", index=False)
    return path


def test_returned_orders_take_their_orders_date_and_amount(tmp_path: Path) -> None:
    ds = ls.load(_workbook(tmp_path), now=pd.Timestamp("2025-01-01"))
    rep = ds.quality.tables["returns"]
    assert rep.rows_read == rep.rows_accepted + rep.rows_quarantined == 5
    q = ds.quality.quarantine
    q = q[q.table == "returns"]
    # CA-1's second row (line 3) is its second returned line, not a wrong row: one return, a note
    assert sorted(zip(q.reason, q.line, strict=True)) == [("missing_required", 6)]
    assert any("1 rows of the returns list repeat an order listed before (the first at line 3" in n
               for n in rep.notes)
    assert q[q.reason == "missing_required"].column.tolist() == ["return_ts"]
    assert {s["value"]: s["class"] for s in rep.statuses} == {"No": "not_return", "Yes": "return"}
    assert any("dated by its order" in n for n in rep.notes)

    # independently: a return is a listed order id marked Yes, found in the orders, once
    orders = ORDERS.groupby("Order ID").agg(ts=("Order Date", "first"), amount=("Sales", "sum"),
                                            customer=("Customer ID", "first"))
    listed = RETURNS[RETURNS.Returned == "Yes"]["Order ID"].drop_duplicates()
    expected = orders.loc[[i for i in listed if i in orders.index]]
    got = ds.table("returns", "order_id", "return_ts", "amount", "customer_id").to_pandas()
    got = got.sort_values("order_id").reset_index(drop=True)
    assert got.order_id.tolist() == expected.index.tolist() == ["CA-1", "CA-3"]
    assert got.amount.tolist() == expected.amount.tolist() == [15.0, 10.0]
    assert [d.date().isoformat() for d in got.return_ts] == expected.ts.tolist()
    assert got.customer_id.tolist() == expected.customer.tolist()
    o = ds.quality.orders
    assert o["returns"] == 2 and o["returns_amount"] == 25.0
    assert o["net_revenue"] == ORDERS.Sales.sum() - 25.0


def test_a_returns_file_with_dates_is_not_redated(tmp_path: Path) -> None:
    (tmp_path / "orders.csv").write_text(
        "order_id,customer_id,order_ts,amount\nA1,C1,2024-01-05,10\nA2,C2,2024-01-06,20\n", encoding="utf-8")
    (tmp_path / "returns.csv").write_text("order_id,return_ts,amount\nA1,2024-02-01,4\n", encoding="utf-8")
    ds = ls.load(tmp_path, now=pd.Timestamp("2025-01-01"))
    got = ds.table("returns", "order_id", "return_ts", "amount").to_pandas()
    assert got.return_ts.dt.date.astype(str).tolist() == ["2024-02-01"] and got.amount.tolist() == [4.0]
    assert not any("dated by its order" in n for n in ds.quality.tables["returns"].notes)
