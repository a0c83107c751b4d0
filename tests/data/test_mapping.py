"""Header mapping: aliases, presets, explicit mappings and the errors that name the fix."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import loyalscope as ls
from loyalscope.data import mapping, schema
from loyalscope.errors import ConfigError, SchemaError
from loyalscope.i18n import use_lang


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages are asserted in English whatever LANG the machine has."""
    with use_lang("en"):
        yield


ALL_ALIASES = [
    (tbl, col.name, alias)
    for tbl, spec in schema.TABLES.items() if tbl not in schema.SHAPED_TABLES
    for col in spec.columns
    for alias in mapping.aliases(tbl, col.name)
]


@pytest.mark.parametrize(("table", "column", "alias"), ALL_ALIASES)
def test_every_alias_maps_onto_its_column(table: str, column: str, alias: str) -> None:
    spec = schema.table(table)
    # the other required columns under their canonical names, plus the alias under test
    headers = [c for c in spec.required if c != column] + [alias]
    assert mapping.resolve(table, headers)[column] == alias


def test_every_column_has_aliases_beyond_its_own_name() -> None:
    bare = [(t, c.name) for t, s in schema.TABLES.items() for c in s.columns
            if t not in schema.SHAPED_TABLES and len(mapping.aliases(t, c.name)) < 2]
    assert not bare


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("客户编号", "customer_id"), ("客户ID", "customer_id"), ("会员号", "customer_id"),
        ("customer id", "customer_id"), ("Customer_No", "customer_id"), ("CUSTOMER-NO", "customer_id"),
        ("ｃｕｓｔｏｍｅｒ　ｉｄ", "customer_id"), ("下单时间", "order_ts"), ("订单日期", "order_ts"),
        ("成交时间", "order_ts"), ("order date", "order_ts"), ("Created_Time", "order_ts"),
        ("实付金额", "amount"), ("订单金额", "amount"), ("金额", "amount"), ("amount", "amount"),
        ("Grand_Total", "amount"), ("Grand Total", "amount"),
    ],
)
def test_normalised_headers(header: str, column: str) -> None:
    headers = ["order_id", "customer_id", "order_ts", "amount"]
    headers = [h for h in headers if h != column] + [header]
    assert mapping.resolve("transactions", headers)[column] == header


def test_zoho_preset_detected_and_ordered() -> None:
    headers = ["SO_Number", "Subject", "Account_Name", "Contact_Name", "Created_Time",
               "Grand_Total", "Sub_Total", "Status"]
    got = mapping.resolve("transactions", headers)
    assert got["order_id"] == "SO_Number"
    assert got["customer_id"] == "Account_Name"
    assert got["order_ts"] == "Created_Time"
    assert got["amount"] == "Grand_Total"
    assert mapping.detect_preset(headers) == "zoho"


def test_zoho_labels_with_spaces() -> None:
    headers = ["Sales Order Id", "Contact Name", "Created Time", "Grand Total"]
    got = mapping.resolve("transactions", headers, preset="zoho")
    assert got == {"order_id": "Sales Order Id", "customer_id": "Contact Name",
                   "order_ts": "Created Time", "amount": "Grand Total"}


def test_fxiaoke_preset() -> None:
    headers = ["销售订单编号", "客户名称", "下单日期", "销售订单金额", "生命状态", "负责人"]
    got = mapping.resolve("transactions", headers)
    assert got == {"order_id": "销售订单编号", "customer_id": "客户名称",
                   "order_ts": "下单日期", "amount": "销售订单金额"}


def test_qualtrics_preset_answers_at_the_recorded_date() -> None:
    """A Qualtrics export holds an end date and a recorded date, both answer-time spellings:
    the recorded date (when the response was stored) is its answer time, with its ids (row 1)
    or its texts (row 2) as the header."""
    texts = ["Start Date", "End Date", "Response Type", "IP Address", "Progress",
             "Duration (in seconds)", "Finished", "Recorded Date", "Response ID",
             "How likely are you to recommend Acme to a friend or colleague?"]
    ids = ["StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)",
           "Finished", "RecordedDate", "ResponseId", "Q1"]
    assert mapping.detect_preset(texts) == mapping.detect_preset(ids) == "qualtrics"
    assert mapping.infer_table(texts) == ("surveys", {"response_id": "Response ID",
                                                      "answered_ts": "Recorded Date", "nps": texts[-1]})
    got = mapping.resolve("surveys", [*ids, "customer_id"])
    assert (got["response_id"], got["answered_ts"]) == ("ResponseId", "RecordedDate")


def test_explicit_mapping_wins() -> None:
    headers = ["订单编号", "客户编号", "会员号", "下单时间", "金额"]
    got = mapping.resolve("transactions", headers, explicit={"customer_id": "会员号"})
    assert got["customer_id"] == "会员号"


def test_ambiguous_header_names_candidates_file_and_fix() -> None:
    headers = ["订单编号", "客户编号", "会员号", "下单时间", "金额"]
    with pytest.raises(SchemaError) as info:
        mapping.resolve("transactions", headers, file="orders.csv")
    err = info.value
    assert err.file == "orders.csv" and err.column == "customer_id"
    assert "客户编号" in err.message and "会员号" in err.message
    assert '[mapping.transactions]\ncustomer_id = "客户编号"' in err.fix
    assert "orders.csv" in str(err)


def test_missing_required_names_headers_and_fix() -> None:
    with pytest.raises(SchemaError) as info:
        mapping.resolve("transactions", ["订单编号", "会员号", "VIP", "成交日", "金额"], file="订单.csv")
    err = info.value
    assert err.column == "order_ts" and err.file == "订单.csv"
    assert "VIP" in err.message and "成交日" in err.message
    # only a column of the right kind is suggested: none here, so the fix says so
    assert "no plausible column for order_ts" in err.message
    assert "[mapping.transactions]" in err.fix and 'order_ts = "VIP"' not in err.fix


def test_transactions_without_buyer_id_map_for_order_level_analysis() -> None:
    got = mapping.resolve("transactions", ["订单编号", "VIP", "下单时间", "金额"], file="订单.csv")
    assert "customer_id" not in got and got["order_id"] == "订单编号"


def test_explicit_header_absent() -> None:
    with pytest.raises(SchemaError) as info:
        mapping.resolve("transactions", ["订单编号", "客户编号", "下单时间", "金额"],
                        explicit={"customer_id": "会员号"}, file="a.csv")
    assert "会员号" in info.value.message and info.value.file == "a.csv"


def test_survey_open_families_kept() -> None:
    got = mapping.resolve("surveys", ["response_id", "customer_id", "answered_ts", "q_imag1", "Q_IMAG2",
                                      "dim_price", "other"])
    assert got["q_imag1"] == "q_imag1" and got["q_imag2"] == "Q_IMAG2" and got["dim_price"] == "dim_price"
    assert "other" not in got.values()


@pytest.mark.parametrize(
    ("name", "table"),
    [("订单", "transactions"), ("orders", "transactions"), ("订单2024", "transactions"),
     ("客户", "customers"), ("Customers", "customers"), ("投诉", "complaints"), ("退货", "returns"),
     ("问卷", "surveys"), ("loyalty_points", "loyalty_points"), ("积分", "loyalty_points"),
     ("SalesOrderObj", "transactions"), ("readme", None),
     # Latin names by whole words, the last one naming the table
     ("product_sales", None), ("ProductSales", None), ("olist_order_items_dataset", "order_items"),
     ("OrderItems", "order_items"), ("orderitems", "order_items"), ("customer_reviews", "reviews"),
     ("customer_orders", "transactions"), ("hh_demographic", "customers"), ("myorders", "transactions"),
     ("product", "products"), ("Sales Orders 2024", "transactions"), ("订单明细2024", "transactions"),
     # Chinese names by their head noun, the last one (客户投诉 was read as customers: its
     # repeat customer ids quarantined as duplicates, the complaints lost)
     ("客户投诉", "complaints"), ("会员积分", "loyalty_points"), ("会员积分明细", "loyalty_points"),
     ("顾客满意度调查", "surveys"), ("客户满意度问卷", "surveys"), ("订单评价", "reviews"),
     ("客户退款记录", "returns"), ("会员活动记录", "interactions"), ("客户合同", "contracts"),
     ("会员订单", "transactions"), ("销售订单", "transactions"), ("订单商品", "order_items"),
     ("商品明细", "order_items"), ("客户资料", "customers"), ("会员资料2024", "customers")],
)
def test_table_for_name(name: str, table: str | None) -> None:
    assert mapping.table_for_name(name) == table


def test_unknown_preset() -> None:
    with pytest.raises(ConfigError) as info:
        mapping.resolve("transactions", ["order_id"], preset="salesforce")
    assert "zoho" in info.value.fix and "fxiaoke" in info.value.fix


def test_messages_in_chinese_keep_the_toml_fix() -> None:
    with use_lang("zh"), pytest.raises(SchemaError) as info:
        mapping.resolve("transactions", ["订单编号", "会员号", "下单时间", "VIP"], file="订单.csv")
    assert "必填列" in info.value.message and "VIP" in info.value.message
    assert "[mapping.transactions]" in info.value.fix and 'amount = "VIP"' not in info.value.fix


def test_a_sales_file_named_after_products_is_read_from_its_columns(tmp_path: Path) -> None:
    """``product_sales.csv`` (orders of products) was read as a products file (its name holds
    'products' once separators are removed) and its orders were never analysed."""
    path = tmp_path / "product_sales.csv"
    path.write_text("order_id,customer_id,order_ts,amount,product_id\nO1,C1,2024-01-02,10,P1\n"
                    "O2,C2,2024-01-03,12,P2\nO3,C1,2024-02-03,12,P2\n", encoding="utf-8")
    ds = ls.load(path, now=pd.Timestamp("2025-01-01"))
    assert set(ds.quality.tables) == {"transactions"}
    assert ds.quality.tables["transactions"].rows_accepted == 3


def test_a_folder_of_chinese_file_names_reads_each_table(tmp_path: Path) -> None:
    """客户投诉.csv and 会员积分.csv were read as customers: their repeat customer ids were
    quarantined as duplicate customers and the complaints and points were lost."""
    (tmp_path / "订单.csv").write_text(
        "订单编号,客户编号,下单时间,金额\nA1,C1,2024-01-05,10\nA2,C2,2024-01-06,20\n", encoding="utf-8")
    (tmp_path / "客户投诉.csv").write_text(
        "投诉编号,客户编号,投诉时间,投诉类别\nT1,C1,2024-01-07,物流\nT2,C1,2024-01-09,质量\n",
        encoding="utf-8")
    (tmp_path / "会员积分明细.csv").write_text(
        "客户编号,日期,获得积分,使用积分\nC1,2024-01-05,10,0\nC1,2024-02-01,0,5\n", encoding="utf-8")
    ds = ls.load(tmp_path, now=pd.Timestamp("2024-06-01"))
    q = ds.quality.tables
    assert set(q) == {"transactions", "complaints", "loyalty_points"}
    for name in ("complaints", "loyalty_points"):
        assert q[name].rows_read == q[name].rows_accepted == 2
    assert ds.table("complaints", "complaint_id").to_pandas().complaint_id.tolist() == ["T1", "T2"]
