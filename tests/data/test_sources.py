"""Readers: every format, encodings, delimiters, line numbers and malformed lines.

Sources are relations on the engine (DuckDB here); the tests read them back to check."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import ibis
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from loyalscope.config import AnalysisConfig
from loyalscope.data import sources
from loyalscope.errors import SchemaError
from loyalscope.i18n import use_lang


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages are asserted in English whatever LANG the machine has."""
    with use_lang("en"):
        yield


CFG = AnalysisConfig()


def _read(path, config: AnalysisConfig = CFG) -> list:
    con = ibis.duckdb.connect()
    out = sources.read_source(path, config, con)
    for src in out:
        src.frame = src.rel.order_by("_line").execute()
    return out


def _own(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if not c.startswith("_")]
ROWS = [["A1", "C1", "2024-01-05", "100"], ["A2", "C2", "2024-01-06", "200"]]
HEAD = ["订单编号", "客户编号", "下单时间", "金额"]


def _text(path: Path, sep: str, encoding: str) -> Path:
    body = "\n".join(sep.join(r) for r in [HEAD, *ROWS]) + "\n"
    path.write_bytes(body.encode(encoding))
    return path


@pytest.mark.parametrize(
    ("name", "sep", "encoding", "detected"),
    [
        ("orders.csv", ",", "utf-8", "utf-8"),
        ("orders.csv", ",", "utf-8-sig", "utf-8-sig"),
        ("订单.csv", ",", "gbk", "gb18030"),
        ("订单.csv", ",", "gb18030", "gb18030"),
        ("orders.tsv", "\t", "utf-8", "utf-8"),
        ("orders.txt", "\t", "utf-16", "utf-16-le"),  # Excel "Unicode text"
        ("orders.csv", ";", "utf-8", "utf-8"),
        ("orders.csv", "|", "utf-8", "utf-8"),
    ],
)
def test_text_encodings_and_delimiters(tmp_path: Path, name: str, sep: str, encoding: str,
                                       detected: str) -> None:
    raw = _read(_text(tmp_path / name, sep, encoding))[0]
    assert raw.table == "transactions"
    assert raw.encoding == detected
    assert _own(raw.frame) == HEAD
    assert raw.frame[HEAD].values.tolist() == ROWS
    assert raw.frame["_line"].tolist() == [2, 3] and raw.lines == 2


def test_gbk_file_is_read_through_intake_as_gb18030(tmp_path: Path) -> None:
    p = tmp_path / "customers.csv"
    text = "客户编号,姓名,地区\n" + "".join(f"C{i},张三{i},广东省深圳市\n" for i in range(50))
    p.write_bytes(text.encode("gbk"))
    src = _read(p)[0]
    assert src.encoding == "gb18030" and src.staged is not None
    assert src.frame["地区"].tolist() == ["广东省深圳市"] * 50


def test_lone_cr_line_ends_are_line_breaks(tmp_path: Path) -> None:
    """Old Mac exports end lines in a lone CR: each is a line break, line numbers follow."""
    p = tmp_path / "orders.csv"
    p.write_bytes(b"order_id,customer_id,order_ts,amount\rA1,C1,2024-01-05,1\r\n"
                  b"A2,C2,2024-01-06,2\rA3,C3,2024-01-07,3\n")
    f = _read(p)[0].frame
    assert f["order_id"].tolist() == ["A1", "A2", "A3"] and f["_line"].tolist() == [2, 3, 4]
    mixed = tmp_path / "transactions.csv"  # LF first, then CRLF (concatenated exports)
    mixed.write_bytes(b"order_id,customer_id,order_ts,amount\nA1,C1,2024-01-05,1\r\n\r\n"
                      b"A2,C2,2024-01-06,2\nA3,C3,2024-01-07,3\r\n")
    f = _read(mixed)[0].frame
    assert f["order_id"].tolist() == ["A1", "", "A2", "A3"] and f["_line"].tolist() == [2, 3, 4, 5]


def test_line_numbers_with_quoted_newlines_and_malformed_lines(tmp_path: Path) -> None:
    # An id holding a line break is not a record (issue #10: it used to be accepted); its two
    # lines are quarantined with their range and the lines after them are read as usual.
    p = tmp_path / "orders.csv"
    p.write_text('order_id,customer_id,order_ts,amount\nA1,C1,2024-01-05,"1,200"\n'
                 'A2,"C\n2",2024-01-06,5\nA3,C3\nA4,C4,2024-01-07,1,extra\n\nA5,C5,2024-01-08,9\n',
                 encoding="utf-8")
    raw = _read(p)[0]
    f = raw.frame
    assert f["_line"].tolist() == [2, 3, 4, 5, 6, 7, 8]
    assert f["_reason"].tolist() == [None, "unbalanced_quote", "unbalanced_quote", "malformed_line",
                                     "malformed_line", "empty_row", None]
    assert f["amount"].iloc[0] == "1,200" and f["order_id"].iloc[-1] == "A5"
    assert raw.lines == 7


def test_xlsx(tmp_path: Path) -> None:
    p = tmp_path / "客户.xlsx"
    pd.DataFrame({"客户编号": ["007", "008"], "注册日期": pd.to_datetime(["2024-01-05", "2024-02-01"]),
                  "年龄": [30, 41.5]}).to_excel(p, index=False)
    raw = _read(p)[0]
    assert raw.table == "customers"
    assert raw.frame["客户编号"].tolist() == ["007", "008"]
    # calamine reads cells with a date-only number format as dates
    assert raw.frame["注册日期"].tolist() == ["2024-01-05", "2024-02-01"]
    assert raw.frame["年龄"].tolist() == ["30", "41.5"]
    assert raw.frame["_line"].tolist() == [2, 3]


def test_parquet_is_typed(tmp_path: Path) -> None:
    p = tmp_path / "transactions.parquet"
    df = pd.DataFrame({"order_id": ["A1"], "customer_id": ["C1"],
                       "order_ts": pd.to_datetime(["2024-01-05"]), "amount": [1.5]})
    df.to_parquet(p)
    raw = _read(p)[0]
    assert raw.typed and raw.table == "transactions"
    assert pd.api.types.is_datetime64_any_dtype(raw.frame["order_ts"])
    assert raw.frame["_line"].tolist() == [1]


def test_jsonl_with_bad_line(tmp_path: Path) -> None:
    p = tmp_path / "complaints.jsonl"
    p.write_text('{"complaint_id": 1, "customer_id": "C1", "opened_ts": "2024-01-05"}\n'
                 '{oops\n\n{"complaint_id": 2, "customer_id": "C2", "opened_ts": null, "x": [1]}\n',
                 encoding="utf-8")
    src = _read(p)[0]  # staged by intake as Parquet: the broken record is left out of it
    f = src.frame
    assert f["_line"].tolist() == [1, 4]
    assert f["complaint_id"].tolist() == ["1", "2"] and f["x"].tolist()[1] == "[1]"
    assert [(b[0], b[1]) for b in src.absent_bad] == [(2, "json_invalid")]
    import loyalscope as ls

    rep = ls.load(p).quality
    q = rep.quarantine
    assert q["line"].tolist() == [2, 4]  # line 4: no opened_ts
    assert q["reason"].tolist() == ["json_invalid", "missing_required"]
    assert rep.tables["complaints"].rows_read == 3 and rep.tables["complaints"].check_invariant()


def test_folder_by_stem_and_config_glob(tmp_path: Path) -> None:
    _text(tmp_path / "订单2024.csv", ",", "utf-8")
    (tmp_path / "客户.csv").write_text("客户编号\nC1\n", encoding="utf-8")
    (tmp_path / "export_17.csv").write_text("投诉编号,客户编号,投诉时间\nK1,C1,2024-01-01\n", encoding="utf-8")
    (tmp_path / "README.md").write_text("notes", encoding="utf-8")
    (tmp_path / "unknown.csv").write_text("a\n1\n", encoding="utf-8")
    cfg = AnalysisConfig.load(None, **{"data.files": {"complaints": "export_*.csv"}})
    got = {r.table: r for r in _read(tmp_path, cfg)}
    assert set(got) == {"transactions", "customers", "complaints"}


@pytest.mark.parametrize("kind", ["pandas", "polars", "pyarrow"])
def test_frames(kind: str) -> None:
    df = pd.DataFrame({"customer_id": ["C1", "C2"], "age": [30.0, 40.0]})
    obj = {"pandas": df, "polars": pl.from_pandas(df), "pyarrow": pa.Table.from_pandas(df)}[kind]
    raw = _read({"customers": obj})[0]
    assert raw.table == "customers" and raw.typed
    assert raw.frame["customer_id"].tolist() == ["C1", "C2"]
    assert raw.frame["_line"].tolist() == [1, 2]


def test_duckdb_file(tmp_path: Path) -> None:
    p = tmp_path / "shop.duckdb"
    con = duckdb.connect(str(p))
    con.execute("CREATE TABLE orders AS SELECT 'A1' AS order_id, 'C1' AS customer_id, "
                "TIMESTAMP '2024-01-05 10:00:00' AS order_ts, 12.5 AS amount")
    con.execute("CREATE TABLE misc AS SELECT 1 AS x")
    con.close()
    raws = _read(p)
    assert [r.table for r in raws] == ["transactions"]
    assert raws[0].frame["amount"].tolist() == [12.5]


def test_unknown_file_name_error_names_file_and_fix(tmp_path: Path) -> None:
    p = tmp_path / "export.csv"
    p.write_text("a\n1\n", encoding="utf-8")
    with pytest.raises(SchemaError) as info:
        _read(p)
    assert info.value.file == str(p)
    assert '[data.files] transactions = "export.csv"' in info.value.fix


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match="does not exist"):
        _read(tmp_path / "nope.csv")
