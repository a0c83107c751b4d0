"""Spreadsheets, JSON, archives, Parquet structure and folders through ``loyalscope.load``."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import loyalscope as ls
from loyalscope.config import AnalysisConfig
from loyalscope.data.intake import stage
from loyalscope.errors import DataQualityError, SchemaError
from loyalscope.i18n import use_lang

NOW = pd.Timestamp("2024-06-01")
HEAD = ["订单编号", "客户编号", "下单时间", "金额"]


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with use_lang("en"):
        yield


def _chinese_workbook(path: Path) -> None:
    """As 有赞 / 金蝶 style exports come: a hidden first sheet, title rows, a total row, notes."""
    wb = openpyxl.Workbook()
    old = wb.active
    old.title = "上月"
    old.append(HEAD)
    old.append(["OLD1", "C9", "2023-12-01", 99])
    old.sheet_state = "hidden"
    ws = wb.create_sheet("订单明细")
    ws.append(["2024年1月订单明细表"])
    ws.append(["导出时间：2024-02-01 09:00"])
    ws.append(HEAD)
    ws.append(["A1", "007", dt.datetime(2024, 1, 5, 10, 30), 1200.5])
    ws.append(["A2", "张三", "2024/1/6", "￥300"])
    ws.append(["A3", 8, dt.datetime(2024, 1, 7), 30])
    ws.append([])
    ws.append(["合计", None, None, 1530.5])
    wb.create_sheet("说明").append(["本表仅供内部使用"])
    wb.save(path)


def test_excel_as_chinese_systems_write_it(tmp_path: Path) -> None:
    p = tmp_path / "订单.xlsx"
    _chinese_workbook(p)
    ds = ls.load(p, now=NOW)
    got = ds.table("transactions").order_by("order_id").execute()
    assert got["order_id"].tolist() == ["A1", "A2", "A3"]  # not OLD1 (hidden), not 合计
    assert got["customer_id"].tolist() == ["007", "张三", "8"]
    assert got["amount"].tolist() == [1200.5, 300.0, 30.0]
    assert got["order_ts"].tolist() == [pd.Timestamp("2024-01-05 10:30"), pd.Timestamp("2024-01-06"),
                                        pd.Timestamp("2024-01-07")]
    rep = ds.quality.tables["transactions"]
    assert rep.rows_read == 3 and rep.check_invariant()
    notes = " | ".join(rep.notes)
    assert "sheet '订单明细' read" in notes and "hidden sheet '上月' skipped" in notes
    assert "title row(s) 1-2" in notes and "total row 8 excluded ('合计')" in notes
    assert "sheet '说明' not read" in notes
    assert rep.files[0]["sheet"] == "订单明细"


def test_excel_sheets_named_after_tables_are_read(tmp_path: Path) -> None:
    p = tmp_path / "export.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "订单"
    ws.append(HEAD)
    ws.append(["A1", "C1", "2024-01-05", 5])
    cs = wb.create_sheet("客户")
    cs.append(["客户编号", "注册日期"])
    cs.append(["C1", "2023-01-01"])
    other = wb.create_sheet("Pivot")
    other.append(["渠道", "金额"])
    other.append(["线上", 5])
    wb.save(p)
    ds = ls.load({"transactions": p}, now=NOW)
    assert {"transactions", "customers"} <= set(ds.tables)
    assert ds.quality.unused == [{"file": f"{p}!Pivot", "reason": ds.quality.unused[0]["reason"]}]


def test_xls_is_read_by_the_same_reader(tmp_path: Path) -> None:
    """A BIFF .xls (Excel 97-2003, as older Chinese ERPs export) with a title row, a hidden
    first sheet and a 总计 row: the same layout rules as .xlsx."""
    xlwt = pytest.importorskip("xlwt")
    book = xlwt.Workbook(encoding="utf-8")
    hidden = book.add_sheet("旧")
    hidden.write(0, 0, "订单编号")
    hidden.visibility = 1
    ws = book.add_sheet("销售")
    ws.write(0, 0, "销售订单导出")
    for j, h in enumerate(HEAD):
        ws.write(1, j, h)
    date = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for i, (oid, cid, amount) in enumerate([("A1", "张三", 10.5), ("A2", "李四", 20)], start=2):
        ws.write(i, 0, oid)
        ws.write(i, 1, cid)
        ws.write(i, 2, dt.datetime(2024, 1, i), date)
        ws.write(i, 3, amount)
    ws.write(4, 0, "总计")
    ws.write(4, 3, 30.5)
    p = tmp_path / "订单.xls"
    book.save(str(p))
    ds = ls.load(p, now=NOW)
    got = ds.table("transactions").order_by("order_id").execute()
    assert got["customer_id"].tolist() == ["张三", "李四"] and got["amount"].tolist() == [10.5, 20.0]
    assert got["order_ts"].tolist() == [pd.Timestamp("2024-01-02"), pd.Timestamp("2024-01-03")]
    notes = " | ".join(ds.quality.tables["transactions"].notes)
    assert "total row 5 excluded ('总计')" in notes and "hidden sheet '旧' skipped" in notes


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04garbage", b"not a workbook at all"])
def test_empty_or_corrupt_xlsx_is_an_answer(tmp_path: Path, content: bytes) -> None:
    p = tmp_path / "orders.xlsx"
    p.write_bytes(content)
    with pytest.raises(SchemaError) as info:
        ls.load(p)
    assert info.value.file is not None and info.value.fix


def _bomb(path: Path, rows: int) -> None:
    """An .xlsx whose one sheet is ``rows`` rows of 10 cells: ~1,000:1 compressed."""
    row = "".join(f'<c t="n"><v>{j}</v></c>' for j in range(10))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
        zf.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        zf.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>')
        zf.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            fh.write(b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
            block = ("".join(f"<row>{row}</row>" for _ in range(10_000))).encode()
            for _ in range(rows // 10_000):
                fh.write(block)
            fh.write(b"</sheetData></worksheet>")


def test_cell_limit_stops_a_small_bomb(tmp_path: Path) -> None:
    p = tmp_path / "orders.xlsx"
    _bomb(p, 100_000)
    cfg = AnalysisConfig.load(None, **{"data.max_cells": 500_000})
    with pytest.raises(DataQualityError) as info:
        stage(p, cfg)
    assert "max_cells" in (info.value.fix or "")
    cfg = AnalysisConfig.load(None, **{"data.max_decompressed_mb": 1})
    with pytest.raises(DataQualityError) as info:
        stage(p, cfg)
    assert "max_decompressed_mb" in (info.value.fix or "")


@pytest.mark.slow
def test_zip_bomb_xlsx_keeps_memory_small(tmp_path: Path) -> None:
    """Issue #10: a 1.5 MB bomb .xlsx drove memory to 4.5 GB. With the default limits the CLI
    answers with the limit and its fix, exit 2, and the process stays small (VmHWM)."""
    p = tmp_path / "orders.xlsx"
    _bomb(p, 1_700_000)  # 17 M cells, 0.6 GB of XML in 1.5 MB
    assert p.stat().st_size < 1_600_000
    code = ("import resource, sys\n"
            "from loyalscope.cli import main\n"
            "try:\n    main()\nexcept SystemExit as e:\n    rc = e.code\n"
            "peak = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0]\n"
            "sys.stderr.write(f'RC={rc} {peak}')\n")
    run = subprocess.run([sys.executable, "-c", code, "validate", str(p), "--json"],
                         capture_output=True, text=True, timeout=600)
    err = json.loads(run.stdout)
    assert err["error"] == "DataQualityError" and "zip bomb" in err["message"]
    assert "RC=2" in run.stderr
    peak_kb = int(run.stderr.split("VmHWM:")[1].split()[0])
    assert peak_kb < 600_000, run.stderr  # MiB-scale, not gigabytes


def test_json_array_and_lines(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "orders.jsonl").write_text(
        '{"order_id": "A1", "customer_id": "C1", "order_ts": "2024-01-05", "amount": 1.10}\n'
        '{"order_id": "A2", "customer_id": "C\n2", "order_ts": "2024-01-06", "amount": 2}\n'
        '{"order_id": "A3", "customer_id": "C3", "order_ts": "2024-01-07", "amount": 3, "amount": 4}\n'
        '{"order_id": "A4", "customer_id": "C4", "order_ts": "2024-01-08", "amount": 4}\n',
        encoding="utf-8")
    (folder / "customers.json").write_text(json.dumps(
        [{"customer_id": "C1", "signup_date": "2023-01-01"},
         {"customer_id": "C4", "signup_date": "2023-02-01"}], indent=2), encoding="utf-8")
    ds = ls.load(folder, now=NOW)
    assert ds.table("transactions").order_by("order_id").execute()["order_id"].tolist() == ["A1", "A4"]
    assert ds.table("customers").count().execute() == 2
    q = ds.quality.quarantine
    assert q[["line", "reason"]].values.tolist() == [[2, "json_multiline"], [4, "json_duplicate_key"]]
    assert "lines 2-3" in q["detail"].iloc[0]
    assert ds.quality.tables["transactions"].rows_read == 4


def test_gz_zip_xls_json_in_a_folder_and_unused_files_listed(tmp_path: Path) -> None:
    rows = "订单编号,客户编号,下单时间,金额\nA1,张三,2024-01-05,5\nA2,李四,2024-01-06,6\n"
    (tmp_path / "orders.csv.gz").write_bytes(gzip.compress(rows.encode("gbk")))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("XXXX.csv", "客户编号,注册日期\n张三,2023-01-01\n".encode("gbk"))
        zf.writestr("readme.md", "notes")
    # the member name in GBK bytes without the UTF-8 flag, as Chinese Windows zips store it
    (tmp_path / "export.zip").write_bytes(buf.getvalue().replace(b"XXXX.csv", "客户.csv".encode("gbk")))
    (tmp_path / "notes.docx").write_bytes(b"PK")
    (tmp_path / "summary.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (tmp_path / "old").mkdir()
    ds = ls.load(tmp_path, now=NOW)
    assert set(ds.table("transactions").execute()["customer_id"]) == {"张三", "李四"}
    assert ds.table("customers").execute()["customer_id"].tolist() == ["张三"]
    unused = {Path(u["file"].split("!")[0]).name: u["reason"] for u in ds.quality.unused}
    assert set(unused) == {"notes.docx", "summary.csv", "old"}
    assert ds.quality.tables["customers"].sources == [f"{tmp_path / 'export.zip'}!客户.csv"]
    assert any("readme.md" in n for n in ds.quality.tables["customers"].notes)


def test_zip_bomb_member_and_lying_sizes(tmp_path: Path) -> None:
    p = tmp_path / "orders.zip"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("orders.csv", b"order_id,customer_id,order_ts,amount\n" + b"0" * (3 << 20))
    cfg = AnalysisConfig.load(None, **{"data.max_decompressed_mb": 2})
    with pytest.raises(DataQualityError, match="max_decompressed_mb"):
        stage(p, cfg)
    # a member whose header claims 10 bytes but inflates to 3 MiB: zipfile stops and fails CRC
    raw = bytearray(p.read_bytes())
    for sig in (b"PK\x03\x04", b"PK\x01\x02"):
        at = raw.find(sig)
        off = at + (22 if sig == b"PK\x03\x04" else 24)
        raw[off:off + 4] = (10).to_bytes(4, "little")
    p.write_bytes(bytes(raw))
    with pytest.raises(SchemaError):
        stage(p)


def test_parquet_structure_errors(tmp_path: Path) -> None:
    empty = tmp_path / "orders.parquet"
    empty.write_bytes(b"")
    with pytest.raises(SchemaError):
        ls.load(empty)
    empty.write_bytes(b"PAR1 not really")
    with pytest.raises(SchemaError, match="cannot be opened"):
        ls.load(empty)
    dup = tmp_path / "transactions.parquet"
    pq.write_table(pa.Table.from_arrays([pa.array(["A1"]), pa.array([1.0]), pa.array([2.0])],
                                        names=["order_id", "amount", "amount"]), dup)
    with pytest.raises(SchemaError) as info:
        ls.load(dup)
    assert info.value.column == "amount" and "unique" in (info.value.fix or "")


def test_parquet_boolean_amounts_are_refused(tmp_path: Path) -> None:
    p = tmp_path / "transactions.parquet"
    pd.DataFrame({"order_id": ["A1", "A2"], "customer_id": ["C1", "C2"],
                  "order_ts": pd.to_datetime(["2024-01-01", "2024-01-02"]),
                  "amount": [True, False]}).to_parquet(p)
    with pytest.raises(SchemaError) as info:
        ls.load(p, now=NOW)
    assert info.value.column == "amount" and "bool" in info.value.message


def test_parquet_year_one_dates_are_quarantined(tmp_path: Path) -> None:
    p = tmp_path / "transactions.parquet"
    pq.write_table(pa.table({
        "order_id": ["A1", "A2"], "customer_id": ["C1", "C2"],
        "order_ts": pa.array([dt.datetime(1, 1, 1), dt.datetime(2024, 1, 1)], pa.timestamp("us")),
        "amount": [1.0, 2.0]}), p)
    ds = ls.load(p, now=NOW)
    assert ds.table("transactions").execute()["order_id"].tolist() == ["A2"]


def test_huge_cell_and_control_characters_are_answers(tmp_path: Path) -> None:
    p = tmp_path / "orders.csv"
    p.write_text("order_id,customer_id,order_ts,amount\n"
                 f"A1,{'x' * 200_000},2024-01-05,5\nA2,C\x01\x1b2,2024-01-06,6\n", encoding="utf-8")
    ds = ls.load(p, now=NOW)
    rep = ds.quality.tables["transactions"]
    assert rep.rows_read == 2 and rep.check_invariant()
