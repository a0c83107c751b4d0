"""Values the shapes judge per row (a return's date, a line file's order time and amount): an
unreadable one is quarantined with the reason validation found, and an empty return date is
dated by its order, never kept as a return of no date.

Before: a returns file's date that could not be read (``sometime``) or was left empty was
accepted with no date, without a note, and every period's return figures left that return out;
a line file's unreadable order time or amount was quarantined with only "cannot read 'x' as
timestamp", where validation knew why (not a date; a day number, set day_one ...).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import loyalscope as ls
from loyalscope.i18n import t, use_lang

NOW = pd.Timestamp("2025-01-01")
ORDERS = pd.DataFrame({
    "order_id": ["O1", "O2", "O3", "O4", "O5"],
    "customer_id": ["C1", "C2", "C1", "C3", "C2"],
    "order_ts": ["2024-01-05 10:00:00", "2024-02-06 11:00:00", "2024-03-07 12:00:00",
                 "2024-04-08 13:00:00", "2024-05-09 14:00:00"],
    "amount": [10.5, 20.0, 7.25, 30.0, 12.0],
})
RETURNS = pd.DataFrame({
    "order_id": ["O1", "O2", "O3", "O4", "O9"],
    "return_ts": ["2024-01-09 09:00:00", "sometime", "", "2024-04-20 08:00:00", ""],
    "amount": ["10.5", "5", "", "30", "4"],
})


def _folder(tmp_path: Path) -> Path:
    ORDERS.to_csv(tmp_path / "transactions.csv", index=False)
    RETURNS.to_csv(tmp_path / "returns.csv", index=False)
    return tmp_path


def test_an_unreadable_return_date_is_quarantined_and_an_empty_one_dated_by_its_order(
        tmp_path: Path) -> None:
    with use_lang("en"):
        ds = ls.load(_folder(tmp_path), now=NOW)
    rep = ds.quality.tables["returns"]
    assert rep.rows_read == rep.rows_accepted + rep.rows_quarantined == 5
    q = ds.quality.quarantine
    q = q[q.table == "returns"].sort_values("line")
    # line 3: O2's "sometime"; line 6: O9's empty date, whose order is unknown
    assert list(zip(q.line, q.reason, q.column, q.value, strict=True)) == [
        (3, "unparseable", "return_ts", "sometime"), (6, "missing_required", "return_ts", None)]
    assert t("data.validate.why_not_date", "en") in q.detail.iloc[0]
    assert any("2 returns have no return date (the first at line 4)" in n for n in rep.notes)

    # independently: a readable date is kept, an empty one is its order's date, and a return
    # without an amount of its own takes its order's amount
    orders = ORDERS.set_index("order_id")
    keep = RETURNS[RETURNS.order_id.isin(["O1", "O3", "O4"])].copy()
    empty = keep.return_ts == ""
    keep.loc[empty, "return_ts"] = keep.loc[empty, "order_id"].map(orders.order_ts)
    keep["amount"] = [float(a) if a else orders.amount[o] for o, a in zip(keep.order_id, keep.amount,
                                                                          strict=True)]
    got = ds.table("returns", "order_id", "return_ts", "amount").to_pandas().sort_values("order_id")
    assert got.order_id.tolist() == keep.order_id.tolist()
    assert got.return_ts.tolist() == pd.to_datetime(keep.return_ts).tolist()
    assert got.amount.tolist() == pytest.approx(keep.amount.tolist())


def test_a_line_files_unreadable_values_say_why(tmp_path: Path) -> None:
    lines = pd.DataFrame({
        "order_id": ["O1", "O1", "O2", "O3", "O3"],
        "customer_id": ["C1", "C1", "C2", "C3", "C3"],
        "order_ts": ["2024-01-05", "2024-01-05", "yesterday", "2024-03-07", "2024-03-07"],
        "product_id": ["P1", "P2", "P1", "P3", "P1"],
        "quantity": [1, 2, 1, 1, 1],
        "amount": ["10", "4", "20", "7", "12 apples"],
    })
    lines.to_csv(tmp_path / "transactions.csv", index=False)
    for lang in ("en", "zh_CN"):
        with use_lang(lang):
            ds = ls.load(tmp_path, now=NOW)
        q = ds.quality.quarantine
        q = q[q.table == "transactions"].sort_values("line")
        # O2's time and O3's second amount; O3's first line goes with its order (no value)
        assert list(zip(q.line, q.column, q.value, strict=True)) == [
            (4, "order_ts", "yesterday"), (5, "amount", None), (6, "amount", "12 apples")]
        assert (q.reason == "unparseable").all()
        details = dict(zip(q.line, q.detail, strict=True))
        assert t("data.validate.why_not_date", lang) in details[4]
        assert t("data.validate.why_not_number", lang) in details[6]
        assert ds.table("transactions", "order_id").to_pandas().order_id.tolist() == ["O1"]


def test_two_refunds_of_one_order_are_two_returns(tmp_path: Path) -> None:
    """A refund report names each refund (淘宝 / 天猫: 退款编号): an order refunded twice (two
    items, two dates) was read as one return, the second quarantined as a duplicate key. Without
    refund ids, only the same order, time and amount twice is a repeat."""
    ORDERS.to_csv(tmp_path / "transactions.csv", index=False)
    pd.DataFrame({"退款编号": ["R1", "R2", "R2"], "订单编号": ["O1", "O1", "O1"],
                  "退款的申请时间": ["2024-01-09 09:00:00", "2024-01-20 10:00:00", "2024-01-20 10:00:00"],
                  "买家退款金额": [4.0, 6.5, 6.5]}).to_csv(tmp_path / "退款.csv", index=False)
    ds = ls.load(tmp_path, now=NOW)
    rep = ds.quality.tables["returns"]
    assert rep.mapping["return_id"] == "退款编号"
    assert (rep.rows_read, rep.rows_accepted, rep.rows_quarantined) == (3, 2, 1)
    q = ds.quality.quarantine
    assert q[q.table == "returns"][["line", "reason"]].values.tolist() == [[4, "duplicate_key"]]
    got = ds.table("returns").to_pandas().sort_values("return_ts")
    assert got.amount.tolist() == [4.0, 6.5]
    # without the refund id column: the two different refunds stay, the exact repeat does not
    pd.read_csv(tmp_path / "退款.csv").drop(columns="退款编号").to_csv(tmp_path / "退款.csv", index=False)
    ds = ls.load(tmp_path, now=NOW)
    assert ds.table("returns").to_pandas().amount.sort_values().tolist() == [4.0, 6.5]
    assert ds.quality.tables["returns"].rows_quarantined == 1
