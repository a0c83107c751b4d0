"""Satisfaction x loyalty quadrant (满意度-忠诚度矩阵), after Jones & Sasser (1995).

=================  ==================  ===================
                   low loyalty          high loyalty
=================  ==================  ===================
high satisfaction  mercenary 图利型     apostle 忠诚型/信徒
low satisfaction   defector 流失型/暴徒  hostage 人质型
=================  ==================  ===================

Inputs are on a 0-1 scale: loyalty from behaviour (e.g. :func:`behavioural_loyalty`),
satisfaction from surveys (e.g. CSAT rescaled with ``(x - 1) / (max - 1)``).

Cut-offs (configurable): a customer is "high" when the score is ``>=`` the cut. Defaults:
satisfaction 0.75 (= 4 on a 1-5 scale, the usual top-2-box line), loyalty the median of the
scores (half the customers are "high"). Customers without a satisfaction score get no quadrant
(``NaN``) rather than a guessed one.

Reference: Jones, T. O. & Sasser, W. E. (1995). Why satisfied customers defect. HBR 73(6).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

QUADRANTS = ("apostle", "mercenary", "hostage", "defector")


def sat_loyalty_quadrant(
    satisfaction: pd.Series,
    loyalty: pd.Series,
    sat_cut: float = 0.75,
    loyalty_cut: float | None = None,
) -> pd.Series:
    """Quadrant of each customer; ``satisfaction`` and ``loyalty`` share an index, 0-1 scale."""
    if loyalty_cut is None:
        loyalty_cut = float(loyalty.median())
    hs = satisfaction >= sat_cut
    hl = loyalty >= loyalty_cut
    code = np.select([hs & hl, hs & ~hl, ~hs & hl], [0, 1, 2], 3)
    code[(satisfaction.isna() | loyalty.isna()).to_numpy()] = 4
    # gathered from one object per quadrant (a text array cast to objects: one per customer)
    names = np.array([*QUADRANTS, np.nan], dtype=object)
    return pd.Series(names[code], index=satisfaction.index, name="quadrant", dtype=object)


def quadrant_shares(quadrant: pd.Series) -> dict[str, float]:
    """Share of classified customers in each quadrant (all four listed)."""
    q = quadrant.dropna()
    n = len(q)
    return {k: (float((q == k).sum()) / n if n else 0.0) for k in QUADRANTS}
