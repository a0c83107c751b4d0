"""A purchase log whose date is a day number: dunnhumby's The Complete Journey
(``transaction_data.csv``: household_key, BASKET_ID, DAY 1-711, SALES_VALUE, TRANS_TIME as
HHMM ...), read as a user meets it: first the mapping error, then the day numbers, then
``[data] day_one``. The header is the real file's; the rows are made here (see
tests/data/README.md: dunnhumby's terms do not allow copying its rows)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import loyalscope as ls
from loyalscope.cli import app
from loyalscope.config import AnalysisConfig
from loyalscope.errors import DataQualityError, SchemaError
from loyalscope.i18n import use_lang

HEADER = ("household_key,BASKET_ID,DAY,PRODUCT_ID,QUANTITY,SALES_VALUE,STORE_ID,RETAIL_DISC,"
          "TRANS_TIME,WEEK_NO,COUPON_DISC,COUPON_MATCH_DISC")
runner = CliRunner()


@pytest.fixture(autouse=True)
def _english():
    with use_lang("en"):
        yield


def _journey(folder: Path) -> pd.DataFrame:
    """Forty households' baskets over days 1-711, several lines a basket (its rows as pandas
    reads them, for the independent computations)."""
    rows = []
    basket = 26984851472
    for h in range(1, 41):
        day = 1 + (h * 7) % 60
        while day <= 711:
            basket += 1
            for k in range(1 + (h + day) % 4):
                qty = 1 + k % 3
                rows.append([h, basket, day, 800000 + 37 * k + h, qty, round(0.99 * qty + 0.37 * k, 2),
                             364 + h % 3, -0.3 if k == 1 else 0, f"{(day * 13) % 24:02d}{k * 7:02d}",
                             (day - 1) // 7 + 1, 0, 0])
            day += 11 + (h * day) % 50
    frame = pd.DataFrame(rows, columns=HEADER.split(","))
    frame.to_csv(folder / "transaction_data.csv", index=False)
    return pd.read_csv(folder / "transaction_data.csv", dtype={"TRANS_TIME": str})


def _config(folder: Path, text: str) -> AnalysisConfig:
    path = folder / "loyalscope.toml"
    path.write_text(text, encoding="utf-8")
    return AnalysisConfig.load(path)


def test_the_mapping_error_offers_the_day_column_and_maps_the_rest(tmp_path: Path) -> None:
    _journey(tmp_path)
    with pytest.raises(SchemaError) as err:
        ls.load(tmp_path / "transaction_data.csv")
    # household_key, BASKET_ID and SALES_VALUE are read by their names; only the time is asked for
    assert err.value.column == "order_ts"
    assert "Plausible headers for order_ts: DAY, TRANS_TIME" in err.value.message
    assert 'order_ts = "DAY"' in err.value.fix


def test_day_numbers_without_day_one_are_quarantined_and_the_error_says_why(tmp_path: Path) -> None:
    raw = _journey(tmp_path)
    cfg = _config(tmp_path, '[mapping.transactions]\norder_ts = "DAY"\n')
    ds = ls.load(tmp_path / "transaction_data.csv", config=cfg)
    rep = ds.quality.tables["transactions"]
    assert (rep.rows_read, rep.rows_accepted) == (len(raw), 0)
    # never read as Excel serials (DAY 18 would be 1900-01-17) nor epoch seconds
    q = ds.quality.quarantine
    assert set(q.reason) == {"unparseable"} and set(q.column) == {"order_ts"}
    assert q.detail.str.contains("a day number, not a date: set day_one under [data]", regex=False).all()
    # a purchase log with a customer column, not an order report without buyer ids
    assert ds.quality.no_customer_reason is None
    out = tmp_path / "out"
    res = runner.invoke(app, ["analyze", str(tmp_path), "--out", str(out), "--json", "--lang", "en"])
    assert res.exit_code != 0
    error = json.loads(res.stdout)
    assert error["error"] == "DataQualityError"
    assert f"{len(raw):,} of the {len(raw):,} rows for the same reason, the first at line 2" in error["message"]
    assert "day_one" in error["message"] and (out / "quarantine.csv").exists()
    with pytest.raises(DataQualityError, match="day number"):
        ls.analyze(ds)


def test_day_one_reads_day_n_as_day_one_plus_n_minus_one(tmp_path: Path) -> None:
    raw = _journey(tmp_path)
    cfg = _config(tmp_path, '[data]\nday_one = 2019-03-04\n[mapping.transactions]\norder_ts = "DAY"\n')
    ds = ls.load(tmp_path / "transaction_data.csv", config=cfg)
    assert ds.quality.tables["transactions"].rows_accepted == len(raw)
    lines = ds.table("order_lines").execute()
    want = raw.assign(ts=pd.Timestamp("2019-03-04") + pd.to_timedelta(raw.DAY - 1, unit="D"))
    got = lines.assign(order_id=lines.order_id.astype(str)).groupby("order_id").order_ts.first()
    expected = want.assign(order_id=want.BASKET_ID.astype(str)).groupby("order_id").ts.first()
    pd.testing.assert_series_equal(got.sort_index(), expected.sort_index(), check_names=False,
                                   check_dtype=False)
    tx = ds.table("transactions").execute()
    assert len(tx) == raw.BASKET_ID.nunique()
    assert tx.customer_id.nunique() == raw.household_key.nunique()
    assert tx.amount.sum() == pytest.approx(raw.SALES_VALUE.sum(), abs=1e-6)
    assert tx.order_ts.min() == pd.Timestamp("2019-03-04") + pd.Timedelta(days=int(raw.DAY.min()) - 1)
    assert tx.order_ts.max() == pd.Timestamp("2019-03-04") + pd.Timedelta(days=int(raw.DAY.max()) - 1)


def test_day_numbers_in_a_typed_column_and_other_numeric_dates_unchanged(tmp_path: Path) -> None:
    frame = pd.DataFrame({"order_id": ["a", "b", "c", "d"], "customer_id": ["x", "x", "y", "y"],
                          "order_ts": [1, 711, 20240105, 45000], "amount": [1.0, 2.0, 3.0, 4.0]})
    frame.to_parquet(tmp_path / "transactions.parquet")
    cfg = AnalysisConfig.load(None, **{"data.day_one": date(2019, 1, 1)})
    ds = ls.load(tmp_path / "transactions.parquet", config=cfg, now=pd.Timestamp("2026-01-01"))
    got = ds.table("transactions").execute().set_index("order_id").order_ts.sort_index()
    assert got.tolist() == [pd.Timestamp("2019-01-01"), pd.Timestamp("2020-12-11"),
                            pd.Timestamp("2024-01-05"), pd.Timestamp("2023-03-15")]
    # without day_one a typed number column is not read as dates at all (seconds? days?), as before
    with pytest.raises(SchemaError, match="holds number values, but order_ts needs timestamp"):
        ls.load(tmp_path / "transactions.parquet", now=pd.Timestamp("2026-01-01"))
    # as text, the same numbers: yyyymmdd and the Excel serial read as before, day numbers set aside
    frame.assign(order_ts=frame.order_ts.astype(str)).to_csv(tmp_path / "transactions.csv", index=False)
    plain = ls.load(tmp_path / "transactions.csv", now=pd.Timestamp("2026-01-01"))
    kept = plain.table("transactions").execute().set_index("order_id").order_ts.sort_index()
    assert kept.tolist() == [pd.Timestamp("2024-01-05"), pd.Timestamp("2023-03-15")]
    q = plain.quality.quarantine
    assert sorted(q.value) == ["1", "711"] and q.detail.str.contains("a day number").all()


def test_every_missing_column_in_one_error(tmp_path: Path) -> None:
    (tmp_path / "transactions.csv").write_text(
        "household_key,BASKET_ID,DAY,SALE_VALUE\n1,10,5,2.5\n", encoding="utf-8")
    with pytest.raises(SchemaError) as err:
        ls.load(tmp_path / "transactions.csv")
    assert "Also missing: 'amount'." in err.value.message
    assert "Plausible headers for order_ts: DAY." in err.value.message
    assert "Plausible headers for amount: SALE_VALUE." in err.value.message
    assert err.value.fix.endswith('[mapping.transactions]\norder_ts = "DAY"\namount = "SALE_VALUE"')


def test_the_household_file_is_the_customers_file(tmp_path: Path) -> None:
    """hh_demographic.csv (household_key and banded demographics, for some households only)
    is read as the customers: transactions of the other households are counted as orphans."""
    raw = _journey(tmp_path)
    with_demo = sorted(raw.household_key.unique())[::3]
    pd.DataFrame({"AGE_DESC": "25-34", "MARITAL_STATUS_CODE": "A", "INCOME_DESC": "35-49K",
                  "HOMEOWNER_DESC": "Homeowner", "HH_COMP_DESC": "2 Adults Kids", "HOUSEHOLD_SIZE_DESC": "3",
                  "KID_CATEGORY_DESC": "1", "household_key": with_demo}).to_csv(
        tmp_path / "hh_demographic.csv", index=False)
    _config(tmp_path, '[data]\nday_one = 2019-01-01\n[mapping.transactions]\norder_ts = "DAY"\n')
    ds = ls.load(tmp_path, config=AnalysisConfig.load(tmp_path / "loyalscope.toml"))
    assert ds.quality.tables["customers"].rows_accepted == len(with_demo)
    assert ds.quality.tables["customers"].mapping["customer_id"] == "household_key"
    orders = raw.drop_duplicates("BASKET_ID")
    assert ds.quality.tables["transactions"].orphans == int((~orders.household_key.isin(with_demo)).sum())


def test_the_product_file_gives_the_lines_their_departments(tmp_path: Path) -> None:
    """product.csv (PRODUCT_ID, DEPARTMENT ...) is the products file, and without order items
    it completes the categories of the purchase log's own lines: cross-selling had none.
    A line whose product is not in the file keeps no category, counted in the join report."""
    raw = _journey(tmp_path)
    ids = sorted(raw.PRODUCT_ID.unique())
    known = ids[: len(ids) - 5]  # five products missing from the catalogue
    departments = ["GROCERY", "DRUG GM", "PRODUCE", "MEAT", "DELI"]
    pd.DataFrame({"PRODUCT_ID": known, "MANUFACTURER": 69,
                  "DEPARTMENT": [departments[i % 5] for i in range(len(known))], "BRAND": "Private",
                  "COMMODITY_DESC": "X", "SUB_COMMODITY_DESC": "Y", "CURR_SIZE_OF_PRODUCT": "12 OZ"}
                 ).to_csv(tmp_path / "product.csv", index=False)
    # a file whose name holds "product" with more words is not taken for it
    (tmp_path / "product_notes.txt").write_text("not data\n", encoding="utf-8")
    _config(tmp_path, '[data]\nday_one = 2019-01-01\n[mapping.transactions]\norder_ts = "DAY"\n')
    ds = ls.load(tmp_path, config=AnalysisConfig.load(tmp_path / "loyalscope.toml"))
    assert ds.quality.tables["products"].mapping == {"product_id": "PRODUCT_ID", "category": "DEPARTMENT"}
    catalogue = pd.read_csv(tmp_path / "product.csv").set_index("PRODUCT_ID").DEPARTMENT
    expected = raw.assign(category=raw.PRODUCT_ID.map(catalogue))
    join = ds.quality.tables["transactions"].joins[0]
    assert (join["matched"], join["unmatched"]) == (int(expected.category.notna().sum()),
                                                    int(expected.category.isna().sum()))
    got = ds.table("order_lines", "order_id", "product_id", "category").to_pandas()
    assert len(got) == len(raw)
    got_counts = got.category.fillna("-").value_counts().sort_index()
    assert got_counts.to_dict() == expected.category.fillna("-").value_counts().sort_index().to_dict()
