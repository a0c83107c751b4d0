"""Streamed sheet rows (report/xlsx_rows.py): the cells read back (openpyxl and calamine) exactly as
xlsxwriter itself writes the same values, in a valid workbook with the right dimension."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook
from xlsxwriter.utility import xl_col_to_name

from loyalscope.analysis import Analysis
from loyalscope.config import AnalysisConfig
from loyalscope.i18n import t
from loyalscope.report import xlsx_rows
from loyalscope.report.cells import safe_text
from loyalscope.report.excel import clean_number, write_excel

AWKWARD = ["<a&b>\"'", "_x0041_ literal", " lead", "trail ", "two\nlines", "tab\tin", "客户 😀", "a\x01b",
           "=1+1", "@SUM(A1)", "-3", "x" * 40_000, "\ufffe", "", "plain"]


def _frame() -> pd.DataFrame:
    n = len(AWKWARD)
    return pd.DataFrame({
        "customer_id": [f"C{i:02d}" for i in range(n)],
        "note": AWKWARD,
        "clv": [1.005, 2.675, 1e20, -0.0, np.inf, np.nan, 3367456.730000006, 1e-7, 0.1 + 0.2, 5.0, -1.5, 12.0,
                2**60, 7.0, 8.0],
        "loyalty_index": [0.1 + 0.2, 1 / 3, 2.0, np.nan, -np.inf, 1e-300, 123456789.123456789, 4.0, 5.5, 6.0, 7.0,
                          8.0, 9.0, 10.0, 11.0],
        "r": np.arange(n, dtype="int64"),
        "flag": [True, False] * 7 + [True],
    })


def _reference(path: Path, frame: pd.DataFrame, lang: str) -> None:
    """The same cells written by xlsxwriter's own write_string / write_number (constant memory)."""
    units = {"clv": "currency", "loyalty_index": "score", "r": "count"}
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False,
                                         "strings_to_urls": False, "nan_inf_to_errors": False})
    ws = wb.add_worksheet("ref")
    for i, rec in enumerate(frame.itertuples(index=False), start=2):
        for j, (col, v) in enumerate(zip(frame.columns, rec, strict=True)):
            if isinstance(v, (bool, np.bool_)):
                ws.write_string(i, j, t("core.yes" if v else "core.no", lang))
            elif isinstance(v, str):
                ws.write_string(i, j, safe_text(v, "xlsx"))
            elif (num := clean_number(v, units.get(col))) is not None:
                ws.write_number(i, j, num)
    wb.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_cells_read_back_as_xlsxwriter_writes_them(tmp_path: Path, lang: str) -> None:
    frame = _frame()
    path = write_excel(Analysis([], AnalysisConfig(), customers=frame), tmp_path / "s.xlsx", lang)
    _reference(tmp_path / "ref.xlsx", frame, lang)
    ours = openpyxl.load_workbook(path)[t("excel.customers", lang)]
    ref = openpyxl.load_workbook(tmp_path / "ref.xlsx")["ref"]
    # customers by CLV, highest first; the reference row of each id
    by_id = {row[0]: row for row in ref.iter_rows(min_row=3, values_only=True)}
    got = list(ours.iter_rows(min_row=3, values_only=True))
    assert len(got) == len(frame)
    for row in got:
        assert row == by_id[row[0]], row[0]
    note = {r[0]: r[1] for r in got}
    assert note["C11"] == "x" * 32_767  # Excel's limit, as xlsxwriter cuts it
    assert note["C00"] == "<a&b>\"'" and note["C02"] == " lead" and note["C03"] == "trail "
    assert note["C07"] == "a\\x01b" and note["C08"] == "=1+1" and note["C06"] == "客户 😀"
    assert all(c.data_type != "f" for r in ours.iter_rows() for c in r)  # never a formula
    # calamine (the intake's reader) decodes Excel's escape of a literal "_x0041_" as Excel does
    cal = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(t("excel.customers", lang)).to_python()
    assert [r[0] for r in cal[2:]] == [r[0] for r in got]
    cal_note = {r[0]: r[1] for r in cal[2:]}
    assert cal_note["C01"] == "_x0041_ literal" and note["C01"] == "_x005F_x0041_ literal"
    assert {k: v for k, v in cal_note.items() if k not in ("C01", "C12")} == \
        {k: v for k, v in note.items() if k not in ("C01", "C12")}


def test_dimension_chunks_and_empty_sheets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsx_rows, "CHUNK_ROWS", 1000)  # several chunks from a small table
    n = 2_503
    frame = pd.DataFrame({"customer_id": [f"K{i:05d}" for i in range(n)], "clv": np.arange(n, dtype=float)})
    path = write_excel(Analysis([], AnalysisConfig(), customers=frame), tmp_path / "d.xlsx", "en")
    ws = openpyxl.load_workbook(path, read_only=True)[t("excel.customers", "en")]
    assert (ws.max_row, ws.max_column) == (n + 2, 2)  # read-only openpyxl trusts <dimension>
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    assert rows == [(f"K{i:05d}", float(i)) for i in reversed(range(n))]
    empty = write_excel(Analysis([], AnalysisConfig(), customers=frame.head(0)), tmp_path / "e.xlsx", "en")
    sheet = openpyxl.load_workbook(empty)[t("excel.customers", "en")]
    assert [c.value for c in sheet[2]] == ["customer id", "CLV (currency)"] and sheet.max_row == 2
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary files left


def test_column_letters_are_excels() -> None:
    for j in (0, 1, 25, 26, 27, 51, 52, 701, 702, 16_383):
        assert xlsx_rows.column_letter(j) == xl_col_to_name(j)
