"""The data section shows a refund report's status values and which rows were counted as returns."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import loyalscope as ls
from loyalscope.report.html import render_html
from loyalscope.results import Table


def test_refund_statuses_are_listed_with_their_rows_in_both_languages(tmp_path: Path) -> None:
    (tmp_path / "orders.csv").write_text(
        "order_id,customer_id,order_ts,amount\nA1,C1,2024-01-05,10\nA2,C2,2024-01-06,20\n"
        "A3,C1,2024-02-06,30\n", encoding="utf-8")
    (tmp_path / "refunds.csv").write_text(
        "订单编号,退款的申请时间,买家退款金额,退款状态\nA1,2024-01-09,10,退款成功\nA2,2024-01-10,5,退款关闭\n"
        "A3,2024-02-10,30,退款关闭\n", encoding="utf-8")
    ds = ls.load(tmp_path, now=pd.Timestamp("2025-01-01"))
    an = ls.analyze(ds, sections=("data",))
    data = next(s for s in an.sections if s.id == "data")
    assert data.data["return_statuses"] == [
        {"value": "退款关闭", "class": "not_return", "orders": 2},
        {"value": "退款成功", "class": "return", "orders": 1}]
    table = next(b for b in data.blocks if isinstance(b, Table) and b.title == "data_section.return_statuses")
    assert table.frame["orders"].sum() == 3  # every row of the file, the counted and the others
    assert data.data["orders_summary"]["returns"] == 1  # the one return that is a return
    assert data.data["orders_summary"]["returns_amount"] == 10.0
    zh, en = render_html(an, "zh"), render_html(an, "en")
    assert "出现的退货/退款状态" in zh and "不计为退货（申请已关闭、撤销或被拒绝）" in zh
    assert "which rows are returns" in en and "not a return (closed, withdrawn or refused request)" in en
    assert "not_return" not in zh and "not_return" not in en  # the class is worded, not its id
