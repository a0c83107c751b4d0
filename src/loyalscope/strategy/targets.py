"""Target groups of the strategy rules: which customers a recommendation is aimed at.

A rule's ``target`` names one of:

- an RFM segment id (``cant_lose``, ``about_to_sleep`` ...): customers in that segment;
- a quadrant (``apostle``, ``mercenary``, ``hostage``, ``defector``): respondents placed there;
- ``high_risk``: the churn model's high-risk tier (the top 10% of scores, see
  :func:`loyalscope.segments.churn.risk_tiers`), or without tiers a churn probability at least
  ``HIGH_RISK_EXCESS`` above the base rate;
- ``complainants``: customers with a complaint before the analysis date;
- ``one_time``: customers with exactly one order (repeat purchase is the lever);
- ``low.<dimension>``: respondents whose mean rating of the dimension is in the bottom two
  boxes of the scale (<= 2 on 1-5);
- ``trail.<dimension>``: respondents who rated the competitor we trail on that dimension
  higher than us.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from loyalscope.metrics._base import text_order
from loyalscope.segments.quadrant import QUADRANTS

HIGH_RISK_EXCESS = 0.10
"""Churn probability this far above the base rate makes a customer "high risk"."""


def high_risk(p: pd.Series, base_rate: float) -> pd.Series:
    """Boolean per customer: churn probability >= base rate + :data:`HIGH_RISK_EXCESS`."""
    return p >= base_rate + HIGH_RISK_EXCESS


def bottom_boxes(scale_max: float) -> float:
    """Highest rating in the bottom two boxes of a 1..scale_max scale (2 on 1-5, 4 on 1-10)."""
    return 2.0 if scale_max <= 5 else round(0.4 * scale_max)


def members(
    targets: Iterable[str],
    rfm: pd.DataFrame | None = None,
    quadrant: pd.Series | None = None,
    churn: pd.Series | None = None,
    base_rate: float | None = None,
    tier: pd.Series | None = None,
    complainants: Iterable[str] | None = None,
    answers: pd.DataFrame | None = None,
    trailing: dict[str, str] | None = None,
    scale_max: float = 5.0,
) -> dict[str, pd.Index]:
    """Customer ids (strings) of each target in ``targets`` that the inputs can resolve.

    rfm: columns customer_id, segment_id, frequency; quadrant: per customer_id; churn: churn
    probability per customer_id; answers: survey answers with customer_id and ``dim_<d>`` /
    ``comp_<competitor>_<d>`` columns; trailing: dimension -> the competitor we trail there.
    """
    out: dict[str, pd.Index] = {}
    for target in dict.fromkeys(targets):  # each once, in the order given (a set's order changes per run)
        idx = _resolve(target, rfm, quadrant, churn, base_rate, complainants, answers, trailing or {},
                       scale_max, tier)
        if idx is not None:  # distinct ids, sorted as Python sorts text
            ids = np.asarray(pd.unique(np.asarray(idx.astype(str), dtype=object)), dtype=object)
            out[target] = pd.Index(ids[text_order(ids)], dtype="object")
    return out


def _resolve(target: str, rfm: pd.DataFrame | None, quadrant: pd.Series | None, churn: pd.Series | None,
             base_rate: float | None, complainants: Iterable[str] | None, answers: pd.DataFrame | None,
             trailing: dict[str, str], scale_max: float, tier: pd.Series | None = None) -> pd.Index | None:
    if target in QUADRANTS:
        return None if quadrant is None else pd.Index(quadrant.index[quadrant == target])
    if target == "high_risk":
        if tier is not None:
            return pd.Index(tier.index[tier == "high"])
        if churn is None:
            return None
        base = float(churn.mean()) if base_rate is None else base_rate
        return pd.Index(churn.index[high_risk(churn, base)])
    if target == "complainants":
        return None if complainants is None else pd.Index(list(complainants))
    if target == "all":
        return None if rfm is None else pd.Index(rfm.customer_id)
    if target == "one_time":
        return None if rfm is None else pd.Index(rfm.customer_id[rfm.frequency == 1])
    if target.startswith(("low.", "trail.")) and answers is not None:
        kind, dim = target.split(".", 1)
        col = f"dim_{dim}"
        if col not in answers.columns:
            return None
        if kind == "low":
            mean = answers.groupby("customer_id")[col].mean()
            return pd.Index(mean.index[mean <= bottom_boxes(scale_max)])
        comp = trailing.get(dim)
        if comp is None or f"comp_{comp}_{dim}" not in answers.columns:
            return None
        diff = (answers[col] - answers[f"comp_{comp}_{dim}"]).groupby(answers.customer_id).mean()
        return pd.Index(diff.index[diff < 0])
    if rfm is not None and "segment_id" in rfm.columns:
        return pd.Index(rfm.customer_id[rfm.segment_id == target])
    return None
