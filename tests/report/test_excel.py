"""The workbook an analyst keeps: summary first, number formats, units, frozen headers, filters,
no float noise, one sheet per recommended action's target list, native charts, safe cells."""

from __future__ import annotations

import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from loyalscope.analysis import Analysis
from loyalscope.config import AnalysisConfig
from loyalscope.i18n import t
from loyalscope.report import customer_columns as cc
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
        # the customer sheet has a caption above its header (how many, which order, where all are)
        assert ws.freeze_panes == ("A3" if ws.title == t("excel.customers", "en") else "A2"), ws.title
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
    header = [c.value for c in customers[2]]
    assert "CLV (currency)" in header and "churn risk" in header
    clv = header.index("CLV (currency)") + 1
    assert customers.cell(3, clv).number_format == "#,##0.00"
    for col in (clv, header.index("churn risk") + 1):
        for (v,) in customers.iter_rows(min_row=3, max_row=200, min_col=col, max_col=col, values_only=True):
            assert v is None or v == clean_number(v, "currency" if col == clv else "percent")


def test_segment_ids_become_labels_in_the_workbook(demo, books) -> None:
    ws = books["zh"][t("excel.customers", "zh")]
    header = [c.value for c in ws[2]]
    seg = [r[header.index(t("report.customer.rfm_segment", "zh"))] for r in ws.iter_rows(min_row=3, values_only=True)]
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


def _sheet(path, name: str) -> list[list]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name).to_python()


def test_customer_sheet_is_capped_by_value_with_a_caption_and_cells_are_safe(tmp_path) -> None:
    n = MAX_CUSTOMER_ROWS + 5
    rng = np.random.default_rng(3)
    ids = [f"C{i:06d}" for i in range(n)]
    ids[0], ids[1] = "=HYPERLINK(\"http://x\")", "+cmd|' /C calc'!A0"
    clv = rng.gamma(1.0, 100.0, n).round(4)
    clv[[0, 1]] = 1e9  # the attack rows are shown (first), the tie broken by customer id
    clv[5:40] = 7.5  # ties around nothing in particular, and missing values last
    clv[40:60] = np.nan
    customers = pd.DataFrame({"customer_id": ids, "clv": clv, "rfm_segment": ["champions"] * n})
    path = write_excel(Analysis([], AnalysisConfig(), customers=customers), tmp_path / "b.xlsx", "en")
    ws = openpyxl.load_workbook(path)[t("excel.customers", "en")]
    # report.cells' xlsx rule: the id exactly as typed, in a text cell (never a formula)
    assert ws["A3"].value == ids[1] and ws["A4"].value == ids[0]  # "+..." < "=..." in id order
    assert ws["A3"].data_type == "s" and ws["A4"].data_type == "s"
    assert ws.freeze_panes == "A3" and ws.auto_filter.ref == f"A2:C{MAX_CUSTOMER_ROWS + 2}"
    rows = _sheet(path, t("excel.customers", "en"))
    caption, header, data = rows[0][0], rows[1], rows[2:]
    assert caption == t("excel.customers_top", "en", shown=f"{MAX_CUSTOMER_ROWS:,}", total=f"{n:,}",
                        order="CLV (currency)")
    assert "20,000" in caption and f"{n:,}" in caption and "customers.parquet" in caption \
        and "customers.csv" in caption and "highest" in caption
    assert header == ["customer id", "CLV (currency)", "RFM segment"]
    # an independent ranking: highest CLV first, ties by id, missing last
    expected = customers.assign(k=customers.clv.fillna(-np.inf)).sort_values(
        ["k", "customer_id"], ascending=[False, True]).head(MAX_CUSTOMER_ROWS)
    assert len(data) == MAX_CUSTOMER_ROWS
    assert [r[0] for r in data] == expected.customer_id.tolist()
    assert [r[1] for r in data] == ["" if np.isnan(v) else round(v, 2) for v in expected.clv]
    assert [r[1] for r in data[-15:]] == [""] * 15  # 20 without a CLV: last, 5 of them cut
    assert {r[2] for r in data} == {"Champions"}


def test_customer_sheet_caption_in_chinese_and_without_a_value_column(tmp_path) -> None:
    customers = pd.DataFrame({"customer_id": ["b", "a", "c"], "rfm_segment": ["lost", "champions", None]})
    path = write_excel(Analysis([], AnalysisConfig(), customers=customers), tmp_path / "b.xlsx", "zh")
    rows = _sheet(path, t("excel.customers", "zh"))
    assert rows[0][0] == t("excel.customers_all_id", "zh", total="3")
    assert "customers.csv" in rows[0][0] and "客户编号" in rows[0][0]
    assert [r[0] for r in rows[2:]] == ["a", "b", "c"]
    assert [r[1] for r in rows[2:]] == [t("segments.name.champions", "zh"), t("segments.name.lost", "zh"), ""]


def test_demo_customer_sheet_matches_the_customers_file(demo) -> None:
    """The workbook written by write_outputs, read with calamine, against customers.parquet."""
    cu = pd.read_parquet(demo.out / "customers.parquet")
    rows = _sheet(demo.out / "loyalscope.xlsx", t("excel.customers", "zh"))
    header, data = rows[1], rows[2:]
    shown = min(len(cu), MAX_CUSTOMER_ROWS)
    assert str(len(cu)) in rows[0][0].replace(",", "") and len(data) == shown
    expected = cu.assign(k=cu.clv.fillna(-np.inf)).sort_values(["k", "customer_id"], ascending=[False, True])
    assert [r[0] for r in data] == expected.customer_id.head(shown).tolist()
    for col, unit_round in (("clv", 2), ("churn_probability", 6), ("f", 0)):
        j = header.index(cc.label(col, "zh"))
        got = [r[j] for r in data]
        want = expected[col].head(shown).tolist()
        assert all((g == "" and pd.isna(w)) or g == round(w, unit_round) for g, w in zip(got, want, strict=True)), col
    j = header.index(cc.label("rfm_segment", "zh"))
    assert [r[j] for r in data] == [t(f"segments.name.{s}", "zh") for s in expected.rfm_segment.head(shown)]
    # every customer, in the parquet's order, in customers.csv (text cells by the CSV rules)
    csv = pd.read_csv(demo.out / "customers.csv", encoding="utf-8-sig", dtype={"customer_id": str},
                      float_precision="round_trip")
    assert list(csv.columns) == list(cu.columns) and len(csv) == len(cu)
    assert csv.customer_id.tolist() == cu.customer_id.astype(str).tolist()
    for col in cu.select_dtypes("number").columns:
        assert np.array_equal(csv[col].to_numpy(float), cu[col].to_numpy(float), equal_nan=True), col
