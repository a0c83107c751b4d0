"""Target lists of the recommended actions as CSV files, ready for a CRM import.

``targets/<rank>_<rule>.csv`` per action: UTF-8 with BOM (Excel opens it with Chinese intact),
stable ids in the id columns (customer_id, action = rule id, rfm_segment id) and the action's
label in the report's language beside them; every text cell passes through
(:func:`loyalscope.report.cells.safe_texts`, a column at a time; CSV rules: control characters escaped, formula starts quoted).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from loyalscope.i18n import normalise_lang, t
from loyalscope.report.cells import safe_text, safe_texts
from loyalscope.report.excel import clean_numbers, target_lists

if TYPE_CHECKING:
    from loyalscope.analysis import Analysis

COLUMNS = ("customer_id", "action", "action_label", "rank", "rfm_segment", "clv", "churn_probability",
           "value_at_stake")


def _numbers(col: pd.Series, unit: str) -> list[float | int | None]:
    """:func:`clean_number` of every cell, computed once per distinct value."""
    codes, uniques = pd.factorize(pd.to_numeric(col, errors="coerce"), use_na_sentinel=True)
    cleaned = np.array([*clean_numbers(np.asarray(uniques, dtype=float), unit), None], dtype=object)
    return list(cleaned[codes])


def write_target_lists(analysis: Analysis, folder: str | Path, lang: str | None = None,
                       lists: dict[str, pd.DataFrame] | None = None) -> dict[str, Path]:
    """Write one CSV per recommended action into ``folder``; return rule id -> path.

    ``lists``: :func:`~loyalscope.report.excel.target_lists` of ``analysis`` when the caller
    has them (default: built here)."""
    lang = normalise_lang(lang or analysis.config.locale)
    lists = target_lists(analysis) if lists is None else lists
    if not lists:
        return {}
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    units = {"clv": "currency", "value_at_stake": "currency", "churn_probability": "percent"}
    out: dict[str, Path] = {}
    for rule, frame in lists.items():
        rank = int(frame.target_rank.iloc[0]) if "target_rank" in frame else 0
        csv = pd.DataFrame({
            "customer_id": safe_texts(frame.customer_id.astype(str)).to_numpy(),
            "action": rule,
            "action_label": safe_text(t(f"strategy.rule.{rule}", lang)),
            "rank": rank,
        })
        for col in ("rfm_segment", "clv", "churn_probability", "value_at_stake"):
            if col in frame:
                csv[col] = _numbers(frame[col], units[col]) if col in units else safe_texts(frame[col]).to_numpy()
        path = folder / f"{rank:02d}_{rule}.csv"
        csv.to_csv(path, index=False, encoding="utf-8-sig")
        out[rule] = path
    return out
