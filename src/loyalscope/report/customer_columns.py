"""Columns of the scored-customer table as a person reads them: label (catalogue), unit and
display value. ``customers.parquet`` keeps stable ids (``champions``, ``value``, rule ids); the
workbook, the CSV target lists and the web pages show them through this one table."""

from __future__ import annotations

from typing import Any

from loyalscope.i18n import has_key, t
from loyalscope.report.format import display_label, fmt_value

UNITS: dict[str, str] = {
    "p_alive": "percent", "churn_probability": "percent", "excess_churn": "percent",
    "clv": "currency", "expected_spend": "currency", "predicted_spend": "currency", "potential": "currency",
    "value_at_stake": "currency", "spend": "currency", "monetary": "currency",
    "expected_purchases": "ratio", "loyalty_index": "score",
    "target_rank": "count", "rank": "count", "frequency": "count", "recency_days": "days",
    "p_no_order_window": "percent", "churn_lift": "ratio",
    "p_leave_next": "percent", "derl": "ratio", "residual_value": "currency", "fee_at_risk": "currency",
}
"""Unit of each known column (percent columns hold shares in [0, 1])."""


def label(column: str, lang: str) -> str:
    """Header of a customer column with its unit: ``CLV (currency)``, ``churn risk``."""
    key = f"report.customer.{column}"
    text = t(key, lang) if has_key(key) else str(display_label(column, lang))
    unit = UNITS.get(column)
    if unit in ("currency", "days") and has_key(f"report.unit.{unit}"):
        return t("report.with_unit", lang, label=text, unit=t(f"report.unit.{unit}", lang))
    return text


VALUE_KEYS: dict[str, tuple[str, ...]] = {
    "rfm_segment": ("segments.name.{}",),
    "loyalty_type": ("report.loyalty_type.{}", "segments.loyalty_type.{}", "segments.report.more.{}"),
    "target_of": ("strategy.rule.{}",),
    "recommendation": ("strategy.rule.{}",),
    "strategy": ("strategy.kind.{}",),
    "churn_tier": ("report.value.tier_{}",),
}
"""Id-valued columns and the catalogue keys their ids translate through (first that exists)."""


def value_key(column: str, value: Any) -> str | None:
    """Catalogue key of an id-valued cell (segment, loyalty type, recommendation), else None."""
    if not isinstance(value, str) or not value:
        return None
    return next((k for k in (c.format(value) for c in VALUE_KEYS.get(column, ())) if has_key(k)), None)


def display(column: str, value: Any, lang: str) -> Any:
    """The cell as a person reads it: ids translated, numbers formatted by unit."""
    key = value_key(column, value)
    if key is not None:
        return t(key, lang)
    return fmt_value(value, UNITS.get(column), lang)
