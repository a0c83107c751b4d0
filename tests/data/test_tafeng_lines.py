"""Ta Feng grocery lines (ACM RecSys's Ta Feng data set as Kaggle's
``ta_feng_all_months_merged.csv``: TRANSACTION_DT, CUSTOMER_ID, AGE_GROUP, PIN_CODE,
PRODUCT_SUBCLASS, PRODUCT_ID, AMOUNT, ASSET, SALES_PRICE; one row per product line, no basket id).

Before, the file was read as a *customers* table (TRANSACTION_DT was no known time, so no
purchase log qualified): 353 of 393 rows quarantined as duplicate customers, no order read.
Had the time been known, AMOUNT (the number of items) would have been read as the money. Now the
header is recognised (preset ``tafeng``, said in a note), SALES_PRICE is the amount, AMOUNT the
quantity, PRODUCT_SUBCLASS the category, and the lines of one customer on one day are one
basket. The header is the published one; the rows are made here (shape only; see
tests/data/README.md).
"""

from __future__ import annotations

import random
from pathlib import Path

import pandas as pd
import pytest

import loyalscope as ls
from loyalscope.config import AnalysisConfig
from loyalscope.errors import SchemaError
from loyalscope.i18n import t, use_lang

HEADER = ["TRANSACTION_DT", "CUSTOMER_ID", "AGE_GROUP", "PIN_CODE", "PRODUCT_SUBCLASS",
          "PRODUCT_ID", "AMOUNT", "ASSET", "SALES_PRICE"]
NOW = pd.Timestamp("2001-03-01")


def _lines(path: Path) -> pd.DataFrame:
    rng = random.Random(3)
    rows = []
    for c in range(1, 61):
        days = sorted({(rng.choice([11, 12, 1, 2]), rng.randint(1, 28)) for _ in range(rng.randint(1, 6))})
        for month, day in days:
            year = 2000 if month > 10 else 2001
            for _ in range(rng.randint(1, 5)):
                qty, price = rng.randint(1, 3), rng.randint(20, 300)
                rows.append([f"{month}/{day}/{year}", 1_000_000 + c, rng.choice("ABCDEFGHIJ"),
                             rng.choice(["E", "F", "G"]), rng.randint(100_000, 130_000),
                             4_710_000_000_000 + rng.randint(1, 9_999), qty, int(price * qty * 0.8),
                             price * qty])
    frame = pd.DataFrame(rows, columns=HEADER)
    frame.to_csv(path, index=False)
    return frame


def test_ta_feng_lines_are_baskets_of_the_right_money(tmp_path: Path) -> None:
    raw = _lines(tmp_path / "ta_feng_all_months_merged.csv")
    with use_lang("en"):
        ds = ls.load(tmp_path / "ta_feng_all_months_merged.csv", now=NOW)
    assert set(ds.quality.tables) == {"transactions"}
    rep = ds.quality.tables["transactions"]
    assert (rep.rows_read, rep.rows_accepted, rep.rows_quarantined) == (len(raw), len(raw), 0)
    assert rep.mapping == {"customer_id": "CUSTOMER_ID", "order_ts": "TRANSACTION_DT",
                           "amount": "SALES_PRICE", "product_id": "PRODUCT_ID",
                           "category": "PRODUCT_SUBCLASS", "quantity": "AMOUNT"}
    assert any("Headers of a tafeng export" in n for n in rep.notes)
    assert any("the rows of one customer at one time" in n for n in rep.notes)
    # independently: a basket is a customer's lines of one day
    raw["day"] = pd.to_datetime(raw.TRANSACTION_DT, format="%m/%d/%Y")
    baskets = raw.groupby(["CUSTOMER_ID", "day"]).agg(sales=("SALES_PRICE", "sum"),
                                                      items=("AMOUNT", "sum"), lines=("PRODUCT_ID", "size"))
    tx = ds.table("transactions", "customer_id", "order_ts", "amount", "quantity").to_pandas()
    assert len(tx) == len(baskets)
    got = tx.assign(CUSTOMER_ID=tx.customer_id.astype("int64"), day=tx.order_ts) \
        .set_index(["CUSTOMER_ID", "day"]).sort_index()
    assert got.amount.tolist() == pytest.approx(baskets.sales.astype(float).tolist())
    assert got.quantity.tolist() == pytest.approx(baskets["items"].astype(float).tolist())
    lines = ds.table("order_lines", "category").to_pandas()
    assert len(lines) == len(raw) and lines.category.notna().all()


def test_a_product_log_with_times_groups_only_equal_times(tmp_path: Path) -> None:
    """Lines of one customer a second apart are two orders; a line without a customer is its own."""
    path = tmp_path / "lines.csv"
    path.write_text("customer_id,order_ts,product_id,amount\n"
                    "C1,2024-01-02 10:00:00,P1,5\nC1,2024-01-02 10:00:00,P2,7\n"
                    "C1,2024-01-02 10:00:01,P3,1\n,2024-01-02 10:00:00,P1,2\n,2024-01-02 10:00:00,P2,3\n",
                    encoding="utf-8")
    ds = ls.load(path, now=pd.Timestamp("2025-01-01"))
    orders = ds.table("orders").to_pandas().sort_values("order_id")[["order_id", "amount"]]
    assert orders.values.tolist() == [["lines.csv:2", 12.0], ["lines.csv:4", 1.0],
                                      ["lines.csv:5", 2.0], ["lines.csv:6", 3.0]]


ORIGINAL = "日期;會員卡號;年齡;區域;商品分類;商品編碼;數量;成本;銷售"


def test_the_original_monthly_files_in_traditional_chinese(tmp_path: Path) -> None:
    """The files as ACM RecSys distributed them: D11, D12, D01, D02 (no extension), Big5,
    semicolons, a Traditional Chinese header (日期;會員卡號;...;數量;成本;銷售) and times
    written as 00:00:00. Before, neither the files (no extension: 'unsupported input') nor
    the header (Traditional characters matched no alias) could be read; a folder of them
    said only 'No table was found', without naming the files it skipped."""
    folder = tmp_path / "TaFengDataSet"
    folder.mkdir()
    raw = _lines(tmp_path / "merged.csv")
    raw["day"] = pd.to_datetime(raw.TRANSACTION_DT, format="%m/%d/%Y")
    for name, month in (("D11", 11), ("D12", 12), ("D01", 1), ("D02", 2)):
        part = raw[raw.day.dt.month == month].drop(columns="TRANSACTION_DT")
        out = part.assign(date=part.day.dt.strftime("%Y-%m-%d 00:00:00"))[
            ["date", *HEADER[1:]]]
        out.columns = ORIGINAL.split(";")
        out.to_csv(folder / name, sep=";", index=False, encoding="big5")
    (folder / "README.TXT").write_text("Ta Feng data set\nD11: November 2000 ...\n", encoding="ascii")
    # files named anything are not guessed in a folder (copies would double the orders): the
    # error lists them, and the fix's [data.files] line reads them
    with use_lang("en"), pytest.raises(SchemaError) as err:
        ls.load(folder, now=NOW)
    assert "D01" in err.value.message and "[data.files]" in (err.value.fix or "")
    cfg = folder / "loyalscope.toml"
    cfg.write_text('[data.files]\ntransactions = "D??"\n', encoding="utf-8")
    with use_lang("en"):
        ds = ls.load(folder, now=NOW, config=AnalysisConfig.load(cfg))
    rep = ds.quality.tables["transactions"]
    assert (rep.rows_read, rep.rows_accepted) == (len(raw), len(raw))
    assert rep.mapping == {"customer_id": "會員卡號", "order_ts": "日期", "amount": "銷售",
                           "product_id": "商品編碼", "category": "商品分類", "quantity": "數量"}
    assert {f["encoding"] for f in rep.to_dict()["files"]} == {"big5"}
    baskets = raw.groupby(["CUSTOMER_ID", "day"]).SALES_PRICE.sum()
    tx = ds.table("transactions").to_pandas()
    assert len(tx) == len(baskets)
    assert tx.amount.sum() == pytest.approx(float(baskets.sum()))


def test_a_folder_of_unnamed_files_says_which_files_it_did_not_read(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (tmp_path / "y.csv").write_text("c,d\n1,2\n", encoding="utf-8")
    with use_lang("en"), pytest.raises(SchemaError) as err:
        ls.load(tmp_path)
    assert "Files not read:" in err.value.message and "x.csv" in err.value.message
    assert "y.csv" in err.value.message


def test_escaped_braces_of_a_message_without_placeholders() -> None:
    assert "a {table: frame} dict" in t("data.sources.unsupported_fix", "en")


def test_unnamed_files_beside_a_named_one_stay_unread(tmp_path: Path) -> None:
    """Copies of the orders (backup_1.csv, backup_2.csv) beside orders.csv are not read."""
    text = "order_id,customer_id,order_ts,amount\nO1,C1,2024-01-02,10\nO2,C2,2024-01-03,12\n"
    for name in ("orders.csv", "backup_1.csv", "backup_2.csv"):
        (tmp_path / name).write_text(text, encoding="utf-8")
    ds = ls.load(tmp_path, now=pd.Timestamp("2025-01-01"))
    assert ds.quality.tables["transactions"].rows_read == 2
