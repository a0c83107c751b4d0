"""Headers of widely used exports are recognised; shapes of Shopify line exports; advice kinds."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import loyalscope as ls
from loyalscope.cli import app
from loyalscope.data import mapping

SHOPIFY = ("Name,Email,Financial Status,Paid at,Fulfillment Status,Fulfilled at,Accepts Marketing,"
           "Currency,Subtotal,Shipping,Taxes,Total,Discount Code,Discount Amount,Shipping Method,"
           "Created at,Lineitem quantity,Lineitem name,Lineitem price,Lineitem compare at price,"
           "Lineitem sku,Lineitem requires shipping,Lineitem taxable,Lineitem fulfillment status,"
           "Billing Name,Refunded Amount,Id")


@pytest.mark.parametrize(("headers", "expect"), [
    (SHOPIFY.split(","), {"order_id": "Name", "customer_id": "Email", "order_ts": "Created at",
                          "amount": "Total", "status": "Financial Status", "quantity": "Lineitem quantity",
                          "unit_price": "Lineitem price", "refund_amount": "Refunded Amount"}),
    (["Order ID", "Order Date", "Order Status", "Customer User ID", "Billing Email", "Order Total Amount"],
     {"order_id": "Order ID", "order_ts": "Order Date", "status": "Order Status",
      "customer_id": "Customer User ID", "amount": "Order Total Amount"}),
    (["Invoice", "StockCode", "Description", "Quantity", "InvoiceDate", "Price", "Customer ID", "Country"],
     {"order_id": "Invoice", "order_ts": "InvoiceDate", "unit_price": "Price", "customer_id": "Customer ID"}),
    (["订单编号", "买家会员名", "买家支付宝账号", "总金额", "买家实际支付金额", "订单状态", "收货地址",
      "订单创建时间", "订单付款时间", "宝贝总数量", "退款金额"],
     {"order_id": "订单编号", "customer_id": "买家会员名", "amount": "总金额", "paid_amount": "买家实际支付金额",
      "status": "订单状态", "order_ts": "订单创建时间", "paid_ts": "订单付款时间", "refund_amount": "退款金额"}),
    (["订单号", "商品ID", "商品名称", "订购数量", "下单时间", "京东价", "应付金额", "订单状态", "下单帐号"],
     {"order_id": "订单号", "quantity": "订购数量", "unit_price": "京东价", "amount": "应付金额",
      "customer_id": "下单帐号"}),
    (["订单号", "订单状态", "下单时间", "付款时间", "买家昵称", "买家手机号", "商品单价", "订单实付金额"],
     {"customer_id": "买家昵称", "unit_price": "商品单价", "paid_amount": "订单实付金额"}),
])
def test_export_headers(headers: list[str], expect: dict[str, str]) -> None:
    table, got = mapping.infer_table(headers) or ("", {})
    assert table == "transactions"
    assert {k: got.get(k) for k in expect} == expect


def test_id_advice_never_an_amount_date_or_address() -> None:
    headers = ["订单编号", "总金额", "收货地址", "订单创建时间", "会员手机"]
    assert mapping.candidates("customer_id", headers, {"订单编号"}) == ["会员手机"]
    assert mapping.candidates("customer_id", ["总金额", "收货地址", "订单创建时间"]) == []


def test_shopify_lines_first_line_total_and_refund(tmp_path: Path) -> None:
    rows = [SHOPIFY,
            "#1001,a@x.com,paid,2024-01-02 10:00,,,,EUR,30,0,0,30,,0,,2024-01-02 10:00,1,Tea,10,,T1,,,,A,,1",
            "#1001,,,,,,,,,,,,,,,,2,Cup,10,,C1,,,,,,",
            "#1002,b@x.com,partially_refunded,2024-01-03 10:00,,,,EUR,5,0,0,5,,0,,2024-01-03 10:00,1,Tea,5,,T1,,,,B,2,2",
            "#1003,a@x.com,voided,,,,,EUR,9,0,0,9,,0,,2024-01-04 10:00,1,Tea,9,,T1,,,,A,,3"]
    p = tmp_path / "orders_export.csv"
    p.write_text("\n".join(rows) + "\n", encoding="utf-8")
    ds = ls.load(p)
    o = ds.quality.orders
    assert (o["orders_total"], o["sale_orders"], o["gross_revenue"]) == (3, 2, 35.0)
    assert (o["returns"], o["returns_amount"]) == (1, 2.0)
    tx = ds.table("transactions").order_by("order_id").execute()
    assert tx.amount.tolist() == [30.0, 5.0] and tx.customer_id.tolist() == ["a@x.com", "b@x.com"]
    # the continuation line of #1001 (no time, no email, no total) is a line of its order
    lines = ds.table("order_lines").order_by(["order_id", "amount"]).execute()
    assert lines.order_id.tolist() == ["#1001", "#1001", "#1002"]
    assert lines.amount.tolist() == [10.0, 20.0, 5.0] and lines.quantity.tolist() == [1.0, 2.0, 1.0]
    assert set(lines.customer_id) == {"a@x.com", "b@x.com"}
    rep = ds.quality.tables["transactions"]
    assert (rep.rows_read, rep.rows_accepted, rep.rows_quarantined) == (4, 4, 0)


def test_unreadable_amount_quarantines_its_order_with_the_real_reason(tmp_path: Path) -> None:
    rows = [SHOPIFY,
            "#1001,a@x.com,paid,2024-01-02 10:00,,,,EUR,30,0,0,30,,0,,2024-01-02 10:00,1,Tea,10,,T1,,,,A,,1",
            "#1004,c@x.com,paid,2024-01-05 10:00,,,,EUR,3O,0,0,3O,,0,,2024-01-05 10:00,1,Tea,5,,T1,,,,B,,4",
            "#1004,,,,,,,,,,,,,,,,2,Cup,10,,C1,,,,,,",
            "#1005,,,,,,,,,,,,,,,,2,Cup,10,,C1,,,,,,"]
    p = tmp_path / "orders_export.csv"
    p.write_text("\n".join(rows) + "\n", encoding="utf-8")
    ds = ls.load(p)
    q = ds.quality.quarantine.sort_values("line")
    assert q.line.tolist() == [3, 4, 5]
    assert q.reason.tolist() == ["unparseable", "unparseable", "missing_required"]
    assert q.column.tolist() == ["amount", "amount", "order_ts"]
    assert q.value.iloc[0] == "3O" and "'3O'" in q.detail.iloc[0] and "#1004" in q.detail.iloc[1]
    rep = ds.quality.tables["transactions"]
    assert (rep.rows_read, rep.rows_accepted, rep.rows_quarantined) == (4, 1, 3)
    assert ds.table("transactions").execute().order_id.tolist() == ["#1001"]
    # a one-row-per-order file: the row itself, reason unparseable, with its value
    (tmp_path / "transactions.csv").write_text(
        "order_id,customer_id,order_ts,amount\nA1,C1,2024-01-05,12\nA2,C1,2024-01-06,12\n"
        "A3,C2,2024-01-07,n/a?\n", encoding="utf-8")
    ds = ls.load(tmp_path / "transactions.csv")
    q = ds.quality.quarantine
    bad = q[q.reason == "unparseable"]
    assert bad.line.tolist() == [4] and bad.value.tolist() == ["n/a?"] and bad.column.tolist() == ["amount"]


def test_config_found_beside_data_and_toml_printed_verbatim(tmp_path: Path) -> None:
    (tmp_path / "sales.csv").write_text("单号,VIP,成交日,金额\nA1,C1,2024-01-05,1\n", encoding="utf-8")
    runner = CliRunner()
    res = runner.invoke(app, ["validate", str(tmp_path / "sales.csv")])
    assert res.exit_code == 2 and "[mapping.transactions]" in res.output  # not swallowed as markup
    (tmp_path / "loyalscope.toml").write_text('[mapping.transactions]\norder_ts = "成交日"\n', encoding="utf-8")
    res = runner.invoke(app, ["validate", str(tmp_path / "sales.csv"), "--json"])
    assert res.exit_code == 0, res.output
