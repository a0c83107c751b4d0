"""Plain columns (``data/validate.py``: ``_plain_columns``; ``parse.plain_number``,
``parse.plain_datetime``).

A text number or date column whose values are all plain numbers (``-12.5``) or ISO dates is read
by a short expression; one value that is not, anywhere in the file, and the column is parsed in
full. The references are the full parsers (:func:`parse.number`, :func:`parse.datetime`) and an
independent reading in Python.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import ibis
import numpy as np
import pandas as pd

import loyalscope as ls
from loyalscope.data import parse

CON = ibis.duckdb.connect()
SIZE = 60_000  # rows of the files below: an odd value far from the top is still seen
PLAIN = ["0", "-0", "12", "-12.5", "0.000000001", "99999999999999", "007", "3.250", "", None]
NOT_PLAIN = [" 12", "12 ", "1e3", "¥1", "1,000", "１２", "+5", ".5", "5.", "1234567890123456",
             "(3)", "abc", "inf", "1.0000000001", "-", "1 2"]


def _frame(values: list[str | None]) -> ibis.Table:
    return ibis.memtable(pd.DataFrame({"s": pd.Series(values, dtype=object)}))


def _number(values: list[str | None]) -> pd.DataFrame:
    out = parse.number(_frame(values), "s", "o", backend="duckdb")
    return CON.execute(out.select(v=out.o, r=out.o__r, g=out.o__g, p=out.o__p))


def _plain(values: list[str | None]) -> pd.DataFrame:
    out = parse.plain_number(_frame(values), "s", "o")
    return CON.execute(out.select(v=out.o, r=out.o__r, g=out.o__g, p=out.o__p))


def test_plain_values_are_read_as_the_full_parser_reads_them() -> None:
    full, fast = _number(PLAIN), _plain(PLAIN)
    np.testing.assert_array_equal(fast["v"].to_numpy(), full["v"].to_numpy())
    assert fast["p"].tolist() == full["p"].tolist() == [True] * 8 + [False] * 2
    assert fast["r"].isna().all() and full["r"].isna().all() and fast["g"].isna().all()
    # and as Python reads them
    assert fast["v"].iloc[:8].tolist() == [float(v) for v in PLAIN[:8] if v]
    # 1e14 or more (the money sums' DECIMAL(18, 4) holds less): out of range on both paths
    big = ["999999999999999", "-100000000000000"]
    full, fast = _number(big), _plain(big)
    assert fast["r"].tolist() == full["r"].tolist() == ["out_of_range"] * 2
    assert fast["g"].tolist() == full["g"].tolist() and fast["v"].isna().all() and full["v"].isna().all()


def _not_plain(test, values: list[str | None]) -> list[bool]:
    tbl = _frame(values)
    return CON.execute(tbl.select(x=test(tbl.s)))["x"].tolist()


def test_every_value_that_is_not_plain_is_found() -> None:
    assert _not_plain(parse.not_plain_number, NOT_PLAIN) == [True] * len(NOT_PLAIN)
    assert _not_plain(parse.not_plain_number, PLAIN) == [False] * len(PLAIN)
    # the full parser reads most of them and rejects others (reasons of its own): such a value
    # sends the whole column to it
    full = _number(NOT_PLAIN)
    read = full["r"].isna()
    assert full.loc[read, "v"].tolist() == [12.0, 12.0, 1000.0, 1.0, 1000.0, 12.0, 5.0, 0.5, 5.0,
                                            -3.0, 1.0000000001]
    assert full.loc[~read, "r"].tolist() == ["out_of_range", "unparseable", "out_of_range",
                                             "unparseable", "unparseable"]


def _orders(path: Path, amounts: list[str], quantities: list[str]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["order_id", "customer_id", "order_ts", "amount", "quantity"])
        for i, (a, q) in enumerate(zip(amounts, quantities, strict=True)):
            w.writerow([f"O{i:06d}", f"C{i % 997:04d}", f"2024-0{1 + i % 5}-1{i % 10}", a, q])
    return path


def _read(value: str) -> Decimal | None:
    """An independent reading of this test's amounts (plain numbers, ``¥1,200.50``, ``1e3``,
    ``" 7 "``); None for what is not a number."""
    text = value.strip().removeprefix("¥").replace(",", "")
    try:
        return Decimal(text)
    except ArithmeticError:
        return None


def _load(tmp_path: Path, where: str) -> tuple[pd.DataFrame, pd.DataFrame, list[int], list[str],
                                                list[str]]:
    n = SIZE + 6
    amounts = [f"{(i * 37) % 5000}.{i % 100:02d}" for i in range(n)]
    quantities = [str(1 + i % 4) for i in range(n)]
    odd = {"¥1,200.50": "2", "1e3": "3", " 7 ": "1", "x": "1", "15": "+3", "16": " 4"}
    rows = list(range(n - len(odd), n)) if where == "after" else list(range(len(odd)))
    for r, (a, q) in zip(rows, odd.items(), strict=True):
        amounts[r], quantities[r] = a, q
    (tmp_path / where).mkdir()
    ds = ls.load({"transactions": _orders(tmp_path / where / "orders.csv", amounts, quantities)},
                 now=pd.Timestamp("2024-06-01"))
    got = ds.table("transactions").execute().set_index("order_id").sort_index()
    return got, ds.quality.quarantine, rows, amounts, quantities


def test_a_value_that_is_not_plain_far_down_the_file_is_parsed_in_full(tmp_path: Path) -> None:
    got, q, rows, amounts, quantities = _load(tmp_path, "after")
    # "x" is no number: its order is quarantined; every other value is read
    bad = rows[3]
    assert q["line"].tolist() == [bad + 2] and q["value"].tolist() == ["x"]
    assert len(got) == len(amounts) - 1
    assert sum(Decimal(str(v)) for v in got["amount"]) == sum(
        _read(a) for i, a in enumerate(amounts) if i != bad)
    assert got.loc[[f"O{r:06d}" for r in rows if r != bad], "amount"].tolist() == [
        1200.5, 1000.0, 7.0, 15.0, 16.0]
    assert got.loc[[f"O{r:06d}" for r in rows[4:]], "quantity"].tolist() == [3, 4]
    assert got["quantity"].sum() == sum(int(v) for i, v in enumerate(quantities) if i != bad)
    # the same values at the head of the file (parsed in full from the start) give the same rows
    first, q1, rows1, _, _ = _load(tmp_path, "first")
    moved = dict(zip([f"O{r:06d}" for r in rows1], [f"O{r:06d}" for r in rows], strict=True))
    assert q1["value"].tolist() == ["x"]
    for a, b in moved.items():
        if a in first.index:
            assert first.loc[a, ["amount", "quantity"]].tolist() == got.loc[b, ["amount",
                                                                                 "quantity"]].tolist()


DATES = ["2024-03-05", "2024-03-05 07:08", "2024-03-05 07:08:09", "2024-03-05T07:08:09.123456",
         "2024-02-30", "2024-13-01", "0001-01-01", "2300-01-01", "1899-12-31 23:59:59", "", None]
NOT_DATES = ["2024/03/05", "05/03/2024", " 2024-03-05", "2024-03-05 ", "2024年3月5日", "20240305",
             "2024-3-5", "2024-03-05 7:08", "2024-03-05+08:00", "x"]


def _dates(fn, values: list[str | None], **kw: object) -> pd.DataFrame:
    out = fn(_frame(values), "s", "o", **kw)
    return CON.execute(out.select(v=out.o, r=out.o__r, g=out.o__g, p=out.o__p, s=out.o__s))


def test_iso_dates_are_read_as_the_full_parser_reads_them() -> None:
    full = _dates(parse.datetime, DATES, dayfirst=False, timezone="Asia/Shanghai", backend="duckdb")
    fast = _dates(parse.plain_datetime, DATES)
    pd.testing.assert_frame_equal(fast, full)
    assert _not_plain(parse.not_plain_date, DATES) == [False] * len(DATES)
    # and as Python reads them: impossible days unreadable, years outside 1900-2200 out of range
    assert fast["v"].iloc[:4].tolist() == [pd.Timestamp(v) for v in DATES[:4]]
    assert fast["r"].tolist()[4:9] == ["unparseable", "unparseable", "out_of_range", "out_of_range",
                                       "out_of_range"]


def test_every_date_that_is_not_iso_is_found() -> None:
    assert _not_plain(parse.not_plain_date, NOT_DATES) == [True] * len(NOT_DATES)


def test_a_date_that_is_not_iso_far_down_the_file_is_parsed_in_full(tmp_path: Path) -> None:
    n = SIZE + 3
    path = tmp_path / "orders.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["order_id", "customer_id", "order_ts", "amount"])
        for i in range(n):
            w.writerow([f"O{i:06d}", f"C{i % 97:03d}", f"2024-0{1 + i % 5}-1{i % 10}", "5"])
        w.writerow(["L1", "C001", "2024年3月5日 8点30分", "5"])
        w.writerow(["L2", "C002", "2024/3/6", "5"])
        w.writerow(["L3", "C003", "2024-02-30", "5"])
    ds = ls.load({"transactions": path}, now=pd.Timestamp("2024-06-01"))
    got = ds.table("transactions").execute().set_index("order_id")
    assert got.loc["L1", "order_ts"] == pd.Timestamp("2024-03-05 08:30")
    assert got.loc["L2", "order_ts"] == pd.Timestamp("2024-03-06")
    q = ds.quality.quarantine
    assert q["value"].tolist() == ["2024-02-30"] and q["reason"].tolist() == ["unparseable"]
    assert len(got) == n + 2
