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


def test_a_purchase_log_with_quantity_and_category_is_transactions(tmp_path):
    """Kaggle's E-commerce Customer Behavior shape (Customer ID, Purchase Date, Product Category,
    Product Price, Quantity, Total Purchase Amount, ... no order id) was taken for a customers
    file (Customer ID, Age, Gender) and every purchase column went unused: a quantity or a
    category made the order id required. Now each row is one purchase, with the note."""
    path = tmp_path / "purchases.csv"  # (the real file name says "customer": the name decides)
    frame = pd.DataFrame({
        "Customer ID": [44605, 44605, 13738, 33969], "Purchase Date": [
            "2023-05-03 21:30:02", "2021-05-16 13:57:44", "2020-01-19 10:12:35", "2023-03-04 14:06:28"],
        "Product Category": ["Home", "Electronics", "Books", "Home"], "Product Price": [177, 174, 413, 396],
        "Quantity": [1, 3, 1, 5], "Total Purchase Amount": [2427, 2448, 1390, 3557],
        "Payment Method": ["PayPal", "Credit Card", "Cash", "PayPal"], "Customer Age": [31, 31, 63, 43],
        "Returns": [1.0, 1.0, 0.0, None], "Customer Name": ["John Rivera", "John Rivera", "Sam Lee", "Ann Wu"],
        "Age": [31, 31, 63, 43], "Gender": ["Female", "Female", "Male", "Female"], "Churn": [0, 0, 1, 0]})
    frame.to_csv(path, index=False)
    ds = load(path)
    rep = ds.quality.tables["transactions"]
    assert rep.mapping["amount"] == "Total Purchase Amount" and rep.mapping["quantity"] == "Quantity"
    assert rep.rows_accepted == 4 and any("No order id column" in n or "没有订单号列" in n for n in rep.notes)
    assert ds.quality.orders["orders_total"] == 4 and ds.quality.orders["customers"] == 3
    assert ds.quality.orders["gross_revenue"] == pytest.approx(frame["Total Purchase Amount"].sum())


def test_order_items_beside_need_the_order_id(tmp_path):
    """Order items join their orders on the id: without it the orders file names the column."""
    orders = tmp_path / "orders.csv"
    pd.DataFrame({"customer_id": ["a", "b"], "order_ts": ["2024-01-02", "2024-01-03"]}).to_csv(orders, index=False)
    items = tmp_path / "order_items.csv"
    pd.DataFrame({"order_id": ["o1", "o2"], "product_id": ["p1", "p2"], "price": [1.0, 2.0]}).to_csv(items, index=False)
    with pytest.raises(SchemaError) as err:
        load(tmp_path)
    assert err.value.column == "order_id"
