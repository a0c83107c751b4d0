"""The portrait's skip reason names what is really missing (a customers file alone has ids)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import loyalscope as ls

TELCO = Path(__file__).parents[1] / "data" / "real" / "telco" / "Telco-Customer-Churn_excerpt.csv"


def _portrait(src: Path) -> ls.results.Section:
    an = ls.analyze(ls.load(src, now=pd.Timestamp("2025-01-01")), sections=("segments", "portrait"))
    return next(s for s in an.sections if s.id == "portrait")


def test_customers_without_orders_say_the_orders_are_missing() -> None:
    portrait = _portrait(TELCO)  # customer ids, and no transactions
    reason = portrait.skipped_kw["reason"]
    assert reason.key == "core.errors.missing_table" and reason.kw == {"table": "transactions"}


def test_an_order_report_without_buyer_ids_says_so() -> None:
    portrait = _portrait(TELCO.parents[1] / "tmall")  # orders, and no buyer id column
    assert portrait.skipped_kw["reason"].key == "data.shapes.note_no_customer"
