"""A purchase log without order ids (customer, date, amount: CDNOW's transactions) is read with
each row one order, named by its file and line; an order-line file still needs its order id."""

from __future__ import annotations

import pandas as pd
import pytest

from loyalscope.data.load import load
from loyalscope.errors import SchemaError


def _cdnow(data_dir) -> pd.DataFrame:
    tx = pd.read_csv(data_dir / "cdnow_sample_transactions.txt", sep=r"\s+", header=None,
                     names=["master_id", "customer_id", "date", "cds", "amount"], dtype={"date": str})
    tx["order_ts"] = pd.to_datetime(tx.date, format="%Y%m%d")
    return tx


def test_each_row_of_a_purchase_log_is_one_order(tmp_path, data_dir):
    tx = _cdnow(data_dir)
    path = tmp_path / "purchases.csv"
    tx[["customer_id", "order_ts", "amount"]].to_csv(path, index=False)
    ds = load(path)
    rep = ds.quality.tables["transactions"]
    assert rep.rows_read == len(tx) == rep.rows_accepted and rep.rows_quarantined == 0
    assert any("No order id column" in n or "没有订单号列" in n for n in rep.notes)
    orders = ds.table("transactions", "order_id", "customer_id", "amount").to_pandas()
    assert len(orders) == len(tx) and orders.order_id.is_unique
    # the id names the row: file and physical line (the header is line 1)
    first = orders.set_index("order_id").loc["purchases.csv:2"]
    assert str(first.customer_id) == str(tx.customer_id.iloc[0])
    assert first.amount == pytest.approx(tx.amount.iloc[0])
    assert ds.quality.orders["customers"] == tx.customer_id.nunique() == 2357
    assert ds.quality.orders["gross_revenue"] == pytest.approx(round(tx.amount.sum(), 2), abs=0.005)


def test_an_order_line_file_still_needs_its_order_id(tmp_path):
    path = tmp_path / "lines.csv"
    pd.DataFrame({"customer_id": ["a", "a", "b"], "order_ts": ["2024-01-02"] * 3,
                  "product_id": ["p1", "p2", "p1"], "amount": [1.0, 2.0, 3.0]}).to_csv(path, index=False)
    with pytest.raises(SchemaError) as err:
        load({"transactions": str(path)})
    assert err.value.column == "order_id"
