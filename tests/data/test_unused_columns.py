"""Columns read but not used are reported, never dropped without a word.

A real customer snapshot (IBM's Telco Customer Churn, ``tests/data/real/telco``) has 21 columns
of which six are canonical (``customerID``, ``gender``, and the snapshot's ``tenure``, ``Churn``,
``MonthlyCharges``, ``Contract``): ``TotalCharges`` and the 14 service and household columns
enter no number, and ``validate``, the data section and ``analysis.json`` must say so (with the
canonical columns no header gave).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import loyalscope as ls
from loyalscope.cli import app
from loyalscope.data import schema
from loyalscope.report.html import render_html
from loyalscope.results import Table

TELCO = Path(__file__).parent / "real" / "telco" / "Telco-Customer-Churn_excerpt.csv"
runner = CliRunner()


def _header(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as fh:
        return next(csv.reader(fh))


def test_validate_lists_every_column_no_canonical_column_took() -> None:
    res = runner.invoke(app, ["validate", str(TELCO), "--json"])
    assert res.exit_code == 0, res.output
    rep = json.loads(res.stdout)["customers"]
    assert rep["rows_read"] == rep["rows_accepted"] == 311
    header = _header(TELCO)
    taken = set(rep["mapping"].values())
    assert taken == {"customerID", "gender", "tenure", "Churn", "MonthlyCharges", "Contract"}
    assert {k: v for k, v in rep["mapping"].items() if k in ("tenure", "churned", "fee", "plan")} == {
        "tenure": "tenure", "churned": "Churn", "fee": "MonthlyCharges", "plan": "Contract"}
    [unused] = rep["unused_columns"]
    assert unused["source"] == str(TELCO)
    assert unused["columns"] == [h for h in header if h not in taken]  # in the file's order
    assert {"TotalCharges", "PaymentMethod", "InternetService"} <= set(unused["columns"])
    assert len(unused["columns"]) + len(taken) == len(header) == 21


def test_validate_table_names_the_columns_and_the_fix() -> None:
    res = runner.invoke(app, ["validate", str(TELCO)], env={"LOYALSCOPE_LANG": "en", "COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "columns not used" in res.output
    assert "TotalCharges" in res.output and "PaymentMethod" in res.output
    assert "[mapping.customers]" in res.output  # the line that maps one, not eaten as markup
    assert "signup_date" in res.output  # a canonical column no header gave


def test_data_section_reports_unused_columns_in_both_languages(tmp_path: Path) -> None:
    ds = ls.load(TELCO, now=pd.Timestamp("2025-01-01"))
    an = ls.analyze(ds, sections=("data",))
    data = next(s for s in an.sections if s.id == "data")
    [row] = data.data["unused_columns"]
    assert row["table"] == "customers" and "TotalCharges" in row["columns"] and "Churn" not in row["columns"]
    table = next(b for b in data.blocks if isinstance(b, Table)
                 and b.title == "data_section.unused_columns")
    assert int(table.frame["count"].iloc[0]) == 15
    missing = [p.kw["id"] for p in table.frame["not_found"].iloc[0]]  # each worded by its label
    assert missing == [c for c in schema.table("customers").names
                       if c not in ("customer_id", "gender", "tenure", "churned", "fee", "plan")]
    zh, en = render_html(an, "zh"), render_html(an, "en")
    assert "已读取但未使用的列" in zh and "未找到的规范列" in zh and "注册日期" in zh
    assert "Columns read but not used" in en and "TotalCharges" in en


def test_a_file_whose_every_column_is_used_reports_none(tmp_path: Path) -> None:
    (tmp_path / "transactions.csv").write_text(
        "order_id,customer_id,order_ts,amount\nA1,C1,2024-01-05,10\n", encoding="utf-8")
    ds = ls.load(tmp_path, now=pd.Timestamp("2025-01-01"))
    assert ds.quality.tables["transactions"].unused_columns == []
    an = ls.analyze(ds, sections=("data",))
    data = next(s for s in an.sections if s.id == "data")
    assert "unused_columns" not in data.data
    assert not any(isinstance(b, Table) and b.title == "data_section.unused_columns" for b in data.blocks)


@pytest.mark.parametrize("kind", ["frame", "parquet", "jsonl"])
def test_other_readers_report_their_unused_columns(tmp_path: Path, kind: str) -> None:
    frame = pd.DataFrame({"order_id": ["A1", "A2"], "customer_id": ["C1", "C2"],
                          "order_ts": ["2024-01-05", "2024-01-06"], "amount": ["10", "20"],
                          "快递公司": ["顺丰", "圆通"], "备注2": ["", "x"]})
    if kind == "frame":
        ds = ls.load({"transactions": frame}, now=pd.Timestamp("2025-01-01"))
    elif kind == "parquet":
        frame.to_parquet(tmp_path / "transactions.parquet")
        ds = ls.load(tmp_path / "transactions.parquet", now=pd.Timestamp("2025-01-01"))
    else:
        frame.to_json(tmp_path / "transactions.jsonl", orient="records", lines=True, force_ascii=False)
        ds = ls.load(tmp_path / "transactions.jsonl", now=pd.Timestamp("2025-01-01"))
    [unused] = ds.quality.tables["transactions"].unused_columns
    assert unused["columns"] == ["快递公司", "备注2"]
