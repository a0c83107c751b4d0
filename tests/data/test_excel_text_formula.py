"""Fields written as Excel's text formula ``="..."`` are read as their text.

淘宝 / 天猫 order exports and many CRM exports write long ids as ``="2866419049426417"`` (and
member numbers with leading zeros as ``="00600001"``) so that Excel keeps them as text. Every such
line was quarantined as ``malformed_line`` (a quote inside an unquoted field).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import loyalscope as ls

ORDERS = (
    "订单编号,买家会员名,订单创建时间,买家实际支付金额,备注\n"
    '="2866419049426417",="00600001",2024-02-01 10:00:00,100.50,\n'
    '="2866419049426418",00600002,="2024-02-02 11:00:00",88,"送货上门, 谢谢"\n'
    '="2866419049426419",="00600001",2024-03-01 09:30:00,="20.00",="A ""quoted"" note"\n'
)


def test_text_formula_fields_are_their_text(tmp_path: Path) -> None:
    (tmp_path / "订单.csv").write_bytes(ORDERS.encode("gb18030"))
    ds = ls.load(tmp_path, now=pd.Timestamp("2025-01-01"))
    rep = ds.quality.tables["transactions"]
    assert (rep.rows_read, rep.rows_accepted, rep.rows_quarantined) == (3, 3, 0)
    got = ds.table("transactions", "order_id", "customer_id", "order_ts", "amount").to_pandas()
    got = got.sort_values("order_id").reset_index(drop=True)
    assert got.order_id.tolist() == ["2866419049426417", "2866419049426418", "2866419049426419"]
    assert got.customer_id.tolist() == ["00600001", "00600002", "00600001"]  # leading zeros kept
    assert got.amount.tolist() == [100.5, 88.0, 20.0]
    assert str(got.order_ts[1]) == "2024-02-02 11:00:00"


def test_a_stray_equals_quote_is_still_malformed(tmp_path: Path) -> None:
    (tmp_path / "transactions.csv").write_text(
        'order_id,customer_id,order_ts,amount\nA1,C1,2024-01-05,10\nA2,C="x",2024-01-06,12\n', encoding="utf-8")
    ds = ls.load(tmp_path, now=pd.Timestamp("2025-01-01"))
    q = ds.quality.quarantine
    assert q.line.tolist() == [3] and q.reason.tolist() == ["malformed_line"]
