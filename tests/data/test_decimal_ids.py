"""Identifiers written as decimals (``13085.0``) are the customers they number.

UCI's Online Retail II as most people have it (Kaggle's ``online_retail_II.csv``) is the workbook
saved by pandas: ``Customer ID`` has empty cells, so pandas holds it as floats and writes
``13085.0``. The same customers in a sheet or a Parquet file are read as ``13085``: a folder
with the CSV and a customers sheet joined nothing, every customer of the sheet had no order and
every order's customer was unknown. The CSV here is the real excerpt of Online Retail (I) (same
shop, same invoices for December 2010; tests/data/README.md) written exactly so: Online Retail
II's header and the customer column through pandas' float ``to_csv``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import loyalscope as ls
from loyalscope.config import AnalysisConfig

EXCERPT = Path(__file__).parent / "real" / "online_retail" / "online_retail_2010-12_excerpt.csv"
NOW = pd.Timestamp("2011-01-01")
II = {"InvoiceNo": "Invoice", "UnitPrice": "Price", "CustomerID": "Customer ID"}


def _online_retail_ii(folder: Path) -> pd.DataFrame:
    """The excerpt as Kaggle's Online Retail II CSV: renamed columns, float customer ids."""
    raw = pd.read_csv(EXCERPT, dtype={"InvoiceNo": str, "StockCode": str, "CustomerID": float})
    raw.rename(columns=II).to_csv(folder / "online_retail_II.csv", index=False)
    text = (folder / "online_retail_II.csv").read_text()
    assert ",17850.0," in text or ".0,United Kingdom" in text  # pandas wrote decimals
    return raw


def _load(folder: Path) -> ls.Dataset:
    return ls.load(folder, config=AnalysisConfig(), now=NOW)


def test_decimal_customer_ids_read_as_the_whole_numbers_with_a_note(tmp_path: Path) -> None:
    raw = _online_retail_ii(tmp_path)
    ds = _load(tmp_path)
    got = ds.table("transactions", "customer_id").to_pandas().customer_id.dropna()
    assert not got.str.contains(".", regex=False).any()
    expected = {str(int(c)) for c in raw.CustomerID.dropna()}
    sold = raw[raw.Quantity > 0]
    assert set(got) == {str(int(c)) for c in sold.CustomerID.dropna()} <= expected
    notes = ds.quality.tables["transactions"].notes
    note = next(n for n in notes if "decimal numbers" in n)
    first = raw.CustomerID.dropna().iloc[0]
    line = int(raw.CustomerID.first_valid_index()) + 2
    assert f"{first:.1f} on line {line}" in note and f"({int(first)})" in note, note


def test_decimal_ids_match_a_sheets_number_cells(tmp_path: Path) -> None:
    raw = _online_retail_ii(tmp_path)
    ids = sorted({int(c) for c in raw.CustomerID.dropna()})
    pd.DataFrame({"Customer ID": ids, "Country": ["United Kingdom"] * len(ids)}).to_excel(
        tmp_path / "customers.xlsx", index=False)
    ds = _load(tmp_path)
    q = ds.quality.tables
    assert q["transactions"].orphans == 0
    cust = ds.table("customers", "customer_id").to_pandas().customer_id
    assert sorted(cust) == sorted(str(i) for i in ids)
    # every customer with a sale has orders: the join holds
    per = ds.table("transactions", "customer_id", "amount").to_pandas().groupby("customer_id").amount.sum()
    d = raw[raw.Quantity > 0].assign(v=lambda f: f.Quantity * f.UnitPrice)
    want = d.dropna(subset=["CustomerID"]).groupby(d.CustomerID.dropna().astype(int).astype(str)).v.sum()
    assert per.sort_index().round(2).to_dict() == want.sort_index().round(2).to_dict()


@pytest.mark.parametrize("values", [["A1", "12.0", "13.0"], ["12.5", "13.0"], ["12", "13.0"]])
def test_ids_not_all_decimals_are_read_as_written(tmp_path: Path, values: list[str]) -> None:
    rows = ["order_id,customer_id,order_ts,amount",
            *[f"O{i},{v},2010-01-0{i + 1},5" for i, v in enumerate(values)]]
    (tmp_path / "orders.csv").write_text("\n".join(rows) + "\n")
    ds = _load(tmp_path)
    assert sorted(ds.table("transactions", "customer_id").to_pandas().customer_id) == sorted(values)
    assert not any("decimal numbers" in n for n in ds.quality.tables["transactions"].notes)


def test_a_later_value_of_another_form_is_read_as_written(tmp_path: Path) -> None:
    from loyalscope.data.forms import SAMPLE

    n = SAMPLE + 10  # the sample is all decimals; the last rows are not
    rows = ["order_id,customer_id,order_ts,amount",
            *[f"O{i},{i % 997}.0,2010-01-01,5" for i in range(n)], f"O{n},C-9,2010-01-02,5",
            f"O{n + 1},12.50,2010-01-02,5"]
    (tmp_path / "orders.csv").write_text("\n".join(rows) + "\n")
    ids = _load(tmp_path).table("transactions", "order_id", "customer_id").to_pandas()
    ids = ids.set_index("order_id").customer_id
    assert ids["O0"] == "0" and ids[f"O{n - 1}"] == str((n - 1) % 997)
    assert ids[f"O{n}"] == "C-9" and ids[f"O{n + 1}"] == "12.50"
