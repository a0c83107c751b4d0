"""Money stated in a multiple of its currency (``实付金额(万元)``, ``Revenue (USD thousands)``, or
``[units] transactions.amount = "万元"``) is multiplied into the currency, exactly.

Such a header was refused for a missing amount; mapped by hand, its amounts were read 10,000
times too small. Every expected amount here is computed again from the written file with
pandas (read as text) and Python's ``decimal``, never by the package.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import loyalscope as ls
from loyalscope.cli import app
from loyalscope.config import AnalysisConfig
from loyalscope.data import mapping, units
from loyalscope.errors import ConfigError
from loyalscope.i18n import t

HEAD = ["订单号", "客户ID", "下单时间"]
runner = CliRunner()


def _write(path: Path, header: str, amounts: list[str], encoding: str = "utf-8") -> Path:
    """An order file of one order per amount (``amounts`` written as given, quoted)."""
    rows = [",".join([*HEAD, header])]
    rows += [f'A{i},C{i % 3},2024-{1 + i // 28:02d}-{1 + i % 28:02d} 10:00,"{a}"'
             for i, a in enumerate(amounts)]
    path.write_text("\n".join(rows) + "\n", encoding=encoding)
    return path


def _expected(path: Path, header: str, multiple: int, encoding: str = "utf-8") -> dict[str, float]:
    """order id -> the amount in the currency, from the file: pandas reads the text, ``decimal``
    multiplies (thousands separators and the yen sign dropped); values that are no number are
    left out."""
    raw = pd.read_csv(path, encoding=encoding, dtype=str)
    out = {}
    for order, text in zip(raw["订单号"], raw[header], strict=True):
        try:
            out[order] = float(Decimal(text.replace(",", "").replace("￥", "")) * multiple)
        except ArithmeticError:
            continue
    return out


def _amounts(ds: ls.Dataset) -> dict[str, float]:
    tx = ds.table("transactions").execute()
    return dict(zip(tx.order_id, tx.amount, strict=True))


def _notes(ds: ls.Dataset) -> list[str]:
    return [str(n) for n in ds.quality.tables["transactions"].notes]


@pytest.mark.parametrize(("text", "multiple"), [
    ("万元", 10_000), ("千元", 1_000), ("百万元", 1_000_000), ("亿元", 100_000_000), ("十万元", 100_000),
    ("人民币万元", 10_000), ("万美元", 10_000), ("元", 1), ("USD", 1), ("$", 1),
    ("USD thousands", 1_000), ("in thousands", 1_000), ("'000", 1_000), ("thousands of USD", 1_000),
    ("$k", 1_000), ("USD mn", 1_000_000), ("millions", 1_000_000),
    # not a money unit: no currency, or a letter that may be anything alone
    ("万件", None), ("万", None), ("k", None), ("m", None), ("含税", None), ("pcs", None),
])
def test_unit_multiple(text: str, multiple: int | None) -> None:
    assert units.unit_multiple(text) == multiple


@pytest.mark.parametrize(("header", "multiple"), [
    ("销售额(万元)", 10_000), ("成交金额（万元）", 10_000), ("订单金额/千元", 1_000),
    ("订单金额(百万元)", 1_000_000), ("Revenue (USD thousands)", 1_000), ("Amount ('000)", 1_000),
    ("Sales (in thousands)", 1_000),
])
def test_a_stated_multiple_maps_to_the_amount(header: str, multiple: int) -> None:
    stated = units.stated_multiple(header)
    assert stated is not None and stated.multiple == multiple
    table, got = mapping.infer_table([*HEAD, header]) or ("", {})
    assert table == "transactions" and got.get("amount") == header


def test_a_multiple_maps_to_money_columns_of_other_tables() -> None:
    got = mapping.resolve("contracts", ["客户ID", "开始日期", "结束日期", "合同金额/千元"])
    assert got["fee"] == "合同金额/千元"


@pytest.mark.parametrize("header", ["数量(万件)", "数量(千元)", "Amount (k)", "Sales (m)"])
def test_a_multiple_of_no_money_is_not_guessed(header: str) -> None:
    got = mapping.resolve("transactions", [*HEAD, "金额", header])
    assert header not in got.values()


def test_wan_yuan_gbk_amounts_are_multiplied_exactly(tmp_path: Path) -> None:
    header = "实付金额(万元)"
    values = ["1.2345", "0.07", "12", "0.0001", "3.3", "1,234.5678", "￥2.5", "abc", "-0.5"]
    path = _write(tmp_path / "订单.csv", header, values, encoding="gbk")
    ds = ls.load(path)
    want = _expected(path, header, 10_000, encoding="gbk")
    want.pop("A8")  # a negative amount is a return (the shapes), not an order
    got = _amounts(ds)
    assert got == want  # exact: 1.2345 -> 12345.0, 0.07 -> 700.0 (float64 gives 700.0000000000001)
    assert got["A0"] == 12345.0 and got["A1"] == 700.0
    # the value that is no number is quarantined as written, with its reason; no row is lost
    q = ds.quality.quarantine
    bad = q[q.table == "transactions"]
    assert bad.value.tolist() == ["abc"] and bad.line.tolist() == [9]
    rep = ds.quality.tables["transactions"]
    assert rep.rows_read == len(values)
    assert rep.rows_accepted + rep.rows_quarantined == rep.rows_read
    assert any("万元" in n and "10,000" in n and header in n for n in _notes(ds))


def test_an_amount_too_large_once_multiplied_is_quarantined_as_written(tmp_path: Path) -> None:
    # 2e11 万元 is 2e15 元, beyond what an amount may be (1e14); the file's text is kept
    header = "实付金额(万元)"
    path = _write(tmp_path / "订单.csv", header, ["1.5", "200000000000", "0.07"])
    ds = ls.load(path)
    assert _amounts(ds) == {"A0": 15000.0, "A2": 700.0}
    q = ds.quality.quarantine
    assert q.value.tolist() == ["200000000000"] and q.line.tolist() == [3]
    assert t("data.validate.why_scaled_too_large", "en") in q.detail.iloc[0]
    rep = ds.quality.tables["transactions"]
    assert (rep.rows_read, rep.rows_accepted, rep.rows_quarantined) == (3, 2, 1)


def test_plain_numbers_in_wan_yuan_are_multiplied_exactly(tmp_path: Path) -> None:
    # plain numbers only: the short parser of plain columns reads them (validate._plain_columns)
    header = "销售额（万元）"
    values = [f"{i / 10_000 + 0.07:.4f}" for i in range(1, 400, 7)]
    path = _write(tmp_path / "订单.csv", header, values)
    assert _amounts(ls.load(path)) == _expected(path, header, 10_000)


# every digit float64 keeps: values computed in a spreadsheet (a third of 1 万元, 1/7) have 16 or
# 17 of them, which a decimal type of fixed scale (38, 13) rounded to 13 decimals before
LONG = ["0.3333333333333333", "0.14285714285714285", "0.088571614039432", "0.00012345678901234",
        "123.45678901234567", "0.0000031200908589245", "99999999.999999"]


def test_every_digit_of_a_long_amount_is_kept(tmp_path: Path) -> None:
    header = "实付金额(万元)"
    path = _write(tmp_path / "订单.csv", header, LONG)
    want = _expected(path, header, 10_000)
    assert want["A0"] == 3333.333333333333 and want["A1"] == 1428.5714285714284
    assert _amounts(ls.load(path)) == want


@pytest.mark.spark
@pytest.mark.slow
def test_wan_yuan_on_spark_is_multiplied_exactly(tmp_path: Path, spark_con: object) -> None:
    # Spark writes a float as '1.0E-5' and keeps 6 decimals of a decimal product of 38 digits
    header = "销售额(万元)"
    path = _write(tmp_path / "订单.csv", header, ["1.2345", "0.07", "0.00001", "1234.5", *LONG])
    assert _amounts(ls.load(path, con=spark_con)) == _expected(path, header, 10_000)


@pytest.mark.parametrize(("header", "multiple"), [
    ("订单金额/千元", 1_000), ("Revenue (USD thousands)", 1_000), ("Amount ('000)", 1_000),
])
def test_thousands_are_multiplied(tmp_path: Path, header: str, multiple: int) -> None:
    path = _write(tmp_path / "orders.csv", header, ["1.001", "0.3", "2,500.25", "7"])
    ds = ls.load(path)
    assert _amounts(ds) == _expected(path, header, multiple)
    assert any(header in n and "1,000" in n for n in _notes(ds))


def test_yuan_is_read_as_written(tmp_path: Path) -> None:
    header = "实付金额(元)"
    path = _write(tmp_path / "订单.csv", header, ["12.50", "0.07", "1.2345"], encoding="gbk")
    ds = ls.load(path)
    assert _amounts(ds) == _expected(path, header, 1, encoding="gbk")
    assert not any("10,000" in n for n in _notes(ds))


def _toml(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "loyalscope.toml"
    path.write_text(body, encoding="utf-8")
    return path


def test_units_setting_multiplies_a_plain_header(tmp_path: Path) -> None:
    path = _write(tmp_path / "订单.csv", "金额", ["1.2345", "0.07", "3"])
    config = AnalysisConfig.load(_toml(tmp_path, '[units]\ntransactions.amount = "万元"\n'))
    ds = ls.load(path, config=config)
    assert _amounts(ds) == _expected(path, "金额", 10_000)
    assert any("[units] transactions.amount" in n for n in _notes(ds))
    # the same setting as a table of its own, and as a power of ten
    again = AnalysisConfig.load(_toml(tmp_path, "[units.transactions]\namount = 10000\n"))
    assert _amounts(ls.load(path, config=again)) == _expected(path, "金额", 10_000)


@pytest.mark.parametrize(("value", "multiple"), [
    ("万元", 10_000), ("thousands", 1_000), (10_000, 10_000), ("10000", 10_000), (" 1000 ", 1_000),
    ("元", 1), (1500, None), ("1500", None), (0, None), (True, None), ("万件", None),
])
def test_setting_multiple(value: object, multiple: int | None) -> None:
    assert units.setting_multiple(value) == multiple


def test_units_setting_agreeing_with_the_header_multiplies_once(tmp_path: Path) -> None:
    header = "实付金额(万元)"
    path = _write(tmp_path / "订单.csv", header, ["1.5", "0.07"])
    config = AnalysisConfig.load(_toml(tmp_path, '[units]\ntransactions.amount = "万元"\n'))
    assert _amounts(ls.load(path, config=config)) == _expected(path, header, 10_000)


@pytest.mark.parametrize(("header", "setting"), [("实付金额(万元)", "千元"), ("实付金额(元)", "万元")])
def test_units_setting_conflicting_with_the_header_is_an_error(tmp_path: Path, header: str,
                                                                setting: str) -> None:
    path = _write(tmp_path / "订单.csv", header, ["1.5"])
    config = AnalysisConfig.load(_toml(tmp_path, f'[units]\ntransactions.amount = "{setting}"\n'))
    with pytest.raises(ConfigError) as err:
        ls.load(path, config=config)
    assert err.value.file is not None and "订单.csv" in err.value.file
    assert err.value.column == "amount" and err.value.value == header
    assert setting in str(err.value) and "transactions.amount" in (err.value.fix or "")


@pytest.mark.parametrize(("body", "words"), [
    ('[units]\ntransactions.quantity = "万元"\n', "transactions.quantity"),
    ('[units]\ntransactions.amount = "万件"\n', "万件"),
    ('[units]\ntransactions.amount = 1500\n', "1500"),
    ('[units]\nnowhere.amount = "万元"\n', "nowhere.amount"),
    # a table made from other files (data.shapes), not read from one
    ('[units]\norders.amount = "万元"\n', "orders.amount"),
    # no table: the message says which key to write, not that a dictionary was expected
    ('[units]\namount = "万元"\n', "transactions.amount"),
])
def test_a_bad_units_setting_names_its_key(tmp_path: Path, body: str, words: str) -> None:
    with pytest.raises(ConfigError) as err:
        AnalysisConfig.load(_toml(tmp_path, body))
    assert words in str(err.value) and "[units]" in (err.value.fix or "")


def test_a_multiple_of_pieces_stays_unmapped_with_advice(tmp_path: Path) -> None:
    rows = [",".join([*HEAD, "金额", "数量(万件)"]), "A1,C1,2024-01-02 10:00,12.5,3"]
    path = tmp_path / "订单.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    ds = ls.load(path)
    assert _amounts(ds) == {"A1": 12.5}
    rep = ds.quality.tables["transactions"]
    assert "数量(万件)" not in rep.mapping.values()
    assert rep.unused_columns == [{"source": str(path), "columns": ["数量(万件)"]}]


def test_analyze_reads_wan_yuan_as_the_same_orders_in_yuan(tmp_path: Path) -> None:
    # one shop's orders, once in 万元 and once in 元: every monetary number of the analysis is equal
    amounts = [f"{(i * 7919) % 99_991 / 10_000:.4f}" for i in range(1, 241)]
    outs = {}
    for name, header, scale in (("wan", "实付金额(万元)", 1), ("yuan", "实付金额(元)", 10_000)):
        folder = tmp_path / name
        folder.mkdir()
        rows = [",".join([*HEAD, header])]
        rows += [f"A{i},C{i % 40},2024-{1 + i % 9:02d}-{1 + i % 28:02d} 10:00,{Decimal(a) * scale}"
                 for i, a in enumerate(amounts)]
        (folder / "订单.csv").write_text("\n".join(rows) + "\n", encoding="gbk")
        res = runner.invoke(app, ["analyze", str(folder), "--out", str(tmp_path / f"out_{name}"),
                                  "--json", "--lang", "en"])
        assert res.exit_code == 0, res.output
        outs[name] = json.loads((tmp_path / f"out_{name}" / "analysis.json").read_text(encoding="utf-8"))
    total = sum(Decimal(a) * 10_000 for a in amounts)
    for doc in outs.values():
        assert doc["sections"]["data"]["data"]["revenue"] == float(total)
    wan, yuan = (outs[n]["sections"] for n in ("wan", "yuan"))
    assert wan["behaviour"]["data"]["order_value"]["value"] == yuan["behaviour"]["data"]["order_value"]["value"]
    notes = [n["note"] for n in wan["data"]["data"]["read_notes"]]
    assert any("实付金额(万元)" in n and "10,000" in n for n in notes)


def test_number_cells_in_wan_yuan_are_multiplied_exactly(tmp_path: Path) -> None:
    # a Parquet file's amounts are float64 already: each is read as the shortest text that
    # gives it back (1.2345), and that text multiplied
    texts = ["1.2345", "0.07", "0.0003", "42.1", "9.99"]
    frame = pd.DataFrame({"订单号": [f"A{i}" for i in range(len(texts))], "客户ID": "C1",
                          "下单时间": pd.Timestamp("2024-03-01 10:00"),
                          "销售额(万元)": [float(x) for x in texts]})
    path = tmp_path / "订单.parquet"
    frame.to_parquet(path)
    want = {f"A{i}": float(Decimal(x) * 10_000) for i, x in enumerate(texts)}
    assert _amounts(ls.load(path)) == want


def test_a_header_mapped_by_hand_keeps_its_stated_multiple(tmp_path: Path) -> None:
    # the silent error this fixes: a header of no known spelling, mapped in [mapping], was read
    # as written, 10,000 times too small
    header = "GMV(万元)"
    path = _write(tmp_path / "订单.csv", header, ["1.5", "0.07", "2.0001"])
    config = AnalysisConfig.load(_toml(tmp_path, f'[mapping.transactions]\namount = "{header}"\n'))
    ds = ls.load(path, config=config)
    assert _amounts(ds) == _expected(path, header, 10_000)
    assert any(header in n and "10,000" in n for n in _notes(ds))
