"""Excellent-customer evaluation (优秀客户评估): the management-evaluation dimensions -> a score and tiers.

The documents' list of how management evaluates a customer's merits (管理如何评价客户的优点):
loyalty 客户忠诚度, contribution 客户贡献度, recommendation 客户推荐指数 (NPS), feedback
客户反馈, potential 客户潜力, relationship depth 客户关系深度, plus satisfaction 客户满意度 and
value (CLV) from the evaluation slides.

=====================  ================================================================  ======
component              per customer                                                      weight
=====================  ================================================================  ======
loyalty                composite loyalty index (0-100)                                   0.20
contribution           share of total margin (of revenue where margin is not given)      0.15
value                  customer lifetime value (model)                                   0.15
recommendation         mean NPS answer 0-10 (recommend intent where NPS is not asked)   0.10
satisfaction           mean CSAT answer                                                  0.10
feedback               survey answers + complaints + feedback interactions given         0.05
potential              predicted next-horizon spend minus trailing spend of the same    0.15
                       length (value section); the frequency trend A13 without it
relationship_depth     mean percentile rank of tenure, categories and channels bought   0.10
=====================  ================================================================  ======

Each component is brought to 0-1 by its percentile rank among customers (average ranks for
ties), so money, counts and scores mix fairly. A component absent from the data (no column, or
no value for anyone) is dropped, the other weights are rescaled to sum to 1 and a note says so,
as for the loyalty index. A customer without a value for some present component (no survey
answer) is scored on the components they have: ``score = sum_k w_k r_k / sum_k w_k`` over them.

Tiers by score: ``A`` (>= 0.75), ``B`` (>= 0.5), ``C`` (>= 0.25), ``D`` (below); the cut-offs
are arguments.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from loyalscope.i18n import t

COMPONENTS = ("loyalty", "contribution", "value", "recommendation", "satisfaction", "feedback",
              "potential", "relationship_depth")
DEFAULT_WEIGHTS = {"loyalty": 0.20, "contribution": 0.15, "value": 0.15, "recommendation": 0.10,
                   "satisfaction": 0.10, "feedback": 0.05, "potential": 0.15, "relationship_depth": 0.10}
DEPTH_PARTS = ("tenure_days", "categories", "channels")


def relationship_depth(parts: pd.DataFrame) -> pd.Series:
    """Mean percentile rank of the depth parts present (tenure, categories, channels)."""
    cols = [c for c in DEPTH_PARTS if c in parts and parts[c].notna().any()]
    if not cols:
        return pd.Series(np.nan, index=parts.index, name="relationship_depth")
    return parts[cols].rank(pct=True, method="average").mean(axis=1).rename("relationship_depth")


def evaluate_excellent(
    components: pd.DataFrame,
    weights: dict[str, float] | None = None,
    cuts: tuple[float, float, float] = (0.75, 0.5, 0.25),
    lang: str | None = None,
) -> tuple[pd.DataFrame, dict[str, float], list[str]]:
    """Score and tier each row of ``components`` (any subset of :data:`COMPONENTS`).

    Returns (frame with ``<component>_pct``, ``score`` 0-1 and ``tier`` A-D, the weights used
    (summing to 1), notes naming the dropped components).
    """
    w_all = weights or DEFAULT_WEIGHTS
    cols = [c for c in COMPONENTS if c in components and components[c].notna().any() and w_all.get(c, 0) > 0]
    notes = [t("indices.excellent.dropped", lang, component=t(f"indices.excellent.component.{c}", lang))
             for c in COMPONENTS if w_all.get(c, 0) > 0 and c not in cols]
    total = sum(w_all[c] for c in cols)
    used = {c: w_all[c] / total for c in cols}
    # column by column: pandas' 2-D rank costs ~1.6x the 1-D one (the same values)
    ranks = pd.DataFrame({c: components[c].astype(float).rank(pct=True, method="average")
                          for c in cols}, index=components.index)
    wv = np.array([used[c] for c in cols])
    z = ranks.to_numpy(float)
    den = (~np.isnan(z) * wv).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(den > 0, np.nansum(z * wv, axis=1) / den, np.nan)
    out = ranks.add_suffix("_pct")
    out["score"] = score
    out["tier"] = np.select([score >= cuts[0], score >= cuts[1], score >= cuts[2]], ["A", "B", "C"], "D")
    out.loc[np.isnan(score), "tier"] = None
    return out, used, notes


def excellent_customers(
    components: pd.DataFrame,
    weights: dict[str, float] | None = None,
    cuts: tuple[float, float, float] = (0.75, 0.5, 0.25),
) -> pd.DataFrame:
    """``score`` (0-1) and ``tier`` (A-D) per row; see :func:`evaluate_excellent`."""
    return evaluate_excellent(components, weights, cuts)[0]
