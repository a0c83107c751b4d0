"""A folder whose only data file is named anything is read like that file given directly: the
table is judged from its columns (the UCI Online Retail excerpt's folder gave "No table was
found in the input"). So is the only such file beside files named for other tables (an
export and a ``customers.xlsx``). With two such files nothing is guessed: each is listed as not
read; nor when a file is named for the table its columns make (it may be a copy)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

import loyalscope as ls
from loyalscope.errors import SchemaError

REAL = Path(__file__).parents[1] / "data" / "real" / "online_retail" / "online_retail_2010-12_excerpt.csv"
NOW = pd.Timestamp("2024-06-01")


def _rows(ds: ls.Dataset) -> pd.DataFrame:
    frame = ds.table("transactions").execute()
    return frame.sort_values(["order_id", "customer_id"]).reset_index(drop=True)


def test_folder_with_one_export_reads_it_by_its_columns(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    shutil.copy(REAL, folder / REAL.name)
    (folder / "notes.docx").write_bytes(b"PK")  # not a data file
    from_folder, direct = ls.load(folder, now=NOW), ls.load(REAL, now=NOW)
    pd.testing.assert_frame_equal(_rows(from_folder), _rows(direct))
    raw = pd.read_csv(REAL, dtype=str, keep_default_na=False)
    assert from_folder.quality.tables["transactions"].rows_read == len(raw)
    assert any("inferred" in n for n in from_folder.quality.tables["transactions"].notes)


def test_two_files_named_anything_are_not_guessed(tmp_path: Path) -> None:
    text = "order_id,customer_id,order_ts,amount\nA1,C1,2024-01-05,5\n"
    for name in ("export_a.csv", "export_b.csv"):
        (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(SchemaError) as info:
        ls.load(tmp_path, now=NOW)
    assert "No table was found" in info.value.message or "未找到" in info.value.message


def test_the_one_unnamed_file_beside_named_tables_is_read_by_its_columns(tmp_path: Path) -> None:
    shutil.copy(REAL, tmp_path / REAL.name)
    raw = pd.read_csv(REAL, dtype=str, keep_default_na=False)
    ids = sorted({c for c in raw.CustomerID if c})
    pd.DataFrame({"CustomerID": ids, "Country": "United Kingdom"}).to_csv(tmp_path / "customers.csv",
                                                                          index=False)
    ds = ls.load(tmp_path, now=NOW)
    pd.testing.assert_frame_equal(_rows(ds), _rows(ls.load(REAL, now=NOW)))
    assert ds.quality.tables["customers"].rows_read == len(ids)
    assert ds.quality.unused == []


def test_an_unnamed_copy_of_a_named_table_is_not_read(tmp_path: Path) -> None:
    shutil.copy(REAL, tmp_path / "orders.csv")
    shutil.copy(REAL, tmp_path / "export (1).csv")
    ds = ls.load(tmp_path, now=NOW)
    pd.testing.assert_frame_equal(_rows(ds), _rows(ls.load(REAL, now=NOW)))  # not twice
    [unused] = ds.quality.unused
    assert unused["file"] == str(tmp_path / "export (1).csv")
    assert "orders.csv" in unused["reason"] and "[data.files]" in unused["reason"]
