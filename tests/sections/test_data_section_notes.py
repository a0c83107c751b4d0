"""The report says how the data were read (``sections/data.py`` ``read_notes``).

The loader's notes (the table judged from the columns, order lines summed into orders, customer
ids written as decimals read without ``.0``, answers in words read as points, anonymous answers)
were printed by ``loyalscope validate`` only: a reader of the report or the workbook never saw
what had been judged or assumed. They are now a table of the data section, in both languages.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pandas as pd

import loyalscope as ls
from loyalscope.data.quality import Note
from loyalscope.i18n import use_lang
from loyalscope.report.html import render_html
from loyalscope.results import Table

EXCERPT = Path(__file__).parents[1] / "data" / "real" / "online_retail" / "online_retail_2010-12_excerpt.csv"


def test_the_data_section_lists_every_note_of_the_load_in_both_languages(tmp_path: Path) -> None:
    raw = pd.read_csv(EXCERPT, dtype={"InvoiceNo": str, "StockCode": str, "CustomerID": float})
    raw.rename(columns={"CustomerID": "Customer ID"}).to_csv(tmp_path / "online_retail.csv", index=False)
    ds = ls.load(tmp_path, now=pd.Timestamp("2011-01-01"))
    notes = ds.quality.tables["transactions"].notes
    assert len(notes) >= 3  # decimals, the table inferred, lines summed into orders
    an = ls.analyze(ds, sections=("data",))
    data = next(s for s in an.sections if s.id == "data")
    table = next(b for b in data.blocks if isinstance(b, Table) and b.title == "data_section.read_notes")
    assert len(table.frame) == len(notes)
    assert [r["note"] for r in data.data["read_notes"]] == [
        n.split(": ", 1)[1] if n.startswith(str(tmp_path)) else n for n in notes]
    zh, en = render_html(an, "zh"), render_html(an, "en")
    assert "How the data were read" in en and "is written as decimal numbers" in en
    assert "数据的读取方式" in zh and "写成了小数" in zh and "根据列名判断数据表为" in zh


def test_a_source_is_kept_apart_from_its_note_even_when_its_name_holds_a_colon(tmp_path: Path) -> None:
    raw = pd.read_csv(EXCERPT, dtype={"InvoiceNo": str, "StockCode": str, "CustomerID": float})
    # a file name with ": " in it (allowed on Linux and macOS): cutting the name off the
    # sentence at its first ": " would have split the name itself
    folder = tmp_path / "export: 2010-12"
    folder.mkdir()
    raw.rename(columns={"CustomerID": "Customer ID"}).to_csv(folder / "orders: december.csv", index=False)
    ds = ls.load(folder, now=pd.Timestamp("2011-01-01"))
    notes = ds.quality.tables["transactions"].notes
    sourced = [n for n in notes if isinstance(n, Note) and n.source]
    assert sourced and all(n.source.endswith("orders: december.csv") for n in sourced)
    assert all(str(n) == f"{n.source}: {n.text}" for n in sourced)  # validate / quality.json text
    an = ls.analyze(ds, sections=("data",))
    rows = next(s for s in an.sections if s.id == "data").data["read_notes"]
    assert {r["source"] for r in rows if r["source"]} == {n.source for n in sourced}
    assert any("is written as decimal numbers" in r["note"] for r in rows)
    assert not any(str(r["note"]).startswith("december.csv") for r in rows)
    # the quality report stays plain JSON, and a note survives a pickle (web app cache)
    assert json.loads(json.dumps(ds.quality.to_dict()))["transactions"]["notes"] == list(notes)
    again = pickle.loads(pickle.dumps(sourced[0]))
    assert (again, again.source, again.text) == (sourced[0], sourced[0].source, sourced[0].text)


def test_a_short_chinese_reason_is_english_in_the_english_report(tmp_path: Path) -> None:
    # loaded in Chinese (the command line's default), rendered in both languages: a reason of
    # eleven Chinese characters (未读取：不是数据文件类型) was not remembered as a translation and
    # stayed Chinese in the English report
    raw = pd.read_csv(EXCERPT, dtype={"InvoiceNo": str, "StockCode": str, "CustomerID": float})
    raw.to_csv(tmp_path / "online_retail.csv", index=False)
    (tmp_path / "notes.err").write_text("not data", encoding="utf-8")
    with use_lang("zh"):
        ds = ls.load(tmp_path, now=pd.Timestamp("2011-01-01"))
        an = ls.analyze(ds, sections=("data",))
    assert any(u["reason"] == "未读取：不是数据文件类型" for u in ds.quality.unused)
    en, zh = render_html(an, "en"), render_html(an, "zh")
    assert "not read: not a data file type" in en and "未读取：不是数据文件类型" not in en
    assert "未读取：不是数据文件类型" in zh
