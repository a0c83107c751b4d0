"""Behavioural, attitudinal and emotional loyalty scores (行为/意识/情感忠诚), each 0-1.

- behavioural = mean of the percentile ranks of frequency and of recency (recent = high);
- attitudinal = repurchase intent rescaled ``(x - 1) / (scale_max - 1)``;
- emotional = mean of rescaled CSAT and rescaled NPS (``nps / 10``) where present.

A score is ``NaN`` when its inputs are missing (no survey answer), never imputed.
"""

from __future__ import annotations

import pandas as pd


def rescale(x: pd.Series, low: float, high: float) -> pd.Series:
    """Map ``[low, high]`` linearly onto ``[0, 1]`` (values outside are clipped)."""
    return ((x.astype(float) - low) / (high - low)).clip(0.0, 1.0)


def behavioural_loyalty(frequency: pd.Series, recency_days: pd.Series) -> pd.Series:
    """Mean percentile rank of frequency and of recency (fewest days since purchase = 1)."""
    f = frequency.rank(pct=True, method="average")
    r = (-recency_days).rank(pct=True, method="average")
    return ((f + r) / 2).rename("behavioural")


def loyalty_dimensions(
    customers: pd.DataFrame,
    csat_scale: tuple[float, float] = (1.0, 5.0),
    intent_scale: tuple[float, float] | None = None,
) -> pd.DataFrame:
    """Three loyalty scores from a customer frame with ``frequency``, ``recency_days`` and
    optionally ``repurchase_intent`` (on ``intent_scale``, default ``csat_scale``), ``csat``
    (on ``csat_scale``, ``(low, high)``) and ``nps`` (0-10); each answer is mapped onto 0-1 by
    :func:`rescale` of its own scale (a 0-10 satisfaction rating's 5 is 0.5, not 4/9)."""
    out = pd.DataFrame(index=customers.index)
    out["behavioural"] = behavioural_loyalty(customers["frequency"], customers["recency_days"])
    nan = pd.Series(float("nan"), index=customers.index)
    ri = customers.get("repurchase_intent", nan)
    out["attitudinal"] = rescale(ri, *(intent_scale or csat_scale))
    parts = []
    if "csat" in customers:
        parts.append(rescale(customers["csat"], *csat_scale))
    if "nps" in customers:
        parts.append(rescale(customers["nps"], 0.0, 10.0))
    out["emotional"] = pd.concat(parts, axis=1).mean(axis=1, skipna=True) if parts else nan
    return out
