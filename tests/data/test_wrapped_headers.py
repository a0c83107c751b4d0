"""Header cells holding a line break in quotes (Excel's Alt+Enter), as CRM, shop and ERP exports
write them: ``"订单<LF>编号",客户ID,下单时间,"实付<LF>金额"``.

The header was taken from physical line 1 alone ("Headers found: 订单") and the file refused.
The header is now the file's first record (:mod:`loyalscope.data.intake.wrapped_header`); the
rows keep their physical line numbers. Every expected number is computed again from the
written file with pandas (which reads a quoted header over several lines) and from the file's
own lines.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import loyalscope as ls
from loyalscope.cli import app
from loyalscope.errors import SchemaError
from loyalscope.i18n import use_lang

runner = CliRunner()
NOW = pd.Timestamp("2024-12-31")
ZH_HEADER = '"订单\v编号",客户ID,下单时间,"实付\v金额"\n'
ZH_ROWS = ["A1,C1,2024-01-02 10:00,abc",  # line 4: no amount, quarantined at line 4
           "A2,C2,2024-01-03 11:00,30", "A3,C1,2024-02-03 09:30,12.5",
           "A4,C3,2024-03-04 18:00,7.25", "A5,C2,2024-03-09 08:15,100"]


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with use_lang("en"):
        yield


def _write(path: Path, text: str, encoding: str, newline: str, cell_break: str | None = None) -> None:
    """``text`` (lines ended by LF, line breaks inside quoted cells written ``\v``) with
    ``newline`` ending every line and ``cell_break`` (default: ``newline``) inside cells: Excel
    for Windows writes an Alt+Enter break as LF in a CSV whose lines end in CRLF."""
    text = text.replace("\n", newline).replace("\v", newline if cell_break is None else cell_break)
    path.write_bytes(text.encode(encoding))


def _line_of(path: Path, encoding: str, start: str) -> int:
    """The physical line (1-based) of ``path`` that starts with ``start``."""
    lines = path.read_bytes().decode(encoding).splitlines()
    return next(i for i, line in enumerate(lines, start=1) if line.startswith(start))


def _expected(path: Path, encoding: str, amount: str, sep: str = ",") -> tuple[int, float, int]:
    """Rows with an amount, their sum and rows without one, as pandas reads the file (its
    header names keep their line breaks, CRLF or LF: the column is found without them)."""
    frame = pd.read_csv(path, encoding=encoding, dtype=str, sep=sep)
    column = next(c for c in frame.columns if "".join(c.split()) == "".join(amount.split()))
    values = pd.to_numeric(frame[column], errors="coerce")
    return int(values.notna().sum()), float(values.sum()), int(values.isna().sum())


@pytest.mark.parametrize(("encoding", "newline", "cell_break"), [
    ("utf-8", "\n", None), ("utf-8-sig", "\r\n", None), ("utf-8-sig", "\r\n", "\n"),
    ("utf-8", "\r", "\n"), ("gbk", "\r\n", "\n"), ("gbk", "\n", None)])
def test_chinese_header_cells_with_line_breaks(tmp_path: Path, encoding: str, newline: str,
                                               cell_break: str | None) -> None:
    path = tmp_path / "transactions.csv"
    _write(path, ZH_HEADER + "\n".join(ZH_ROWS) + "\n", encoding, newline, cell_break)
    ds = ls.load(tmp_path, now=NOW)
    rep = ds.quality.tables["transactions"]
    assert rep.mapping == {"order_id": "订单编号", "customer_id": "客户ID", "order_ts": "下单时间",
                           "amount": "实付金额"}
    accepted, total, bad = _expected(path, encoding.replace("-sig", ""), "实付\n金额")
    assert (rep.rows_read, rep.rows_accepted, rep.rows_quarantined) == (len(ZH_ROWS), accepted, bad)
    assert rep.lines_read == len(path.read_bytes().splitlines()) - 3  # every line after the header
    assert rep.check_invariant()
    got = ds.table("transactions").to_pandas()
    assert got.amount.sum() == pytest.approx(total)
    assert sorted(got.order_id) == ["A2", "A3", "A4", "A5"]
    q = ds.quality.quarantine
    line = _line_of(path, encoding, "A1,")
    assert line == 4
    assert q[["line", "column", "value"]].values.tolist() == [[line, "amount", "abc"]]
    said = [n for n in rep.notes if "header spans lines 1-3" in n]
    assert len(said) == 1 and "'订单编号', '实付金额'" in said[0] and "line 4" in said[0], rep.notes


def test_validate_reads_the_wrapped_header(tmp_path: Path) -> None:
    """The brief's file: ``validate`` said "Headers found: 订单" and refused it."""
    _write(tmp_path / "transactions.csv",
           ZH_HEADER + "A1,C1,2024-01-02 10:00,12.5\nA2,C2,2024-01-03 11:00,30\n", "utf-8", "\n")
    res = runner.invoke(app, ["validate", str(tmp_path), "--json"])
    assert res.exit_code == 0, res.output
    rep = json.loads(res.stdout)["transactions"]
    assert (rep["rows_read"], rep["rows_accepted"], rep["rows_quarantined"]) == (2, 2, 0)
    assert rep["mapping"]["amount"] == "实付金额"
    assert any("lines 1-3" in n for n in rep["notes"])


def test_latin_header_cells_and_a_multiline_remark(tmp_path: Path) -> None:
    """English headers wrapped between words read with a space (``Order ID``); a data record
    whose free-text remark holds a line break is still one record, on its own lines."""
    text = ('"Order\vID","Customer\vID","Order\vDate",Amount,"Customer\vReview"\n'
            "O1,C1,2024-01-05,10,ok\n"
            'O2,C2,2024-01-06,20,"two\vlines"\n'
            "O3,C3,2024-01-07,x,fine\n"
            "O4,C1,2024-02-07,40.5,\n")
    path = tmp_path / "orders.csv"
    _write(path, text, "ascii", "\r\n")
    ds = ls.load(path, now=NOW)
    rep = ds.quality.tables["transactions"]
    assert rep.mapping["order_id"] == "Order ID" and rep.mapping["order_ts"] == "Order Date"
    assert "Customer Review" in rep.unused_columns[0]["columns"]
    accepted, total, bad = _expected(path, "ascii", "Amount")
    assert (rep.rows_read, rep.rows_accepted, rep.rows_quarantined) == (4, accepted, bad)
    assert rep.lines_read == len(path.read_bytes().splitlines()) - 5 == 5
    assert ds.table("transactions").to_pandas().amount.sum() == pytest.approx(total)
    q = ds.quality.quarantine
    assert q[["line", "column"]].values.tolist() == [[_line_of(path, "ascii", "O3,"), "amount"]]
    assert q.line.tolist() == [9]
    assert any("header spans lines 1-5" in n and "'Order ID'" in n for n in rep.notes), rep.notes


def test_tab_separated_wrapped_header(tmp_path: Path) -> None:
    """The delimiter is judged on the whole header record (line 1 alone, ``"订单``, has none)."""
    text = '"订单\v编号"\t客户ID\t下单时间\t"实付\v金额"\nA1\tC1\t2024-01-02 10:00\t12.5\n' \
           "A2\tC2\t2024-01-03 11:00\t30\n"
    path = tmp_path / "订单.txt"
    _write(path, text, "utf-8", "\n")
    ds = ls.load(path, now=NOW)
    rep = ds.quality.tables["transactions"]
    accepted, total, _ = _expected(path, "utf-8", "实付\n金额", sep="\t")
    assert rep.rows_accepted == accepted == 2 and rep.rows_quarantined == 0
    assert ds.table("transactions").to_pandas().amount.sum() == pytest.approx(total)


def test_xlsx_header_cells_with_line_breaks(tmp_path: Path) -> None:
    """A workbook's header cells holding Alt+Enter breaks: matched (headers are compared
    without white space) and shown folded, with a note; rows keep their sheet row numbers."""
    import openpyxl

    path = tmp_path / "transactions.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["订单\n编号", "客户ID", "下单时间", "实付\n金额", "Order\nNote"])
    for row in ZH_ROWS:
        oid, cid, ts, amount = row.split(",")
        ws.append([oid, cid, ts, float(amount) if amount != "abc" else amount, "x"])
    wb.save(path)
    ds = ls.load(path, now=NOW)
    rep = ds.quality.tables["transactions"]
    assert rep.mapping["order_id"] == "订单编号" and rep.mapping["amount"] == "实付金额"
    assert rep.unused_columns[0]["columns"] == ["Order Note"]
    frame = pd.read_excel(path, dtype=str)
    values = pd.to_numeric(frame["实付\n金额"], errors="coerce")
    assert (rep.rows_read, rep.rows_accepted, rep.rows_quarantined) == (
        len(frame), int(values.notna().sum()), int(values.isna().sum()))
    assert ds.table("transactions").to_pandas().amount.sum() == pytest.approx(values.sum())
    assert ds.quality.quarantine.line.tolist() == [2]  # sheet row 2: the first under the header
    assert any("'订单编号', '实付金额', 'Order Note'" in n for n in rep.notes), rep.notes


# ---- a quote in line 1 that is no wrapped header ----------------------------------------------
def test_inch_mark_in_a_header_cell_is_no_open_quote(tmp_path: Path) -> None:
    """A quote inside an unquoted header cell is text (as Python's and Excel's readers read
    it): line 1 stays the header, the rows are read from line 2."""
    path = tmp_path / "orders.csv"
    path.write_text('order_id,customer_id,order_ts,amount,Screen 15" model\n'
                    "O1,C1,2024-01-05,10,A\nO2,C2,2024-01-06,x,B\nO3,C1,2024-02-06,5.5,C\n",
                    encoding="utf-8")
    ds = ls.load(path, now=NOW)
    rep = ds.quality.tables["transactions"]
    accepted, total, bad = _expected(path, "utf-8", "amount")
    assert (rep.rows_read, rep.rows_accepted, rep.rows_quarantined) == (3, accepted, bad)
    assert rep.unused_columns[0]["columns"] == ['Screen 15" model']
    assert ds.quality.quarantine.line.tolist() == [_line_of(path, "utf-8", "O2,")] == [3]
    assert ds.table("transactions").to_pandas().amount.sum() == pytest.approx(total)
    assert not any("header spans" in n for n in rep.notes)


def test_unclosed_quote_in_the_header_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "transactions.csv"
    path.write_text('"订单编号,客户ID,下单时间,实付金额\n' + "\n".join(ZH_ROWS) + "\n",
                    encoding="utf-8")
    with pytest.raises(SchemaError) as exc:
        ls.load(path, now=NOW)
    err = exc.value
    assert err.file == "transactions.csv" and err.row == 1
    assert "opens a quoted cell" in err.message and "unbalanced quote" in err.message
    assert err.fix is not None and "close the quote in its header" in err.fix
    res = runner.invoke(app, ["validate", str(tmp_path)])
    assert res.exit_code != 0
    out = " ".join(res.output.split())
    assert "transactions.csv" in out and "line 1" in out.lower() and "close the quote" in out


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_a_wrapped_cell_may_hold_the_delimiter(tmp_path: Path, encoding: str) -> None:
    """``"备注<LF>(选填, 客户留言)"``: a wrapped header cell holding the delimiter was refused as a
    quote that took in data lines. It is a header cell when the data lines have as many cells as
    the header (5 here); a quote that took data lines in leaves them another count (below)."""
    text = ('订单编号,客户ID,下单时间,实付金额,"备注\v(选填, 客户留言)"\n'
            + "\n".join(f"{r},{c}" for r, c in zip(ZH_ROWS, ["", '"快点, 谢谢"', "好", "", "x"], strict=True))
            + "\n")
    path = tmp_path / "transactions.csv"
    _write(path, text, encoding, "\r\n", "\n")
    ds = ls.load(path, now=NOW)
    rep = ds.quality.tables["transactions"]
    assert rep.mapping["amount"] == "实付金额"
    assert rep.unused_columns[0]["columns"] == ["备注(选填, 客户留言)"]
    accepted, total, bad = _expected(path, encoding, "实付金额")
    assert (rep.rows_read, rep.rows_accepted, rep.rows_quarantined) == (len(ZH_ROWS), accepted, bad)
    assert ds.table("transactions").to_pandas().amount.sum() == pytest.approx(total)
    assert ds.quality.quarantine.line.tolist() == [_line_of(path, encoding, "A1,")] == [3]
    # the same header over a data line that a stray quote took in: 2 cells, data lines 5
    path.write_text('订单编号,客户ID,下单时间,实付金额,"备注\nA1,C1,2024-01-02 10:00,12.5,"\n'
                    "A2,C2,2024-01-03 11:00,30,x\nA3,C3,2024-01-04 12:00,8,y\n", encoding="utf-8")
    with pytest.raises(SchemaError) as exc:
        ls.load(path, now=NOW)
    assert exc.value.row == 1 and "are no header" in exc.value.message


def test_header_quote_closed_by_a_data_line_is_refused(tmp_path: Path) -> None:
    """A quote in line 1 that a quote in a data line would close: the "header cell" holds data
    lines (line breaks and the delimiter), so the file is refused, not read without them."""
    path = tmp_path / "transactions.csv"
    path.write_text('"订单编号,客户ID,下单时间,实付金额\nA1,C1,2024-01-02 10:00,12.5\n'
                    'A2,C2,2024-01-03 11:00,"30"",5\nA3,C3,2024-01-04 12:00,8\n', encoding="utf-8")
    with pytest.raises(SchemaError) as exc:
        ls.load(path, now=NOW)
    assert exc.value.row == 1 and "lines 1-3 are no header" in exc.value.message
    assert "also holds the delimiter ','" in exc.value.message
