"""A file named like customers whose columns are orders' (``data/sources.py``).

Kaggle's Istanbul "customer_shopping_data.csv" (invoice_no, customer_id, gender, age, category,
quantity, price, payment_method, invoice_date, shopping_mall: one row per purchase) was read as
customers from its name: its repeat buyers' rows were quarantined as duplicate customers and no
purchase was read. The tests build that shape (the public copies state no licence).
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pandas as pd
import pytest

import loyalscope as ls
from loyalscope.config import AnalysisConfig
from loyalscope.i18n import use_lang

HEAD = ["invoice_no", "customer_id", "gender", "age", "category", "quantity", "price",
        "payment_method", "invoice_date", "shopping_mall"]
NOW = pd.Timestamp("2023-06-01")


def _shopping(path: Path, rows: int = 600) -> pd.DataFrame:
    rng = random.Random(7)
    data = [[f"I{100001 + i}", f"C{rng.randint(1, 150)}", rng.choice(["Male", "Female"]),
             rng.randint(18, 69), rng.choice(["Clothing", "Shoes", "Books"]), rng.randint(1, 5),
             round(rng.uniform(5, 3000), 2), rng.choice(["Cash", "Credit Card"]),
             f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/202{rng.randint(1, 2)}",
             rng.choice(["Kanyon", "Zorlu Center"])] for i in range(rows)]
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows([HEAD, *data])
    return pd.DataFrame(data, columns=HEAD)


@pytest.mark.parametrize("name", ["customer_shopping_data.csv", "customer_purchases.csv", "会员消费记录.csv"])
def test_a_purchase_file_named_like_customers_is_read_as_orders(tmp_path: Path, name: str) -> None:
    raw = _shopping(tmp_path / name)
    with use_lang("en"):
        ds = ls.load(tmp_path / name, now=NOW)
    assert set(ds.quality.tables) == {"transactions"}
    rep = ds.quality.tables["transactions"]
    assert (rep.rows_read, rep.rows_accepted, rep.rows_quarantined) == (600, 600, 0)
    assert any("Named like a customers file, but its columns are those of orders" in n
               and f'customers = "{name}"' in n for n in rep.notes)
    # the numbers of an independent reading: price is the unit price
    got = ds.table("transactions").execute()
    assert got["amount"].sum() == pytest.approx((raw["quantity"] * raw["price"]).sum())
    assert got["customer_id"].nunique() == raw["customer_id"].nunique()


def test_customer_orders_is_named_like_orders(tmp_path: Path) -> None:
    """The last word names the table (customer_orders: orders of customers), so no note."""
    raw = _shopping(tmp_path / "customer_orders.csv")
    with use_lang("en"):
        ds = ls.load(tmp_path / "customer_orders.csv", now=NOW)
    rep = ds.quality.tables["transactions"]
    assert rep.rows_accepted == len(raw)
    assert not any("Named like a customers file" in n for n in rep.notes)


def test_the_same_file_in_a_folder(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    raw = _shopping(tmp_path / "in" / "customer_orders.csv")
    ds = ls.load(tmp_path / "in", now=NOW)
    assert set(ds.quality.tables) == {"transactions"}
    assert ds.quality.tables["transactions"].rows_accepted == len(raw)


def test_read_as_customers_when_mapped_so(tmp_path: Path) -> None:
    raw = _shopping(tmp_path / "customer_shopping_data.csv")
    cfg = AnalysisConfig.load(None, **{"data.files": {"customers": "customer_shopping_data.csv"}})
    ds = ls.load(tmp_path / "customer_shopping_data.csv", config=cfg, now=NOW)
    rep = ds.quality.tables["customers"]
    assert set(ds.quality.tables) == {"customers"}
    assert rep.rows_accepted == raw["customer_id"].nunique()
    assert dict(rep.reasons) == {"duplicate_key": len(raw) - raw["customer_id"].nunique()}


def test_a_customer_list_with_spend_columns_stays_customers(tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    rows = [["Customer ID", "Name", "Email", "Signup Date", "Last Order Date", "Total Spent",
             "Orders Count"]]
    rows += [[f"C{i}", f"N{i}", f"n{i}@x.org", "2022-01-05", "2023-02-01", f"{10 * i}.5", str(i)]
             for i in range(1, 41)]
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    ds = ls.load(path, now=NOW)
    assert set(ds.quality.tables) == {"customers"}
    assert ds.quality.tables["customers"].rows_accepted == 40
    assert not any("Named like" in n for n in ds.quality.tables["customers"].notes)


def test_beside_an_orders_file_it_stays_customers(tmp_path: Path) -> None:
    """A folder that has an orders file: the file named like customers is not taken for a
    second one (its columns are kept as the customers table would read them)."""
    (tmp_path / "in").mkdir()
    _shopping(tmp_path / "in" / "customer_purchases.csv")
    _shopping(tmp_path / "in" / "orders.csv")
    ds = ls.load(tmp_path / "in", now=NOW)
    assert set(ds.quality.tables) == {"customers", "transactions"}
