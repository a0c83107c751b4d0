"""A workbook split into sheets by year (same columns) is read whole.

UCI's Online Retail II (Chen 2019, CC BY 4.0) ships as one workbook with sheets "Year
2009-2010" and "Year 2010-2011" of the same columns (Excel's row limit splits such exports).
Only the sheet with the most rows was read; the other year was listed as "not used" because its
name does not stand for a table.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import loyalscope as ls

COLUMNS = ["Invoice", "StockCode", "Description", "Quantity", "InvoiceDate", "Price", "Customer ID", "Country"]


def _year(invoices: list[str], day: str, customers: list[float]) -> pd.DataFrame:
    n = len(invoices)
    return pd.DataFrame({"Invoice": invoices, "StockCode": [f"S{i}" for i in range(n)],
                         "Description": ["item"] * n, "Quantity": [2] * n, "InvoiceDate": [day] * n,
                         "Price": [1.25 * (i + 1) for i in range(n)], "Customer ID": customers,
                         "Country": ["United Kingdom"] * n}, columns=COLUMNS)


def test_sheets_with_the_first_sheets_columns_are_more_rows_of_its_table(tmp_path: Path) -> None:
    first = _year(["489434", "489434", "489435"], "2009-12-01 07:45:00", [13085.0, 13085.0, 13086.0])
    second = _year(["539993", "539994", "539994", "539995"], "2011-01-04 10:00:00",
                   [13085.0, 13090.0, 13090.0, 13091.0])
    other = pd.DataFrame({"Note": ["prices in GBP"]})
    path = tmp_path / "online_retail_II.xlsx"
    with pd.ExcelWriter(path) as xl:
        first.to_excel(xl, sheet_name="Year 2009-2010", index=False)
        second.to_excel(xl, sheet_name="Year 2010-2011", index=False)
        other.to_excel(xl, sheet_name="Read me", index=False)
    ds = ls.load(path, now=pd.Timestamp("2025-01-01"))
    rep = ds.quality.tables["transactions"]
    assert rep.rows_read == rep.rows_accepted == len(first) + len(second)
    assert len(rep.sources) == 2
    assert any("has the columns of sheet" in n for n in rep.notes)
    assert [u["file"] for u in ds.quality.unused] == [f"{path}!Read me"]  # a sheet of other columns
    both = pd.concat([first, second])
    both["value"] = both.Quantity * both.Price
    orders = ds.table("transactions", "order_id", "amount").to_pandas().set_index("order_id").amount
    assert orders.sort_index().to_dict() == both.groupby("Invoice").value.sum().sort_index().to_dict()


def test_the_report_names_the_sheets_it_did_not_read(tmp_path: Path) -> None:
    from loyalscope.report.html import render_html
    from loyalscope.results import Table

    path = tmp_path / "shop.xlsx"
    with pd.ExcelWriter(path) as xl:
        _year(["489434", "489435"], "2009-12-01 07:45:00", [13085.0, 13086.0]).to_excel(
            xl, sheet_name="Orders", index=False)
        pd.DataFrame({"Person": ["Anna"], "Region": ["West"]}).to_excel(xl, sheet_name="People", index=False)
    an = ls.analyze(ls.load(path, now=pd.Timestamp("2025-01-01")), sections=("data",))
    data = next(s for s in an.sections if s.id == "data")
    table = next(b for b in data.blocks if isinstance(b, Table) and b.title == "data_section.files_not_read")
    assert table.frame.source.tolist() == [f"{path}!People"]
    zh, en = render_html(an, "zh"), render_html(an, "en")
    assert "已读取但未使用的文件、工作表和数据表" in zh and "工作表名称不对应任何数据表" in zh
    assert "Files, sheets and tables read but not used" in en and "its name does not stand for a table" in en
