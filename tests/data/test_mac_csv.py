"""A CSV saved by Excel for Mac as "CSV (Macintosh)": Mac Roman bytes, lines ended by CR alone.

The real file (tests/data/real/superstore_mac/sample-orders.csv, the Superstore orders of
github.com/joaolcorreia/RFM-analysis, Apache-2.0; see tests/data/README.md) holds names such as
``Neil Französisch`` and ``Peter Bühler`` as Mac Roman bytes 0x9A and 0x9F. Before, the file was
read as cp1252 with full confidence and the names came out as ``Franzšsisch`` and ``BŸhler``:
every such customer silently renamed. The repository also publishes its RFM table
(``rfm-table.csv``: orders and spend per customer, computed there with pandas), which the
numbers here are checked against.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import loyalscope as ls
from loyalscope.cli import app
from loyalscope.data.intake.encoding import decide

HERE = Path(__file__).parent / "real" / "superstore_mac"
ORDERS = HERE / "sample-orders.csv"
runner = CliRunner()


def test_the_file_is_mac_roman_with_cr_line_ends() -> None:
    raw = ORDERS.read_bytes()
    assert b"\n" not in raw and raw.count(b"\r") == 5_009  # what the file is (no line end after the last row)
    decision = decide(ORDERS)
    assert decision.name == "mac_roman"
    # the evidence counts the file's lines with non-ASCII bytes, not one line for the whole file
    assert "48 lines with non-ASCII bytes" in decision.evidence


@pytest.mark.parametrize(("text", "encoding"), [
    ("Müller;Größe;Bäcker;Köln", "mac_roman"), ("Müller;Größe;Bäcker;Köln", "cp1252"),
    ("Hélène;garçon;Noël;cœur", "mac_roman"), ("Hélène;garçon;Noël;cœur", "cp1252"),
    ("Peña;José Martínez;Ibáñez", "mac_roman"), ("Peña;José Martínez;Ibáñez", "cp1252"),
    ("São Paulo;João;Conceição", "mac_roman"), ("São Paulo;João;Conceição", "cp1252"),
    ("Ødegård;Åse Bjørn;Sæther", "mac_roman"), ("Ødegård;Åse Bjørn;Sæther", "cp1252"),
])
def test_western_european_names_decide_their_encoding(tmp_path: Path, text: str, encoding: str) -> None:
    rows = ["id,name,amount", *[f"{i},{w},{i}.5" for i, w in enumerate(text.split(";") * 3)]]
    path = tmp_path / "names.csv"
    path.write_bytes("\r\n".join(rows).encode(encoding))
    assert decide(path).name == encoding


@pytest.mark.parametrize("encoding", ["cp1252", "mac_roman"])
@pytest.mark.parametrize("amount", ["¥3.02", "€4.50", "12.00 €"])
def test_a_currency_sign_beside_digits_decides_the_encoding(tmp_path: Path, amount: str,
                                                            encoding: str) -> None:
    # one non-ASCII character in the file: read as ¥ / € in one encoding, as • / ´ / Û in the other
    rows = ["order_id,customer_id,order_ts,amount", "O1,c1,2024-01-01,7", f"O2,c2,2024-01-02,{amount}"]
    path = tmp_path / "orders.csv"
    path.write_bytes("\r\n".join(rows).encode(encoding))
    assert decide(path).name == encoding


def test_customers_orders_and_spend_equal_the_published_rfm_table() -> None:
    ds = ls.load(ORDERS, now=pd.Timestamp("2015-01-01"))
    rep = ds.quality.tables["transactions"]
    assert (rep.rows_read, rep.rows_accepted, rep.rows_quarantined) == (5_009, 5_009, 0)
    assert any("month-first" in n for n in rep.notes)  # 3/14/11 decides the order
    tx = ds.table("transactions", "customer_id", "order_id", "order_ts", "amount").to_pandas()
    got = tx.groupby("customer_id").agg(frequency=("order_id", "nunique"), monetary=("amount", "sum"))
    published = pd.read_csv(HERE / "rfm-table.csv", encoding="mac_roman").set_index("customer")
    assert sorted(got.index) == sorted(published.index)  # Französisch, Bühler, Häberlin included
    assert {"Neil Französisch", "Peter Bühler", "Anna Häberlin", "Resi Pölking"} <= set(got.index)
    got = got.loc[published.index]
    assert got.frequency.tolist() == published.frequency.tolist()
    assert got.monetary.tolist() == pytest.approx(published.monetary_value.astype(float).tolist())
    # the dates, m/d/yy: independently with pandas
    raw = pd.read_csv(ORDERS, encoding="mac_roman", lineterminator="\r")
    dates = pd.to_datetime(raw.order_date, format="%m/%d/%y")
    assert (tx.order_ts.min(), tx.order_ts.max()) == (dates.min(), dates.max())
    by_order = raw.assign(ts=dates).set_index("order_id").ts
    assert (tx.set_index("order_id").order_ts.sort_index() == by_order.sort_index()).all()


def test_the_scored_customers_carry_the_published_rfm_values(tmp_path: Path) -> None:
    """``customers.parquet`` holds the values its R, F and M scores rank (they were left out:
    a reader could not check a score), equal to the author's table; recency counts whole days
    from the last order to the day after the data's last order."""
    out = tmp_path / "out"
    result = runner.invoke(app, ["analyze", str(ORDERS), "--out", str(out), "--lang", "en"])
    assert result.exit_code == 0, result.output
    got = pd.read_parquet(out / "customers.parquet").set_index("customer_id")
    published = pd.read_csv(HERE / "rfm-table.csv", encoding="mac_roman").set_index("customer")
    got = got.loc[published.index]
    assert got.frequency.tolist() == published.frequency.tolist()
    assert got.monetary.tolist() == pytest.approx(published.monetary_value.astype(float).tolist())
    raw = pd.read_csv(ORDERS, encoding="mac_roman", lineterminator="\r")
    last = pd.to_datetime(raw.order_date, format="%m/%d/%y").groupby(raw.customer).max()
    as_of = last.max() + pd.Timedelta(days=1)
    assert got.recency_days.tolist() == pytest.approx((as_of - last.loc[published.index]).dt.days.tolist())
    # a higher R score never has a longer recency, a higher F score never fewer orders
    for score, value, sign in (("r", "recency_days", -1), ("f", "frequency", 1), ("m", "monetary", 1)):
        bounds = got.groupby(score)[value].agg(["min", "max"]).sort_index()
        if sign > 0:
            assert (bounds["max"].shift(1).dropna() <= bounds["min"].iloc[1:]).all()
        else:
            assert (bounds["min"].shift(1).dropna() >= bounds["max"].iloc[1:]).all()
