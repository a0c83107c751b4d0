"""Headers of widely used exports are recognised; shapes of Shopify line exports; advice kinds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import loyalscope as ls
from loyalscope.cli import app
from loyalscope.config import AnalysisConfig
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
    # Kaggle's Retail Sales Dataset: was taken for a customers file (Customer ID, Gender, Age)
    (["Transaction ID", "Date", "Customer ID", "Gender", "Age", "Product Category", "Quantity",
      "Price per Unit", "Total Amount"],
     {"order_id": "Transaction ID", "order_ts": "Date", "customer_id": "Customer ID",
      "amount": "Total Amount", "unit_price": "Price per Unit", "quantity": "Quantity"}),
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


# 淘宝 / 天猫 退款报表 (seller centre, 退款管理 → 导出): the columns of its export, in its order (as
# read by the public tools that import it, e.g. the field lists kept in their models)
TAOBAO_REFUNDS = ("订单编号,退款编号,支付宝交易号,订单付款时间,商品编码,退款完结时间,买家实际支付金额,宝贝标题,"
                  "买家退款金额,手工退款/系统退款,是否需要退货,退款的申请时间,超时时间,退款状态,货物状态,"
                  "买家退款原因,买家退款说明,买家会员名称")


def test_taobao_refund_report_counts_only_refunds_that_were_not_closed(tmp_path: Path) -> None:
    """A Taobao order report and its refund report (GBK, Chinese headers): the refund report's
    columns are recognised (its application time, the buyer's refund rather than the paid
    amount, its reason, status and buyer), a refund whose request was closed (退款关闭) is not a
    return, and that is said in a note and in the statuses ``validate`` lists, with the rows;
    the order figures (returns, net revenue) count the refunds that are returns."""
    orders = ["订单编号,买家会员名,订单创建时间,买家实际支付金额,订单状态",
              "T1,张三,2024-01-05 10:00:00,128.50,交易成功", "T2,李四,2024-01-06 11:00:00,88.00,交易成功",
              "T3,王五,2024-03-08 09:00:00,99.00,交易成功", "T4,李四,2024-03-09 09:00:00,0,交易关闭"]
    (tmp_path / "订单报表.csv").write_bytes("\r\n".join(orders).encode("gbk") + b"\r\n")
    cols = TAOBAO_REFUNDS.split(",")

    def refund(order: str, paid: str, back: str, asked: str, status: str, why: str, who: str) -> str:
        row = dict.fromkeys(cols, "")
        row.update({"订单编号": order, "买家实际支付金额": paid, "买家退款金额": back,
                    "退款的申请时间": asked, "退款状态": status, "买家退款原因": why, "买家会员名称": who})
        return ",".join(row[c] for c in cols)

    refunds = [TAOBAO_REFUNDS, refund("T1", "128.50", "128.50", "2024-01-10 08:00:00", "退款成功", "七天无理由", "张三"),
               refund("T2", "88.00", "20.00", "2024-01-12 08:00:00", "退款关闭", "少件", "李四"),
               refund("T3", "99.00", "30.00", "2024-03-20 08:00:00", "等待卖家同意退款", "质量问题", "王五")]
    (tmp_path / "退款报表.csv").write_bytes("\r\n".join(refunds).encode("gbk") + b"\r\n")
    ds = ls.load(tmp_path, now=pd.Timestamp("2025-01-01"))
    rep = ds.quality.tables["returns"]
    assert {k: rep.mapping.get(k) for k in ("order_id", "return_ts", "amount", "reason", "customer_id",
                                             "status")} == {
        "order_id": "订单编号", "return_ts": "退款的申请时间", "amount": "买家退款金额",
        "reason": "买家退款原因", "customer_id": "买家会员名称", "status": "退款状态"}
    assert (rep.rows_read, rep.rows_accepted, rep.rows_quarantined) == (3, 3, 0)
    got = ds.table("returns").execute().sort_values("order_id")
    assert got["order_id"].tolist() == ["T1", "T3"]  # T2's request was closed
    assert got["amount"].tolist() == [128.5, 30.0] and got["reason"].tolist() == ["七天无理由", "质量问题"]
    assert {s["value"]: (s["class"], s["orders"]) for s in rep.statuses} == {
        "退款成功": ("return", 1), "退款关闭": ("not_return", 1), "等待卖家同意退款": ("return", 1)}
    assert any("退款关闭" in n and n.startswith("1 ") for n in rep.notes)
    # the order figures count the refund report's returns (they said 0 beside a returns file)
    o = ds.quality.orders
    assert (o["returns"], o["returns_amount"]) == (2, 158.5)
    assert o["gross_revenue"] == 128.5 + 88.0 + 99.0 and o["net_revenue"] == o["gross_revenue"] - 158.5
    out = CliRunner().invoke(app, ["validate", str(tmp_path)])
    assert out.exit_code == 0 and "退款关闭 → not_return: 1" in out.output
    # a status mapped otherwise in loyalscope.toml ([data.return_statuses]) is followed
    toml = tmp_path.parent / "loyalscope.toml"
    toml.write_text('[data.return_statuses]\n"退款关闭" = "return"\n', encoding="utf-8")
    again = ls.load(tmp_path, config=AnalysisConfig.load(toml), now=pd.Timestamp("2025-01-01"))
    assert sorted(again.table("returns").execute()["order_id"]) == ["T1", "T2", "T3"]


SAMPLE_SALES = ("ORDERNUMBER,QUANTITYORDERED,PRICEEACH,ORDERLINENUMBER,SALES,ORDERDATE,STATUS,QTR_ID,"
                "MONTH_ID,YEAR_ID,PRODUCTLINE,MSRP,PRODUCTCODE,CUSTOMERNAME,PHONE,CITY,COUNTRY,DEALSIZE")


def test_sample_sales_order_lines_are_lines_not_duplicates(tmp_path: Path) -> None:
    """Kaggle's "Sample Sales Data" (sales_data_sample.csv, 2,823 lines of 307 orders, from the
    BIRT ClassicModels database): its QUANTITYORDERED / PRICEEACH / PRODUCTCODE / PRODUCTLINE
    were not recognised, so the file was not an order-line file and 2,516 of its 2,823 lines
    were quarantined as repeated order numbers (gross revenue 1.37M of 9.66M). Here its shape:
    upper-case run-together headers, month-first ``2/24/2003 0:00`` dates, PRICEEACH capped at
    100 (SALES, not quantity x price, is the line's amount), Cancelled and On Hold orders."""
    rng = np.random.default_rng(11)
    statuses = ["Shipped"] * 8 + ["Cancelled", "On Hold", "Disputed", "Resolved", "In Process"]
    rows = []
    for o in range(60):
        status = statuses[o % len(statuses)]
        day = pd.Timestamp("2003-01-06") + pd.Timedelta(days=int(o * 11))
        for line in range(1, int(rng.integers(1, 6)) + 1):
            qty, price = int(rng.integers(20, 50)), round(float(rng.uniform(40, 180)), 2)
            rows.append([10100 + o, qty, min(price, 100.0), line, round(qty * price, 2),
                         f"{day.month}/{day.day}/{day.year} 0:00", status, 1, day.month, day.year,
                         "Motorcycles", 95, f"S10_{line}", f"Shop {o % 9}", f"555{min(o % 9, 7):04d}", "NYC", "USA",
                         "Small"])
    frame = pd.DataFrame(rows, columns=SAMPLE_SALES.split(","))
    path = tmp_path / "sales_data_sample.csv"
    frame.to_csv(path, index=False)
    ds = ls.load(path)
    rep = ds.quality.tables["transactions"]
    assert rep.rows_read == len(frame) and rep.rows_quarantined == 0
    assert {k: rep.mapping.get(k) for k in ("quantity", "unit_price", "product_id", "category", "amount")} == {
        "quantity": "QUANTITYORDERED", "unit_price": "PRICEEACH", "product_id": "PRODUCTCODE",
        "category": "PRODUCTLINE", "amount": "SALES"}
    orders = ds.quality.orders
    sale = frame[~frame.STATUS.isin(["Cancelled", "On Hold"])]
    assert orders["line_file"] and orders["orders_total"] == frame.ORDERNUMBER.nunique() == 60
    assert orders["sale_orders"] == sale.ORDERNUMBER.nunique()
    assert orders["gross_revenue"] == pytest.approx(round(sale.SALES.sum(), 2), abs=0.005)
    # no customer id column: the phone is the last resort, and the note offers the name (shops
    # 7 and 8 share a phone here, as two companies of the real file do)
    assert rep.mapping["customer_id"] == "PHONE" and orders["customers"] == 8
    note = next(n for n in rep.notes if "PHONE" in n)
    assert "CUSTOMERNAME" in note and 'customer_id = "CUSTOMERNAME"' in note
    (tmp_path / "loyalscope.toml").write_text('[mapping.transactions]\ncustomer_id = "CUSTOMERNAME"\n',
                                              encoding="utf-8")
    named = ls.load(path, config=tmp_path / "loyalscope.toml")
    assert named.quality.orders["customers"] == frame.CUSTOMERNAME.nunique() == 9
    assert not any("PHONE" in n for n in named.quality.tables["transactions"].notes)


def test_a_preset_or_alias_customer_column_gets_no_last_resort_note() -> None:
    """Shopify's Email is its preset's customer column, InvoiceNo files' "Customer ID" an alias."""
    for headers in (SHOPIFY.split(","), ["InvoiceNo", "InvoiceDate", "Customer ID", "Phone", "Amount"]):
        found = mapping.resolve("transactions", headers)
        assert mapping.last_resort("transactions", headers, found) is None, headers


AMAZON = ("index,Order ID,Date,Status,Fulfilment,Sales Channel ,ship-service-level,Style,SKU,Category,"
          "Size,ASIN,Courier Status,Qty,currency,Amount,ship-city,ship-state,ship-postal-code,"
          "ship-country,promotion-ids,B2B,fulfilled-by")


def test_amazon_order_report_statuses(tmp_path: Path) -> None:
    """Kaggle's Amazon Sales Report (Seller Central, India): an order sent back to the seller,
    rejected by the buyer or lost in transit was counted as a sale ("Shipped - Returned to
    Seller" was no known status, and an unknown status is a sale). Now the first two are sales
    refunded in full (a return of their amount), the third a failed order, as pandas says."""
    statuses = ["Shipped - Delivered to Buyer", "Shipped", "Cancelled", "Shipped - Returned to Seller",
                "Shipped - Rejected by Buyer", "Shipped - Lost in Transit", "Pending", "Returned"]
    rows = [[i, f"405-{i:07d}-0", f"04-{1 + i % 28:02d}-22", st, "Merchant", "Amazon.in", "Standard",
             "SET389", f"SET389-KR-NP-{i}", "Set", "S", "B09KXVBD7Z", "Shipped", 1, "INR",
             f"{400 + 7 * i}.00", "MUMBAI", "MAHARASHTRA", 400081, "IN", "", "False", "Easy Ship"]
            for i, st in enumerate(statuses * 3)]
    frame = pd.DataFrame(rows, columns=AMAZON.split(","))
    path = tmp_path / "Amazon Sale Report.csv"
    frame.to_csv(path, index=False)
    ds = ls.load(path)
    seen = {s["value"]: s["class"] for s in ds.quality.tables["transactions"].statuses}
    assert seen["Shipped - Returned to Seller"] == seen["Shipped - Rejected by Buyer"] == "refunded"
    assert seen["Returned"] == "refunded" and seen["Shipped - Lost in Transit"] == "failed"
    assert seen["Shipped - Delivered to Buyer"] == seen["Shipped"] == "sale"
    amount = frame.Amount.astype(float)
    sold = ~frame.Status.isin(["Cancelled", "Shipped - Lost in Transit", "Pending"])
    back = frame.Status.isin(["Shipped - Returned to Seller", "Shipped - Rejected by Buyer", "Returned"])
    o = ds.quality.orders
    assert o["sale_orders"] == int(sold.sum()) and o["gross_revenue"] == pytest.approx(amount[sold].sum())
    assert o["returns"] == int(back.sum()) and o["returns_amount"] == pytest.approx(amount[back].sum())
    assert o["net_revenue"] == pytest.approx(amount[sold & ~back].sum())


@pytest.mark.parametrize(("header", "kind"), [
    # Latin kind words inside other words are not that kind
    ("Keynote speaker rating", None), ("Notes", None), ("Feedback", None), ("Summary", None),
    ("Consumer segment", None), ("Identity", None), ("Coffee", None), ("Economy", None),
    # as words, glued (camel case, snake case, lower case) and Chinese anywhere
    ("Order No", "id"), ("InvoiceNo", "id"), ("customerid", "id"), ("customer_unique_id", "id"),
    ("UnitPrice", "amount"), ("totalamount", "amount"), ("shippingfee", "amount"),
    ("order_purchase_timestamp", "date"), ("Birthday", "date"), ("Postal Code", "address"),
    ("订单编号", "id"), ("订单实付金额", "amount"), ("收货地址", "address"), ("付款时间", "date"),
    ("销售额(万元)", "amount"),
])
def test_header_kind_reads_words_not_letters(header: str, kind: str | None) -> None:
    assert mapping.header_kind(header) == kind


def test_id_advice_skips_words_holding_id_letters(tmp_path: Path) -> None:
    # a feedback export: the advice for the missing customer id names the member number, not
    # the notes column first (it held "no") nor the feedback column as an amount ("fee")
    headers = ["Notes", "Feedback", "Member Number", "Order Date", "Total"]
    assert mapping.candidates("customer_id", headers) == ["Member Number"]
    assert mapping.candidates("amount", headers) == ["Total"]


@pytest.mark.parametrize(("headers", "expect"), [
    # units in brackets or after a slash: the header is its other part
    (["订单号", "客户ID", "下单时间", "实付金额(元)", "数量（件）", "单价/元"],
     {"amount": "实付金额(元)", "quantity": "数量（件）", "unit_price": "单价/元"}),
    (["Order ID", "Customer ID", "Order Date", "Amount (USD)"], {"amount": "Amount (USD)"}),
    # a bilingual template: both parts name the column
    (["订单编号/Order ID", "客户编号/Customer ID", "下单时间/Order Time", "订单金额/Order Amount"],
     {"order_id": "订单编号/Order ID", "customer_id": "客户编号/Customer ID",
      "order_ts": "下单时间/Order Time", "amount": "订单金额/Order Amount"}),
    (["Order ID（订单号）", "Customer ID（客户编号）", "Order Date（下单日期）", "Amount（金额）"],
     {"customer_id": "Customer ID（客户编号）", "amount": "Amount（金额）"}),
])
def test_headers_with_units_or_two_languages(headers: list[str], expect: dict[str, str]) -> None:
    table, got = mapping.infer_table(headers) or ("", {})
    assert table == "transactions"
    assert {k: got.get(k) for k in expect} == expect


@pytest.mark.parametrize("header", ["实付金额/Paid Amount", "备注(金额)", "数量(万件)", "Amount (k)"])
def test_split_headers_are_not_guessed(header: str) -> None:
    # parts naming two columns (amount, paid amount) or a part naming none (备注) are no match;
    # a multiple of no currency (万件) or one that may be anything (k) is no unit (the multiples
    # of a currency, 万元, are read by tests/data/test_units.py)
    got = mapping.infer_table(["订单号", "客户ID", "下单时间", header])
    assert got is None or got[1].get("amount") != header


def test_amount_with_unit_loads_as_the_amount(tmp_path: Path) -> None:
    rows = ["订单号,客户ID,下单时间,实付金额(元)", "A1,C1,2024-01-02 10:00,12.50",
            "A2,C2,2024-01-03 11:00,30", "A3,C1,2024-02-03 11:00,18"]
    p = tmp_path / "订单.csv"
    p.write_text("\n".join(rows) + "\n", encoding="gbk")
    ds = ls.load(p)
    amounts = ds.table("transactions", "amount").execute()["amount"]
    assert amounts.sum() == pytest.approx(pd.read_csv(p, encoding="gbk")["实付金额(元)"].sum())
