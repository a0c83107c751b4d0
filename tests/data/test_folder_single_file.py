"""A folder whose only data file is named anything is read like that file given directly: the
table is judged from its columns (the UCI Online Retail excerpt's folder gave "No table was
found in the input"). With two such files nothing is guessed: each is listed as not read."""

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
