"""The workbook an analyst keeps: summary first, number formats, units, frozen headers, filters,
no float noise, one sheet per recommended action's target list, native charts, safe cells."""

from __future__ import annotations

import zipfile

import openpyxl
import pandas as pd
import pytest

from loyalscope.analysis import Analysis
from loyalscope.config import AnalysisConfig
from loyalscope.i18n import t
from loyalscope.report.excel import MAX_CUSTOMER_ROWS, clean_number, write_excel


@pytest.fixture(scope="module")
def books(demo, tmp_path_factory) -> dict[str, openpyxl.Workbook]:
    folder = tmp_path_factory.mktemp("books")
    out = {}
    for lang in ("zh", "en"):
        path = write_excel(demo.analysis, folder / f"{lang}.xlsx", lang, demo.dataset.quality.quarantine)
        out[lang] = openpyxl.load_workbook(path)
        out[f"{lang}_path"] = path
    return out


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_summary_first_then_numbers_then_one_sheet_per_action(demo, books, lang: str) -> None:
    wb = books[lang]
    assert wb.sheetnames[0] == t("excel.summary", lang)
    assert wb.sheetnames[1] == t("excel.numbers", lang)
    recs = [r for r in demo.analysis.section("strategy").data["recommendations"] if r["customers"]]
    assert recs, "the demo company fires at least one action with customers"
    cu = demo.analysis.customers
    for i, r in enumerate(sorted(recs, key=lambda r: r["rank"])):
        ws = wb.worksheets[2 + i]
        assert ws.title.startswith(f"{r['rank']} ")
        ids = [row[0] for row in ws.iter_rows(min_row=2, values_only=True) if row[0] is not None]
        assert sorted(ids) == sorted(cu.customer_id[cu.target_of == r["rule"]])  # the whole list
        assert len(ids) == r["customers"]
    # no customer is on two lists
    all_ids = [i for ws in wb.worksheets[2:2 + len(recs)] for (i, *_) in ws.iter_rows(min_row=2, values_only=True)]
    assert len(all_ids) == len(set(all_ids))


def test_formats_frozen_headers_filters_and_no_float_noise(books) -> None:
    wb = books["en"]
    for ws in wb.worksheets[1:]:
        assert ws.freeze_panes == "A2", ws.title
        assert ws.auto_filter.ref, ws.title
    numbers = wb[t("excel.numbers", "en")]
    formats = {}
    for row in numbers.iter_rows(min_row=2):
        unit, cell = row[3].value, row[2]
        if isinstance(cell.value, float):
            formats.setdefault(unit, set()).add(cell.number_format)
            assert cell.value == float(f"{cell.value:.10g}")  # no 3367456.730000006
    assert formats[t("report.unit.percent", "en")] == {"0.0%"}
    assert formats[t("report.unit.currency", "en")] == {"#,##0.00"}
    customers = wb[t("excel.customers", "en")]
    header = [c.value for c in customers[1]]
    assert "CLV (currency)" in header and "churn risk" in header
    clv = header.index("CLV (currency)") + 1
    assert customers.cell(2, clv).number_format == "#,##0.00"
    for col in (clv, header.index("churn risk") + 1):
        for (v,) in customers.iter_rows(min_row=2, max_row=200, min_col=col, max_col=col, values_only=True):
            assert v is None or v == clean_number(v, "currency" if col == clv else "percent")


def test_segment_ids_become_labels_in_the_workbook(demo, books) -> None:
    ws = books["zh"][t("excel.customers", "zh")]
    header = [c.value for c in ws[1]]
    seg = [r[header.index(t("report.customer.rfm_segment", "zh"))] for r in ws.iter_rows(min_row=2, values_only=True)]
    ids = demo.analysis.customers.rfm_segment.dropna().unique()
    assert set(seg) <= {t(f"segments.name.{i}", "zh") for i in ids} | {None}


def test_native_line_charts_for_headline_trends(books) -> None:
    with zipfile.ZipFile(books["en_path"]) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
        assert charts
        xml = z.read(charts[0]).decode()
    assert "<c:lineChart>" in xml
    trend = [n for n in books["en"].sheetnames if n.startswith("Trends")]
    assert trend


def test_customer_sheet_is_capped_with_a_pointer_and_cells_are_safe(tmp_path) -> None:
    n = MAX_CUSTOMER_ROWS + 5
    ids = [f"C{i:06d}" for i in range(n)]
    ids[0], ids[1] = "=HYPERLINK(\"http://x\")", "+cmd|' /C calc'!A0"
    customers = pd.DataFrame({"customer_id": ids, "clv": [1.0000000001] * n, "rfm_segment": ["champions"] * n})
    path = write_excel(Analysis([], AnalysisConfig(), customers=customers), tmp_path / "b.xlsx", "en")
    ws = openpyxl.load_workbook(path)[t("excel.customers", "en")]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    # report.cells' xlsx rule: the id exactly as typed, in a text cell (never a formula)
    assert rows[0][0] == ids[0] and rows[1][0] == ids[1]
    assert ws.cell(2, 1).data_type == "s" and ws.cell(3, 1).data_type == "s"
    assert rows[2][1] == 1.0 and rows[2][2] == "Champions"
    data = [r for r in rows if r[1] is not None]
    assert len(data) == MAX_CUSTOMER_ROWS
    assert "customers.parquet" in rows[-1][0] and f"{n:,}" in rows[-1][0]
