"""Orphan counts of the quality report: accepted rows that point at a customer (an order) the
data does not hold, counted independently from the loaded tables."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

import loyalscope as ls
from loyalscope.data.load import _ORPHAN_KEYS

NOW = pd.Timestamp("2024-06-01")


def _write(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)


def _company(folder: Path) -> Path:
    _write(folder / "customers.csv", [["customer_id", "signup_date"],
                                      ["C1", "2023-01-05"], ["C2", "2023-02-01"], ["C3", "2023-03-01"]])
    # C9 and C8 are nobody's; O7 is a guest's (no customer id)
    _write(folder / "transactions.csv", [
        ["order_id", "customer_id", "order_ts", "amount"],
        ["O1", "C1", "2024-01-02", "10"], ["O2", "C1", "2024-02-02", "20"],
        ["O3", "C9", "2024-02-03", "30"], ["O4", "C2", "2024-03-01", "40"],
        ["O5", "C8", "2024-03-02", "50"], ["O6", "C9", "2024-03-03", "60"],
        ["O7", "", "2024-03-04", "70"]])
    # R3 and R4 return orders that are not in the purchases; R1 and R2 return O1 twice over
    _write(folder / "returns.csv", [
        ["return_id", "order_id", "return_ts", "amount"],
        ["R1", "O1", "2024-01-10", "5"], ["R2", "O1", "2024-01-11", "5"],
        ["R3", "O99", "2024-02-10", "5"], ["R4", "O98", "2024-02-11", "5"],
        ["R5", "O4", "2024-03-05", "5"]])
    _write(folder / "complaints.csv", [
        ["complaint_id", "customer_id", "opened_ts"],
        ["K1", "C1", "2024-01-03"], ["K2", "C7", "2024-02-03"], ["K3", "C7", "2024-02-04"]])
    return folder


def test_orphans_match_an_independent_count(tmp_path: Path) -> None:
    ds = ls.load(_company(tmp_path), now=NOW)
    tables = {n: ds.table(n).execute() for n in ("customers", "transactions", "returns", "complaints")}
    expected = {}
    for name in ("transactions", "returns", "complaints"):
        col, parent, pcol = _ORPHAN_KEYS.get(name, ("customer_id", "customers", "customer_id"))
        known = set(tables[parent][pcol].dropna())
        keys = tables[name][col]
        expected[name] = int(sum(1 for k in keys if pd.isna(k) or k not in known))
    got = {name: ds.quality.tables[name].orphans for name in expected}
    assert got == expected
    # the counts the files were written for: C9 twice and C8 (the guest order, without a
    # customer id, is kept with the orders, not as a customer's); O99 and O98; C7 twice
    assert got == {"transactions": 3, "returns": 2, "complaints": 2}
    assert ds.quality.tables["transactions"].rows_accepted == 7
